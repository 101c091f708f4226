"""The persistent "is this an image the model can read?" warning, shown above the canvas and in the scores panel.

The verdict is :func:`carzero_viewer.imaging.check_applicability` of the shown record (the one check the CLI
and every export use too). It is a warning, never a refusal: the image is scored all the same. Unlike a
notification it neither times out nor can be closed, because it describes the image on screen and every score
and map of it; it hides itself for an image the check finds no reason to warn about. The text wraps, so it
stays readable in a narrow window instead of being clipped. Reasons quote values from the file, so they are
HTML-escaped before they reach the rich-text label.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

TITLE = (
    "Not what the model was trained on (frontal chest radiographs): scores and maps of this image may mean "
    "nothing. It is scored anyway."
)
STYLE = "QLabel { background: #ef6c00; color: black; font-size: 13px; padding: 4px 8px; }"


def warning_html(reasons: Sequence[str]) -> str:
    """The title in bold, then one escaped line per reason."""
    lines = "".join(f"<br>&bull; {html.escape(reason)}" for reason in reasons)
    return f"<b>{html.escape(TITLE)}</b>{lines}"


class ApplicabilityBanner(QLabel):
    """An orange, word-wrapped label listing why the model may not read the shown image; hidden when it can."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("applicabilityBanner")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setStyleSheet(STYLE)
        self.setVisible(False)
        self._reasons: tuple[str, ...] = ()

    def show_reasons(self, reasons: Sequence[str]) -> None:
        """Show ``reasons`` (the applicability check's), or hide the banner when there are none."""
        self._reasons = tuple(reasons)
        self.setText(warning_html(self._reasons) if self._reasons else "")
        self.setVisible(bool(self._reasons))

    def reasons(self) -> tuple[str, ...]:
        return self._reasons
