"""Device and precision selection.

CUDA when available (optionally with bf16/fp16 autocast), else CPU in float32. bf16 on the CPU is offered only
where the CPU multiplies bf16 natively (AVX512-BF16 or AMX): elsewhere oneDNN emulates it, which is slower
than fp32 and less exact, so there is nothing to gain. On CPU, torch's default thread count can exceed the
physical cores on hyper-threaded machines, which slows the small matrix products of interactive scoring; one
intra-op thread per available core is used and inter-op parallelism is kept at one.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from carzero_viewer.errors import ModelLoadError

DeviceChoice = Literal["auto", "cpu", "cuda"]
Precision = Literal["fp32", "bf16", "fp16"]
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class DeviceSpec:
    """Where and how the model runs."""

    device: torch.device
    precision: Precision

    @property
    def batch_size(self) -> int:
        """Images per ViT/fusion batch when scoring many files.

        On the CPU a batch only amortises Python overhead (the products are already large), and small batches
        keep the first results coming; on a GPU, large batches are what fills the device.
        """
        return 64 if self.device.type == "cuda" else 4

    @property
    def label(self) -> str:
        name = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else "CPU"
        return f"{name} ({self.precision})"

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """Autocast for reduced precision; a no-op in fp32."""
        if self.precision == "fp32":
            yield
            return
        with torch.autocast(device_type=self.device.type, dtype=_DTYPES[self.precision]):
            yield


CPUINFO = Path("/proc/cpuinfo")
NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
CPU_BF16_REFUSAL = (
    "bf16 on the CPU needs AVX512-BF16 or AMX, which this CPU lacks (bf16 would be emulated: slower than fp32 "
    "and less exact); use fp32"
)


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags from ``/proc/cpuinfo`` (``avx2``, ``avx512f``, ``amx_bf16``...); empty elsewhere."""
    try:
        text = CPUINFO.read_text(encoding="ascii", errors="replace")
    except OSError:
        return frozenset()
    return frozenset(
        next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    )


def cpu_supports_bf16() -> bool:
    """True when the CPU has AVX512-BF16 or AMX (False where ``/proc/cpuinfo`` is absent)."""
    return not NATIVE_BF16_FLAGS.isdisjoint(cpu_flags())


def fast_precision(device: torch.device) -> Precision | None:
    """The reduced precision that is faster than fp32 on ``device``, or None where there is none.

    bf16 on a CPU with native bf16 products and on a GPU that supports it, fp16 on other GPUs; None on a CPU
    that would emulate bf16 (slower than fp32).
    """
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "bf16" if cpu_supports_bf16() else None


def use_ieee_fp32_on_cuda() -> None:
    """Keep float32 products float32 on the GPU: cuDNN convolutions (the ViT's patch embedding) default to
    TF32 on Ampere and later, a 10-bit mantissa that would make "fp32" results differ from the CPU's by ~1e-3.
    Only the new ``fp32_precision`` API is used: mixing it with the legacy ``allow_tf32`` flags is an error.
    """
    torch.backends.cuda.matmul.fp32_precision = "ieee"
    torch.backends.cudnn.conv.fp32_precision = "ieee"  # type: ignore[attr-defined]  # set up at import


@functools.cache
def configure_cpu_threads() -> None:
    """Set torch's CPU thread pools (once per process: cached)."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(max(1, available))
    with contextlib.suppress(RuntimeError):  # inter-op pool can only be set before first parallel work
        torch.set_num_interop_threads(1)


def select_device(choice: DeviceChoice = "auto", precision: Precision = "fp32") -> DeviceSpec:
    """Resolve the user's device choice.

    Raises:
        ModelLoadError: CUDA was requested but is not available; fp16 on the CPU; bf16 on a CPU without
            native bf16 or on a GPU without it.
    """
    configure_cpu_threads()
    if choice == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("--device cuda requested but no CUDA device is available to torch")
    use_cuda = choice == "cuda" or (choice == "auto" and torch.cuda.is_available())
    device = torch.device("cuda") if use_cuda else torch.device("cpu")
    if device.type == "cpu" and precision == "fp16":
        raise ModelLoadError("fp16 is only supported on CUDA; use fp32 on the CPU")
    if device.type == "cpu" and precision == "bf16" and not cpu_supports_bf16():
        raise ModelLoadError(CPU_BF16_REFUSAL)
    if device.type == "cuda" and precision == "bf16" and not torch.cuda.is_bf16_supported():
        raise ModelLoadError(f"{torch.cuda.get_device_name(device)} does not support bf16; use fp16 or fp32")
    if device.type == "cuda":
        use_ieee_fp32_on_cuda()
    return DeviceSpec(device=device, precision=precision)


def is_out_of_memory(exc: BaseException) -> bool:
    """True for a CUDA out-of-memory error (the caller may fall back to the CPU)."""
    return isinstance(exc, torch.cuda.OutOfMemoryError)
