"""The prompt list: add, edit in place, reorder, toggle, delete, quick-add findings, template and tooltips."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QStyleOptionViewItem

from carzero_viewer.findings import LIBRARIES
from carzero_viewer.inference.prompts import DEFAULT_TEMPLATE, EMPTY_FLAG, TRUNCATED_FLAG
from carzero_viewer.ui.prompt_panel import (
    CHESTXRAY14_LABELS,
    CHEXPERT_COMPETITION_LABELS,
    DEFAULT_PROMPTS,
    PromptPanel,
)

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot) -> PromptPanel:
    widget = PromptPanel()
    qtbot.addWidget(widget)
    widget.set_prompts(list(DEFAULT_PROMPTS[:3]))
    return widget


def quick_add_actions(panel: PromptPanel) -> dict[str, list[str]]:
    menus = [a.menu() for a in panel.quick_add_menu.actions() if a.menu() is not None]
    return {m.title(): [a.text() for a in m.actions()] for m in menus}


def test_default_prompts_are_the_five_sentences() -> None:
    assert len(DEFAULT_PROMPTS) == 5
    assert DEFAULT_PROMPTS[0] == "There is pneumothorax."


def test_enter_adds_an_enabled_prompt(panel, qtbot) -> None:
    qtbot.keyClicks(panel.line_edit, "  lung   nodule ")
    with qtbot.waitSignal(panel.prompts_changed) as blocker:
        qtbot.keyClick(panel.line_edit, Qt.Key.Key_Return)
    assert blocker.args == [[*DEFAULT_PROMPTS[:3], "lung nodule"]]
    assert panel.line_edit.text() == ""
    assert panel.all_prompts()[-1] == "lung nodule"


def test_blank_and_duplicate_prompts_are_refused_with_a_message(panel, qtbot) -> None:
    with qtbot.assertNotEmitted(panel.prompts_changed):
        assert not panel.add_prompt("   ")
        assert not panel.add_prompt(DEFAULT_PROMPTS[0])
        assert not panel.add_prompt("  there IS   pneumothorax. ")  # case and spacing do not make it new
    assert panel.all_prompts() == list(DEFAULT_PROMPTS[:3])
    assert "Already in the list" in panel.message()
    assert not panel.message_label.isHidden()
    qtbot.keyClicks(panel.line_edit, "x")  # typing again clears the message
    assert panel.message() == ""


def test_unchecking_disables_without_removing(panel, qtbot) -> None:
    with qtbot.waitSignal(panel.prompts_changed) as blocker:
        panel.list_widget.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert blocker.args == [list(DEFAULT_PROMPTS[1:3])]
    assert panel.all_prompts() == list(DEFAULT_PROMPTS[:3])
    assert panel.disabled_prompts() == [DEFAULT_PROMPTS[0]]


def test_delete_button_and_delete_key_remove_the_selected_prompt(panel, qtbot) -> None:
    panel.list_widget.setCurrentRow(1)
    with qtbot.waitSignal(panel.prompts_changed) as blocker:
        qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [[DEFAULT_PROMPTS[0], DEFAULT_PROMPTS[2]]]
    panel.show()
    qtbot.waitExposed(panel)
    panel.list_widget.setFocus()
    panel.list_widget.setCurrentRow(0)
    with qtbot.waitSignal(panel.prompts_changed) as blocker:
        qtbot.keyClick(panel.list_widget, Qt.Key.Key_Delete)
    assert blocker.args == [[DEFAULT_PROMPTS[2]]]


def test_move_buttons_reorder_the_enabled_prompts(panel, qtbot) -> None:
    panel.list_widget.setCurrentRow(2)
    assert panel.up_button.isEnabled() and not panel.down_button.isEnabled()
    with qtbot.waitSignal(panel.prompts_changed) as blocker:
        qtbot.mouseClick(panel.up_button, Qt.MouseButton.LeftButton)
    expected = [DEFAULT_PROMPTS[0], DEFAULT_PROMPTS[2], DEFAULT_PROMPTS[1]]
    assert blocker.args == [expected]
    assert panel.enabled_prompts() == expected
    assert panel.list_widget.currentRow() == 1
    panel.list_widget.setCurrentRow(0)
    with qtbot.waitSignal(panel.prompts_changed) as blocker:
        panel.move_selected_down()
    assert blocker.args == [[DEFAULT_PROMPTS[2], DEFAULT_PROMPTS[0], DEFAULT_PROMPTS[1]]]


def test_drag_and_drop_reorder_is_internal_and_reported(panel, qtbot) -> None:
    lst = panel.list_widget
    assert lst.dragDropMode() == QAbstractItemView.DragDropMode.InternalMove
    # A real drag needs a platform drag loop; the list's completed-drop signal is what the panel listens to.
    lst.model().moveRow(lst.rootIndex(), 0, lst.rootIndex(), 3)
    with qtbot.waitSignal(panel.prompts_changed) as blocker:
        lst.reordered.emit()
    assert blocker.args == [[DEFAULT_PROMPTS[1], DEFAULT_PROMPTS[2], DEFAULT_PROMPTS[0]]]


def test_edit_in_place_updates_the_prompt(panel, qtbot) -> None:
    item = panel.list_widget.item(1)
    assert item.flags() & Qt.ItemFlag.ItemIsEditable
    with qtbot.waitSignal(panel.prompts_changed) as blocker:
        item.setText("  There is  a small pleural effusion. ")
    assert blocker.args == [[DEFAULT_PROMPTS[0], "There is a small pleural effusion.", DEFAULT_PROMPTS[2]]]
    assert panel.all_prompts()[1] == "There is a small pleural effusion."
    assert "There is a small pleural effusion." in item.toolTip()


def test_edit_to_a_duplicate_or_blank_is_reverted(panel, qtbot) -> None:
    item = panel.list_widget.item(1)
    with qtbot.assertNotEmitted(panel.prompts_changed):
        item.setText(DEFAULT_PROMPTS[0].upper())
    assert item.text() == DEFAULT_PROMPTS[1]
    assert "Already in the list" in panel.message()
    with qtbot.assertNotEmitted(panel.prompts_changed):
        item.setText("   ")
    assert panel.all_prompts() == list(DEFAULT_PROMPTS[:3])


def test_f2_opens_the_in_place_editor(panel, qtbot) -> None:
    panel.show()
    qtbot.waitExposed(panel)
    panel.list_widget.setFocus()
    panel.list_widget.setCurrentRow(0)
    qtbot.keyClick(panel.list_widget, Qt.Key.Key_F2)
    assert panel.list_widget.state() == QAbstractItemView.State.EditingState
    editor = panel.list_widget.findChild(QLineEdit)
    assert editor is not None and editor.text() == DEFAULT_PROMPTS[0]


def test_quick_add_menu_lists_both_label_sets() -> None:
    assert len(CHESTXRAY14_LABELS) == 14
    assert len(CHEXPERT_COMPETITION_LABELS) == 5
    widget = PromptPanel()
    try:
        menus = quick_add_actions(widget)
        assert menus["ChestX-ray14"] == list(CHESTXRAY14_LABELS)
        assert menus["CheXpert competition"] == list(CHEXPERT_COMPETITION_LABELS)
        findings = menus["Findings: chestxray14"]  # whole findings: each row, then "All 14"
        assert len([t for t in findings if "phrasings)" in t]) == 14 and findings[-1] == "All 14"
        assert set(menus) == {"ChestX-ray14", "CheXpert competition"} | {f"Findings: {n}" for n in LIBRARIES}
    finally:
        widget.deleteLater()


def test_quick_add_inserts_the_bare_finding(panel, qtbot) -> None:
    chexpert = next(a.menu() for a in panel.quick_add_menu.actions() if a.text() == "CheXpert competition")
    action = next(a for a in chexpert.actions() if a.text() == "Pleural Effusion")
    with qtbot.waitSignal(panel.prompts_changed) as blocker:
        action.trigger()
    assert blocker.args[0][-1] == "Pleural effusion"
    tooltip = panel.list_widget.item(3).toolTip()
    assert "Model text: There is pleural effusion." in tooltip
    assert "Cleaned: there is pleural effusion" in tooltip
    with qtbot.assertNotEmitted(panel.prompts_changed):
        action.trigger()  # already listed
    assert panel.all_prompts().count("Pleural effusion") == 1


def test_tooltips_show_processed_text_and_the_empty_warning(qtbot) -> None:
    widget = PromptPanel()
    qtbot.addWidget(widget)
    widget.set_prompts(["Pneumothorax", "Pneumothorax!", "There is a lung nodule."])
    bare, empty, sentence = (widget.list_widget.item(i).toolTip() for i in range(3))
    assert "Model text: There is pneumothorax." in bare
    assert "Cleaned: there is pneumothorax" in bare
    assert EMPTY_FLAG not in bare
    assert EMPTY_FLAG in empty
    assert "Model text: There is a lung nodule." in sentence


def test_template_edit_applies_valid_and_refuses_invalid_templates(panel, qtbot) -> None:
    assert panel.template() == DEFAULT_TEMPLATE
    assert panel.template_edit.text() == DEFAULT_TEMPLATE
    panel.add_prompt("Edema")
    with qtbot.assertNotEmitted(panel.template_changed):
        panel.template_edit.clear()
        qtbot.keyClicks(panel.template_edit, "No placeholder.")  # every prefix is invalid too
        for invalid in ("Findings of {} and {}.", "Findings of {} and {", "{0} seen"):
            panel.template_edit.setText(invalid)
            panel.template_edit.textEdited.emit(invalid)
            assert panel.template() == DEFAULT_TEMPLATE
    assert panel.template() == DEFAULT_TEMPLATE
    assert "c00000" in panel.template_edit.styleSheet()
    assert "Not applied" in panel.template_edit.toolTip()
    panel.template_edit.clear()
    with qtbot.waitSignal(panel.template_changed) as blocker:
        qtbot.keyClicks(panel.template_edit, "Findings of {}")  # valid as soon as the {} is closed
    assert blocker.args == ["Findings of {}"]
    with qtbot.waitSignal(panel.template_changed) as blocker:
        qtbot.keyClicks(panel.template_edit, ".")
    assert blocker.args == ["Findings of {}."]
    assert panel.template() == "Findings of {}."
    assert panel.template_edit.styleSheet() == ""
    assert "Model text: Findings of edema." in panel.list_widget.item(3).toolTip()
    with qtbot.waitSignal(panel.template_changed) as blocker:
        qtbot.mouseClick(panel.template_reset_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [DEFAULT_TEMPLATE]


def test_set_template_is_silent_and_ignores_invalid_values(panel, qtbot) -> None:
    with qtbot.assertNotEmitted(panel.template_changed):
        panel.set_template("A {} is seen.")
        assert panel.template() == "A {} is seen."
        panel.set_template("no placeholder")
    assert panel.template() == "A {} is seen."
    assert panel.template_edit.text() == "no placeholder"


def test_restoring_settings_is_silent_and_keeps_disabled_state(qtbot) -> None:
    widget = PromptPanel()
    qtbot.addWidget(widget)
    with qtbot.assertNotEmitted(widget.prompts_changed):
        widget.set_prompts(["a b", "c d", "e f", "A  B"], disabled=["c d"])
    assert widget.all_prompts() == ["a b", "c d", "e f"]
    assert widget.enabled_prompts() == ["a b", "e f"]
    assert widget.disabled_prompts() == ["c d"]


def _shown_text(panel: PromptPanel, row: int) -> str:
    """The text the list's delegate draws for ``row`` (typed text plus the visible reading line)."""
    option = QStyleOptionViewItem()
    panel.list_widget.itemDelegate().initStyleOption(option, panel.list_widget.model().index(row, 0))
    return option.text


