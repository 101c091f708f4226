"""Which map the canvas shows, and how: the prompt map or a word map of the selected prompt, in one style.

Kept out of the main window so the rule lives in one place: prompt maps are the official recipe; a word map
(slot >= 0) is the EXTENSION and is captioned as such; everything is registered on original pixels through
the recorded geometry (NaN = the model never saw it); untrained weights are written into the caption.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carzero_viewer.export.heatmap_style import HeatmapStyle
from carzero_viewer.inference.geometry import map_to_original, upsample_block
from carzero_viewer.types import PromptResult

WORD_MAP_NOTICE = "word-query map — extension, not evaluated in the paper"


def approximate_label(precision: str) -> str:
    """How a reduced-precision preview is labelled wherever it is shown (map caption, scores panel)."""
    return f"approximate ({precision})"


@dataclass(frozen=True)
class MapView:
    """A map ready to draw.

    Attributes:
        values: (H, W) float32 in original pixels, NaN outside the field of view.
        grid: the (g, g) map as computed (for the model-input view and the legend range).
        caption: what the legend says about this map.
        field_of_view: (x0, y0, x1, y1) of what the model saw, in original pixels.
        low, high: the raw values that the colour scale's ends stand for.
        peak: (x, y) original-pixel position of the map's maximum (pixel centre).
        prompt_text: the text the model read for the prompt this map belongs to (a word map too), which
            names the ground-truth class its grounding metrics compare with.
    """

    values: np.ndarray
    grid: np.ndarray
    caption: str
    field_of_view: tuple[float, float, float, float]
    low: float
    high: float
    peak: tuple[float, float]
    prompt_text: str

    def crop_values(self, crop_size: int) -> np.ndarray:
        """The map on the 224x224 model input (official 16x block enlargement)."""
        return upsample_block(self.grid, crop_size)


def build_map_view(result: PromptResult, slot: int, style: HeatmapStyle, untrained: bool) -> MapView:
    """The prompt map (``slot < 0``) or the map of word slot ``slot`` of ``result``."""
    if slot < 0:
        grid = result.grounding_map
        caption = f"prompt map: {result.prompt.text}"
    else:
        grid = result.word_maps[slot]
        caption = f"word '{result.words[slot]}' of \"{result.prompt.text}\" ({WORD_MAP_NOTICE})"
    if result.approximate:
        caption += f" — {approximate_label(result.precision)}"
    if untrained:
        caption += " — UNTRAINED DEMO MODEL"
    values = map_to_original(grid, result.geometry, mode=style.interpolation)
    if style.normalisation == "fixed":
        low, high = style.fixed_range
    else:
        finite = values[np.isfinite(values)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    row, col = (
        np.unravel_index(int(np.nanargmax(values)), values.shape) if np.isfinite(values).any() else (0, 0)
    )
    return MapView(
        values=values,
        grid=grid,
        caption=caption,
        field_of_view=result.geometry.field_of_view(),
        low=low,
        high=high,
        peak=(col + 0.5, row + 0.5),
        prompt_text=result.prompt.text,
    )
