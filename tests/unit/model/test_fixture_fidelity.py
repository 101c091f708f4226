"""Every array of the fixture produced by the ORIGINAL CARZero code, reproduced by our implementation.

Two implementations are checked: the official-way reference (padded text, full t2i memory, no caching) and
the fast engine with its exact shortcuts. Integer arrays and word lists must match exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from carzero_viewer.inference.device import select_device
from carzero_viewer.inference.engine import InferenceEngine
from carzero_viewer.inference.geometry import upsample_block
from carzero_viewer.model.loader import LoadedModel
from carzero_viewer.model.official import (
    OfficialOutputs,
    OfficialText,
    legacy_word_maps,
    official_outputs,
    official_text,
    official_word_query_maps,
)
from carzero_viewer.model.preprocessing import PreparedImage, decode_grayscale, prepare
from carzero_viewer.types import PromptResult
from tests.tolerances import assert_close

NUM_PROMPTS = 8


@pytest.fixture(scope="module")
def prepared(fixture_dir: Path) -> PreparedImage:
    return prepare(decode_grayscale(fixture_dir / "image.png"))


@pytest.fixture(scope="module")
def pixels(tiny_model: LoadedModel, prepared: PreparedImage) -> torch.Tensor:
    return tiny_model.model.pixels_from_crops([prepared.crop])


@pytest.fixture(scope="module")
def text(tiny_model: LoadedModel, prompts: list[str]) -> OfficialText:
    return official_text(tiny_model.model, tiny_model.tokenizer, prompts)


@pytest.fixture(scope="module")
def official(tiny_model: LoadedModel, pixels: torch.Tensor, text: OfficialText) -> OfficialOutputs:
    return official_outputs(tiny_model.model, pixels, text.features)


@pytest.fixture(scope="module")
def fast(tiny_model: LoadedModel, fixture_dir: Path, prompts: list[str]) -> list[PromptResult]:
    engine = InferenceEngine(tiny_model, select_device("cpu"))
    return engine.score_texts(decode_grayscale(fixture_dir / "image.png"), prompts, raw=True)


def test_image_decode_and_padding_exact(
    fixture_dir: Path, prepared: PreparedImage, expected: dict[str, np.ndarray]
) -> None:
    np.testing.assert_array_equal(decode_grayscale(fixture_dir / "image.png"), expected["image_gray_u8"])
    np.testing.assert_array_equal(prepared.padded, expected["image_resized_padded_256"])


def test_pixel_values_exact(pixels: torch.Tensor, expected: dict[str, np.ndarray]) -> None:
    np.testing.assert_array_equal(pixels.numpy(), expected["pixel_values"])


@pytest.mark.parametrize("name", ["input_ids", "attention_mask"])
def test_token_arrays_exact(text: OfficialText, expected: dict[str, np.ndarray], name: str) -> None:
    ours = text.tokens.input_ids if name == "input_ids" else text.tokens.attention_mask
    np.testing.assert_array_equal(ours.numpy(), expected[name])


def test_token_counts_and_words_exact(text: OfficialText, expected: dict[str, np.ndarray]) -> None:
    np.testing.assert_array_equal(
        text.tokens.attention_mask.sum(dim=1).numpy(), expected["num_wordpieces_incl_special"]
    )
    np.testing.assert_array_equal(
        [plan.num_slots for plan in text.tokens.slots], expected["num_aggregated_slots"]
    )
    words = [plan.padded_words(97) for plan in text.tokens.slots]
    assert words == expected["aggregated_words"].tolist()
    np.testing.assert_array_equal(np.zeros_like(expected["token_type_ids"]), expected["token_type_ids"])


def test_text_embeddings(text: OfficialText, expected: dict[str, np.ndarray]) -> None:
    assert_close(text.features.hidden_last.numpy(), expected["bert_hidden_states_last4"], "hidden states")
    assert_close(text.features.slots.transpose(1, 2).numpy(), expected["text_emb_l"], "text_emb_l")
    assert_close(text.features.sentence.numpy(), expected["text_emb_g"], "text_emb_g")


def test_image_embeddings(
    tiny_model: LoadedModel, pixels: torch.Tensor, expected: dict[str, np.ndarray]
) -> None:
    with torch.inference_mode():
        img_g, tokens = tiny_model.model.image_memory_tokens(pixels)
    patches = tokens[:, 1:].transpose(1, 2).reshape(1, -1, 14, 14)
    assert_close(img_g.numpy(), expected["img_emb_g"], "img_emb_g")
    assert_close(patches.numpy(), expected["img_emb_l"], "img_emb_l")


@pytest.mark.parametrize(
    ("attribute", "name"),
    [
        ("i2t", "i2t_logits"),
        ("t2i", "t2i_logits"),
        ("scores", "scores"),
        ("i2t_decoder_out", "i2t_decoder_out"),
        ("t2i_decoder_out", "t2i_decoder_out"),
        ("attn_i2t", "attn_i2t_layers"),
        ("attn_t2i", "attn_t2i_layers"),
        ("grounding_map", "grounding_map_14"),
    ],
)
def test_official_path(
    official: OfficialOutputs, expected: dict[str, np.ndarray], attribute: str, name: str
) -> None:
    assert_close(getattr(official, attribute).numpy(), expected[name], name)


def test_official_word_attention(official: OfficialOutputs, expected: dict[str, np.ndarray]) -> None:
    assert_close(official.word_attention[0].numpy(), expected["word_attn_t2i"], "word_attn_t2i")


def test_official_grounding_map_224(official: OfficialOutputs, expected: dict[str, np.ndarray]) -> None:
    enlarged = np.stack([upsample_block(m, 224) for m in official.grounding_map[0].numpy()])
    assert_close(enlarged[None], expected["grounding_map_224"], "grounding_map_224")


def test_official_word_query_maps(
    tiny_model: LoadedModel, pixels: torch.Tensor, text: OfficialText, expected: dict[str, np.ndarray]
) -> None:
    maps = official_word_query_maps(tiny_model.model, pixels, text.features)[0].numpy()
    assert_close(maps, expected["word_query_map_14"], "word_query_map_14")
    for p, plan in enumerate(text.tokens.slots):
        enlarged = np.stack([upsample_block(m, 224) for m in maps[p, : plan.num_slots]])
        assert_close(enlarged, expected[f"word_query_map_224_p{p}"], f"word_query_map_224_p{p}")


@pytest.mark.parametrize("prompt", range(NUM_PROMPTS))
def test_legacy_word_maps(
    tiny_model: LoadedModel,
    pixels: torch.Tensor,
    text: OfficialText,
    expected: dict[str, np.ndarray],
    prompt: int,
) -> None:
    with torch.inference_mode():
        _, tokens = tiny_model.model.image_memory_tokens(pixels)
    words = text.tokens.slots[prompt].padded_words(97)
    maps = legacy_word_maps(tokens[0, 1:], text.features.slots[prompt], words)
    assert_close(maps.numpy(), expected[f"legacy_word_map_14_p{prompt}"], f"legacy_word_map_14_p{prompt}")


def _table(results: list[PromptResult], getter: Any) -> np.ndarray:
    return np.asarray([[getter(r) for r in results]])


@pytest.mark.parametrize(
    ("name", "getter"),
    [
        ("scores", lambda r: r.score),
        ("i2t_logits", lambda r: r.i2t),
        ("t2i_logits", lambda r: r.t2i),
        ("grounding_map_14", lambda r: r.grounding_map),
    ],
)
def test_fast_engine_matches_original(
    fast: list[PromptResult], expected: dict[str, np.ndarray], name: str, getter: Any
) -> None:
    assert_close(_table(fast, getter), expected[name], name)


def test_fast_engine_word_outputs(fast: list[PromptResult], expected: dict[str, np.ndarray]) -> None:
    assert_close(np.stack([r.word_attention for r in fast]), expected["word_attn_t2i"], "word_attn_t2i")
    for p, result in enumerate(fast):
        padding = np.repeat(result.padding_word_map[None], 97 - len(result.words), axis=0)
        assert_close(
            np.concatenate([result.word_maps, padding]), expected["word_query_map_14"][p], f"word maps {p}"
        )
        assert list(result.words) == expected["aggregated_words"][p][: len(result.words)].tolist()
        assert result.word_maps_are_extension


def test_fast_engine_flags_truncation_and_empty_text(fast: list[PromptResult]) -> None:
    assert [r.truncated for r in fast] == [False] * 7 + [True]
    assert [r.prompt.is_empty for r in fast] == [False, False, False, True, False, False, False, False]