def test_altered_prompts_show_what_the_model_reads_without_hovering(qtbot) -> None:
    widget = PromptPanel()
    qtbot.addWidget(widget)
    widget.set_prompts(["There is a 2.5 cm nodule.", "There is a côte effusion.", "There is pneumothorax."])
    widget.resize(420, 400)
    widget.show()
    qtbot.waitExposed(widget)
    number, accent, plain = (_shown_text(widget, row) for row in range(3))
    assert "model reads: 'there is a 5 cm nodule'" in number and "'2.'" in number
    assert "model reads: 'there is a cte effusion'" in accent and "non-ASCII" in accent
    assert plain == "There is pneumothorax."
    view = widget.list_widget
    heights = [view.visualRect(view.model().index(row, 0)).height() for row in range(3)]
    assert heights[0] > 1.5 * heights[2]  # the reading is a visible second line, not only a tooltip


def test_a_dot_is_flagged_like_the_cli(panel, qtbot) -> None:
    panel.add_prompt(".")
    row = panel.list_widget.count() - 1
    assert f"⚠ {EMPTY_FLAG}" in _shown_text(panel, row)
    assert panel.list_widget.item(row).foreground().color().name() != "#000000"


def test_long_prompts_show_their_truncation(panel, qtbot) -> None:
    panel.add_prompt("There is effusion " + "and effusion " * 100)
    assert f"⚠ {TRUNCATED_FLAG}" in panel.reading(panel.list_widget.count() - 1)


def test_statements_are_not_templated_and_say_so(panel, qtbot) -> None:
    panel.add_prompt("Normal.")
    shown = _shown_text(panel, panel.list_widget.count() - 1)
    assert "There is normal" not in panel.list_widget.item(panel.list_widget.count() - 1).toolTip()
    assert "is a statement, not a finding" in shown
