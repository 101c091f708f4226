"""The real main window end to end with the tiny fixture weights: open, add a prompt, see score and map."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from carzero_viewer.settings import load_settings
from carzero_viewer.ui.app import create_application
from carzero_viewer.ui.canvas import NO_DATA
from carzero_viewer.ui.main_window import UNTRAINED_TEXT, MainWindow

pytestmark = [pytest.mark.e2e, pytest.mark.gui, pytest.mark.slow]
TIMEOUT_MS = 60_000


@pytest.fixture
def window(qtbot):
    create_application()
    win = MainWindow()
    qtbot.addWidget(win)
    yield win
    win.close()
    assert not win.bridge.is_running()


def scored_prompts(win: MainWindow) -> list[str]:
    table = win.scores_panel.table
    return [table.item(r, 0).text() for r in range(table.rowCount())]


def test_open_image_add_prompt_and_see_scores_and_overlay(window, qtbot, test_data_dir, tmp_path) -> None:
    window.show()
    qtbot.waitExposed(window)
    window.start_model([test_data_dir / "carzero-tiny"], "cpu")
    image = test_data_dir / "carzero-tiny" / "image.png"
    window.open_paths([image])
    assert window.record is not None
    assert window.study_panel.current_file() == image.resolve()

    qtbot.keyClicks(window.prompt_panel.line_edit, "pulmonary edema")
    qtbot.keyClick(window.prompt_panel.line_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "pulmonary edema" in scored_prompts(window), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.canvas.overlay_visible, timeout=TIMEOUT_MS)

    # Every enabled prompt (the five defaults + the new one) has a 3-decimal score.
    assert len(scored_prompts(window)) == 6
    score_text = window.scores_panel.table.item(0, 1).text()
    assert len(score_text.split(".")[1]) == 3
    # The overlay covers the image and leaves the pixels the model never saw transparent (or none at all).
    overlay = window.canvas.overlay_item.image
    assert overlay.shape == window.record.shape
    assert (overlay != NO_DATA).mean() > 0.8
    assert len(np.unique(overlay[overlay != NO_DATA])) > 10

    # Selecting another row shows that prompt's map.
    before = overlay.copy()
    window.scores_panel.table.selectRow(window.scores_panel.table.rowCount() - 1)
    assert not np.array_equal(window.canvas.overlay_item.image, before)

    assert window.banner.isVisible()
    assert window.banner.text() == UNTRAINED_TEXT
    assert "untrained" in window.model_label.text()
    assert window.model_state is not None and window.model_state.short_checksum in window.model_label.text()

    assert window.map_label.text() == f"map: {window.scores_panel.selected_prompt()}"
    window.canvas.cursor_moved.emit(5, 7)
    assert window.cursor_label.text().startswith("x 7  y 5  value ")
    window.canvas.cursor_moved.emit(-1, -1)
    assert window.cursor_label.text() == ""

    # The new prompt was persisted.
    assert "pulmonary edema" in load_settings().prompts

    shot = tmp_path / "main_window.png"
    assert window.grab().save(str(shot))
    assert shot.stat().st_size > 10_000
