"""Compare prompts with the real main window and the tiny fixture weights: one tile per enabled, scored
prompt with its score and the UNTRAINED mark, zoom and window/level shared by every tile, and a click on a
tile selecting its prompt in the main window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from carzero_viewer.ui.prompt_grid import MAX_TILES, UNTRAINED_MARK, PromptGrid
from tests.e2e import test_main_window as base

pytestmark = [pytest.mark.e2e, pytest.mark.gui, pytest.mark.slow]
window = base.window
ready = base.ready
TIMEOUT_MS = base.TIMEOUT_MS


def open_grid(win, qtbot, path: Path) -> PromptGrid:
    base.open_and_wait(win, qtbot, path)
    win.chrome.show_prompt_grid()
    grid = win.chrome.prompt_grid
    assert grid is not None
    qtbot.waitExposed(grid)
    qtbot.waitUntil(lambda: len(grid.tiles()) == len(win.prompt_panel.enabled_prompts()), timeout=TIMEOUT_MS)
    return grid


def test_one_tile_per_enabled_scored_prompt_with_its_score(ready, qtbot, test_data_dir: Path) -> None:
    grid = open_grid(ready, qtbot, test_data_dir / "carzero-tiny" / "image.png")
    results = {r.prompt.typed: r for r in ready.scores_panel.results()}
    enabled = ready.prompt_panel.enabled_prompts()
    assert [tile.typed for tile in grid.tiles()] == enabled
    for tile in grid.tiles():
        assert f"{results[tile.typed].score:.3f}" in tile.caption_text()
        assert UNTRAINED_MARK in tile.caption_text()  # the fixture weights are untrained
        assert tile.canvas.heatmap_visible()
    rows, columns = grid.grid_shape()
    assert rows * columns >= len(enabled) and (rows - 1) * columns < len(enabled)

    # Disabling a prompt removes its tile.
    ready.prompt_panel.list_widget.item(0).setCheckState(Qt.CheckState.Unchecked)
    qtbot.waitUntil(lambda: len(grid.tiles()) == len(enabled) - 1, timeout=TIMEOUT_MS)
    assert enabled[0] not in [tile.typed for tile in grid.tiles()]


def test_zoom_and_window_level_on_one_tile_reach_every_tile(ready, qtbot, test_data_dir: Path) -> None:
    grid = open_grid(ready, qtbot, test_data_dir / "carzero-tiny" / "image.png")
    first, *others = grid.tiles()
    first.canvas.view.scaleBy((0.5, 0.5))  # what the wheel does: zoom in 2x about the centre
    target = first.canvas.view.viewRect()
    for tile in others:
        rect = tile.canvas.view.viewRect()
        assert rect.width() == pytest.approx(target.width(), rel=1e-3)  # a float view rect: 0.1 % is exact
        assert rect.center().x() == pytest.approx(target.center().x(), rel=1e-3)
    others[-1].canvas.set_window(100.0, 50.0)
    for tile in grid.tiles():
        assert tile.canvas.window() == (100.0, 50.0)


def test_clicking_a_tile_selects_its_prompt(ready, qtbot, test_data_dir: Path) -> None:
    grid = open_grid(ready, qtbot, test_data_dir / "carzero-tiny" / "image.png")
    selected = ready.scores_panel.selected_prompt()
    tile = next(t for t in grid.tiles() if t.typed != selected)
    view = tile.canvas.graphics.viewport()
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(view.width() // 2, view.height() // 2))
    qtbot.waitUntil(lambda: ready.scores_panel.selected_prompt() == tile.typed, timeout=TIMEOUT_MS)
    result = ready.scores_panel.result_for(tile.typed)
    assert result is not None and ready.map_view is not None
    assert result.prompt.text in ready.map_view.caption  # the main canvas shows the chosen prompt's map
    assert tile.styleSheet() != grid.tiles()[0 if grid.tiles()[0] is not tile else 1].styleSheet()


def test_tiles_are_bounded_and_the_rest_is_said(ready, qtbot, test_data_dir: Path) -> None:
    grid = open_grid(ready, qtbot, test_data_dir / "carzero-tiny" / "image.png")
    for index in range(MAX_TILES + 1 - len(ready.prompt_panel.enabled_prompts())):
        ready.prompt_panel.add_prompt(f"finding number {index}")
    total = len(ready.prompt_panel.enabled_prompts())
    assert total > MAX_TILES
    qtbot.waitUntil(lambda: len(grid.tiles()) == MAX_TILES, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: f"first {MAX_TILES} of {total}" in grid.status.text(), timeout=TIMEOUT_MS)
    assert grid.status.isVisible()


def test_the_grid_follows_the_next_image(ready, qtbot, test_data_dir: Path) -> None:
    grid = open_grid(ready, qtbot, test_data_dir / "cxr")
    first = ready.record
    with qtbot.waitSignal(ready.bridge.results_ready, timeout=TIMEOUT_MS):
        ready.chrome.next_image()
    qtbot.waitUntil(lambda: ready.record is not first and ready.map_view is not None, timeout=TIMEOUT_MS)

    def redrawn() -> bool:
        tiles = grid.tiles()
        shown = {r.prompt.typed: r for r in ready.scores_panel.results()}
        return len(tiles) == len(shown) and all(
            t.canvas.record() is ready.record
            and t.canvas.heatmap_visible()
            and f"{shown[t.typed].score:.3f}" in t.caption_text()
            for t in tiles
        )

    qtbot.waitUntil(redrawn, timeout=TIMEOUT_MS)
