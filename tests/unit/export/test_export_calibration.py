"""Figures carry the calibrated probability and its profile when one is loaded, and stay unchanged without;
the reliability and ROC figures of a stored calibration render headless."""

from __future__ import annotations

from carzero_viewer.export.calibration_plots import figure_png, reliability_figure, roc_figure
from carzero_viewer.export.render import LegendInfo, describe_figure, legend_lines
from tests.profiles import make_profile

LINE = "Calibrated probability: 0.731, at or above the youden operating point (profile p.json: ...)"


def test_legend_and_description_carry_the_calibration_line() -> None:
    plain = LegendInfo(typed_prompt="Effusion", score=1.0)
    assert LINE not in [text for text, _ in legend_lines(plain, None)]
    texts = [
        text
        for text, _ in legend_lines(LegendInfo(typed_prompt="Effusion", score=1.0, calibration=LINE), None)
    ]
    assert texts[texts.index(LINE) - 1].startswith("Score: +1.0000")
    described = describe_figure("prompt map", "Effusion", 1.0, "m", False, (), LINE)
    assert LINE in described and "raw logit" in described
    assert "Calibrated" not in describe_figure("prompt map", "Effusion", 1.0, "m", False)


def test_calibration_figures_render_to_png() -> None:
    fit = make_profile({"Effusion": ("There is pleural effusion.",)}).finding("Effusion")
    for figure in (reliability_figure(fit, True), roc_figure(fit, "youden", False)):
        png = figure_png(figure)
        assert png.startswith(b"\x89PNG") and len(png) > 5_000
    labels = [t.get_text() for t in roc_figure(fit, "youden", False).axes[0].get_legend().get_texts()]
    assert labels[0].startswith("AUROC") and len(labels) == 1 + 5  # the curve and the five points
