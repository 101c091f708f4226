"""A captioned canvas showing one prompt's (or word's) map on one image: the tile of the compare views.

Compare prompts (one tile per prompt, :mod:`carzero_viewer.ui.prompt_grid`) and compare images (one tile per
image, :mod:`carzero_viewer.ui.compare_view`) draw maps the same way as the main canvas, through
:func:`~carzero_viewer.viewer_model.map_view.build_map_view`, so colours, registration (NaN outside the field
of view) and the peak marker agree with the main view and every export. A tile remembers what it drew, so a
refresh that changes nothing costs nothing (drawing one map on a 2128x2000 radiograph takes ~0.1 s).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFrame, QLabel, QVBoxLayout, QWidget

from carzero_viewer.ui.canvas import ImageCanvas
from carzero_viewer.viewer_model.map_view import build_map_view

if TYPE_CHECKING:
    from carzero_viewer.export.heatmap_style import HeatmapStyle
    from carzero_viewer.imaging import ImageRecord
    from carzero_viewer.types import PromptResult

UNTRAINED_MARK = "UNTRAINED"
UNTRAINED_HTML = f' <span style="color:#ef5350; font-weight:bold">{UNTRAINED_MARK}</span>'


def score_text(score: float) -> str:
    """A score as the compare views caption it: three decimals, or a dash when it is not a number."""
    return f"{score:.3f}" if math.isfinite(score) else "—"


class MapTile(QFrame):
    """A rich-text caption over an :class:`ImageCanvas` (its corner text hidden: the caption says it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.canvas = ImageCanvas()
        self.canvas.corners.hide()
        self._drawn: tuple[object, object, int, HeatmapStyle, bool] | None = None
        self._plain = ""
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(2, 2, 2, 2)
        self.column.setSpacing(2)
        self.column.addWidget(self.caption)
        self.column.addWidget(self.canvas, 1)

    def set_record(self, record: ImageRecord) -> None:
        """Show another image (without a map until :meth:`show_map`)."""
        self.canvas.set_record(record)
        self._drawn = None

    def write_caption(self, rich: str, plain: str, tooltip: str) -> None:
        """Set the caption (rich text), what it reads as plain text, and its tooltip."""
        self.caption.setText(rich)
        self.caption.setToolTip(tooltip)
        self._plain = plain

    def caption_text(self) -> str:
        """The caption as plain text (what the user reads)."""
        return self._plain

    def clear_record(self) -> None:
        """Show no image (and so no map)."""
        self.canvas.clear_record()
        self._drawn = None

    def show_map(self, result: PromptResult, slot: int, style: HeatmapStyle, untrained: bool) -> bool:
        """Draw ``result``'s prompt map (``slot < 0``) or word map ``slot`` on the tile's image.

        Returns:
            False when there is no image or the map does not match its size (a result of another image).
        """
        record = self.canvas.record()
        if record is None:
            return False
        drawn = self._drawn
        if (
            drawn is not None
            and drawn[0] is result
            and drawn[1] is record
            and drawn[2:] == (slot, style, untrained)
        ):
            return True
        view = build_map_view(result, slot, style, untrained)
        if view.values.shape != record.shape[:2]:
            return False
        self.canvas.set_heatmap(view.values, style)
        self.canvas.set_field_of_view(view.field_of_view if style.show_field_of_view else None)
        self.canvas.set_marker(view.peak)
        self._drawn = (result, record, slot, style, untrained)
        return True

    def clear_map(self) -> None:
        """No map on the image (no result for it yet)."""
        self.canvas.set_heatmap(None, self.canvas.heatmap_style())
        self.canvas.set_field_of_view(None)
        self.canvas.set_marker(None)
        self._drawn = None


def open_beside(dialog: QDialog, parent: QWidget, title: str) -> None:
    """Make ``dialog`` a non-modal compare window sized to fit ``parent``'s screen (a 1024x700 one included)
    rather than overflow it; it can then sit beside the main window or on a second screen."""
    dialog.setWindowTitle(title)
    dialog.setModal(False)
    screen = parent.screen().availableGeometry()
    dialog.resize(min(1200, int(screen.width() * 0.9)), min(800, int(screen.height() * 0.9)))
