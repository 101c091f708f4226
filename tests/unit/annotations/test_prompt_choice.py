"""The selection rule: user choice, else the image's label, else the top score."""

from __future__ import annotations

from carzero_viewer.annotations.labels import LabelMap
from carzero_viewer.annotations.prompt_choice import choose_prompt

RANKED = ["There is pneumothorax.", "There is cardiomegaly.", "There is pleural effusion.", "infiltration"]


def test_the_user_choice_wins_over_the_label() -> None:
    assert choose_prompt(RANKED, "There is cardiomegaly.", ["Effusion"]) == "There is cardiomegaly."


def test_a_label_matching_prompt_beats_the_top_score() -> None:
    assert choose_prompt(RANKED, None, ["Effusion"]) == "There is pleural effusion."
    assert choose_prompt(RANKED, None, ["Infiltrate"]) == "infiltration"  # a synonym of the table


def test_several_labels_take_the_best_scored_match() -> None:
    assert choose_prompt(RANKED, None, ["Effusion", "Cardiomegaly"]) == "There is cardiomegaly."


def test_a_choice_not_scored_on_this_image_falls_back() -> None:
    assert choose_prompt(RANKED, "There is a lung nodule.", ["Effusion"]) == "There is pleural effusion."
    assert choose_prompt(RANKED, "There is a lung nodule.", []) == RANKED[0]


def test_top_score_without_labels_and_none_without_prompts() -> None:
    assert choose_prompt(RANKED, None, ["Hernia"]) == RANKED[0]
    assert choose_prompt([], "anything", ["Effusion"]) is None


def test_a_user_label_map_is_used() -> None:
    table = LabelMap.builtin()
    table.update({"Lesion X": "cardiomegaly"})
    assert choose_prompt(RANKED, None, ["Lesion X"], table) == "There is cardiomegaly."
