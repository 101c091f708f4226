"""Acceptance harness for issue 11: crafted hostile inputs through the real CLI, one JSON report.

Every case (built by :mod:`hostile_weights` and :mod:`hostile_cases` from the issue's descriptions: crafted
weights, lying codestreams,
damaged DICOMs, bad annotation and prompt files, existing/full/read-only output locations, DICOM export) runs
``python -m carzero_viewer ...`` in its own process and is judged the way the issue's author will:

* ``error`` cases: non-zero exit, stderr exactly one line (after the untrained-model banner and progress bars)
  naming the hostile file; ``ok`` cases: exit 0; ``either``: one of the two; ``partial`` (a multi-file run
  with one hostile file): non-zero exit, the last line names it, the good file's outputs are written;
* never a ``Traceback`` or a library's log line on the terminal, no ``nan`` in stdout, every JSON output
  parsed strictly (no NaN/Infinity, valid UTF-8), no CSV cell starting with ``= + - @`` unless it is a
  number, no empty output file;
* under 120 s wall time (the child is killed then: a hang), under 2.5 GB peak RSS (``ru_maxrss`` from
  ``wait4``; a child passing 4 GB is killed so a runaway allocation cannot take the machine down).

The code under test is the checkout ``PYTHONPATH`` names, else the one holding this script (every child runs
in a scratch folder, so the current directory never decides which ``carzero_viewer`` is imported). Full and
read-only disks are 64 KiB tmpfs mounts (root only; the cases are reported as skipped otherwise). Exit
status 1 when any case fails. Typical times on 2 cores: ~3-4 min in full, ~1 min with ``--quick`` (plus up
to 120 s for each case that hangs).

    .venv/bin/python benchmarks/hostile_inputs.py [--quick] [--jobs 2] [--only NAME ...] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from hostile_cases import BUILDERS, EITHER, ERROR, OK, PARTIAL, Case, Context, cli, export_cases
from hostile_weights import BUILDERS as WEIGHTS_BUILDERS

ROOT = Path(__file__).resolve().parents[1]
TIME_LIMIT_S = 120.0
RSS_LIMIT_MB = 2500.0
RSS_KILL_MB = 4000.0
QUICK_EXPORTS = ("966_fixed.dcm", "SIIM_1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm")
BANNER = "WARNING: UNTRAINED DEMO MODEL"
PROGRESS = re.compile(r"(?:[\w ]+: *)?\d+%\|[^|]*\|[^\]]*\]")  # tqdm bars; a message may share their line
LIBRARY_LOG = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL) (?!carzero_viewer)[\w.]+: ")
NAN = re.compile(r"(?<![\w.])[-+]?nan\b")  # how Python and numpy print a NaN value; prose says "NaN"
FORMULA = ("=", "+", "-", "@")
CHILD_ENV = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH") or str(ROOT)}
EXIT_USAGE = 2  # argparse: the harness built a wrong command, which must not pass as a clean refusal


def rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


def execute(command: list[str | bytes], cwd: Path, time_limit_s: float) -> dict[str, Any]:
    """Run one command; exit code, output, seconds and peak RSS, killed past the time or memory limit."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(command, cwd=cwd, env=CHILD_ENV, stdout=out, stderr=err,
                                 stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        killed = ""
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.perf_counter() - start
            if not killed and elapsed > time_limit_s:
                killed = f"killed after {time_limit_s:.0f} s (hang or too slow)"
            elif not killed and rss_mb(child.pid) > RSS_KILL_MB:
                killed = f"killed above {RSS_KILL_MB:.0f} MB RSS (unbounded allocation)"
            if killed:
                os.killpg(child.pid, signal.SIGKILL)
            time.sleep(0.05)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "exit_code": child.returncode,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
            "seconds": round(time.perf_counter() - start, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "killed": killed,
        }


def stderr_lines(stderr: str) -> list[str]:
    """The lines a user reads, without the untrained-model banner and progress bars."""
    lines = [PROGRESS.sub("", ln).strip() for chunk in stderr.splitlines() for ln in chunk.split("\r")]
    return [ln for ln in lines if ln and not ln.startswith(BANNER)]


def _strict_constant(name: str) -> None:
    raise ValueError(f"non-standard JSON constant {name}")


