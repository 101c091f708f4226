"""Registering grid maps back onto original-image pixels through the recorded preprocessing geometry.

numpy only. A 14x14 map cell covers a 16x16 block of the 224 crop. Two display modes:

* ``"nearest"``: every original pixel takes the value of the cell its centre falls in (the official 16x
  block replication, carried through resize and pad);
* ``"bilinear"``: values interpolated between cell centres (clamped to the outermost centres near the crop's
  edge), the smooth rendering used for overlays.

Pixels the model never saw (cut by the 256-pad / 224-crop: up to 6.25 % of the long side at each end) are NaN
in both modes, never zero: "no data" is not "low attention".
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from carzero_viewer.types import ModelInputGeometry

Interpolation = Literal["nearest", "bilinear"]


def _axis_weights(
    length: int, scale: float, shift: float, crop: int, grid: int, mode: Interpolation
) -> npt.NDArray[np.float64]:
    """(length, grid) weights mapping grid cells to original pixels along one axis; NaN rows outside the crop.

    ``scale`` is original/resized pixels and ``shift`` = pad offset - crop offset (resized -> crop frame).
    """
    centres = (np.arange(length, dtype=np.float64) + 0.5) / scale + shift  # continuous crop coordinates
    inside = (centres >= 0.0) & (centres < crop)
    cell = crop / grid
    weights = np.zeros((length, grid), dtype=np.float64)
    rows = np.nonzero(inside)[0]
    if mode == "nearest":
        index = np.clip((centres[rows] // cell).astype(np.int64), 0, grid - 1)
        weights[rows, index] = 1.0
    else:
        position = np.clip(centres[rows] / cell - 0.5, 0.0, grid - 1.0)
        lower = np.floor(position).astype(np.int64)
        upper = np.minimum(lower + 1, grid - 1)
        frac = position - lower
        np.add.at(weights, (rows, lower), 1.0 - frac)
        np.add.at(weights, (rows, upper), frac)
    weights[~inside] = np.nan
    return weights


def map_to_original(
    grid_map: npt.NDArray[np.floating], geometry: ModelInputGeometry, mode: Interpolation = "bilinear"
) -> npt.NDArray[np.float32]:
    """Resample one ``(g, g)`` grid map (row-major over the crop) to the original image.

    Returns:
        ``(H, W)`` float32 in original-image pixels, NaN outside the model's field of view.
    """
    grid = grid_map.shape[0]
    if grid_map.shape != (grid, grid):
        raise ValueError(f"expected a square grid map, got {grid_map.shape}")
    h, w = geometry.original_size
    sy, sx = geometry.scale
    wy = _axis_weights(
        h, sy, geometry.pad_offset[0] - geometry.crop_offset[0], geometry.crop_size, grid, mode
    )
    wx = _axis_weights(
        w, sx, geometry.pad_offset[1] - geometry.crop_offset[1], geometry.crop_size, grid, mode
    )
    return (wy @ grid_map.astype(np.float64) @ wx.T).astype(np.float32)


def field_of_view_mask(geometry: ModelInputGeometry) -> npt.NDArray[np.bool_]:
    """``(H, W)`` True where the model saw the pixel (its centre lies inside the 224 crop)."""
    ones = np.ones((1, 1), dtype=np.float64)
    h, w = geometry.original_size
    sy, sx = geometry.scale
    wy = _axis_weights(
        h, sy, geometry.pad_offset[0] - geometry.crop_offset[0], geometry.crop_size, 1, "nearest"
    )
    wx = _axis_weights(
        w, sx, geometry.pad_offset[1] - geometry.crop_offset[1], geometry.crop_size, 1, "nearest"
    )
    return np.asarray(~np.isnan(wy @ ones @ wx.T), dtype=np.bool_)


def upsample_block(grid_map: npt.NDArray[np.floating], crop_size: int) -> npt.NDArray[np.float32]:
    """The official enlargement to the crop: repeat every cell ``crop/grid`` times along both axes."""
    factor = crop_size // grid_map.shape[0]
    return np.repeat(np.repeat(grid_map, factor, axis=0), factor, axis=1).astype(np.float32)
