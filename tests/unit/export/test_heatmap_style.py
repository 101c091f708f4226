"""The shared overlay definition: colours, alpha ramp, threshold, normalisation and no-data."""

from __future__ import annotations

import numpy as np
import pytest

from carzero_viewer.export.heatmap_style import HeatmapStyle, colormap_table, heatmap_rgba, normalise
from tests.tolerances import assert_close


def test_no_data_is_transparent_and_extremes_use_the_table_ends() -> None:
    values = np.array([[np.nan, 0.0], [0.5, 1.0]], dtype=np.float32)
    rgba = heatmap_rgba(values, HeatmapStyle(colormap="viridis", opacity=0.8))
    table = colormap_table("viridis")
    assert rgba[0, 0, 3] == 0
    np.testing.assert_array_equal(rgba[0, 1, :3], table[0, :3])
    np.testing.assert_array_equal(rgba[1, 1, :3], table[-1, :3])
    assert rgba[1, 1, 3] == round(0.8 * 255)
    assert rgba[0, 1, 3] == round(0.8 * 0.1 * 255)  # the alpha ramp's floor


def test_threshold_hides_low_values_only_where_there_is_data() -> None:
    values = np.array([[0.0, 0.1, 0.9, 1.0]], dtype=np.float32)
    rgba = heatmap_rgba(values, HeatmapStyle(threshold=0.5, alpha_ramp=False, opacity=1.0))
    assert rgba[0, :, 3].tolist() == [0, 0, 255, 255]


def test_fixed_range_compares_maps() -> None:
    style = HeatmapStyle(normalisation="fixed", fixed_range=(0.0, 0.02))
    assert_close(normalise(np.array([0.01, 0.04, np.nan]), style), [0.5, 1.0, np.nan], "fixed range")
    per_map = normalise(np.array([0.01, 0.03]), HeatmapStyle())
    assert_close(per_map, [0.0, 1.0], "per-map range")


def test_constant_map_has_no_contrast() -> None:
    out = normalise(np.full((2, 2), 0.3), HeatmapStyle())
    assert (out == 0).all()


def test_unknown_colormap_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown colormap"):
        colormap_table("no-such-map")
