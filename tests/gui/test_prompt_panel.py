"""The prompt list: Enter adds, duplicates and blanks are refused, checkboxes and delete emit changes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from carzero_viewer.ui.prompt_panel import DEFAULT_PROMPTS, PromptPanel

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot) -> PromptPanel:
    widget = PromptPanel()
    qtbot.addWidget(widget)
    widget.set_prompts(list(DEFAULT_PROMPTS[:2]))
    return widget


def test_enter_adds_an_enabled_prompt(panel, qtbot) -> None:
    qtbot.keyClicks(panel.line_edit, "  lung   nodule ")
    with qtbot.waitSignal(panel.prompts_changed) as blocker:
        qtbot.keyClick(panel.line_edit, Qt.Key.Key_Return)
    assert blocker.args == [[*DEFAULT_PROMPTS[:2], "lung nodule"]]
    assert panel.line_edit.text() == ""
    assert panel.all_prompts()[-1] == "lung nodule"


def test_blank_and_duplicate_prompts_are_refused(panel, qtbot) -> None:
    with qtbot.assertNotEmitted(panel.prompts_changed):
        assert not panel.add_prompt("   ")
        assert not panel.add_prompt(DEFAULT_PROMPTS[0])
    assert panel.all_prompts() == list(DEFAULT_PROMPTS[:2])


def test_unchecking_disables_without_removing(panel, qtbot) -> None:
    with qtbot.waitSignal(panel.prompts_changed) as blocker:
        panel.list_widget.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert blocker.args == [[DEFAULT_PROMPTS[1]]]
    assert panel.all_prompts() == list(DEFAULT_PROMPTS[:2])
    assert panel.disabled_prompts() == [DEFAULT_PROMPTS[0]]


def test_delete_removes_the_selected_prompt(panel, qtbot) -> None:
    panel.list_widget.setCurrentRow(1)
    with qtbot.waitSignal(panel.prompts_changed) as blocker:
        qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [[DEFAULT_PROMPTS[0]]]


def test_restoring_settings_is_silent_and_keeps_disabled_state(qtbot) -> None:
    widget = PromptPanel()
    qtbot.addWidget(widget)
    with qtbot.assertNotEmitted(widget.prompts_changed):
        widget.set_prompts(["a", "b", "c"], disabled=["b"])
    assert widget.enabled_prompts() == ["a", "c"]
