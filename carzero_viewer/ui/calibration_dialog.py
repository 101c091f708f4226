"""The "Reliability…" dialog: one calibrated finding's reliability diagram (before/after) and ROC curve.

The figures are drawn by :mod:`carzero_viewer.export.calibration_plots` (matplotlib, Agg, no pyplot) from
what the profile stores, and shown here as images; the text under them gives the Platt fit, the chosen
operating point with its intervals and the profile's provenance.
"""

from __future__ import annotations

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from carzero_viewer.calibration import FindingCalibration
from carzero_viewer.export.calibration_plots import figure_png, reliability_figure, roc_figure


def _pixmap(png: bytes) -> QPixmap:
    pixmap = QPixmap()
    pixmap.loadFromData(png, "PNG")
    return pixmap


def _details(finding: FindingCalibration, point: str) -> str:
    platt = finding.platt
    lines = [
        f"probability = sigmoid({platt.slope:.4g} \u00d7 raw score + {platt.intercept:.4g})"
        + (" (slope clamped at 0: scores ran the wrong way)" if platt.clamped else ""),
        f"phrasings: {'; '.join(finding.phrasings)}",
    ]
    chosen = finding.point(point)
    if chosen is not None:
        lines.append(
            f"{point}: raw score \u2265 {chosen.threshold:.3f}; sensitivity {chosen.sensitivity:.2f} "
            f"({chosen.sensitivity_ci[0]:.2f}\u2013{chosen.sensitivity_ci[1]:.2f}), specificity "
            f"{chosen.specificity:.2f} ({chosen.specificity_ci[0]:.2f}\u2013{chosen.specificity_ci[1]:.2f})"
        )
    return "\n".join(lines)


class ReliabilityDialog(QDialog):
    """The two plots of ``finding`` and what they rest on."""

    def __init__(
        self,
        finding: FindingCalibration,
        point: str,
        untrained: bool,
        provenance: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reliabilityDialog")
        self.setWindowTitle(f"Reliability \u2014 {finding.name}")
        self.reliability_plot = QLabel()
        self.reliability_plot.setPixmap(_pixmap(figure_png(reliability_figure(finding, untrained))))
        self.roc_plot = QLabel()
        self.roc_plot.setPixmap(_pixmap(figure_png(roc_figure(finding, point, untrained))))
        plots = QHBoxLayout()
        plots.addWidget(self.reliability_plot)
        plots.addWidget(self.roc_plot)
        self.details = QLabel(_details(finding, point))
        self.details.setWordWrap(True)
        self.provenance = QLabel(provenance)
        self.provenance.setWordWrap(True)
        self.provenance.setStyleSheet("color: #555;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(plots)
        layout.addWidget(self.details)
        layout.addWidget(self.provenance)
        layout.addWidget(buttons)

    def plots(self) -> list[QPixmap]:
        """The two drawn plots (reliability, ROC)."""
        return [self.reliability_plot.pixmap(), self.roc_plot.pixmap()]
