"""Side panels of the main window: hideable from the View menu (remembered), full-image mode, and a layout
that neither overlaps nor clips at small window sizes."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QWidget

from carzero_viewer.settings import Settings
from carzero_viewer.ui.main_window import MainWindow
from carzero_viewer.ui.shortcuts import SHORTCUTS
from carzero_viewer.viewer_model.ground_truth import BoxSpec
from carzero_viewer.viewer_model.grounding import GroundingMetrics

pytestmark = pytest.mark.gui
BOX = BoxSpec(10, 10, 50, 50, "Cardiomegaly", (0, 255, 255), "NIH")
METRICS = GroundingMetrics("Cardiomegaly", 1, False, 0.225, 0.01, 0.062, 0.541, stride=2)


@pytest.fixture
def saved(monkeypatch) -> list[Settings]:
    """The settings each save would write (no file in the user's config folder)."""
    writes: list[Settings] = []
    monkeypatch.setattr(
        "carzero_viewer.ui.main_window.save_settings",
        lambda s: writes.append(Settings.from_dict(s.to_dict())),
    )
    return writes


def _docks(window: MainWindow) -> list[QDockWidget]:
    return window.findChildren(QDockWidget)


def _view_menu_actions(window: MainWindow) -> list[QAction]:
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    return view.actions()


def test_every_panel_toggle_is_enabled_and_hides_its_panel(open_window, saved) -> None:
    window = open_window(Settings(), (1600, 1000))
    menu = _view_menu_actions(window)
    assert len(_docks(window)) >= 6
    assert saved == []  # showing the window is no choice of panels
    for dock in _docks(window):
        name, action = dock.objectName(), dock.toggleViewAction()
        assert action in menu, name
        assert action.isEnabled() and action.isChecked(), name
        action.trigger()
        assert not dock.isVisible() and not action.isChecked(), name
        assert name in saved[-1].hidden_panels
        action.trigger()
        assert dock.isVisible() and action.isChecked(), name
        assert name not in saved[-1].hidden_panels
    maps = window.findChild(QDockWidget, "Maps")
    maps.close()  # the dock's own close button
    assert not maps.toggleViewAction().isChecked() and saved[-1].hidden_panels == ["Maps"]


def test_hidden_panels_are_restored_from_the_settings(open_window, saved) -> None:
    window = open_window(Settings(hidden_panels=["Ground truth", "not a panel"]), (1600, 1000))
    assert saved == []
    hidden = {dock.objectName() for dock in _docks(window) if not dock.isVisible()}
    assert hidden == {"Ground truth"}
    assert not window.findChild(QDockWidget, "Ground truth").toggleViewAction().isChecked()


def test_full_image_mode_hides_every_panel_and_restores_the_shown_ones(open_window, qtbot, saved) -> None:
    window = open_window(Settings(), (1600, 1000))
    # The View menu's action, bound to the F1-listed key (QTest key clicks do not reach Qt's shortcut map
    # reliably under pytest-qt offscreen, so the action is triggered as the key would).
    full = next(a for a in _view_menu_actions(window) if a.text().startswith("Full image"))
    assert full.shortcut() == QKeySequence(SHORTCUTS["full_image"][0]) == QKeySequence("F11")
    window.findChild(QDockWidget, "Scores").toggleViewAction().trigger()
    shown_before = {dock.objectName() for dock in _docks(window) if dock.isVisible()}
    width_before = window.canvas.width()
    writes = len(saved)
    full.trigger()
    assert not any(dock.isVisible() for dock in _docks(window))
    qtbot.waitUntil(lambda: window.canvas.width() > width_before)
    full.trigger()
    assert {dock.objectName() for dock in _docks(window) if dock.isVisible()} == shown_before
    window.close()
    assert len(saved) == writes  # neither the mode nor closing the window changes the remembered panels


def _layout_children(panel: QWidget) -> list[QWidget]:
    """The visible widgets laid out in the panel and in its group boxes (not their inner parts)."""
    containers = [panel, *(w for w in panel.findChildren(QWidget) if type(w).__name__ == "QGroupBox")]
    return [
        w
        for w in panel.findChildren(QWidget)
        if w.isVisible() and w.parentWidget() in containers and w.width() > 0 and w.height() > 0
    ]


def test_metrics_panel_children_do_not_overlap_at_1024_by_700(open_window, qtbot, saved) -> None:
    window = open_window(Settings(), (1024, 700))
    panel = window.ground_truth_panel
    panel.set_boxes([BOX], "boxes rescaled from 1024 x 1024")
    panel.set_untrained(True)
    panel.set_metrics(METRICS, "prompt map: There is cardiomegaly. \u2014 UNTRAINED DEMO MODEL")
    qtbot.wait(50)
    children = _layout_children(panel)
    assert len(children) >= 15
    rects = {w: QRect(w.mapTo(panel, w.rect().topLeft()), w.size()) for w in children}
    for a, b in itertools.combinations(children, 2):
        if a.isAncestorOf(b) or b.isAncestorOf(a):
            continue
        assert not rects[a].intersects(rects[b]), (a.objectName() or a.text(), b.objectName() or b.text())
    for widget in children:  # nothing squeezed below the height its text needs
        need = widget.heightForWidth(widget.width()) if widget.hasHeightForWidth() else -1
        minimum = widget.minimumHeight() or widget.minimumSizeHint().height()  # as Qt's layouts choose it
        assert widget.height() >= max(need, minimum), widget


def test_banner_fits_and_image_gets_a_share_at_800_by_600(open_window, qtbot, saved) -> None:
    window = open_window(Settings(), (800, 600))
    window.banner.setVisible(True)
    qtbot.wait(50)
    assert window.width() <= 800 and window.height() <= 600
    banner = window.banner
    area = banner.contentsRect()
    flags = int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap)
    needed = banner.fontMetrics().boundingRect(area, flags, banner.text())
    assert area.contains(needed), (area, needed)
    assert banner.toolTip()
    assert window.canvas.width() >= 0.4 * window.width()
