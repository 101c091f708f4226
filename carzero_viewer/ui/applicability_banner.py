"""The persistent "is this an image the model can read?" warning, shown above the canvas and in the scores panel.

The verdict is :func:`carzero_viewer.imaging.check_applicability` of the shown record (the one check the CLI
and every export use too). It is a warning, never a refusal: the image is scored all the same. Unlike a
notification it neither times out nor can be closed, because it describes the image on screen and every score
and map of it; it hides itself for an image the check finds no reason to warn about. The text wraps, so it
stays readable in a narrow window instead of being clipped. Reasons quote values from the file, so they are
HTML-escaped before they reach the rich-text label.

Space on screen is the image's, so the banner lists the *head* of each reason (the sentence up to its first
": " or "; ", which names what was found, e.g. "Modality is MR (magnetic resonance), not a radiograph
(CR/DX)"; the rest explains it and repeats the title), one per line, with the full sentences in the tooltip
(the exports carry them in full). In the narrow scores panel it is *compact*: the heads follow a short title
on the same lines, and the label keeps its height when the panel is short (the table scrolls instead).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

TITLE = "Not what the model was trained on (frontal chest radiographs): scores and maps may mean nothing"
COMPACT_TITLE = "Not what the model was trained on:"
STYLE = "QLabel { background: #ef6c00; color: black; font-size: 13px; padding: 4px 8px; }"


def warning_html(reasons: Sequence[str], heads: bool = False) -> str:
    """The title in bold, then one escaped line per reason (its head only with ``heads``)."""
    lines = "".join(f"<br>&bull; {html.escape(reason_head(r) if heads else r)}" for r in reasons)
    return f"<b>{html.escape(TITLE)}</b>{lines}"


def reason_head(reason: str) -> str:
    """What a reason found, without its explanation: the text before its first ": " or "; "."""
    cuts = [index for index in (reason.find(": "), reason.find("; ")) if index > 0]
    return reason[: min(cuts)] if cuts else reason


def compact_html(reasons: Sequence[str]) -> str:
    """The compact title in bold, then the head of each reason, escaped, separated by "; "."""
    heads = "; ".join(html.escape(reason_head(reason)) for reason in reasons)
    return f"<b>{html.escape(COMPACT_TITLE)}</b> {heads}"


class ApplicabilityBanner(QLabel):
    """An orange, word-wrapped label listing why the model may not read the shown image; hidden when it can.

    Args:
        compact: list only the head of each reason (the full sentences go to the tooltip).
    """

    def __init__(self, parent: QWidget | None = None, compact: bool = False) -> None:
        super().__init__(parent)
        self._compact = compact
        if compact:
            self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setObjectName("applicabilityBanner")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setStyleSheet(STYLE)
        self.setVisible(False)
        self._reasons: tuple[str, ...] = ()

    def show_reasons(self, reasons: Sequence[str]) -> None:
        """Show ``reasons`` (the applicability check's), or hide the banner when there are none."""
        self._reasons = tuple(reasons)
        if not self._reasons:
            self.setText("")
        else:
            self.setText(compact_html(self._reasons) if self._compact else warning_html(self._reasons, True))
        self.setToolTip(warning_html(self._reasons) if self._reasons else "")
        self.setVisible(bool(self._reasons))

    def reasons(self) -> tuple[str, ...]:
        return self._reasons