def output_problems(outputs: list[Path]) -> list[str]:
    """What is wrong with the files a case wrote: empty files, non-strict JSON, NaN or formula CSV cells."""
    files = [p for out in outputs for p in (sorted(out.rglob("*")) if out.is_dir() else [out])]
    problems = []
    for path in (p for p in files if p.is_file()):
        if path.stat().st_size == 0:
            problems.append(f"{path.name} is empty")
        elif path.suffix == ".json":
            problems += strict_json(path.read_bytes(), path.name)
        elif path.suffix == ".csv":
            problems += _csv_problems(path)
    return problems


def strict_json(data: str | bytes, label: str) -> list[str]:
    """Problems of ``data`` as JSON: invalid UTF-8 (a raw lone surrogate), NaN/Infinity, bad syntax."""
    try:
        json.loads(data.decode("utf-8") if isinstance(data, bytes) else data, parse_constant=_strict_constant)
    except ValueError as exc:
        return [f"{label} is not strict JSON ({exc})"]
    return []


def _csv_problems(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    formulas = [c for c in cells if c.startswith(FORMULA) and not _is_number(c)]
    nans = [c for c in cells if c.strip().lower() in ("nan", "inf", "-inf")]
    return [f"{path.name}: formula cell {c!r}" for c in formulas[:3]] + [
        f"{path.name}: cell {c!r}" for c in nans[:3]
    ]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def judge(case: Case, result: dict[str, Any]) -> list[str]:
    """Every reason the outcome is wrong (empty: the case passes)."""
    if result["killed"]:
        return [f"{result['killed']}; peak RSS {result['peak_rss_mb']} MB after {result['seconds']} s"]
    reasons = []
    lines = stderr_lines(result["stderr"])
    code = result["exit_code"]
    expected = case.expect if case.expect != EITHER else (OK if code == 0 else ERROR)
    if expected == OK and code != 0:
        reasons.append(f"exit code {code}, expected 0")
    if expected == ERROR:
        if code <= 0 or code == EXIT_USAGE:
            reasons.append(f"exit code {code}, expected a clean failure (1)")
        if len(lines) != 1:
            reasons.append(f"stderr has {len(lines)} lines, expected exactly one")
        elif case.names not in lines[0]:
            reasons.append(f"the error line does not name {case.names}")
    if expected == PARTIAL and (
        code in (0, EXIT_USAGE) or code < 0 or not lines or case.names not in lines[-1]
    ):
        reasons.append(
            f"exit code {code} with last line {lines[-1:]}, expected a failure naming {case.names}"
        )
    if "Traceback" in result["stdout"] + result["stderr"]:
        reasons.append("Traceback in the output")
    reasons += [f"library log line on the terminal: {ln[:120]}" for ln in lines if LIBRARY_LOG.match(ln)][:2]
    nan = NAN.search(result["stdout"])
    if nan:
        reasons.append(f"NaN value in stdout: {nan.group(0)!r}")
    if result["stdout"].lstrip().startswith("{"):
        reasons += strict_json(result["stdout"], "stdout")
    if result["seconds"] > TIME_LIMIT_S:
        reasons.append(f"took {result['seconds']} s (limit {TIME_LIMIT_S:.0f})")
    if result["peak_rss_mb"] > RSS_LIMIT_MB:
        reasons.append(f"peak RSS {result['peak_rss_mb']} MB (limit {RSS_LIMIT_MB:.0f})")
    reasons += output_problems(case.outputs)
    return reasons + [reason for reason in (check() for check in case.checks) if reason]


def run_case(case: Case, work: Path) -> dict[str, Any]:
    command = [a.decode("utf-8", "backslashreplace") if isinstance(a, bytes) else a for a in case.command]
    row: dict[str, Any] = {"case": case.name, "command": " ".join(_short(a, work) for a in command)}
    row["expect"] = case.expect + (f" naming {case.names}" if case.names and case.expect != OK else "")
    if case.skip:
        return {**row, "status": "skip", "reason": case.skip}
    cwd = work / "cwd" / case.name
    cwd.mkdir(parents=True)
    result = execute(case.command, cwd, min(case.time_limit_s, TIME_LIMIT_S))
    reasons = judge(case, result)
    lines = stderr_lines(result["stderr"])
    return {
        **row,
        "exit_code": result["exit_code"],
        "stderr_line": lines[-1][:300] if lines else "",
        "stderr_lines": len(lines),
        "seconds": result["seconds"],
        "peak_rss_mb": result["peak_rss_mb"],
        "status": "fail" if reasons else "pass",
        "reason": "; ".join(reasons),
    }


def _short(arg: str, work: Path) -> str:
    text = arg.replace(str(work), "$WORK").replace(str(ROOT), ".").replace(sys.executable, "python")
    return text if len(text) < 160 else text[:157] + "..."


def prepare(work: Path, dicom_dir: Path, mounts: list[Path]) -> Context:
    """Shared inputs: the tiny fixture converted to both weights forms with the CLI under test."""
    tiny = ROOT / "tests" / "data" / "carzero-tiny"
    forms = {"safetensors": work / "base_safetensors", "ckpt": work / "base_ckpt"}
    for to, dest in forms.items():
        source = tiny if to == "safetensors" else forms["safetensors"]
        done = execute(cli("weights", "convert", source, dest, "--to", to), work, TIME_LIMIT_S)
        if done["exit_code"] != 0:
            raise SystemExit(f"setup: weights convert --to {to} failed: {done['stderr'][-500:]}")
    return Context(work=work, tiny=tiny, ckpt=forms["ckpt"], safetensors=forms["safetensors"],
                   image=tiny / "image.png", dicom_dir=dicom_dir, can_mount=can_mount(work),
                   mounts=mounts)  # fmt: skip


def can_mount(work: Path) -> bool:
    """Whether this process may mount a tmpfs (root, and not forbidden by a container)."""
    if os.geteuid() != 0:
        return False
    probe = work / "mount_probe"
    probe.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)]
    if subprocess.run(command, capture_output=True, check=False).returncode != 0:
        return False
    subprocess.run(["umount", str(probe)], check=False)
    return True


