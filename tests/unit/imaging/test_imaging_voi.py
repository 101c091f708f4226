"""The grey-level formulas on hand-built arrays, checked against values computed from PS3.3 C.11 by hand."""

from __future__ import annotations

import numpy as np
import pytest

from carzero_viewer.imaging.voi import (
    VoiFunction,
    VoiLut,
    Window,
    apply_lut,
    apply_rescale,
    apply_voi,
    apply_window,
    auto_window,
    fill_non_finite,
    full_range_window,
    to_display,
    to_uint8,
)
from tests.tolerances import assert_close


def test_rescale_applies_slope_then_intercept_on_signed_values() -> None:
    stored = np.array([[-2048, 0, 2047]], dtype=np.int16)
    out = apply_rescale(stored, 2.0, -1024.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[-5120.0, -1024.0, 3070.0]])


def test_linear_window_matches_the_standard_formula_with_its_half_pixel_offsets() -> None:
    # C = 100, W = 51: x <= 100 - 0.5 - 25 = 74.5 -> 0 ; x > 100 - 0.5 + 25 = 124.5 -> 1 ;
    # else ((x - 99.5) / 50 + 0.5).
    window = Window(100.0, 51.0, VoiFunction.LINEAR)
    x = np.array([0.0, 74.5, 75.0, 99.5, 124.0, 124.5, 125.0, 1000.0], dtype=np.float32)
    expected = [0.0, 0.0, 0.01, 0.5, 0.99, 1.0, 1.0, 1.0]
    assert_close(apply_window(x, window), expected, "LINEAR")


def test_linear_exact_window_is_the_plain_ramp() -> None:
    window = Window(0.0, 200.0, VoiFunction.LINEAR_EXACT)
    x = np.array([-150.0, -100.0, -50.0, 0.0, 50.0, 100.0, 150.0], dtype=np.float32)
    assert_close(apply_window(x, window), [0, 0, 0.25, 0.5, 0.75, 1, 1], "LINEAR_EXACT")


def test_sigmoid_window_matches_the_standard_formula() -> None:
    window = Window(40.0, 400.0, VoiFunction.SIGMOID)
    x = np.array([-360.0, 40.0, 140.0, 440.0], dtype=np.float32)
    expected = 1.0 / (1.0 + np.exp(-4.0 * (x.astype(np.float64) - 40.0) / 400.0))
    assert_close(apply_window(x, window), expected, "SIGMOID")


def test_width_one_linear_window_is_a_threshold() -> None:
    out = apply_window(np.array([9.0, 9.5, 9.6, 10.0], dtype=np.float32), Window(10.0, 1.0))
    np.testing.assert_array_equal(out, [0.0, 0.0, 1.0, 1.0])


def test_lut_lookup_clamps_below_and_above_and_normalises_by_bits() -> None:
    table = np.array([0, 1000, 2000, 4095], dtype=np.float32)
    lut = VoiLut(first_mapped=-2, table=table, bits=12)
    x = np.array([-10.0, -2.0, -1.0, 0.0, 1.0, 50.0], dtype=np.float32)
    assert_close(apply_voi(x, lut), np.array([0, 0, 1000, 2000, 4095, 4095]) / 4095.0, "VOI LUT")
    np.testing.assert_array_equal(apply_lut(np.array([3, 4]), 3, table), [0.0, 1000.0])


def test_lut_whose_descriptor_understates_its_range_normalises_by_its_maximum() -> None:
    lut = VoiLut(first_mapped=0, table=np.array([0, 300, 600], dtype=np.float32), bits=8)
    assert lut.output_max == 600.0
    assert_close(apply_voi(np.array([2.0], dtype=np.float32), lut), [1.0], "VOI LUT maximum")


def test_inversion_happens_after_voi() -> None:
    # Inverting *before* the window would give 1 - f(x) evaluated at the wrong place for asymmetric windows;
    # after VOI it is exactly 1 - VOI(x).
    x = np.linspace(0, 4095, 50, dtype=np.float32)
    window = Window(1000.0, 500.0)
    assert_close(to_display(x, window, True), 1.0 - apply_window(x, window), "inverted")


def test_to_uint8_rounds_half_to_even_and_clips() -> None:
    values = np.array([-0.5, 0.0, 0.25, 0.5, 1.0, 2.0], dtype=np.float32)  # 0.5 * 255 = 127.5 -> 128 (even)
    np.testing.assert_array_equal(to_uint8(values), [0, 0, 64, 128, 255, 255])


def test_auto_window_ignores_collimation_and_padding() -> None:
    image = np.full((200, 200), 4095.0, dtype=np.float32)  # unexposed, collimated border (flat maximum)
    rng = np.random.default_rng(1)
    image[40:160, 40:160] = rng.uniform(1000.0, 2000.0, (120, 120)).astype(np.float32)
    image[:5, :5] = 0.0  # a burned-in corner at the minimum
    window = auto_window(image)
    assert 1000.0 <= window.low < 1050.0
    assert 1950.0 < window.high <= 2000.0
    assert window.name == "Auto"


def test_auto_window_of_a_flat_image_falls_back_to_full_range() -> None:
    window = auto_window(np.zeros((50, 50), dtype=np.float32))
    assert window.width == 1.0
    assert full_range_window(np.array([[3.0, 7.0]], dtype=np.float32)).width == 4.0


@pytest.mark.parametrize("function", list(VoiFunction))
def test_every_window_function_is_monotonic_and_bounded(function: VoiFunction) -> None:
    x = np.linspace(-5000, 5000, 1001, dtype=np.float32)
    out = apply_window(x, Window(0.0, 2000.0, function))
    assert np.all(np.diff(out) >= 0)
    assert out.min() >= 0.0
    assert out.max() <= 1.0


@pytest.mark.parametrize("center, width", [(float("nan"), 10.0), (0.0, float("nan")), (0.0, float("inf"))])
def test_a_non_finite_window_cannot_be_built(center: float, width: float) -> None:
    with pytest.raises(ValueError, match="must be finite"):
        Window(center, width)


def test_windows_from_values_ignore_non_finite_pixels() -> None:
    values = np.array([[np.nan, -np.inf, 2.0], [4.0, 6.0, np.inf]], dtype=np.float32)
    full = full_range_window(values)
    assert (full.low, full.high) == (2.0, 6.0)
    auto = auto_window(values)
    assert (auto.low, auto.high) == (2.0, 6.0)  # too few values for percentiles: the finite full range
    with pytest.raises(ValueError, match="no pixel value is finite"):
        full_range_window(np.full((3, 3), np.nan, dtype=np.float32))


def test_a_sub_unit_range_is_spanned_exactly() -> None:
    # Float data (probabilities, parametric maps) live in ranges narrower than 1.
    window = full_range_window(np.array([[0.25, 0.75]], dtype=np.float32))
    assert (window.low, window.high) == (0.25, 0.75)


def test_fill_non_finite_uses_the_finite_extremes_and_counts() -> None:
    values = np.array([[np.nan, -np.inf, 2.0], [4.0, 6.0, np.inf]], dtype=np.float32)
    filled, count = fill_non_finite(values)
    np.testing.assert_array_equal(filled, [[2.0, 2.0, 2.0], [4.0, 6.0, 6.0]])
    assert count == 3
    assert np.isnan(values[0, 0])  # the input is not modified
    clean = np.ones((2, 2), dtype=np.float32)
    same, none = fill_non_finite(clean)
    assert same is clean and none == 0
