"""The canvas's box layer: labelled rectangles in image pixels whose labels never hide each other.

Split out of :mod:`carzero_viewer.ui.canvas` because labels need their own upkeep: a label is text of a fixed
screen size anchored at its box's top-left corner, so whether two labels overlap depends on the zoom. The
layer re-stacks them (:func:`~carzero_viewer.annotations.display.stack_labels`) whenever the view's transform
changes. Line styles say which annotation source a box comes from.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem

from carzero_viewer.annotations.display import stack_labels
from carzero_viewer.viewer_model.ground_truth import BoxSpec

PEN_STYLES = {
    "solid": Qt.PenStyle.SolidLine,
    "dash": Qt.PenStyle.DashLine,
    "dot": Qt.PenStyle.DotLine,
    "dash-dot": Qt.PenStyle.DashDotLine,
}
BOX_Z, LABEL_Z = 30, 31


def cosmetic_pen(color: QColor, width: float = 2.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    """A pen of ``width`` screen pixels whatever the zoom."""
    pen = QPen(color)
    pen.setWidthF(width)
    pen.setCosmetic(True)
    pen.setStyle(style)
    return pen


def detach(item: QGraphicsItem) -> None:
    """Take ``item`` out of the scene; Qt also removes it from its parent (what ``ViewBox.removeItem`` does)."""
    scene = item.scene()
    if scene is not None:
        scene.removeItem(item)


class BoxLayer:
    """Owns the rectangle and label items of the boxes drawn in one ``ViewBox``.

    The items are children of ``parent`` (the canvas's image frame, in original-image pixels), so they follow
    the display's flips and rotations with the image.
    """

    def __init__(self, view: pg.ViewBox, parent: QGraphicsItem) -> None:
        self._view = view
        self._parent = parent
        self._items: list[tuple[QGraphicsRectItem, pg.TextItem]] = []
        self._anchors: list[QPointF] = []
        view.sigTransformChanged.connect(self.restack)

    def set_boxes(self, boxes: Sequence[BoxSpec], visible: bool) -> None:
        """Replace the drawn boxes (an empty sequence clears them)."""
        for rect_item, text_item in self._items:
            detach(rect_item)
            detach(text_item)
        self._items, self._anchors = [], []
        for box in boxes:
            color = QColor(*box.color)
            rect = QRectF(QPointF(box.x1, box.y1), QPointF(box.x2, box.y2)).normalized()
            rect_item = QGraphicsRectItem(rect)
            rect_item.setPen(cosmetic_pen(color, 2.0, PEN_STYLES.get(box.line_style, Qt.PenStyle.SolidLine)))
            rect_item.setZValue(BOX_Z)
            text_item = pg.TextItem(
                box.caption, color=box.color, anchor=(0, 1), fill=pg.mkBrush(0, 0, 0, 160)
            )
            text_item.setPos(rect.topLeft())
            text_item.setZValue(LABEL_Z)
            for item in (rect_item, text_item):
                item.setParentItem(self._parent)
                item.setVisible(visible)
            self._items.append((rect_item, text_item))
            self._anchors.append(rect.topLeft())
        self.restack()

    def pairs(self) -> list[tuple[QGraphicsRectItem, pg.TextItem]]:
        """(rectangle, label) items in input order."""
        return list(self._items)

    def restack(self, *_args: object) -> None:
        """Move labels that would cover each other at the current zoom into a column above their boxes."""
        if not self._items:
            return
        scale_x, scale_y = self._view.viewPixelSize()  # image pixels per screen pixel
        if not (scale_x > 0 and scale_y > 0):
            return
        rects = []
        for (_rect_item, text_item), anchor in zip(self._items, self._anchors, strict=True):
            size = text_item.boundingRect()  # in screen pixels: TextItem ignores the view's scaling
            left, bottom = anchor.x() / scale_x, anchor.y() / scale_y
            rects.append((left, bottom - size.height(), size.width(), size.height()))
        for (_rect_item, text_item), anchor, shift in zip(
            self._items, self._anchors, stack_labels(rects), strict=True
        ):
            text_item.setPos(anchor.x(), anchor.y() + shift * scale_y)
