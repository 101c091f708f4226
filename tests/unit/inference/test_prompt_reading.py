"""What the model reads of a prompt and why (issue 12): the official cleaning stays exact, the changes are
explained, and the empty-text / truncated flags are the ones the CLI prints."""

from __future__ import annotations

import pytest

from carzero_viewer.inference.prompts import (
    EMPTY_ADVICE,
    EMPTY_FLAG,
    TRUNCATED_FLAG,
    WORD_PIECES_READ,
    explain_prompt,
    process_prompt,
)
from carzero_viewer.model.text_processing import clean


def test_cleaning_records_what_it_removed() -> None:
    cleaning = clean("Normal. A 2.5 cm côte nodule. 1. Effusion noted")
    assert cleaning.text == "5 cm cte nodule effusion noted"  # "A " before "2." is a one-word sentence
    assert cleaning.dropped_numbers == ("2.", "1.")
    assert cleaning.dropped_words == ("Normal", "A")
    assert cleaning.dropped_characters == "ô"


@pytest.mark.parametrize(
    ("typed", "model_text", "why"),
    [
        ("There is a 2.5 cm nodule.", "there is a 5 cm nodule", "digits followed by '.' ('2.')"),
        ("There is a côte effusion.", "there is a cte effusion", "non-ASCII letters ('ô')"),
        ("Pneumothorax", "there is pneumothorax", "template: 'There is pneumothorax.'"),
        ("Normal. There is no effusion.", "there is no effusion", "one-word sentences ('Normal')"),
    ],
)
def test_altered_prompts_say_what_the_model_reads_and_why(typed: str, model_text: str, why: str) -> None:
    reading = explain_prompt(process_prompt(typed))
    assert reading.model_text == model_text
    assert reading.altered and why in "; ".join(reading.reasons)
    assert reading.summary().startswith(f"model reads: {model_text!r} — ")
    assert reading.flags == ()


@pytest.mark.parametrize("typed", ["There is pneumothorax.", "there is a lung nodule", "Unremarkable chest"])
def test_unaltered_prompts_have_no_reasons(typed: str) -> None:
    reading = explain_prompt(process_prompt(typed))
    assert not reading.altered and reading.summary() == "" and reading.flags == ()


@pytest.mark.parametrize("typed", [".", "...", "No.", "Normal."])
def test_prompts_the_model_reads_as_nothing_are_flagged_like_the_cli(typed: str) -> None:
    reading = explain_prompt(process_prompt(typed))
    assert reading.flags == (EMPTY_FLAG,)
    assert reading.summary().startswith(f"⚠ {EMPTY_FLAG} · model reads: nothing")
    assert reading.reasons[-1] == EMPTY_ADVICE  # what to type instead, shown in the panel's visible line
    for example in EMPTY_ADVICE.split("'")[1::2]:  # the advice's examples are read as typed
        assert not explain_prompt(process_prompt(example)).reasons, example


@pytest.mark.parametrize("typed", ["Normal.", "No."])
def test_statements_are_not_templated(typed: str) -> None:
    prompt = process_prompt(typed)
    assert not prompt.templated and prompt.text == typed
    assert "is a statement, not a finding" in explain_prompt(prompt).summary()


def test_negated_finding_is_still_templated() -> None:
    assert process_prompt("No pneumothorax").text == "There is no pneumothorax."


def test_truncation_is_a_reason_and_a_flag() -> None:
    long = process_prompt("There is effusion " + "and effusion " * WORD_PIECES_READ)
    assert explain_prompt(long).flags == (TRUNCATED_FLAG,)  # known before tokenising: too many words
    assert "truncated" in explain_prompt(long).summary()
    short = process_prompt("There is effusion.")
    assert explain_prompt(short, truncated=True).flags == (TRUNCATED_FLAG,)
    assert explain_prompt(long, truncated=False).flags == ()  # the tokenizer's answer wins once known