def code_under_test(work: Path) -> dict[str, str]:
    """Which ``carzero_viewer`` the cases run and its git revision (marked when the tree has changes)."""
    code = "import carzero_viewer, pathlib; print(pathlib.Path(carzero_viewer.__file__).parents[1])"
    folder = execute([sys.executable, "-c", code], work, TIME_LIMIT_S)["stdout"].strip()
    git = ["git", "-C", folder, "rev-parse", "--short", "HEAD"]
    revision = subprocess.run(git, capture_output=True, text=True, check=False).stdout.strip()
    status = ["git", "-C", folder, "status", "--porcelain", "--untracked-files=no"]
    if subprocess.run(status, capture_output=True, text=True, check=False).stdout.strip():
        revision += " + uncommitted changes"
    return {"checkout": folder, "revision": revision}


def build(ctx: Context) -> list[Case]:
    builders = (*WEIGHTS_BUILDERS, *BUILDERS)
    return [case for builder in builders for case in builder(ctx)] + export_cases(ctx, QUICK_EXPORTS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a representative subset (~1-2 minutes)")
    parser.add_argument(
        "--jobs", type=int, default=2, help="cases run in parallel (default 2; RSS is per case)"
    )
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only cases whose name contains NAME")
    parser.add_argument("--dicom-dir", type=Path, default=ROOT / "tests" / "data" / "dicom",
                        help="the real DICOMs to export and to derive damaged ones from")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the work folder (its path is reported)")
    args = parser.parse_args()
    shutil.which("dciodvfy") or print("warning: dciodvfy not found; export cases will fail", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="hostile-"))
    start = time.perf_counter()
    mounts: list[Path] = []  # the builders' tmpfs mounts, unmounted whatever happens
    under_test = code_under_test(work)
    try:
        ctx = prepare(work, args.dicom_dir, mounts)
        cases = [c for c in build(ctx) if c.quick or not args.quick]
        if args.only:
            cases = [c for c in cases if any(part in c.name for part in args.only)]
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            rows = list(pool.map(lambda case: _progress(run_case(case, work)), cases))
    finally:
        for mount in reversed(mounts):
            subprocess.run(["umount", str(mount)], check=False)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    failed = [row for row in rows if row["status"] == "fail"]
    report = {
        "code_under_test": under_test,
        "mode": "quick" if args.quick else "full",
        "work_folder": str(work) if args.keep else None,
        "cases": rows,
        "totals": {
            "cases": len(rows),
            "passed": sum(row["status"] == "pass" for row in rows),
            "failed": len(failed),
            "skipped": sum(row["status"] == "skip" for row in rows),
            "failing": [row["case"] for row in failed],
            "seconds": round(time.perf_counter() - start, 1),
        },
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 1 if failed else 0


def _progress(row: dict[str, Any]) -> dict[str, Any]:
    print(f"{row['status']:4}  {row['case']}  {row.get('reason', '')[:150]}", file=sys.stderr, flush=True)
    return row


if __name__ == "__main__":
    sys.exit(main())
