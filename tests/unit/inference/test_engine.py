"""Engine behaviour beyond fidelity: caches, templates, cancellation and batching invariance."""

from __future__ import annotations

import numpy as np
import pytest

from carzero_viewer.errors import Cancelled, PromptError
from carzero_viewer.inference.cancel import CancelToken
from carzero_viewer.inference.device import select_device
from carzero_viewer.inference.engine import InferenceEngine
from carzero_viewer.inference.prompts import is_bare_finding, process_prompt
from carzero_viewer.model.loader import load_model
from carzero_viewer.model.preprocessing import decode_grayscale
from carzero_viewer.paths import resolve_weights_folder
from tests.tolerances import assert_close
from tests.unit.model.conftest import FIXTURE


@pytest.fixture(scope="module")
def engine() -> InferenceEngine:
    return InferenceEngine(load_model(resolve_weights_folder(FIXTURE)), select_device("cpu"))


@pytest.fixture(scope="module")
def gray() -> np.ndarray:
    return decode_grayscale(FIXTURE / "image.png")


def test_bare_finding_is_templated_and_recorded() -> None:
    prompt = process_prompt("Pneumothorax")
    assert prompt.templated and prompt.text == "There is pneumothorax."
    assert prompt.cleaned == "there is pneumothorax"
    raw = process_prompt("Pneumothorax", raw=True)
    assert not raw.templated and raw.is_empty
    sentence = process_prompt("There is a small left effusion.")
    assert not sentence.templated and sentence.text == "There is a small left effusion."


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("pleural effusion", True),
        ("No acute findings.", True),
        ("No pneumothorax", True),
        ("Heart is enlarged. Lungs clear.", False),
        ("Normal.", False),
        ("No.", False),
        ("Unremarkable chest", False),
        ("The lungs are normal.", False),  # templated, it read "There is the lungs are normal."
        ("Lungs are clear", False),
        ("Heart size is normal.", False),
        ("Effusion has resolved", False),
        ("small left effusion", True),
        ("Pneumothorax.", True),
    ],
)
def test_bare_finding_rule(text: str, bare: bool) -> None:
    assert is_bare_finding(text) is bare


def test_bad_prompts_and_templates() -> None:
    with pytest.raises(PromptError, match="empty"):
        process_prompt(" \n ")
    with pytest.raises(PromptError, match="characters long"):
        process_prompt("word " * 10_000)
    with pytest.raises(PromptError, match="placeholder"):
        process_prompt("Pneumothorax", template="There is disease.")


def test_long_pasted_report_truncated_like_the_original(engine: InferenceEngine, gray: np.ndarray) -> None:
    report = "There is cardiomegaly with bilateral pleural effusions. " * 200
    result = engine.score_texts(gray, [report], word_maps=False)[0]
    assert result.truncated
    assert len(result.words) <= 97


def test_template_equivalent_prompts_share_the_cache(engine: InferenceEngine, gray: np.ndarray) -> None:
    engine.clear_caches()
    first = engine.score_texts(gray, ["Pneumothorax"])[0]
    second = engine.score_texts(gray, ["There is pneumothorax."])[0]
    assert first.score == second.score
    assert first.prompt.typed == "Pneumothorax" and second.prompt.typed == "There is pneumothorax."
    assert len(engine._prompts) == 1 and len(engine._images) == 1


def test_scores_do_not_depend_on_prompt_batching(engine: InferenceEngine, gray: np.ndarray) -> None:
    prompts = [
        "There is pneumothorax.",
        "Small bilateral pleural effusions with bibasilar atelectasis.",
        "Pneumonia",
    ]
    engine.clear_caches()
    together = [r.score for r in engine.score_texts(gray, prompts)]
    engine.clear_caches()
    alone = [engine.score_texts(gray, [p])[0].score for p in prompts]
    assert_close(together, alone, "scores, prompts together vs alone")


def test_cancel_token_stops_work(engine: InferenceEngine, gray: np.ndarray) -> None:
    engine.clear_caches()
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        engine.encode_image(gray, cancel=token)
    assert len(engine._images) == 0


def test_word_weights_align_with_words(engine: InferenceEngine, gray: np.ndarray) -> None:
    result = engine.score_texts(gray, ["There is a left pleural effusion."])[0]
    assert result.word_weights.shape == (len(result.words),)
    assert result.word_maps.shape == (len(result.words), 14, 14)
    total = result.word_attention.sum()
    assert_close(total, 1.0, "sum of the word attention")  # head-averaged softmax rows sum to one


def test_prompt_filling_all_97_slots_matches_official_path(engine: InferenceEngine, gray: np.ndarray) -> None:
    """No padding slot at all: the collapsed padding key must vanish (multiplicity 0), not count once."""
    import torch

    from carzero_viewer.model.official import official_outputs, official_text

    text = "there is " * 60
    engine.clear_caches()
    result = engine.score_texts(gray, [text, "There is pneumothorax."], raw=True)
    assert len(result[0].words) == 97 and result[0].truncated
    model = engine.model
    with torch.inference_mode():
        pixels = model.pixels_from_crops([engine.prepare_image(gray).crop])
        official = official_outputs(
            model,
            pixels,
            official_text(model, engine.loaded.tokenizer, [text, "There is pneumothorax."]).features,
        )
    assert_close([r.score for r in result], official.scores[0].numpy(), "scores")
    assert_close(result[0].word_attention, official.word_attention[0, 0].numpy(), "word attention")


def test_packed_weights_used_on_cpu_and_match_unpacked(gray: np.ndarray) -> None:
    plain = InferenceEngine(
        load_model(resolve_weights_folder(FIXTURE)), select_device("cpu"), pack_weights=False
    )
    packed = InferenceEngine(load_model(resolve_weights_folder(FIXTURE)), select_device("cpu"))
    assert not plain.packed
    assert packed.packed
    prompts = ["There is pneumothorax.", "Small bilateral pleural effusions."]
    a, b = plain.score_texts(gray, prompts), packed.score_texts(gray, prompts)
    assert_close([r.score for r in a], [r.score for r in b], "scores, packed vs plain")
    assert_close(a[1].word_maps, b[1].word_maps, "word maps, packed vs plain")


def test_a_supplied_content_hash_keys_the_image_cache(engine: InferenceEngine, gray: np.ndarray) -> None:
    engine.clear_caches()
    first = engine.encode_image(gray, content_hash="record-hash")
    assert engine.encode_image(gray, content_hash="record-hash") is first  # reused, not hashed again
    assert len(engine._images) == 1
    engine.encode_image(gray)  # without a hash the pixels are hashed: a different key
    assert len(engine._images) == 2


def test_non_finite_scores_raise_naming_the_weights(gray: np.ndarray) -> None:
    """Defence in depth: weights that slip past the load checks must not yield NaN scores silently."""
    import torch

    from carzero_viewer.errors import ModelLoadError

    loaded = load_model(resolve_weights_folder(FIXTURE))
    with torch.no_grad():
        loaded.model.fusion_module.decoder_norm.weight.fill_(float("inf"))
    poisoned = InferenceEngine(loaded, select_device("cpu"), pack_weights=False)
    with pytest.raises(ModelLoadError, match=r"checkpoint\.ckpt: the model produced NaN or infinite scores"):
        poisoned.score_texts(gray, ["There is effusion."], word_maps=False)
