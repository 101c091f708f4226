"""The scores table: numeric sort, 3 decimals, tooltips, selection, negation contrast, untrained marker."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from carzero_viewer.inference.prompts import EMPTY_FLAG, TRUNCATED_FLAG, process_prompt
from carzero_viewer.model.preprocessing import prepare
from carzero_viewer.types import ProcessedPrompt, PromptResult
from carzero_viewer.ui.scores_panel import (
    BAR_COLUMN,
    BAR_ROLE,
    NEGATION_COLUMN,
    NEGATION_HEADER,
    PROMPT_COLUMN,
    SCORE_COLUMN,
    UNTRAINED_SUFFIX,
    ScoresPanel,
    negation_of,
    two_way_softmax,
)

pytestmark = pytest.mark.gui

GEOMETRY = prepare(np.zeros((300, 260), np.uint8)).geometry


def result(
    typed: str, score: float, prompt: ProcessedPrompt | None = None, truncated: bool = False
) -> PromptResult:
    prompt = prompt or ProcessedPrompt(typed=typed, text=typed, cleaned=typed.lower(), templated=False)
    grid = np.zeros((14, 14), np.float32)
    return PromptResult(
        prompt=prompt,
        words=("[CLS]", typed, "[SEP]"),
        truncated=truncated,
        score=score,
        i2t=score + 0.25,
        t2i=score - 0.25,
        grounding_map=grid,
        word_attention=np.zeros(98, np.float32),
        word_maps=np.zeros((3, 14, 14), np.float32),
        padding_word_map=grid,
        geometry=GEOMETRY,
    )


def column(panel: ScoresPanel, col: int) -> list[str]:
    return [panel.table.item(r, col).text() for r in range(panel.table.rowCount())]


@pytest.fixture
def panel(qtbot) -> ScoresPanel:
    widget = ScoresPanel()
    qtbot.addWidget(widget)
    return widget


def test_rows_start_sorted_by_score_with_three_decimals_and_a_relative_bar(panel) -> None:
    panel.set_results([result("low", -1.23456), result("high", 2.5), result("mid", 0.0)])
    table = panel.table
    assert panel.shown_prompts() == ["high", "mid", "low"]
    assert column(panel, SCORE_COLUMN) == ["2.500", "0.000", "-1.235"]
    assert table.item(0, BAR_COLUMN).data(BAR_ROLE) == pytest.approx(1.0)
    assert table.item(1, BAR_COLUMN).data(BAR_ROLE) == pytest.approx(1.23456 / 3.73456)
    assert table.item(2, BAR_COLUMN).data(BAR_ROLE) == pytest.approx(0.0)
    tooltip = table.item(0, SCORE_COLUMN).toolTip()
    assert "Official CARZero score = (i2t + t2i) / 2" in tooltip
    assert "not a calibrated probability" in tooltip
    assert "i2t = 2.750, t2i = 2.250" in tooltip
    assert "raw logit" in table.horizontalHeaderItem(SCORE_COLUMN).toolTip()


def test_header_click_sorts_numerically_not_as_text(panel, qtbot) -> None:
    panel.set_results(
        [result("nine", 9.0), result("ten", 10.0), result("minus two", -2.0), result("one", 1.0)]
    )
    panel.show()
    qtbot.waitExposed(panel)
    header = panel.table.horizontalHeader()
    x = header.sectionViewportPosition(SCORE_COLUMN) + header.sectionSize(SCORE_COLUMN) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    ascending = column(panel, SCORE_COLUMN)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    descending = column(panel, SCORE_COLUMN)
    assert sorted([ascending, descending]) == [
        ["-2.000", "1.000", "9.000", "10.000"],
        ["10.000", "9.000", "1.000", "-2.000"],
    ]
    panel.table.sortByColumn(SCORE_COLUMN, Qt.SortOrder.AscendingOrder)
    assert column(panel, SCORE_COLUMN) == ["-2.000", "1.000", "9.000", "10.000"]
    assert panel.shown_prompts() == ["minus two", "one", "nine", "ten"]
    # The chosen order survives new results.
    panel.set_results([result("a", 3.0), result("b", -3.0)])
    assert panel.shown_prompts() == ["b", "a"]


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
    panel.table.sortByColumn(SCORE_COLUMN, Qt.SortOrder.AscendingOrder)
    assert panel.selected_prompt() == "a"  # selection follows the row, not the row number
    with qtbot.waitSignal(panel.prompt_selected) as blocker:
        panel.select_prompt("c")
    assert blocker.args == ["c"]


def test_clear_and_status(panel) -> None:
    panel.set_results([result("a", 1.0)])
    panel.set_status("Scoring…")
    assert panel.status_label.text() == "Scoring…"
    panel.clear("No prompt enabled")
    assert panel.table.rowCount() == 0
    assert panel.status_label.text() == "No prompt enabled"
    assert panel.selected_prompt() is None


def test_two_way_softmax_is_exact_and_stable() -> None:
    assert two_way_softmax(0.0, 0.0) == 0.5
    assert two_way_softmax(3.7, 3.7) == 0.5
    assert two_way_softmax(1000.0, 999.0) == pytest.approx(1 / (1 + math.exp(-1)))
    assert two_way_softmax(-1000.0, -999.0) == pytest.approx(1 / (1 + math.exp(1)))
    assert two_way_softmax(1e6, -1e6) == 1.0
    assert two_way_softmax(-1e6, 1e6) == 0.0
    assert two_way_softmax(2.0, 1.0) + two_way_softmax(1.0, 2.0) == pytest.approx(1.0)
    assert math.isnan(two_way_softmax(math.nan, 1.0))


@pytest.mark.parametrize(
    ("typed", "template", "expected"),
    [
        ("Pneumothorax", "There is {}.", "There is no pneumothorax."),
        ("pleural effusion.", "There is {}.", "There is no pleural effusion."),
        ("Edema", "Findings suggest {}.", "There is no edema."),
        ("Nodules", "There are {} seen.", "There are no nodules seen."),
        ("There is pneumothorax.", "There is {}.", "There is no pneumothorax."),
        ("There is a lung nodule.", "There is {}.", "There is no lung nodule."),
        ("there are  bilateral effusions.", "There is {}.", "there are no bilateral effusions."),
        ("There is no pneumothorax.", "There is {}.", "There is pneumothorax."),
        ("The heart size is enlarged.", "There is {}.", "No evidence of: The heart size is enlarged."),
        (
            "Heart is enlarged.",
            "There is {}.",
            "No evidence of: Heart is enlarged.",
        ),  # a sentence: not templated
        ("Heart enlarged.", "There is {}.", "There is no heart enlarged."),  # bare: templated
        ("Thereis nothing", "There is {}.", "There is no thereis nothing."),
    ],
)
def test_negation_of(typed: str, template: str, expected: str) -> None:
    assert negation_of(typed, template) == expected


def test_negation_mode_adds_a_softmax_column(panel, qtbot) -> None:
    assert not panel.negation_mode()
    assert panel.table.isColumnHidden(NEGATION_COLUMN)
    with qtbot.waitSignal(panel.negation_mode_changed) as blocker:
        panel.negation_checkbox.setChecked(True)
    assert blocker.args == [True]
    assert panel.negation_mode()
    assert not panel.table.isColumnHidden(NEGATION_COLUMN)
    header = panel.table.horizontalHeaderItem(NEGATION_COLUMN)
    assert header.text() == NEGATION_HEADER == "P(pos vs neg)"
    assert "two-way softmax of two raw scores" in header.toolTip().lower()
    assert "not a calibrated probability" in header.toolTip()

    positives = [result("Pneumothorax", 2.0), result("Edema", 0.5), result("Mass", 1.0)]
    negations = {
        "Pneumothorax": result(negation_of("Pneumothorax", "There is {}."), 2.0),
        "Edema": result(negation_of("Edema", "There is {}."), -0.5),
    }
    panel.set_results(positives, negations)
    by_prompt = dict(zip(panel.shown_prompts(), column(panel, NEGATION_COLUMN), strict=True))
    assert by_prompt["Pneumothorax"] == "50.0 %"
    assert by_prompt["Edema"] == f"{100 / (1 + math.exp(-1)):.1f} %"
    assert by_prompt["Mass"] == "—"
    row = panel.shown_prompts().index("Edema")
    assert "There is no edema." in panel.table.item(row, NEGATION_COLUMN).toolTip()
    # Numeric sort on the percentage, unscored negations last when descending.
    panel.table.sortByColumn(NEGATION_COLUMN, Qt.SortOrder.DescendingOrder)
    assert panel.shown_prompts() == ["Edema", "Pneumothorax", "Mass"]
    with qtbot.waitSignal(panel.negation_mode_changed) as blocker:
        panel.set_negation_mode(False)
    assert blocker.args == [False]
    assert panel.table.isColumnHidden(NEGATION_COLUMN)


def test_untrained_marker_greys_and_italicises_scores(panel) -> None:
    panel.set_results([result("a", 1.0), result("b", 2.0)])
    assert UNTRAINED_SUFFIX not in panel.title_label.text()
    panel.set_untrained(True)
    assert "(UNTRAINED DEMO MODEL — outputs are meaningless)" in panel.title_label.text()
    item = panel.table.item(0, SCORE_COLUMN)
    assert item.font().italic()
    assert item.foreground().color().name() == "#808080"
    panel.set_results([result("c", 0.0)])  # new rows keep the marker
    assert panel.table.item(0, SCORE_COLUMN).font().italic()
    panel.set_untrained(False)
    assert UNTRAINED_SUFFIX not in panel.title_label.text()
    assert not panel.table.item(0, SCORE_COLUMN).font().italic()


def test_prompt_column_stays_readable_with_the_negation_column(panel, qtbot) -> None:
    typed = "There is pleural effusion."
    panel.resize(420, 400)  # the right dock's width in the default window
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_results([result(typed, 1.0)], {typed: result("There is no pleural effusion.", 0.5)})
    panel.set_negation_mode(True)
    qtbot.wait(10)
    needed = panel.table.fontMetrics().horizontalAdvance(typed)
    assert panel.table.columnWidth(PROMPT_COLUMN) >= needed + 10


def test_an_altered_prompt_shows_what_the_model_reads(panel) -> None:
    typed = "There is a 2.5 cm nodule."
    panel.set_results(
        [
            result(typed, 1.0, process_prompt(typed)),
            result("There is edema.", 0.0, process_prompt("There is edema.")),
        ]
    )
    cell = panel.table.item(0, PROMPT_COLUMN).text()
    assert cell == "There is a 2.5 cm nodule.\u2028→ reads 'there is a 5 cm nodule'"
    assert panel.table.rowHeight(0) > 1.5 * panel.table.rowHeight(1)  # the second line is shown
    panel.select_prompt(typed)
    assert "model reads: 'there is a 5 cm nodule'" in panel.reading()
    assert "'2.'" in panel.reading() and panel.reading_label.isVisibleTo(panel)
    panel.select_prompt("There is edema.")
    assert panel.reading() == ""


def test_a_dot_and_a_truncated_prompt_are_flagged_like_the_cli(panel) -> None:
    long = "There is effusion and effusion."
    panel.set_results(
        [result(".", 1.0, process_prompt(".")), result(long, 0.5, process_prompt(long), truncated=True)]
    )
    assert panel.table.item(0, PROMPT_COLUMN).text() == "⚠ .\u2028→ reads nothing"
    assert panel.table.item(1, PROMPT_COLUMN).text().startswith(f"⚠ {long}")
    assert panel.status_label.text() == f"2 prompt(s) scored; ⚠ 1 {EMPTY_FLAG}; ⚠ 1 {TRUNCATED_FLAG}"
    panel.select_prompt(".")
    assert panel.reading().startswith(f"⚠ {EMPTY_FLAG} · model reads: nothing")
    panel.select_prompt(long)
    assert f"⚠ {TRUNCATED_FLAG}" in panel.reading()
