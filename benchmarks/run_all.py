"""The benchmark suite (``make bench``): every benchmark in its own process, one merged JSON report.

    .venv/bin/python benchmarks/run_all.py [--device cpu|cuda] [--precision fp32|bf16|fp16] [--quick]

The report opens with the machine (CPU, its instruction sets: AVX2 / AVX-512 / AVX512-BF16 / AMX, native bf16,
torch, device, precision) and a ``targets`` table (each
target of the speed issue with the measured value and whether it is met), followed by every script's own
report. Random full-size weights are written once, in both formats, and shared by all scripts. A failing
script is reported with its exit code and the tail of its stderr instead of stopping the others.
``--quick`` runs fewer repeats and images (a smoke run of the suite, not numbers to quote).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _shared import machine, weights_folder

from carzero_viewer.inference.device import select_device

HERE = Path(__file__).resolve().parent

# (measurement, path into the report, comparison, target); CPU figures are the issue's, for fp32.
CPU_TARGETS = (
    ("one new prompt on an encoded image (ms)", ("latency", "results", "one_prompt", "ours_ms"), "<=", 60),
    ("1 image x 10 prompts (ms)", ("latency", "results", "one_image_ten_prompts", "ours_ms"), "<=", 400),
    ("batch, 14 prompts (images/s)", ("throughput", "ours_images_per_s"), ">=", 4.5),
    ("max score deviation, batch", ("throughput", "max_score_deviation"), "<=", 1e-5),
    ("max score deviation, 1x10", ("latency", "results", "one_image_ten_prompts", "max_score_deviation"), "<=", 1e-5),
    (
        "model ready from safetensors, load only (s)",
        ("model_load", "results", "ours_safetensors", "load_s"),
        "<=",
        1.5,
    ),
    (
        "model ready from safetensors, fresh process incl. torch import (s)",
        ("model_load", "results", "ours_safetensors", "ready_s"),
        "<=",
        1.5,
    ),
    ("RSS with the model loaded (MB)", ("model_load", "results", "ours_safetensors", "rss_mb"), "<=", 1300),
    ("window shown (ms)", ("gui_latency", "launch_to_window", "window_ms", "median"), "<=", 2000),
    ("launch -> first scores (s)", ("gui_latency", "launch_to_first_scores", "first_scores_s", "median"), "<=", 3.5),
    ("GUI event-loop latency p95 during inference (ms)", ("gui_latency", "event_loop_latency_ms", "p95"), "<=", 30),
    ("typing -> overlay (ms)", ("gui_latency", "typing_to_overlay_ms", "median"), "<=", 400),
)  # fmt: skip
GPU_TARGETS = (
    ("batch, 14 prompts (images/s), 3x the paper's 413", ("throughput", "ours_images_per_s"), ">=", 1239),
)


def run(script: str, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, str(HERE / script), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return {"error": f"exit code {done.returncode}", "stderr": done.stderr[-2000:]}
    try:
        return json.loads(done.stdout[done.stdout.index("{") :])
    except ValueError:
        return {"error": "no JSON on stdout", "stdout": done.stdout[-2000:]}


def lookup(report: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = report
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def targets(report: dict[str, Any], table: tuple[tuple[str, tuple[str, ...], str, float], ...]) -> list[Any]:
    rows = []
    for name, path, comparison, target in table:
        value = lookup(report, path)
        met = None if value is None else (value <= target if comparison == "<=" else value >= target)
        rows.append({"measurement": name, "target": f"{comparison} {target}", "measured": value, "met": met})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--precision", choices=("fp32", "bf16", "fp16"), default="fp32")
    parser.add_argument("--quick", action="store_true", help="few repeats and images: checks the suite runs")
    args = parser.parse_args()
    device = select_device(args.device, args.precision)
    on_device = ["--device", args.device, "--precision", args.precision]
    quick = args.quick
    with tempfile.TemporaryDirectory() as tmp:
        print("writing random full-size weights…", file=sys.stderr, flush=True)
        safetensors = str(weights_folder(None, Path(tmp), "safetensors"))
        ckpt = str(weights_folder(None, Path(tmp), "ckpt"))
        scripts: dict[str, tuple[str, ...]] = {
            "model_load": (
                "--weights",
                safetensors,
                "--weights-ckpt",
                ckpt,
                "--repeats",
                "1" if quick else "3",
            ),
            "latency": ("--weights", safetensors, *on_device, "--repeats", "2" if quick else "7"),
            "throughput": ("--weights", safetensors, *on_device, "--images", "8" if quick else "100"),
            "gui_latency": ("--weights", safetensors, "--launch-repeats", "1" if quick else "3"),
            "gui_window_level": ("--frames", "20" if quick else "120"),
            "precision_budget": ("--weights", safetensors, "--images", "2" if quick else "8"),
            "imaging_load": ("--repeat", "3" if quick else "15"),
            "fuzz_imaging": ("--count", "100" if quick else "2000"),
        }
        if args.device == "cuda":  # the GUI, imaging and load figures do not depend on the device
            scripts = {name: scripts[name] for name in ("latency", "throughput")}
        report: dict[str, Any] = {"machine": machine(device)}
        for name, script_args in scripts.items():
            print(f"running {name}…", file=sys.stderr, flush=True)
            report[name] = run(f"{name}.py", *script_args)
    table = targets(report, GPU_TARGETS if args.device == "cuda" else CPU_TARGETS)
    print(json.dumps({"machine": report.pop("machine"), "targets": table, **report}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
