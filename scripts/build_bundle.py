"""Build the PyInstaller onedir bundle and prove that it runs; prints one JSON report (``make bundle``).

    .venv/bin/python scripts/build_bundle.py [--clean] [--no-build]

1. ``pyinstaller build_installer.spec`` into ``build/`` (work files, reused by the next run unless ``--clean``)
   and ``dist/carzero-viewer-<version>/``;
2. the built executable's ``selftest``: the bundled tiny fixture reproduced by the frozen torch stack;
3. the built executable's ``--smoke-test`` under ``QT_QPA_PLATFORM=offscreen``: the real window opens the
   bundled sample study with the demo model and quits after its first scores.

Why the checks run the bundle rather than trusting the build: PyInstaller succeeds even when a hidden import,
a Qt plugin, a data file or a package's metadata is missing; only running the frozen app shows it. Both run
with empty throw-away user folders and without ``CARZERO_WEIGHTS``, so nothing of this machine's own setup
(saved weights path, settings) takes part. The report gives the bundle's size (MB = 2**20 bytes, symlinks
not followed) and file count, the build time, each check's exit code and wall time, and the smoke test's
times from process launch to window shown, model ready and first result. The exit code is non-zero when
any step failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from carzero_viewer import APP_ID, __version__

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "build_installer.spec"
BUNDLE = ROOT / "dist" / f"{APP_ID}-{__version__}"
EXECUTABLE = BUNDLE / (f"{APP_ID}.exe" if sys.platform == "win32" else APP_ID)
SELFTEST_TIMEOUT_S = 600
SMOKE_TIMEOUT_S = 300  # the app gives up by itself after 180 s; this only catches a hung process
USER_DIR_VARIABLES = ("CARZERO_CONFIG_DIR", "CARZERO_DATA_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME")


def build(clean: bool) -> dict[str, object]:
    """Run PyInstaller (its log goes to stderr, keeping stdout for the report)."""
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath", str(ROOT / "dist")]
    command += ["--workpath", str(ROOT / "build"), *(["--clean"] if clean else []), str(SPEC)]
    start = time.monotonic()
    code = subprocess.run(command, cwd=ROOT, stdout=sys.stderr, check=False).returncode
    return {"exit_code": code, "wall_s": round(time.monotonic() - start, 1), "clean": clean}


def bundle_size(folder: Path) -> dict[str, object]:
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    size = sum(p.stat().st_size for p in files)
    return {"path": str(folder.relative_to(ROOT)), "size_mb": round(size / 2**20, 1), "files": len(files)}


def isolated_env(home: Path) -> dict[str, str]:
    """This process's environment with fresh user folders, offscreen Qt and no weights override."""
    env = {key: value for key, value in os.environ.items() if key != "CARZERO_WEIGHTS"}
    for name in USER_DIR_VARIABLES:
        folder = home / name.lower()
        folder.mkdir()
        env[name] = str(folder)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def run_bundle(args: list[str], env: dict[str, str], timeout_s: int) -> tuple[int, float, float, str]:
    """Run the executable; returns (exit code, launch Unix time, wall seconds, stdout)."""
    launched, start = time.time(), time.monotonic()
    try:
        done = subprocess.run(
            [str(EXECUTABLE), *args], env=env, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        print(f"{EXECUTABLE.name} {' '.join(args)}: killed after {timeout_s} s", file=sys.stderr)
        return 124, launched, time.monotonic() - start, ""
    wall = time.monotonic() - start
    if done.returncode != 0:
        print(f"{EXECUTABLE.name} {' '.join(args)} failed:\n{done.stdout}{done.stderr}", file=sys.stderr)
    return done.returncode, launched, wall, done.stdout


def selftest(env: dict[str, str]) -> dict[str, object]:
    code, _, wall, out = run_bundle(["selftest"], env, SELFTEST_TIMEOUT_S)
    verdict = out.strip().splitlines()[-1] if out.strip() else ""
    return {"exit_code": code, "wall_s": round(wall, 2), "verdict": verdict}


def smoke_test(env: dict[str, str]) -> dict[str, object]:
    """``--smoke-test``; its times (relative to the gui command's start) become times since launch."""
    code, launched, wall, out = run_bundle(["--smoke-test"], env, SMOKE_TIMEOUT_S)
    result: dict[str, object] = {"exit_code": code, "wall_s": round(wall, 2)}
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        return result
    report = json.loads(lines[-1])
    for stage in ("window_shown", "model_ready", "first_result"):
        if f"{stage}_s" in report:
            since_launch = report["started_at"] + report[f"{stage}_s"] - launched
            result[f"launch_to_{stage}_s"] = round(since_launch, 2)
    result["app_report"] = report
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", action="store_true", help="rebuild from scratch (PyInstaller --clean)")
    parser.add_argument("--no-build", action="store_true", help="only check the bundle already in dist/")
    args = parser.parse_args()

    report: dict[str, object] = {}
    steps_ok = []
    if not args.no_build:
        report["build"] = result = build(args.clean)
        steps_ok.append(result["exit_code"] == 0)
    if EXECUTABLE.is_file() and all(steps_ok):
        report["bundle"] = bundle_size(BUNDLE)
        with tempfile.TemporaryDirectory(prefix="carzero-bundle-check-") as tmp:
            env = isolated_env(Path(tmp))
            for name, check in (("selftest", selftest), ("smoke_test", smoke_test)):
                report[name] = result = check(env)
                steps_ok.append(result["exit_code"] == 0)
    else:
        report["error"] = f"no bundle to check: {EXECUTABLE} is missing or the build failed"
        steps_ok.append(False)
    report["passed"] = all(steps_ok)
    print(json.dumps(report, indent=2))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
