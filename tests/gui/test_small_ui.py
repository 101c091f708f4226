"""Small display defects of the main window: title, Invert checkbox vs the I key, W/L readout, F1 dialog."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QStyle

from carzero_viewer.ui.shortcuts import ShortcutsDialog

pytestmark = pytest.mark.gui
SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "00000344_003.png"


@pytest.fixture
def window(open_window, qtbot):
    win = open_window()
    win.open_paths([SAMPLE])
    qtbot.waitUntil(lambda: win.record is not None, timeout=30_000)
    return win


def test_title_names_the_image_and_the_application_once(window) -> None:
    # Qt appends " — <application display name>" to a title that does not already end with it.
    name = QApplication.applicationDisplayName()
    title = window.windowTitle()
    shown = title if title.endswith(name) else f"{title} \u2014 {name}"
    assert shown == f"{SAMPLE.name} \u2014 {name}"


def test_invert_checkbox_follows_the_key_and_reset(window, qtbot) -> None:
    checkbox = window.levels_panel.invert_check
    assert not checkbox.isChecked()
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_I)
    assert window.canvas.inverted() and checkbox.isChecked()
    checkbox.setChecked(False)  # the checkbox drives the canvas as before
    assert not window.canvas.inverted()
    window.canvas.toggle_invert()
    window.canvas.reset()
    assert not window.canvas.inverted() and not checkbox.isChecked()


def test_window_readout_of_an_8_bit_image_is_integer(window) -> None:
    window.canvas.set_window(223.22, 567.513)
    assert window.levels_panel.window_label.text() == "C 223 / W 568"


def test_shortcuts_dialog_shows_every_row_and_column_uncut(qtbot) -> None:
    dialog = ShortcutsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    table = dialog.table
    metrics = table.fontMetrics()
    padding = 2 * (table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1)  # the delegate's
    for row in range(table.rowCount()):
        for column in range(table.columnCount()):
            text = table.item(row, column).text()
            assert metrics.horizontalAdvance(text) + padding <= table.columnWidth(column), text
    assert sum(table.columnWidth(c) for c in range(table.columnCount())) <= table.viewport().width()
    rows_height = sum(table.rowHeight(r) for r in range(table.rowCount()))
    assert rows_height <= table.viewport().height()
