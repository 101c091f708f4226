"""Run ``carzero-viewer score`` end to end on crafted weights folders; report exit code, time and peak RSS.

Issue 11 acceptance: every hostile weights folder ends in one line naming the file (no traceback), under
120 s and 2.5 GB peak RSS; reduced-precision weights give a correct result. Reproduce from the repository
root (needs GNU time at /usr/bin/time):

    PYTHONPATH=$PWD .venv/bin/python benchmarks/hostile_weights_cli.py [WORK_DIR]
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch

from tests.unit.model.hostile import (
    FIXTURE,
    copy_bert,
    fixture_raw,
    stored_config,
    write_ckpt,
    write_safetensors,
)


class _Call:
    def __init__(self, function: object, *args: object) -> None:
        self.function, self.args = function, args

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return self.function, self.args


def _negative_eps(folder: Path) -> None:
    raw = fixture_raw()
    assert raw.architecture is not None
    raw.architecture["vit"]["layernorm_eps"] = -1e-6
    write_ckpt(folder, raw)


def _depth_100000(folder: Path) -> None:
    config = stored_config()
    config["vision"]["depth"] = 100_000
    write_safetensors(folder, config_text=json.dumps(config))


def _bytearray_2gb(folder: Path) -> None:
    write_ckpt(folder, fixture_raw(), junk=_Call(bytearray, 2**31))


def _zero_stride(folder: Path) -> None:
    raw = fixture_raw()
    raw.tensors["img_encoder.model.norm.weight"] = torch.ones(1).expand(100_000, 100_000)
    write_ckpt(folder, raw)


def _nested_hparams(folder: Path) -> None:
    raw = fixture_raw()
    node: object = {}
    for _ in range(300):  # as deep as torch.save can pickle
        node = {"a": node}
    raw.hparams["deep"] = node
    write_ckpt(folder, raw)


def _duplicate_vocab(folder: Path) -> None:
    write_ckpt(folder, fixture_raw())
    vocab = folder / "bert" / "vocab.txt"
    lines = vocab.read_text(encoding="utf-8").split("\n")[:-1]
    vocab.write_text("\n".join([*lines[:-1], lines[5]]) + "\n", encoding="utf-8")


def _string_size(folder: Path) -> None:
    raw = fixture_raw()
    raw.hparams["data"]["text"]["word_num"] = "97"
    write_ckpt(folder, raw)


def _patch_zero(folder: Path) -> None:
    config = stored_config()
    config["vision"]["patch_size"] = 0
    write_safetensors(folder, config_text=json.dumps(config))


def _tokenizer_option(folder: Path) -> None:
    write_ckpt(folder, fixture_raw())
    (folder / "bert" / "tokenizer_config.json").write_text('{"do_lower_case": "no"}', encoding="utf-8")


def _header_length(folder: Path) -> None:
    path = write_safetensors(folder)
    data = path.read_bytes()
    path.write_bytes((2**40).to_bytes(8, "little") + data[8:])


def _float16(folder: Path) -> None:
    raw = fixture_raw()
    raw.tensors = {k: v.half() if v.is_floating_point() else v for k, v in raw.tensors.items()}
    write_ckpt(folder, raw)


def _bfloat16_safetensors(folder: Path) -> None:
    tensors = {k: v.bfloat16() if v.is_floating_point() else v for k, v in fixture_raw().tensors.items()}
    write_safetensors(folder, tensors)


CASES: dict[str, Callable[[Path], None]] = {
    "negative LayerNorm eps (.ckpt)": _negative_eps,
    "depth 100,000 (.safetensors)": _depth_100000,
    "2 GB bytearray (.ckpt)": _bytearray_2gb,
    "zero-stride 1e10-element tensor (.ckpt)": _zero_stride,
    "hyper_parameters nested 300 deep (.ckpt)": _nested_hparams,
    "duplicate vocab.txt line": _duplicate_vocab,
    "string word_num (.ckpt)": _string_size,
    "patch_size 0 (.safetensors)": _patch_zero,
    "do_lower_case a string": _tokenizer_option,
    "header length 2**40 (.safetensors)": _header_length,
    "float16 tensors (.ckpt, cast)": _float16,
    "bfloat16 tensors (.safetensors, cast)": _bfloat16_safetensors,
}


def run(folder: Path) -> dict[str, object]:
    command = [
        "/usr/bin/time",
        "-v",
        sys.executable,
        "-m",
        "carzero_viewer",
        "score",
        str(FIXTURE / "image.png"),
        "--weights",
        str(folder),
        "--prompt",
        "There is effusion.",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    report, _, timing = done.stderr.rpartition("\tCommand being timed:")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing).group(1))  # type: ignore[union-attr]
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", timing).group(1)  # type: ignore[union-attr]
    minutes, seconds = wall.split(":")[-2:]
    lines = [line for line in report.strip().splitlines() if line and not line.startswith("Command exited")]
    return {
        "exit": int(re.search(r"Exit status: (\d+)", timing).group(1)),  # type: ignore[union-attr]
        "seconds": 60 * float(minutes) + float(seconds),
        "peak_rss_mb": rss / 1024,
        "stderr_lines": len(lines),
        "traceback": "Traceback" in report,
        "message": lines[-1] if lines else done.stdout.strip().splitlines()[-1],
    }


def main() -> int:
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="hostile-weights-"))
    worst_rss, worst_time = 0.0, 0.0
    for index, (name, craft) in enumerate(CASES.items()):
        folder = work / f"case{index:02d}"
        copy_bert(folder)
        craft(folder)
        result = run(folder)
        worst_rss = max(worst_rss, float(result["peak_rss_mb"]))  # type: ignore[arg-type]
        worst_time = max(worst_time, float(result["seconds"]))  # type: ignore[arg-type]
        print(
            f"{name}: exit {result['exit']}, {result['seconds']:.1f} s, {result['peak_rss_mb']:.0f} MB, "
            f"{result['stderr_lines']} stderr line(s), traceback {result['traceback']}\n    {result['message']}"
        )
    print(f"worst: {worst_time:.1f} s, {worst_rss:.0f} MB peak RSS")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
