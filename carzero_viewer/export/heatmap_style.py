"""How a heatmap is drawn: one definition shared by the viewer and the headless renderer.

The on-screen overlay and every exported image must agree pixel for pixel, so the colour table, the
normalisation, the threshold and the no-data rule live here (numpy + matplotlib's colormap registry, no Qt).
No-data pixels (NaN: outside the model's field of view) are fully transparent and are never coloured as low
attention; pixels below the threshold are transparent too, but only where the map has data.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

Normalisation = Literal["minmax", "fixed"]
Interpolation = Literal["nearest", "bilinear"]
DEFAULT_COLORMAP = "jet"
COLORMAPS = ("jet", "inferno", "magma", "viridis", "turbo", "hot", "plasma", "coolwarm")


@dataclass(frozen=True)
class HeatmapStyle:
    """Display settings of a map overlay.

    Attributes:
        colormap: a matplotlib colormap name.
        opacity: overall alpha of the overlay in [0, 1].
        threshold: values below this fraction of the normalised range are not drawn.
        normalisation: ``"minmax"`` stretches each map to its own min..max; ``"fixed"`` uses ``fixed_range``
            so maps can be compared with each other.
        fixed_range: (low, high) raw attention values for ``"fixed"``.
        interpolation: ``"nearest"`` shows the 14x14 cells as computed, ``"bilinear"`` smooths between them.
        isolines: number of contour levels to draw (0 = none).
        show_field_of_view: outline the part of the image the model saw.
        alpha_ramp: alpha grows with the value (low attention barely tints the radiograph, so the anatomy
            stays readable); when False every drawn pixel gets ``opacity``.
    """

    colormap: str = DEFAULT_COLORMAP
    opacity: float = 0.5
    threshold: float = 0.0
    normalisation: Normalisation = "minmax"
    fixed_range: tuple[float, float] = (0.0, 0.02)
    interpolation: Interpolation = "bilinear"
    isolines: int = 0
    show_field_of_view: bool = True
    alpha_ramp: bool = True

    def with_changes(self, **changes: object) -> HeatmapStyle:
        return replace(self, **changes)  # type: ignore[arg-type]


def colormap_table(name: str, size: int = 256) -> npt.NDArray[np.uint8]:
    """``(size, 4)`` RGBA uint8 table of a matplotlib colormap (opaque)."""
    from matplotlib import colormaps

    try:
        cmap = colormaps[name]
    except KeyError as exc:
        raise ValueError(f"unknown colormap {name!r}") from exc
    table = cmap(np.linspace(0.0, 1.0, size))
    return np.asarray(np.round(table * 255), dtype=np.uint8)


def normalise(values: npt.NDArray[np.floating], style: HeatmapStyle) -> npt.NDArray[np.float32]:
    """Map raw attention to [0, 1] per the style; NaN stays NaN. A constant map becomes 0 (no contrast)."""
    data = np.array(values, dtype=np.float32)  # a copy: scaled in place below
    if style.normalisation == "fixed":
        low, high = style.fixed_range
    elif np.isfinite(data).any():
        low, high = float(np.nanmin(data)), float(np.nanmax(data))
    else:
        low, high = 0.0, 1.0
    span = high - low
    if span <= 0:
        data[np.isfinite(data)] = 0.0
        return data
    data -= np.float32(low)
    data /= np.float32(span)
    return np.clip(data, 0.0, 1.0, out=data)


def overlay_table(style: HeatmapStyle, size: int = 256) -> npt.NDArray[np.uint8]:
    """``(size + 1, 4)`` RGBA table indexed by the quantised level; the extra last row is no data (clear).

    Colour and alpha both depend only on the level bin, so one table lookup colours a whole map; the level a
    bin stands for is ``i / (size - 1)`` (used for the threshold and the alpha ramp).
    """
    table = np.zeros((size + 1, 4), dtype=np.uint8)
    table[:size] = colormap_table(style.colormap, size)
    level = np.linspace(0.0, 1.0, size)
    strength = style.opacity * (0.1 + 0.9 * level) if style.alpha_ramp else np.full(size, style.opacity)
    alpha = np.where(level >= style.threshold, strength * 255.0, 0.0)
    table[:size, 3] = np.round(alpha).astype(np.uint8)
    return table


def heatmap_rgba(values: npt.NDArray[np.floating], style: HeatmapStyle) -> npt.NDArray[np.uint8]:
    """Colour a map in original-image pixels: ``(H, W, 4)`` uint8, transparent where NaN or below threshold."""
    table = overlay_table(style)
    size = len(table) - 1
    scaled = normalise(values, style)
    scaled *= size - 1
    np.rint(scaled, out=scaled)
    np.nan_to_num(scaled, copy=False, nan=float(size))  # NaN -> the no-data row
    index = scaled.astype(np.uint16)
    packed = table.view(np.uint32).reshape(-1)  # one 4-byte gather per pixel
    return packed[index].view(np.uint8).reshape(*index.shape, 4)
