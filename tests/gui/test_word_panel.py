"""Word chips: [CLS]/[SEP] hidden, [UNK] kept, shading follows the t2i weight, clicks emit slot indices."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from carzero_viewer.model.preprocessing import prepare
from carzero_viewer.types import ProcessedPrompt, PromptResult
from carzero_viewer.ui.word_panel import (
    CAPTION,
    EXTENSION_NOTICE,
    SHADE_PROPERTY,
    WEIGHT_PROPERTY,
    WHOLE_PROMPT,
    WordPanel,
    shade,
)

pytestmark = pytest.mark.gui

GEOMETRY = prepare(np.zeros((300, 260), np.uint8)).geometry


def result(typed: str, words: tuple[str, ...], weights: list[float]) -> PromptResult:
    prompt = ProcessedPrompt(typed=typed, text=typed, cleaned=typed.lower(), templated=False)
    grid = np.zeros((14, 14), np.float32)
    attention = np.zeros(98, np.float32)
    attention[0] = 0.9  # the sentence embedding slot is never shown
    attention[1 : 1 + len(weights)] = weights
    return PromptResult(
        prompt=prompt,
        words=words,
        truncated=False,
        score=1.0,
        i2t=1.0,
        t2i=1.0,
        grounding_map=grid,
        word_attention=attention,
        word_maps=np.zeros((len(words), 14, 14), np.float32),
        padding_word_map=grid,
        geometry=GEOMETRY,
    )


WORDS = ("[CLS]", "there", "is", "[UNK]", "[SEP]")
WEIGHTS = [0.5, 0.1, 0.4, 0.2, 0.6]  # [CLS] and [SEP] weigh more than any shown word on purpose


@pytest.fixture
def panel(qtbot) -> WordPanel:
    widget = WordPanel()
    qtbot.addWidget(widget)
    widget.set_result(result("There is [UNK]", WORDS, WEIGHTS))
    return widget


def lightness(panel: WordPanel, slot: int) -> int:
    chip = panel.chip(slot)
    assert chip is not None
    return QColor(chip.property(SHADE_PROPERTY)).lightness()


def test_chips_are_the_words_without_cls_and_sep(panel) -> None:
    assert panel.chip_slots() == [1, 2, 3]
    assert [panel.chip(s).text() for s in (1, 2, 3)] == ["there", "is", "[UNK]"]
    assert panel.chip(WHOLE_PROMPT).text() == "whole prompt"
    assert panel.chip(0) is None and panel.chip(4) is None
    assert panel.caption_label.text() == CAPTION
    assert "official t2i attention" in CAPTION


def test_shading_is_normalised_to_the_largest_shown_word(panel) -> None:
    assert panel.chip(2).property(WEIGHT_PROPERTY) == pytest.approx(1.0)
    assert panel.chip(3).property(WEIGHT_PROPERTY) == pytest.approx(0.5)
    assert panel.chip(1).property(WEIGHT_PROPERTY) == pytest.approx(0.25)
    # Heavier word -> darker (more saturated) background.
    assert lightness(panel, 2) < lightness(panel, 3) < lightness(panel, 1) < 255
    assert shade(0.0) == QColor(255, 255, 255)
    assert shade(1.0) != QColor(255, 255, 255)


def test_clicking_chips_emits_slot_indices_and_shows_the_notice(panel, qtbot) -> None:
    assert panel.selected_slot() == WHOLE_PROMPT
    assert panel.chip(WHOLE_PROMPT).isChecked()
    assert panel.notice_label.isHidden()
    for slot in (1, 2, 3):
        with qtbot.waitSignal(panel.word_selected) as blocker:
            qtbot.mouseClick(panel.chip(slot), Qt.MouseButton.LeftButton)
        assert blocker.args == [slot]
        assert panel.selected_slot() == slot
        assert panel.chip(slot).isChecked()
        assert not panel.chip(WHOLE_PROMPT).isChecked()
        assert not panel.notice_label.isHidden()
        assert panel.notice_label.text() == EXTENSION_NOTICE
    with qtbot.waitSignal(panel.word_selected) as blocker:
        qtbot.mouseClick(panel.chip(WHOLE_PROMPT), Qt.MouseButton.LeftButton)
    assert blocker.args == [-1]
    assert panel.notice_label.isHidden()


def test_a_new_result_returns_to_the_whole_prompt_silently(panel, qtbot) -> None:
    qtbot.mouseClick(panel.chip(3), Qt.MouseButton.LeftButton)
    assert panel.selected_slot() == 3
    with qtbot.assertNotEmitted(panel.word_selected):
        panel.set_result(result("lung nodule", ("[CLS]", "lung", "nodule", "[SEP]"), [0, 1, 2, 0]))
    assert panel.selected_slot() == WHOLE_PROMPT
    assert panel.chip(WHOLE_PROMPT).isChecked()
    assert panel.chip_slots() == [1, 2]
    assert panel.notice_label.isHidden()
    panel.select_slot(2)  # programmatic selection, also silent
    assert panel.chip(2).isChecked() and panel.selected_slot() == 2
    assert not panel.notice_label.isHidden()


def test_clear_and_none_show_no_chips(panel) -> None:
    panel.clear()
    assert panel.chip_slots() == []
    assert panel.chip(WHOLE_PROMPT) is None
    assert panel.selected_slot() == WHOLE_PROMPT
    panel.set_result(None)
    assert panel.result() is None


def test_zero_weights_are_all_white(qtbot) -> None:
    widget = WordPanel()
    qtbot.addWidget(widget)
    widget.set_result(result("a b", ("[CLS]", "a", "b", "[SEP]"), [0, 0, 0, 0]))
    assert [widget.chip(s).property(SHADE_PROPERTY) for s in (1, 2)] == ["#ffffff", "#ffffff"]


def test_chips_wrap_onto_several_lines(qtbot) -> None:
    words = ("[CLS]", *[f"word{i}" for i in range(30)], "[SEP]")
    widget = WordPanel()
    qtbot.addWidget(widget)
    widget.set_result(result("many words", words, list(np.linspace(0, 1, len(words)))))
    widget.resize(300, 400)
    widget.show()
    qtbot.waitExposed(widget)
    tops = {widget.chip(s).geometry().top() for s in widget.chip_slots()}
    assert len(tops) > 2
    assert all(widget.chip(s).geometry().right() <= widget.chip_area.width() for s in widget.chip_slots())


def test_chips_of_a_long_prompt_scroll_instead_of_overflowing(qtbot) -> None:
    words = ("[CLS]", *[f"effusion{i}" for i in range(95)], "[SEP]")
    widget = WordPanel()
    qtbot.addWidget(widget)
    widget.set_result(result("long report", words, list(np.linspace(0, 1, len(words)))))
    widget.resize(360, 260)  # the Maps dock's height in the default window
    widget.show()
    qtbot.waitExposed(widget)
    last = widget.chip(widget.chip_slots()[-1])
    assert all(widget.chip(s).geometry().bottom() <= widget.chip_area.height() for s in widget.chip_slots())
    assert widget.caption_label.geometry().bottom() <= widget.height()  # the caption is not pushed out
    widget.select_slot(widget.chip_slots()[-1])
    qtbot.wait(10)
    assert not last.visibleRegion().isEmpty()  # reachable: the chips scroll inside the panel
