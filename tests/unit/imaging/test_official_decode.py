"""The ``OPENCV_HIGH_BYTE`` rule is byte-identical to ``cv2.imread(path, IMREAD_GRAYSCALE)``: cv2 is the reference.

Measured with OpenCV 4.14 (this test pins it): a 16-bit grey PNG/TIFF keeps its high byte (``v >> 8``,
truncated, not rounded); a 16-bit RGB PNG/TIFF and an 8-bit RGBA PNG go through the decoder's own luma
conversion, which differs by up to one grey level from ``cvtColor`` of the high byte (so a re-implementation
by hand would not match); a float32 TIFF cannot be read in grayscale mode at all.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.imaging import SixteenBitRule, load_image
from carzero_viewer.inference.batch import decode_model_input

SHAPE = (37, 41)


def _write(path: Path, pixels: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), pixels)
    return path


def _random(dtype: type[np.integer], channels: int, seed: int) -> np.ndarray:
    shape = SHAPE if channels == 1 else (*SHAPE, channels)
    return np.random.default_rng(seed).integers(0, np.iinfo(dtype).max + 1, shape, dtype=dtype)


CASES = {
    "grey16.png": (np.uint16, 1),
    "rgb16.png": (np.uint16, 3),
    "rgba8.png": (np.uint8, 4),
    "grey16.tif": (np.uint16, 1),
    "rgb16.tif": (np.uint16, 3),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_high_byte_rule_is_byte_identical_to_cv2_imread(tmp_path: Path, name: str) -> None:
    dtype, channels = CASES[name]
    path = _write(tmp_path / name, _random(dtype, channels, seed=len(name)))
    reference = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    decoded = decode_model_input(path, SixteenBitRule.OPENCV_HIGH_BYTE)
    assert decoded.gray.dtype == np.uint8
    assert decoded.gray.tobytes() == reference.tobytes()
    assert decoded.gray.shape == reference.shape
    assert decoded.rule == load_image(path, sixteen_bit_rule=SixteenBitRule.OPENCV_HIGH_BYTE).model_input_rule


def test_what_cv2_does_with_sixteen_bits(tmp_path: Path) -> None:
    """The facts the rule relies on: truncation for grey, the decoder's luma for colour (not cvtColor)."""
    grey = _random(np.uint16, 1, seed=1)
    reference = cv2.imread(str(_write(tmp_path / "g.png", grey)), cv2.IMREAD_GRAYSCALE)
    np.testing.assert_array_equal(reference, grey >> 8)
    colour = _random(np.uint16, 3, seed=2)
    reference = cv2.imread(str(_write(tmp_path / "c.png", colour)), cv2.IMREAD_GRAYSCALE)
    by_hand = cv2.cvtColor((colour >> 8).astype(np.uint8), cv2.COLOR_BGR2GRAY)
    assert 0 < np.abs(reference.astype(int) - by_hand).max() <= 1


def test_default_rule_differs_from_cv2_on_sixteen_bits(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.png", _random(np.uint16, 1, seed=3))
    decoded = decode_model_input(path)
    assert decoded.gray.tobytes() != cv2.imread(str(path), cv2.IMREAD_GRAYSCALE).tobytes()
    assert "full-range" in decoded.rule


def test_a_file_the_original_decoder_cannot_read_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "f.tif", np.linspace(-20, 300, SHAPE[0] * SHAPE[1], dtype=np.float32).reshape(SHAPE)
    )
    assert cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) is None
    assert decode_model_input(path).gray.shape == SHAPE  # the app renders it
    with pytest.raises(ImageLoadError, match="OpenCV"):
        decode_model_input(path, SixteenBitRule.OPENCV_HIGH_BYTE)
