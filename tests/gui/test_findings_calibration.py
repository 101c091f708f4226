"""Findings and calibration in the widgets: a finding is one row with its mean and spread, a profile shows
probabilities in [0, 1] rising with the score, a profile for other weights is refused with a notification,
the reliability dialog draws two plots, and the negation caveat is visible."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from carzero_viewer.findings import Finding, FindingResult, PhrasingScore, Spread
from carzero_viewer.settings import Settings
from carzero_viewer.ui.calibration_controls import ABOVE_MARK
from carzero_viewer.ui.calibration_dialog import ReliabilityDialog
from carzero_viewer.ui.prompt_panel import PromptPanel
from carzero_viewer.ui.scores_panel import (
    BAR_COLUMN,
    CALIBRATED_COLUMN,
    NEGATION_CAVEAT,
    PROMPT_COLUMN,
    ScoresPanel,
)
from carzero_viewer.viewer_model import ModelState
from carzero_viewer.viewer_model.calibration import RAW_SCORE_MEANING, Calibration
from carzero_viewer.viewer_model.findings import finding_key
from tests.gui.test_scores_panel import result as _result
from tests.profiles import SHA, make_profile, write_test_profile

pytestmark = pytest.mark.gui
EFFUSION = Finding("Effusion", ("There is pleural effusion.", "There is fluid in the pleural space."))


@pytest.fixture
def scores(qtbot) -> ScoresPanel:
    panel = ScoresPanel()
    qtbot.addWidget(panel)
    return panel


def test_a_finding_is_one_row_with_mean_and_spread(scores: ScoresPanel) -> None:
    key = finding_key("Effusion")
    aggregate = FindingResult(
        "Effusion",
        1.0,
        (PhrasingScore(EFFUSION.phrasings[0], 1.5), PhrasingScore(EFFUSION.phrasings[1], 0.5)),
        Spread(0.5, 1.5, 0.5),
    )
    scores.set_results([_result(key, 1.0), _result("Cardiomegaly", -1.0)], findings={key: aggregate})
    assert scores.shown_prompts() == [key, "Cardiomegaly"]
    cell = scores.table.item(0, PROMPT_COLUMN)
    assert cell.text() == "Effusion\u20282 phrasings: 0.50 to 1.50"
    assert EFFUSION.phrasings[1] in cell.toolTip() and "0.500" in cell.toolTip()
    assert scores.table.item(0, BAR_COLUMN).text() == "1st of 2"
    assert scores.calibration.caption.text() == RAW_SCORE_MEANING and scores.calibration.caption.isVisibleTo(
        scores
    )
    assert scores.table.isColumnHidden(CALIBRATED_COLUMN)


def test_profile_probabilities_are_in_0_1_and_rise_with_the_score(scores: ScoresPanel) -> None:
    calibration = Calibration()
    calibration._profile = make_profile({"Effusion": EFFUSION.phrasings})
    raw = [-4.0, -1.0, 0.0, 0.5, 2.0, 6.0]
    typed = [f"row {i}" for i in range(len(raw))]
    rows = {t: calibration.row("Effusion", EFFUSION.phrasings, s) for t, s in zip(typed, raw, strict=True)}
    scores.set_profile(calibration.provenance(), calibration.point, True)
    scores.set_results([_result(t, s) for t, s in zip(typed, raw, strict=True)], calibration=rows)
    assert not scores.table.isColumnHidden(CALIBRATED_COLUMN) and scores.table.isColumnHidden(BAR_COLUMN)
    texts = [scores.calibrated_text(t) for t in typed]
    probabilities = [float(text.split()[0]) for text in texts]
    assert all(0.0 <= p <= 1.0 for p in probabilities) and probabilities == sorted(probabilities)
    assert ABOVE_MARK in texts[-1] and ABOVE_MARK not in texts[0]
    assert "UNTRAINED" in scores.calibration.caption.text()
    tooltip = scores.table.item(0, CALIBRATED_COLUMN).toolTip()
    assert SHA in tooltip and "labels.csv" in tooltip
    scores.set_results([_result("other", 0.0)], calibration={"other": calibration.row("other", ("o",), 0.0)})
    assert scores.calibrated_text("other") == "not calibrated"
    assert "not in the profile" in scores.table.item(0, CALIBRATED_COLUMN).toolTip()


def test_negation_caveat_is_visible_when_switched_on(scores: ScoresPanel) -> None:
    assert NEGATION_CAVEAT in scores.negation_checkbox.toolTip()
    assert not scores.negation_note.isVisibleTo(scores)
    scores.set_negation_mode(True)
    assert scores.negation_note.isVisibleTo(scores) and "AUROC 0.43" in scores.negation_note.text()


def test_prompt_panel_adds_a_finding_as_one_read_only_row(qtbot) -> None:
    panel = PromptPanel()
    qtbot.addWidget(panel)
    panel.set_prompts(["Cardiomegaly"])
    seen: list[object] = []
    panel.finding_added.connect(lambda f: seen.append(("finding", f)))
    panel.prompts_changed.connect(lambda enabled: seen.append(("prompts", enabled)))
    assert panel.add_finding(EFFUSION)
    key = finding_key("Effusion")
    assert seen == [("finding", EFFUSION), ("prompts", ["Cardiomegaly", key])]  # the model learns it first
    assert panel.reading(1) == "finding: mean of 2 phrasings"
    item = panel.list_widget.item(1)
    assert not item.flags() & Qt.ItemFlag.ItemIsEditable
    assert EFFUSION.phrasings[1] in item.toolTip()
    assert not panel.add_finding(EFFUSION)  # listed once


def test_reliability_dialog_draws_two_plots(qtbot) -> None:
    fit = make_profile({"Effusion": EFFUSION.phrasings}).finding("Effusion")
    dialog = ReliabilityDialog(fit, "youden", True, "Calibration profile: p.json")
    qtbot.addWidget(dialog)
    plots = dialog.plots()
    assert len(plots) == 2 and all(not p.isNull() and p.width() > 200 for p in plots)
    assert "sigmoid(" in dialog.details.text() and "youden" in dialog.details.text()


def test_window_restores_listed_findings_and_the_profile(open_window, tmp_path: Path) -> None:
    key = finding_key("Effusion")
    path = write_test_profile(tmp_path / "kept.json", {"Effusion": EFFUSION.phrasings})
    extra = {"findings": {"Effusion": list(EFFUSION.phrasings)}, "calibration_profile": str(path)}
    window = open_window(
        Settings(prompts=["Cardiomegaly", key], extra={**extra, "operating_point": "youden"})
    )
    assert window.model.prompts.finding(key) == EFFUSION
    assert window.prompt_panel.reading(1) == "finding: mean of 2 phrasings"
    assert window.model.calibration.profile is not None and window.scores_panel.calibration.isVisibleTo(
        window
    )
    window.scores_panel.calibration.point_combo.setCurrentText("sensitivity_0.95")
    assert window.model.calibration.point == "sensitivity_0.95"
    assert window.settings.extra["operating_point"] == "sensitivity_0.95"
    assert "at or above sensitivity_0.95" in window.scores_panel.calibration.caption.text()


def test_window_ignores_damaged_findings_in_the_settings(open_window) -> None:
    window = open_window(Settings(prompts=["Finding: X"], extra={"findings": {"X": [1, 2]}}))
    assert window.model.prompts.findings == {} and window.prompt_panel.all_prompts() == ["Finding: X"]


def test_window_refuses_a_profile_of_other_weights(open_window, tmp_path: Path) -> None:
    window = open_window()
    path = write_test_profile(tmp_path / "other-weights.json", {"Effusion": EFFUSION.phrasings})
    assert window.calibration_view.load_profile(path)  # no model yet: checked when one loads
    assert window.settings.extra["calibration_profile"] == str(path)
    other = "cd" * 32
    window.model.model_loaded(ModelState("w.pt", other[:12], "untrained", "", "cpu", True, sha256=other))
    assert window.model.calibration.profile is None
    [message] = window.notifications.messages()
    assert "other-weights.json" in message and "SHA-256" in message and "\n" not in message
    assert window.settings.extra["calibration_profile"] == ""
    assert not window.calibration_view.load_profile(path)  # and refused at once with a model loaded
    assert window.model.calibration.profile is None


def test_window_refuses_a_malformed_profile(open_window, tmp_path: Path) -> None:
    window = open_window()
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")
    window.settings.extra["calibration_profile"] = str(path)  # remembered, then damaged
    assert not window.calibration_view.load_profile(path)
    [message] = window.notifications.messages()
    assert "broken.json" in message
    assert window.settings.extra["calibration_profile"] == ""
