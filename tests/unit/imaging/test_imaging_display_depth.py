"""Display of depths the common 8/12/16-bit path does not exercise: deep colour, < 8-bit grey, float NaN/inf.

Each test builds a small synthetic DICOM and computes the expected 8-bit rendering by hand from the rule the
loader documents (colour: stored range 0..2**BitsStored - 1 onto 0..255; grey without VOI and <= 8 bits: the
whole stored range black to white; non-finite floats: NaN/-inf as the finite minimum, +inf as the maximum).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pydicom
import pytest
from pydicom.pixels import pack_bits
from pydicom.uid import JPEG2000Lossless

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.imaging import Window, load_image
from carzero_viewer.imaging import dicom as dicom_module
from tests.unit.imaging.conftest import write_float_dicom

SEVEN_BIT = (np.arange(64 * 48).reshape(64, 48) % 128).astype(np.uint8)


def _expected_uint8(values: np.ndarray, maximum: float) -> np.ndarray:
    """``rint(255 * v / maximum)`` in float64: the linear stored-range rule, independent of the loader."""
    return np.rint(values.astype(np.float64) * 255.0 / maximum).astype(np.uint8)


# --- colour deeper than 8 bits ------------------------------------------------------------------------------


def test_32_bit_colour_spans_the_stored_range_instead_of_saturating(make_dicom: Any) -> None:
    levels = np.array([0, 2**24, 2**31, 3 * 2**30, 2**32 - 1], dtype=np.uint32)
    rgb = np.stack([np.tile(levels, (4, 1)), np.tile(levels[::-1], (4, 1)), np.full((4, 5), 2**31)], axis=-1)
    record = load_image(make_dicom(rgb.astype(np.uint32)))
    np.testing.assert_array_equal(record.render(), _expected_uint8(rgb, 2**32 - 1))
    assert record.render()[0, 2, 0] == 128  # mid-grey; the old 16-bit cap saturated it to 255


def test_12_bit_colour_in_16_bit_words_uses_bits_stored(make_dicom: Any) -> None:
    rgb = np.random.default_rng(1).integers(0, 4096, (6, 7, 3)).astype(np.uint16)
    record = load_image(make_dicom(rgb, bits_stored=12))
    np.testing.assert_array_equal(record.render(), _expected_uint8(rgb, 4095))


def test_colour_values_above_bits_stored_use_the_container_range(
    monkeypatch: pytest.MonkeyPatch, make_dicom: Any
) -> None:
    rgb = np.full((4, 4, 3), 65535, dtype=np.uint16)
    path = make_dicom(rgb, bits_stored=12)
    monkeypatch.setattr(
        dicom_module, "pixel_array", lambda ds, index: rgb
    )  # a decoder that ignores Bits Stored
    record = load_image(path)
    assert (record.render() == 255).all()
    assert any("exceed Bits Stored 12" in step for step in record.pipeline)


# --- grey with fewer than 8 bits and no window --------------------------------------------------------------


def test_7_bit_image_without_window_spans_black_to_white(make_dicom: Any) -> None:
    record = load_image(make_dicom(SEVEN_BIT, bits_stored=7))
    np.testing.assert_array_equal(record.render(), _expected_uint8(SEVEN_BIT, 127))
    assert isinstance(record.default_voi, Window)
    assert record.default_voi.name == "7-bit stored range"
    np.testing.assert_array_equal(record.model_input, _expected_uint8(SEVEN_BIT, 127))


def test_7_bit_jpeg2000_image_without_window_spans_black_to_white(make_dicom: Any, tmp_path: Path) -> None:
    ds = pydicom.dcmread(make_dicom(SEVEN_BIT, bits_stored=7))
    ds.compress(JPEG2000Lossless)
    ds.save_as(tmp_path / "seven.dcm")
    record = load_image(tmp_path / "seven.dcm")
    np.testing.assert_array_equal(record.render(), _expected_uint8(SEVEN_BIT, 127))


def test_1_bit_packed_mask_shows_zero_black_and_one_white(make_dicom: Any, tmp_path: Path) -> None:
    mask = (SEVEN_BIT > 60).astype(np.uint8)
    ds = pydicom.dcmread(make_dicom(mask, bits_stored=1))
    ds.BitsAllocated = 1
    ds.PixelData = pack_bits(mask)
    ds.save_as(tmp_path / "mask.dcm")
    record = load_image(tmp_path / "mask.dcm")
    np.testing.assert_array_equal(record.render(), mask * 255)


def test_signed_4_bit_with_rescale_maps_the_rescaled_stored_range(make_dicom: Any) -> None:
    stored = np.array([[-4, 0], [3, 5]], dtype=np.int8)  # the data use less than the declared -8..7
    record = load_image(make_dicom(stored, bits_stored=4, RescaleSlope="2", RescaleIntercept="10"))
    window = record.default_voi
    assert isinstance(window, Window)
    assert (window.low, window.high) == (-6.0, 24.0)  # 2 * -8 + 10 .. 2 * 7 + 10
    np.testing.assert_array_equal(record.render(), _expected_uint8(stored.astype(np.int16) + 8, 15))


def test_eight_bit_without_window_is_still_shown_as_stored(make_dicom: Any) -> None:
    pixels = (np.arange(64 * 48).reshape(64, 48) % 200).astype(np.uint8)
    record = load_image(make_dicom(pixels))
    np.testing.assert_array_equal(record.render(), pixels)
    assert isinstance(record.default_voi, Window)
    assert record.default_voi.name == "Stored values"


def test_low_bit_values_outside_the_declared_range_fall_back_to_the_auto_window(
    monkeypatch: pytest.MonkeyPatch, make_dicom: Any
) -> None:
    path = make_dicom(SEVEN_BIT, bits_stored=7)
    lying = SEVEN_BIT.astype(np.uint8) * 2  # up to 254: more than 7 bits
    monkeypatch.setattr(dicom_module, "pixel_array", lambda ds, index: lying)
    record = load_image(path)
    assert isinstance(record.default_voi, Window)
    assert record.default_voi.name == "Auto"


# --- float pixels with NaN and infinities -------------------------------------------------------------------


def _assert_finite_display(record: Any) -> None:
    for preset in record.presets:
        assert "nan" not in preset.label().lower() and "inf" not in preset.label().lower()
    assert np.isfinite(record.pixels).all()
    assert np.isfinite(record.display()).all()


def test_small_float_image_with_nan_gets_a_finite_window_from_the_finite_values(tmp_path: Path) -> None:
    values = np.array([[np.nan, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]], dtype=np.float32)
    record = load_image(write_float_dicom(tmp_path / "float.dcm", values))
    _assert_finite_display(record)
    window = record.default_voi
    assert isinstance(window, Window)
    assert (window.low, window.high) == (1.0, 7.0)
    assert record.pixels[0, 0] == 1.0  # NaN is shown as the finite minimum
    assert record.render()[0, 0] == 0
    assert any("1 non-finite pixel value(s)" in step for step in record.pipeline)


def test_nan_and_infinities_are_excluded_from_the_auto_window(tmp_path: Path) -> None:
    ramp = np.linspace(-5.0, 5.0, 64 * 48, dtype=np.float32).reshape(64, 48)
    clean = load_image(write_float_dicom(tmp_path / "clean.dcm", ramp)).default_voi
    dirty_values = ramp.copy()
    dirty_values[20:30, 20:30] = np.nan
    dirty_values[30, 20:30] = np.inf
    dirty_values[31, 20:30] = -np.inf
    record = load_image(write_float_dicom(tmp_path / "dirty.dcm", dirty_values))
    _assert_finite_display(record)
    assert isinstance(clean, Window) and isinstance(record.default_voi, Window)
    # Percentiles of what is left move only because the NaN block hides real values, never towards +-inf.
    assert abs(record.default_voi.center - clean.center) < 0.2
    assert abs(record.default_voi.width - clean.width) < 0.2
    assert record.pixels[30, 20] == ramp.max() and record.pixels[31, 20] == ramp.min()
    assert record.pixels[25, 25] == ramp.min()


def test_all_nan_image_is_refused_with_a_reason(tmp_path: Path) -> None:
    values = np.full((4, 4), np.nan, dtype=np.float32)
    with pytest.raises(ImageLoadError, match="no finite value"):
        load_image(write_float_dicom(tmp_path / "float.dcm", values))


def test_rescale_overflow_to_infinity_is_filled_too(make_dicom: Any) -> None:
    stored = np.array([[0, 1], [2, 3]], dtype=np.uint16)
    record = load_image(make_dicom(stored, RescaleSlope="2e38", WindowCenter="1e38", WindowWidth="2e38"))
    _assert_finite_display(record)
    # 4e38 and 6e38 overflow float32 to +inf: shown as the finite maximum, 2e38.
    assert record.pixels[1, 0] == record.pixels[1, 1] == record.pixels[0, 1] == np.float32(2e38)


def test_float_tiff_follows_the_same_non_finite_rule(tmp_path: Path) -> None:
    values = np.linspace(0.0, 0.5, 64 * 48, dtype=np.float32).reshape(64, 48)
    values[:4, :4] = np.nan
    values[10, 10] = np.inf
    assert cv2.imwrite(str(tmp_path / "float.tiff"), values)
    record = load_image(tmp_path / "float.tiff")
    _assert_finite_display(record)
    low = float(values[np.isfinite(values)].min())
    assert record.pixels[0, 0] == low
    assert record.pixels[10, 10] == np.float32(0.5)
    assert isinstance(record.default_voi, Window)
    assert (record.default_voi.low, record.default_voi.high) == (low, 0.5)
    assert cv2.imwrite(str(tmp_path / "nan.tiff"), np.full((8, 8), np.nan, dtype=np.float32))
    with pytest.raises(ImageLoadError, match="no finite value"):
        load_image(tmp_path / "nan.tiff")


def test_fractional_rescale_keeps_the_stored_range_rule(make_dicom: Any) -> None:
    # float32(127 * 0.3) = 38.100002 > 38.1: the range ends must use the pixels' own float32 arithmetic.
    record = load_image(make_dicom(SEVEN_BIT, bits_stored=7, RescaleSlope="0.3", RescaleIntercept="0"))
    assert isinstance(record.default_voi, Window)
    assert record.default_voi.name == "7-bit stored range"
    np.testing.assert_array_equal(record.render()[SEVEN_BIT == 127], 255)
    np.testing.assert_array_equal(record.render()[SEVEN_BIT == 0], 0)
