"""The scores table: sorted by score, 3 decimals, explanatory tooltip, selection reports the prompt."""

from __future__ import annotations

import numpy as np
import pytest

from carzero_viewer.types import ModelInputGeometry, ProcessedPrompt, PromptResult
from carzero_viewer.ui.scores_panel import BAR_ROLE, ScoresPanel

pytestmark = pytest.mark.gui

GEOMETRY = ModelInputGeometry((256, 256), (256, 256), (0, 0), 256, (16, 16), 224)


def result(typed: str, score: float) -> PromptResult:
    prompt = ProcessedPrompt(typed=typed, text=typed, cleaned=typed.lower(), templated=False)
    grid = np.zeros((14, 14), np.float32)
    return PromptResult(
        prompt=prompt,
        words=("[CLS]", typed, "[SEP]"),
        truncated=False,
        score=score,
        i2t=score + 0.1,
        t2i=score - 0.1,
        grounding_map=grid,
        word_attention=np.zeros(98, np.float32),
        word_maps=np.zeros((3, 14, 14), np.float32),
        padding_word_map=grid,
        geometry=GEOMETRY,
    )


@pytest.fixture
def panel(qtbot) -> ScoresPanel:
    widget = ScoresPanel()
    qtbot.addWidget(widget)
    return widget


def test_rows_are_sorted_with_three_decimals_and_a_relative_bar(panel) -> None:
    panel.set_results([result("low", -1.23456), result("high", 2.5), result("mid", 0.0)])
    table = panel.table
    assert [table.item(r, 0).text() for r in range(3)] == ["high", "mid", "low"]
    assert [table.item(r, 1).text() for r in range(3)] == ["2.500", "0.000", "-1.235"]
    assert table.item(0, 1).data(BAR_ROLE) == pytest.approx(1.0)
    assert table.item(2, 1).data(BAR_ROLE) == pytest.approx(0.0)
    tooltip = table.item(0, 1).toolTip()
    assert "(i2t+t2i)/2" in tooltip
    assert "not a probability" in tooltip
    assert "raw logit" in table.horizontalHeaderItem(1).toolTip()


def test_top_row_is_selected_by_default_and_kept_across_updates(panel, qtbot) -> None:
    with qtbot.waitSignal(panel.prompt_selected) as blocker:
        panel.set_results([result("a", 1.0), result("b", 2.0)])
    assert blocker.args == ["b"]
    with qtbot.waitSignal(panel.prompt_selected) as blocker:
        panel.table.selectRow(1)
    assert blocker.args == ["a"]
    panel.set_results([result("a", 1.5), result("b", 0.5), result("c", 0.1)], keep=panel.selected_prompt())
    assert panel.selected_prompt() == "a"
    assert panel.result_for("c") is not None
    assert panel.result_for("zzz") is None


def test_clear_empties_the_table(panel) -> None:
    panel.set_results([result("a", 1.0)])
    panel.clear("No prompt enabled")
    assert panel.table.rowCount() == 0
    assert panel.status_label.text() == "No prompt enabled"
    assert panel.selected_prompt() is None
