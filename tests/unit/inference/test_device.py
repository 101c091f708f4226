"""Device and precision choice: bf16 on the CPU only where it is native, fp16 never on the CPU."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from carzero_viewer.errors import ModelLoadError
from carzero_viewer.inference import device as device_module
from carzero_viewer.inference.device import cpu_flags, cpu_supports_bf16, fast_precision, select_device


@pytest.fixture
def cpuinfo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Point the bf16 probe at a fake ``/proc/cpuinfo`` whose flags line the test writes."""

    def write(flags: str) -> None:
        fake = tmp_path / "cpuinfo"
        fake.write_text(f"processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: {flags}\n\n", encoding="ascii")
        monkeypatch.setattr(device_module, "CPUINFO", fake)
        cpu_flags.cache_clear()

    yield write
    cpu_flags.cache_clear()


@pytest.mark.parametrize(
    ("flags", "native"),
    [
        ("fpu sse2 avx2 fma", False),
        ("fpu avx2 avx512f avx512bw avx512vl", False),
        ("fpu avx2 avx512f avx512_bf16", True),
        ("fpu avx2 amx_bf16 amx_tile", True),
    ],
)
def test_native_bf16_is_read_from_cpu_flags(cpuinfo: Callable[[str], None], flags: str, native: bool) -> None:
    cpuinfo(flags)
    assert cpu_supports_bf16() is native


def test_bf16_on_a_cpu_without_native_support_is_refused(cpuinfo: Callable[[str], None]) -> None:
    cpuinfo("fpu avx2 fma")
    with pytest.raises(ModelLoadError, match="AVX512-BF16"):
        select_device("cpu", "bf16")


def test_bf16_on_a_cpu_with_native_support_is_allowed(cpuinfo: Callable[[str], None]) -> None:
    cpuinfo("fpu avx2 avx512_bf16")
    spec = select_device("cpu", "bf16")
    assert (spec.device.type, spec.precision) == ("cpu", "bf16")


def test_missing_cpuinfo_means_no_bf16(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device_module, "CPUINFO", tmp_path / "absent")
    cpu_flags.cache_clear()
    try:
        assert cpu_supports_bf16() is False
    finally:
        cpu_flags.cache_clear()


def test_fp16_on_the_cpu_is_refused() -> None:
    with pytest.raises(ModelLoadError, match="fp16"):
        select_device("cpu", "fp16")


def test_default_is_exact_fp32_on_the_cpu() -> None:
    spec = select_device("cpu")
    assert spec.precision == "fp32"
    assert spec.label == "CPU (fp32)"


def test_cuda_fp32_means_ieee_fp32_not_tf32() -> None:
    import torch

    conv = torch.backends.cudnn.conv  # type: ignore[attr-defined]
    before = (torch.backends.cuda.matmul.fp32_precision, conv.fp32_precision)
    try:
        device_module.use_ieee_fp32_on_cuda()
        assert (torch.backends.cuda.matmul.fp32_precision, conv.fp32_precision) == ("ieee", "ieee")
    finally:
        torch.backends.cuda.matmul.fp32_precision, conv.fp32_precision = before


def test_bf16_on_a_gpu_without_it_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *_: "Old GPU")
    with pytest.raises(ModelLoadError, match="Old GPU does not support bf16"):
        select_device("cuda", "bf16")


@pytest.mark.parametrize(("flags", "fast"), [("fpu avx2 avx512f", None), ("fpu avx512f amx_bf16", "bf16")])
def test_fast_mode_only_where_bf16_is_native(
    cpuinfo: Callable[[str], None], flags: str, fast: str | None
) -> None:
    import torch

    cpuinfo(flags)
    assert fast_precision(torch.device("cpu")) == fast


def test_cpu_flags_name_the_isa(cpuinfo: Callable[[str], None]) -> None:
    cpuinfo("fpu avx2 avx512f amx_tile")
    assert {"avx2", "avx512f", "amx_tile"} <= cpu_flags()
