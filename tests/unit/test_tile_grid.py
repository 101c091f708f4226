"""The compare-prompts grid shape: largest tiles for N images of one aspect ratio in a given area."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from carzero_viewer.ui.tile_grid import grid_shape


@pytest.mark.parametrize(
    ("count", "width", "height", "aspect", "expected"),
    [
        (0, 800, 600, 1.0, (0, 0)),
        (1, 800, 600, 1.0, (1, 1)),
        (2, 1600, 800, 1.0, (1, 2)),  # wide area: side by side
        (2, 800, 1600, 1.0, (2, 1)),  # tall area: stacked
        (4, 1000, 1000, 1.0, (2, 2)),
        (5, 1500, 1000, 1.0, (2, 3)),
        (6, 1500, 1000, 1.0, (2, 3)),
        (3, 900, 1000, 0.3, (1, 3)),  # narrow tiles go in one row
        (9, 1200, 1200, 1.0, (3, 3)),
    ],
)
def test_grid_shape(
    count: int, width: float, height: float, aspect: float, expected: tuple[int, int]
) -> None:
    assert grid_shape(count, width, height, aspect) == expected


@pytest.mark.parametrize("count", range(1, 40))
@pytest.mark.parametrize(("width", "height", "aspect"), [(1600, 1000, 0.8), (700, 1000, 1.25), (1, 1, 1.0)])
def test_every_tile_has_a_cell_and_no_row_is_empty(
    count: int, width: float, height: float, aspect: float
) -> None:
    rows, columns = grid_shape(count, width, height, aspect)
    assert rows * columns >= count
    assert (rows - 1) * columns < count


@pytest.mark.parametrize("aspect", [0.0, -1.0, float("nan"), float("inf")])
def test_a_meaningless_aspect_counts_as_square(aspect: float) -> None:
    assert grid_shape(4, 1000, 1000, aspect) == grid_shape(4, 1000, 1000, 1.0)


def test_zero_area_still_gives_a_grid() -> None:
    rows, columns = grid_shape(3, 0, -5, 1.0)
    assert rows * columns >= 3


def test_module_imports_without_qt(repo_root: Path) -> None:
    probe = (
        "import json, sys, carzero_viewer.ui.tile_grid; "
        "print(json.dumps([m for m in ('PySide6', 'pyqtgraph', 'superqt', 'torch') if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo_root, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
