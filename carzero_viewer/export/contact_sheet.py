"""The contact sheet: many maps of one image side by side, each with its boxes and caption, plus the legend.

The viewer's *Export all prompts* renders one tile per prompt map (and per word map of the selected prompt)
with :func:`carzero_viewer.export.render.render_image`, and lays them out here. Tiles are thumbnails of the
full-resolution render; the ground-truth boxes are drawn after the thumbnail is made, at tile scale, with the
renderer's own box drawing, so their lines and labels stay readable instead of shrinking to a pixel. Captions
wrap to the tile's width and are elided with "…" only past :data:`CAPTION_LINES` lines. The legend strip
below the grid is the renderer's (prompt, model, disclaimer, UNTRAINED mark). Pillow + numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from carzero_viewer.export.render import BoxSpec, LegendInfo, draw_boxes, font, with_legend, wrap_text

TILE = 320
COLUMNS = 4
CAPTION_SIZE = 13
CAPTION_LINES = 3
CAPTION_LINE_HEIGHT = 17
CAPTION_PAD = 4


def caption_lines(text: str) -> list[str]:
    """``text`` wrapped to a tile's width in at most :data:`CAPTION_LINES` lines."""
    return wrap_text(text, font(CAPTION_SIZE), TILE - 2 * CAPTION_PAD, CAPTION_LINES)


def scale_boxes(boxes: Sequence[BoxSpec], factor: float) -> list[BoxSpec]:
    """Boxes in full-resolution pixels mapped to a thumbnail ``factor`` times the size."""
    return [
        box._replace(x1=box.x1 * factor, y1=box.y1 * factor, x2=box.x2 * factor, y2=box.y2 * factor)
        for box in boxes
    ]


def contact_sheet(
    tiles: Sequence[tuple[npt.NDArray[np.uint8], str]], boxes: Sequence[BoxSpec], legend: LegendInfo
) -> npt.NDArray[np.uint8]:
    """Lay out rendered maps of one image with their boxes and captions, then the legend strip.

    Args:
        tiles: ``(H, W, 3)`` uint8 renders of the same image (no boxes drawn) and their captions.
        boxes: ground-truth boxes in the image's full-resolution pixels, drawn on every tile.
        legend: what the strip below the grid says (no colour bar: each tile is min-max scaled on its own).

    Returns:
        ``(rows * (TILE + caption) + strip, columns * TILE, 3)`` uint8.

    Raises:
        ValueError: no tiles.
    """
    if not tiles:
        raise ValueError("a contact sheet needs at least one tile")
    columns = min(COLUMNS, len(tiles))
    rows = -(-len(tiles) // columns)
    caption_h = CAPTION_LINES * CAPTION_LINE_HEIGHT + 2 * CAPTION_PAD
    sheet = Image.new("RGB", (columns * TILE, rows * (TILE + caption_h)), "white")
    draw = ImageDraw.Draw(sheet)
    face = font(CAPTION_SIZE)
    for index, (rgb, text) in enumerate(tiles):
        tile = Image.fromarray(rgb)
        full_width = tile.width
        tile.thumbnail((TILE, TILE))
        draw_boxes(tile, scale_boxes(boxes, tile.width / full_width))
        x, y = (index % columns) * TILE, (index // columns) * (TILE + caption_h)
        sheet.paste(tile, (x + (TILE - tile.width) // 2, y + (TILE - tile.height) // 2))
        for line_index, line in enumerate(caption_lines(text)):
            top = y + TILE + CAPTION_PAD + line_index * CAPTION_LINE_HEIGHT
            draw.text((x + CAPTION_PAD, top), line, fill="black", font=face)
    return with_legend(np.asarray(sheet, dtype=np.uint8), legend, None)
