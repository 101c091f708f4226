"""File > Export on the real window: full-resolution render, on-screen colours, contact sheet, files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from carzero_viewer.export.render import base_rgb, composite
from carzero_viewer.ui.app import create_application
from carzero_viewer.ui.main_window import MainWindow

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
    window.open_annotations([test_data_dir / "annotations" / "BBox_List_2017.csv"])
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
    strip = rendered[height:]
    red = (strip[..., 0] > 180) & (strip[..., 1] < 80) & (strip[..., 2] < 80)
    assert red.sum() > 50  # the UNTRAINED DEMO MODEL line


def test_export_files_and_contact_sheet(shown, tmp_path: Path, monkeypatch) -> None:
    window = shown
    targets = iter([tmp_path / "view.png", tmp_path / "full.jpg", tmp_path / "sheet.png"])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(next(targets)), ""))
    actions = window.chrome.exports
    actions.export_view()
    actions.export_full_resolution()
    actions.export_all_prompts()
    assert (tmp_path / "view.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "full.jpg").read_bytes()[:2] == b"\xff\xd8"
    sheet = actions.contact_sheet()
    tiles = len(window.response.results) + sum(
        w not in ("[CLS]", "[SEP]") for w in window.word_panel.result().words
    )
    assert sheet.shape[1] == min(4, tiles) * 320
    assert (tmp_path / "sheet.png").stat().st_size > 10_000
