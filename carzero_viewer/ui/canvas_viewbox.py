"""The canvas's ViewBox: PACS mouse bindings on top of pyqtgraph's pan/zoom.

Kept apart from :mod:`carzero_viewer.ui.canvas` so the canvas stays about its layers; the ViewBox only turns
mouse gestures into calls on the canvas (window/level, ruler, fit) or into view translations.

Mouse (PACS conventions): right-drag = window/level (right widens, down raises the centre; one screen pixel
changes the window by a fixed fraction of the current width, so fine control at narrow windows and fast
sweeps at wide ones), wheel = zoom about the cursor, left- and middle-drag = pan, double-click = fit. In
measure mode left-drag draws a ruler instead. Window/level only ever emits ``ImageCanvas.window_changed``;
the model input is fixed at load time, so nothing here can re-run the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import Qt

if TYPE_CHECKING:
    from carzero_viewer.ui.canvas import ImageCanvas


class CanvasViewBox(pg.ViewBox):
    """ViewBox with PACS mouse bindings: right-drag window/level, left-drag pan or ruler, double-click fit."""

    def __init__(self, canvas: ImageCanvas) -> None:
        super().__init__(lockAspect=True, invertY=True, enableMenu=False)
        self._canvas = canvas
        self.setMouseMode(pg.ViewBox.PanMode)

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 (pyqtgraph API name)
        button = ev.button()
        if button == Qt.MouseButton.RightButton:
            ev.accept()
            delta = ev.screenPos() - ev.lastScreenPos()
            self._canvas.drag_window(delta.x(), delta.y())
            return
        if button == Qt.MouseButton.LeftButton and self._canvas.measure_mode():
            ev.accept()
            # The frame's coordinates are original-image pixels whatever the display flips or rotations.
            start = self._canvas.frame.mapFromScene(ev.buttonDownScenePos())
            end = self._canvas.frame.mapFromScene(ev.scenePos())
            self._canvas.set_ruler((start.x(), start.y()), (end.x(), end.y()))
            return
        if button in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            # Both buttons pan (pyqtgraph's PanMode only pans with the left one).
            ev.accept()
            tr = self.childGroup.transform()
            tr = pg.functions.invertQTransform(tr)
            diff = tr.map(ev.lastPos()) - tr.map(ev.pos())
            self._resetTarget()
            self.translateBy(x=diff.x(), y=diff.y())
            self.sigRangeChangedManually.emit(self.state["mouseEnabled"])
            return
        super().mouseDragEvent(ev, axis)

    def mouseClickEvent(self, ev):  # noqa: N802 (pyqtgraph API name)
        if ev.double() and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._canvas.fit()
            return
        super().mouseClickEvent(ev)
