"""The reliability diagram and the ROC curve of one calibrated finding, as matplotlib figures (no pyplot).

Drawn from what the profile stores (:class:`~carzero_viewer.calibration.FindingCalibration`), so the viewer's
"Reliability…" dialog shows the fit the profile was made with, not a recomputation:

* reliability: observed share of positives against the mean predicted probability per equal-mass bin, before
  calibration (``sigmoid(raw score)``, the raw logit read as log-odds) and after (cross-validated Platt
  probabilities), with the diagonal of perfect calibration and each curve's ECE in the legend;
* ROC: the stored empirical curve, its AUROC with the bootstrap interval, and the operating points
  ``(1 - specificity, sensitivity)``, the chosen one highlighted.

Figures are rendered with the Agg canvas into PNG bytes (:func:`figure_png`), which any front end can show.
A profile fitted on untrained weights gets the same red stamp as the eval report.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure

from carzero_viewer.calibration import FindingCalibration

FIGURE_SIZE = (4.6, 4.0)  # inches; 100 dpi -> a 460 x 400 px image per plot
DPI = 100
UNTRAINED_STAMP = "UNTRAINED WEIGHTS \u2014 meaningless"


def _stamp(figure: Figure, untrained: bool) -> None:
    if untrained:
        figure.text(
            0.5, 0.5, UNTRAINED_STAMP, color="red", alpha=0.35, fontsize=14, weight="bold",
            ha="center", va="center", rotation=20, transform=figure.transFigure,
        )  # fmt: skip


def reliability_figure(finding: FindingCalibration, untrained: bool) -> Figure:
    """Observed against predicted probability per bin, before and after calibration."""
    figure = Figure(figsize=FIGURE_SIZE, dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], ":", color="grey", label="perfectly calibrated")
    for table, label, style in (
        (finding.before, "before: sigmoid(raw score)", "o--"),
        (finding.after, "after: Platt, held out", "s-"),
    ):
        axes.plot(table.predicted, table.observed, style, label=f"{label} (ECE {table.ece:.3f})")
    axes.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="predicted probability (bin mean)",
        ylabel="observed share of positives",
        title=f"Reliability: {finding.name} ({finding.n_positive}+ / {finding.n_negative}\u2212)",
    )
    axes.legend(loc="upper left", fontsize="small")
    _stamp(figure, untrained)
    return figure


def roc_figure(finding: FindingCalibration, chosen: str, untrained: bool) -> Figure:
    """The stored ROC curve with every operating point, ``chosen`` highlighted."""
    figure = Figure(figsize=FIGURE_SIZE, dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    fpr, tpr = finding.roc
    low, high = finding.auroc_ci
    axes.plot([0, 1], [0, 1], ":", color="grey")
    axes.plot(fpr, tpr, "-", label=f"AUROC {finding.auroc:.3f} (95% CI {low:.3f}\u2013{high:.3f})")
    for point in finding.points:
        marker = "*" if point.name == chosen else "o"
        size = 14 if point.name == chosen else 6
        axes.plot(
            [1 - point.specificity],
            [point.sensitivity],
            marker,
            markersize=size,
            label=f"{point.name}: score \u2265 {point.threshold:.3f}",
        )
    axes.set(
        xlim=(0, 1),
        ylim=(0, 1.02),
        xlabel="1 \u2212 specificity",
        ylabel="sensitivity",
        title=f"ROC: {finding.name}",
    )
    axes.legend(loc="lower right", fontsize="x-small")
    _stamp(figure, untrained)
    return figure


def figure_png(figure: Figure) -> bytes:
    """``figure`` rendered to PNG bytes with the Agg canvas (no display, no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
