"""Registering 14x14 maps on original pixels: field of view, block alignment, interpolation."""

from __future__ import annotations

import numpy as np
import pytest

from carzero_viewer.inference.geometry import field_of_view_mask, map_to_original, upsample_block
from carzero_viewer.model.preprocessing import prepare


def _geometry(height: int, width: int):  # type: ignore[no-untyped-def]
    return prepare(np.zeros((height, width), dtype=np.uint8)).geometry


def test_square_256_image_nearest_equals_official_blocks_inside_crop() -> None:
    geometry = _geometry(256, 256)
    grid = np.arange(196, dtype=np.float32).reshape(14, 14)
    mapped = map_to_original(grid, geometry, "nearest")
    np.testing.assert_array_equal(mapped[16:240, 16:240], upsample_block(grid, 224))
    assert np.isnan(mapped[:16]).all() and np.isnan(mapped[240:]).all()
    assert np.isnan(mapped[:, :16]).all() and np.isnan(mapped[:, 240:]).all()


def test_tall_image_loses_long_axis_ends_only() -> None:
    geometry = _geometry(1000, 500)  # resized 256 x 128, padded 64 px left/right: short axis fully visible
    mask = field_of_view_mask(geometry)
    rows_seen = np.nonzero(mask.any(axis=1))[0]
    assert rows_seen[0] == pytest.approx(62.5, abs=1.0)  # 16 resized px * 1000/256
    assert rows_seen[-1] == pytest.approx(1000 - 63.5, abs=1.0)
    assert mask[:, 0].any() and mask[:, -1].any()  # every column is inside the field of view


def test_bilinear_is_smooth_and_bounded() -> None:
    geometry = _geometry(300, 260)
    grid = np.zeros((14, 14), dtype=np.float32)
    grid[7, 7] = 1.0
    mapped = map_to_original(grid, geometry, "bilinear")
    inside = mapped[~np.isnan(mapped)]
    assert inside.min() >= 0.0 and inside.max() <= 1.0
    peak = np.unravel_index(np.nanargmax(mapped), mapped.shape)
    x, y = geometry.original_to_crop(peak[1] + 0.5, peak[0] + 0.5)
    assert abs(x - 120) <= 2 and abs(y - 120) <= 2  # the centre of cell (7, 7) is crop pixel (120, 120)


def test_coordinate_round_trip() -> None:
    geometry = _geometry(300, 260)
    x, y = geometry.crop_to_original(37.25, 180.5)
    assert geometry.original_to_crop(x, y) == pytest.approx((37.25, 180.5))
    x0, y0, x1, y1 = geometry.field_of_view()
    assert x0 == 0.0 and x1 == 260.0  # the short axis is fully seen (pad 17 > crop 16)
    assert 0.0 < y0 < 20.0 and 280.0 < y1 < 300.0
