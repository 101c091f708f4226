"""Rows x columns for a grid of equal image tiles (Qt-free, so it is unit-tested headless).

Used by the compare-prompts grid (:mod:`carzero_viewer.ui.prompt_grid`): every tile shows the same image, so
all tiles share one aspect ratio, and the best grid is the one whose tiles are largest in the given area.
Lives under ``ui/`` because only the viewer lays tiles out on screen, but it imports no Qt.
"""

from __future__ import annotations

import math


def grid_shape(count: int, width: float, height: float, aspect: float) -> tuple[int, int]:
    """(rows, columns) that show ``count`` tiles of ``aspect`` (width / height) as large as possible.

    Args:
        count: number of tiles; 0 gives (0, 0).
        width, height: the area to fill, in any one unit (pixels); non-positive values count as 1.
        aspect: tile width / height (the image's); non-finite or non-positive values count as square.

    Returns:
        The smallest grid (fewest empty cells, then fewest rows) among those with the largest tile; rows *
        columns >= count and no row or column is entirely empty.
    """
    if count <= 0:
        return 0, 0
    width, height = max(float(width), 1.0), max(float(height), 1.0)
    aspect = float(aspect) if math.isfinite(aspect) and aspect > 0 else 1.0
    best: tuple[float, int, int] | None = None
    best_shape = (1, count)
    for columns in range(1, count + 1):
        rows = math.ceil(count / columns)
        if (rows - 1) * columns >= count:  # an empty last row: the same tiles fit with fewer rows
            continue
        tile_width = min(width / columns, height / rows * aspect)
        key = (-tile_width, rows * columns - count, rows)
        if best is None or key < best:
            best, best_shape = key, (rows, columns)
    return best_shape
