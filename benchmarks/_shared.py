"""What every benchmark script needs: the machine description, device options and random full-size weights.

Imported as ``from _shared import ...``: the scripts run as files, so their own folder is on ``sys.path``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

from carzero_viewer.inference.device import DeviceSpec, cpu_flags, cpu_supports_bf16, select_device
from carzero_viewer.model.random_init import released_config, write_weights_folder

MODEL = "random full-size CARZero (ViT-B/16 + BERT-base + fusion, 220.8M parameters)"
FORMATS = ("safetensors", "ckpt")
# The instruction sets that decide the speed of the products: fp32 (AVX2, AVX-512), bf16 (AVX512-BF16, AMX).
ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_isa() -> dict[str, bool]:
    """Which of :data:`ISA_FLAGS` this CPU has, so a figure is never quoted for a CPU it was not measured on."""
    flags = cpu_flags()
    return {flag: flag in flags for flag in ISA_FLAGS}


def spread(values: list[float], digits: int = 4) -> dict[str, Any]:
    """Minimum, median and count of repeated timings: the minimum is the machine's best, the median what a
    user sees on a busy machine; a report gives both."""
    return {
        "min": round(min(values), digits),
        "median": round(statistics.median(values), digits),
        "runs": len(values),
    }


def gemm_gflops(repeats: int = 20) -> float:
    """fp32 matrix-product rate right now (best of ``repeats``), in the ViT's shape: 197 tokens x 768 x 3072.

    A shared or throttled machine is slower on some runs than on others; this calibration, taken with every
    report, tells how much of a difference between two reports is the machine's. ViT-B/16 needs ~35 GFLOP per
    image, so ``35 / gemm_gflops`` seconds is the floor for one image encoding.
    """
    import time

    import torch

    a, b = torch.randn(197, 768), torch.randn(768, 3072)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return round(2 * 197 * 768 * 3072 / best / 1e9, 1)


def machine(device: DeviceSpec | None = None) -> dict[str, Any]:
    """Where the numbers come from; every report starts with this."""
    import torch

    info: dict[str, Any] = {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpus_available": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cpu_isa": cpu_isa(),
        "cpu_native_bf16": cpu_supports_bf16(),
        "torch_threads": torch.get_num_threads(),
        "fp32_gemm_gflops_now": gemm_gflops(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "cuda_available": torch.cuda.is_available(),
    }
    if device is not None:
        info["device"] = device.label
        info["precision"] = device.precision
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["cuda"] = torch.version.cuda
    return info


def add_common_options(parser: argparse.ArgumentParser, device_options: bool = True) -> None:
    parser.add_argument(
        "--weights",
        type=Path,
        help="a weights folder (default: random full-size weights written to a temporary folder)",
    )
    if device_options:
        parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
        parser.add_argument("--precision", choices=("fp32", "bf16", "fp16"), default="fp32")


def device_from(args: argparse.Namespace) -> DeviceSpec:
    return select_device(args.device, args.precision)


def weights_folder(explicit: Path | None, tmp: Path, fmt: str = "safetensors") -> Path:
    """``explicit`` when given, else a random full-size folder in ``tmp`` (seed 0, so every script agrees)."""
    if explicit is not None:
        return explicit
    folder = tmp / f"weights-{fmt}"
    if not folder.exists():
        write_weights_folder(folder, released_config(), seed=0, fmt=fmt)
    return folder
