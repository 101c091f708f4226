"""Corner overlays on the canvas: the text of :mod:`carzero_viewer.imaging.corner_text` and orientation letters.

A transparent child widget over the canvas rather than scene items: the text must stay at the screen corners,
upright and the same size whatever the zoom, flip or rotation of the image. It repaints from the canvas's
current state on every window, view or orientation change, so it can never show a stale value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, Qt, Slot
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from carzero_viewer.imaging.corner_text import corner_text
from carzero_viewer.imaging.display_orientation import edge_labels

if TYPE_CHECKING:
    from carzero_viewer.ui.canvas import ImageCanvas

MARGIN = 8  # screen pixels between the text and the canvas border
TEXT_COLOR = QColor(255, 255, 170)
SHADOW_COLOR = QColor(0, 0, 0, 220)
_CORNERS = {
    "top_left": Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft,
    "top_right": Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight,
    "bottom_left": Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft,
    "bottom_right": Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignRight,
}
_EDGES = {
    "left": Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
    "right": Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
    "top": Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter,
    "bottom": Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter,
}


class CornerOverlay(QWidget):
    """Draws the corner text and orientation letters over ``canvas``; toggled by the user (shown by default)."""

    def __init__(self, canvas: ImageCanvas) -> None:
        super().__init__(canvas)
        self._canvas = canvas
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        canvas.window_changed.connect(self.update)
        canvas.orientation_changed.connect(self.update)
        canvas.view.sigRangeChanged.connect(self.update)
        # The view box is resized whenever the canvas is. A signal, not an event filter on the canvas: Qt
        # calls an event filter while the canvas is being destroyed, when this object's Python side may
        # already be gone (seen as an AttributeError, then a crash, in the GUI tests).
        canvas.view.sigResized.connect(self._fit)
        self._fit()

    @Slot(object)
    def _fit(self, _view: object = None) -> None:
        self.setGeometry(self._canvas.rect())

    def toggle(self) -> None:
        self.setVisible(not self.isVisible())

    def texts(self) -> dict[str, str]:
        """What is drawn, by position ("top_left", ..., "left", ...): empty without a record or on the model input."""
        record = self._canvas.record()
        if record is None or self._canvas.showing_model_input():
            return {}
        pixel_size = self._canvas.view.viewPixelSize()[0]  # image pixels per screen pixel
        zoom = 1.0 / pixel_size if pixel_size > 0 else 0.0
        corners = corner_text(record, self._canvas.window(), zoom)
        out = {name: "\n".join(getattr(corners, name)) for name in _CORNERS}
        orientation = record.metadata.get("patient_orientation", "")
        out.update(edge_labels(orientation, self._canvas.orientation()))
        return out

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API name)
        texts = self.texts()
        if not texts:
            return
        painter = QPainter(self)
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        area = self.rect().adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
        for name, text in texts.items():
            flags = _CORNERS.get(name) or _EDGES[name]
            # A one-pixel dark shadow keeps the text readable on white bone and on black air alike.
            painter.setPen(SHADOW_COLOR)
            painter.drawText(QRect(area).translated(1, 1), int(flags), text)
            painter.setPen(TEXT_COLOR)
            painter.drawText(area, int(flags), text)
        painter.end()
