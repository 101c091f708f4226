"""File > Export on the real window: full-resolution render, on-screen colours, contact sheet, files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from carzero_viewer.export.contact_sheet import TILE
from carzero_viewer.export.render import base_rgb, composite
from carzero_viewer.ui.app import create_application
from carzero_viewer.ui.main_window import MainWindow
from tests.e2e.test_main_window import open_annotations_and_wait

pytestmark = [pytest.mark.e2e, pytest.mark.gui, pytest.mark.slow]
TIMEOUT_MS = 60_000


@pytest.fixture
def shown(qtbot, test_data_dir: Path):
    create_application()
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.bridge.model_ready, timeout=TIMEOUT_MS):
        window.start_model([test_data_dir / "carzero-tiny"], "cpu")
    open_annotations_and_wait(window, qtbot, [test_data_dir / "annotations" / "BBox_List_2017.csv"])
    with qtbot.waitSignal(window.bridge.results_ready, timeout=TIMEOUT_MS):
        window.open_paths([test_data_dir / "annotations" / "images" / "00000344_003.png"])
    qtbot.waitUntil(lambda: window.map_view is not None, timeout=TIMEOUT_MS)
    yield window
    window.close()


def test_full_resolution_export_matches_the_screen_colours(shown) -> None:
    window = shown
    actions = window.chrome.exports
    rendered = actions.full_resolution()
    height, width = window.record.shape[:2]
    assert rendered.shape[1] == width and rendered.shape[0] > height  # image + legend strip
    on_screen = np.asarray(window.canvas.heatmap_item.image)  # the RGBA the canvas draws
    expected = composite(base_rgb(actions.current_display()), on_screen)
    x, y = window.map_view.peak
    row, col = int(y), int(x)
    np.testing.assert_array_equal(rendered[row, col], expected[row, col])
    assert _untrained_red(rendered[height:]) > 50  # the UNTRAINED DEMO MODEL line


def _untrained_red(rgb: np.ndarray) -> int:
    return int(((rgb[..., 0] > 180) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)).sum())


def test_export_files_and_contact_sheet(shown, tmp_path: Path, monkeypatch) -> None:
    window = shown
    (tmp_path / "figures").mkdir()
    targets = iter([tmp_path / "figures" / "view.png", tmp_path / "full.jpg", tmp_path / "sheet.png"])
    starts: list[str] = []

    def fake_save(parent, caption, start, filters):
        starts.append(start)
        return str(next(targets)), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_save)
    monkeypatch.chdir(tmp_path)
    actions = window.chrome.exports
    actions.export_view()
    actions.export_full_resolution()
    actions.export_all_prompts()
    assert Path(starts[0]).parent == tmp_path
    assert Path(starts[1]).parent == tmp_path / "figures"  # the folder of the previous image export
    assert Path(starts[2]).parent == tmp_path
    assert (tmp_path / "full.jpg").read_bytes()[:2] == b"\xff\xd8"
    with Image.open(tmp_path / "figures" / "view.png") as view:
        text = dict(view.text)  # type: ignore[attr-defined]
        pixels = np.asarray(view.convert("RGB"))
    assert text["Disclaimer"] == "Not for diagnostic use"
    assert window.scores_panel.selected_prompt() in text["Description"]
    assert "UNTRAINED DEMO MODEL" in text["Description"]
    canvas_height = window.canvas.grab().height()
    assert pixels.shape[0] > canvas_height  # the canvas, then the legend strip
    assert _untrained_red(pixels[canvas_height:]) > 50
    with Image.open(tmp_path / "sheet.png") as sheet_file:
        assert "Description" in sheet_file.text  # type: ignore[attr-defined]
    sheet = actions.contact_sheet()
    tiles = len(window.response.results) + sum(
        w not in ("[CLS]", "[SEP]") for w in window.word_panel.result().words
    )
    assert sheet.shape[1] == min(4, tiles) * 320
    assert (tmp_path / "sheet.png").stat().st_size > 10_000


def test_contact_sheet_draws_the_visible_boxes_at_their_coordinates(shown) -> None:
    window = shown
    height, width = window.record.shape[:2]
    assert height == width  # NIH images are square: the thumbnail fills the tile at TILE / width
    factor = TILE / width
    box = window.ground_truth_panel.visible_boxes()[0]
    x1, y1, x2, y2, colour = box.x1, box.y1, box.x2, box.y2, box.color
    sheet = window.chrome.exports.contact_sheet()
    row, col = round((y1 + y2) / 2 * factor), round(min(x1, x2) * factor)
    assert tuple(sheet[row, col]) == tuple(colour)  # the box's left edge on the first tile
    classes = window.ground_truth_panel.class_list
    for row in range(classes.count()):  # the user hides every class
        classes.item(row).setCheckState(Qt.CheckState.Unchecked)
    assert window.ground_truth_panel.visible_boxes() == []
    assert tuple(window.chrome.exports.contact_sheet()[row, col]) != tuple(colour)
