"""The scores table's calibration parts: operating-point chooser, "Reliability…" button, caption and cells.

Without a profile the table's "Relative" column ranks each row among the image's rows ("2nd of 6",
:data:`RANK_TOOLTIP`) and the caption over the table says what a raw logit means
(:data:`~carzero_viewer.viewer_model.calibration.RAW_SCORE_MEANING`, visible, not only a tooltip). With a
profile a probability column takes the rank's place: the calibrated probability, ``▲`` when the raw score
reaches the chosen operating point, or "not calibrated" with the reason; the caption names the profile (and
UNTRAINED weights) and every cell's tooltip carries its provenance. Kept apart from
:mod:`carzero_viewer.ui.scores_panel` so that module stays one table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from carzero_viewer.calibration import DEFAULT_POINT, POINTS
from carzero_viewer.findings import FindingResult
from carzero_viewer.viewer_model.calibration import RAW_SCORE_MEANING, RowCalibration, rank_text

PROBABILITY_HEADER = "P calib."
RANK_TOOLTIP = "Rank: the row's place among this image's rows by raw score (1st = highest)."
PROBABILITY_TOOLTIP = (
    "Calibrated probability from the loaded profile: sigmoid(slope x raw score + intercept), fitted on the "
    "profile's labelled images; it holds for data like those. \u25b2 = at or above the chosen operating point."
)
ABOVE_MARK = "\u25b2"


@dataclass(frozen=True)
class Cell:
    """What the last column shows for one row: text, numeric sort key (NaN sorts last) and tooltip."""

    text: str
    sort: float
    tooltip: str


def rank_cell(score: float, scores: list[float]) -> Cell:
    """The rank of ``score`` among the image's ``scores``, sorted by the score."""
    return Cell(rank_text(score, scores), float(score), f"{RANK_TOOLTIP}\n\n{RAW_SCORE_MEANING}")


def calibrated_cell(score: float, calibrated: RowCalibration | None, provenance: str, point: str) -> Cell:
    """The calibrated probability of a row with raw ``score`` under the profile of ``provenance``.

    Args:
        calibrated: what the profile says of the row (None: nothing known, "not calibrated").
    """
    if calibrated is None or calibrated.probability is None:
        reason = calibrated.reason if calibrated is not None else "not calibrated"
        return Cell("not calibrated", math.nan, f"{reason}\n\n{provenance}")
    side = "at or above" if calibrated.above else "below"
    return Cell(
        f"{calibrated.probability:.3f}{f' {ABOVE_MARK}' if calibrated.above else ''}",
        float(calibrated.probability),
        f"{PROBABILITY_TOOLTIP}\nraw score {score:.3f} is {side} the {point} operating point\n\n{provenance}",
    )


def finding_cell_text(finding: FindingResult) -> str:
    """The finding's name, then on a second line its phrasing count and their spread (min–max raw score):
    ``"Effusion\u20282 phrasings: 0.50 to 1.50"`` (each phrasing's score to 3 decimals in the tooltip)."""
    count = len(finding.phrasing_scores)
    spread = f"{finding.spread.min:.2f} to {finding.spread.max:.2f}"  # 2 decimals: fits a narrow dock
    return f"{finding.name}\u2028{count} phrasing{'s' if count != 1 else ''}: {spread}"


def finding_tooltip(finding: FindingResult) -> str:
    """Each phrasing with its raw score, one a line."""
    return "\n".join(f"{p.score:.3f}  {p.text}" for p in finding.phrasing_scores)


class CalibrationControls(QWidget):
    """The point chooser and "Reliability…" (shown with a profile), and the caption over the table."""

    point_changed = Signal(str)
    reliability_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.provenance = ""
        self.point_combo = QComboBox()
        self.point_combo.addItems(list(POINTS))
        self.point_combo.setToolTip("Operating point of the calibration profile whose calls \u25b2 marks")
        self.reliability_button = QPushButton("Reliability\u2026")
        self.reliability_button.setToolTip("Reliability diagram and ROC curve of the selected calibrated row")
        self.caption = QLabel(RAW_SCORE_MEANING)
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: #555;")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Point:"))
        row.addWidget(self.point_combo)
        row.addStretch(1)
        row.addWidget(self.reliability_button)
        self.point_combo.currentTextChanged.connect(self.point_changed)
        self.reliability_button.clicked.connect(self.reliability_clicked)
        self.hide()

    @property
    def point(self) -> str:
        return self.point_combo.currentText() or DEFAULT_POINT

    def set_profile(self, provenance: str, point: str, untrained: bool) -> None:
        """Show the loaded profile (``provenance`` "" when none) in the controls and the caption."""
        self.provenance = provenance
        blocked = self.point_combo.blockSignals(True)
        self.point_combo.setCurrentText(point)
        self.point_combo.blockSignals(blocked)
        self.setVisible(bool(provenance))
        if provenance:
            name = provenance.splitlines()[0].removeprefix("Calibration profile: ")
            warning = " \u00b7 UNTRAINED weights: meaningless" if untrained else ""
            self.caption.setText(f"Profile {name} \u00b7 {ABOVE_MARK} = at or above {point}{warning}")
            self.caption.setToolTip(f"{PROBABILITY_TOOLTIP}\n\n{provenance}")
        else:
            self.caption.setText(RAW_SCORE_MEANING)
            self.caption.setToolTip(
                f"{RAW_SCORE_MEANING} Settings > Calibration profile… gives probabilities."
            )
