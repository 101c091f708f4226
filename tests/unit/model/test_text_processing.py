"""The official prompt cleaning and word-piece aggregation, checked against the original code's outputs."""

from __future__ import annotations

from typing import Any

import pytest

from carzero_viewer.model.text_processing import aggregate_word_pieces, clean_text


def test_cleaning_matches_original(prompts: list[str], expected_text: Any) -> None:
    assert [clean_text(p) for p in prompts] == expected_text["cleaned_text"]


def test_aggregation_matches_original(tiny_model: Any, prompts: list[str], expected_text: Any) -> None:
    batch = tiny_model.model.text_encoder.tokenize(tiny_model.tokenizer, [clean_text(p) for p in prompts])
    assert [list(t) for t in batch.tokens] == expected_text["wordpieces"]
    assert [list(plan.words) for plan in batch.slots] == [
        [w for w in words if w != "[PAD]"] for words in expected_text["aggregated_words"]
    ]


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("Pneumonia.", ""),
        ("1. Mild cardiomegaly", "mild cardiomegaly"),
        ("a 2.5 cm nodule", "5 cm nodule"),
        ("café au lait ü spot", "caf au lait spot"),
        ("Line one\nline two", "line one line two"),
        ("Big. Heart is enlarged.", "heart is enlarged"),
    ],
)
def test_cleaning_quirks(text: str, cleaned: str) -> None:
    assert clean_text(text) == cleaned


def test_aggregation_merges_pieces_and_stops_at_sep() -> None:
    plan = aggregate_word_pieces(
        ["[CLS]", "pneu", "##mo", "##thorax", "is", "[UNK]", "[SEP]", "[PAD]", "[PAD]"]
    )
    assert plan.words == ("[CLS]", "pneumothorax", "is", "[UNK]", "[SEP]")
    assert plan.pieces == ((0,), (1, 2, 3), (4,), (5,), (6,))
    assert plan.padded_words(7)[-2:] == ["[PAD]", "[PAD]"]
