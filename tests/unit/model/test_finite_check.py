"""The sum-based finite check (issue 17): as exact as the element-wise scan, including when finite values
overflow the sum, and it reaches every tensor the network runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from carzero_viewer.errors import WeightsError
from carzero_viewer.model.checkpoint import check_keys, is_unused_key
from carzero_viewer.model.tensor_checks import all_finite
from tests.unit.model.hostile import fixture_raw

FLOAT32_MAX = float(torch.finfo(torch.float32).max)


@pytest.mark.parametrize(
    ("values", "finite"),
    [
        ([0.0, 1.0, -2.5], True),
        ([FLOAT32_MAX] * 4, True),  # the float32 sum overflows to inf: the exact scan decides
        ([FLOAT32_MAX, -FLOAT32_MAX, FLOAT32_MAX], True),
        ([1.0, float("nan"), 2.0], False),
        ([1.0, float("inf")], False),
        ([float("-inf"), 3.0], False),
        ([float("inf"), float("-inf")], False),  # sums to NaN
        ([FLOAT32_MAX, FLOAT32_MAX, float("nan")], False),
    ],
)
def test_all_finite_equals_the_exact_scan(values: list[float], finite: bool) -> None:
    tensor = torch.tensor(values, dtype=torch.float32)
    assert bool(torch.isfinite(tensor).all()) is finite
    assert all_finite(tensor) is finite


def test_all_finite_on_large_tensors_and_integers() -> None:
    big = torch.full((4096, 64), FLOAT32_MAX / 8)
    assert all_finite(big)
    big[4000, 3] = float("nan")
    assert not all_finite(big)
    assert all_finite(torch.arange(10, dtype=torch.int64))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_every_network_tensor_is_checked(bad: float) -> None:
    raw = fixture_raw()
    expected = {key: tuple(t.shape) for key, t in raw.tensors.items() if not is_unused_key(key)}
    path = Path("w.safetensors")
    check_keys(raw, expected, path)
    for key in expected:
        tensor = raw.tensors[key]
        original = tensor.flatten()[-1].item()
        tensor.view(-1)[-1] = bad
        with pytest.raises(WeightsError, match=rf"{key!r} contains NaN or infinite"):
            check_keys(raw, expected, path)
        tensor.view(-1)[-1] = original
