"""Device and precision selection.

CUDA when available (optionally with bf16/fp16 autocast), else CPU in float32. On CPU, torch's default
thread count can exceed the physical cores on hyper-threaded machines, which slows the small matrix products of
interactive scoring; one intra-op thread per available core is used and inter-op parallelism is kept at one.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass
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
        ModelLoadError: CUDA was requested but is not available, or fp16 was requested on the CPU.
    """
    configure_cpu_threads()
    if choice == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("--device cuda requested but no CUDA device is available to torch")
    use_cuda = choice == "cuda" or (choice == "auto" and torch.cuda.is_available())
    device = torch.device("cuda") if use_cuda else torch.device("cpu")
    if device.type == "cpu" and precision == "fp16":
        raise ModelLoadError("fp16 is only supported on CUDA; use fp32 or bf16 on the CPU")
    return DeviceSpec(device=device, precision=precision)


def is_out_of_memory(exc: BaseException) -> bool:
    """True for a CUDA out-of-memory error (the caller may fall back to the CPU)."""
    return isinstance(exc, torch.cuda.OutOfMemoryError)
