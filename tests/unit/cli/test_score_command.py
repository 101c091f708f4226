"""``carzero-viewer score``: the npz/json outputs on the fixture and on a checkpoint of other sizes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from carzero_viewer.cli import main
from carzero_viewer.model.config import CarzeroConfig, FusionConfig, TextConfig, VisionConfig
from carzero_viewer.model.loader import load_model
from carzero_viewer.model.official import official_outputs, official_text, official_word_query_maps
from carzero_viewer.model.preprocessing import decode_grayscale, prepare
from carzero_viewer.model.random_init import synthetic_vocab, write_weights_folder
from carzero_viewer.paths import resolve_weights_folder
from tests.tolerances import assert_close
from tests.unit.model.conftest import FIXTURE

NPZ_SHAPES = {
    "scores": (1, 8),
    "i2t_logits": (1, 8),
    "t2i_logits": (1, 8),
    "grounding_map_14": (1, 8, 14, 14),
    "word_attn_t2i": (1, 8, 98),
    "word_query_map_14": (1, 8, 97, 14, 14),
    "img_emb_g": (1, 64),
    "text_emb_g": (8, 64),
}


def _score(weights: Path, image: Path, prompts_file: Path, out: Path) -> int:
    return main(
        [
            "score",
            str(image),
            "--weights",
            str(weights),
            "--raw",
            "--prompts-file",
            str(prompts_file),
            "--arrays",
            str(out / "out.npz"),
            "--json",
            str(out / "out.json"),
            "--device",
            "cpu",
        ]
    )


def test_score_reproduces_fixture_arrays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _score(FIXTURE, FIXTURE / "image.png", FIXTURE / "prompts.json", tmp_path) == 0
    expected = np.load(FIXTURE / "expected.npz")
    with np.load(tmp_path / "out.npz") as arrays:
        assert {k: arrays[k].shape for k in arrays.files} == {**NPZ_SHAPES, "pipeline": (), "precision": ()}
        assert all(arrays[k].dtype == np.float32 for k in NPZ_SHAPES)
        assert str(arrays["pipeline"]) == "app"
        assert str(arrays["precision"]) == "fp32"  # every output records the precision it was computed in
        assert_close(arrays["scores"], expected["scores"], "scores")
        assert_close(arrays["i2t_logits"], expected["i2t_logits"], "i2t")
        assert_close(arrays["t2i_logits"], expected["t2i_logits"], "t2i")
        assert_close(arrays["grounding_map_14"], expected["grounding_map_14"], "grounding")
        assert_close(arrays["word_attn_t2i"][0], expected["word_attn_t2i"], "word attention")
        assert_close(arrays["word_query_map_14"][0], expected["word_query_map_14"], "word maps")
        assert_close(arrays["img_emb_g"], expected["img_emb_g"], "img_emb_g")
        assert_close(arrays["text_emb_g"], expected["text_emb_g"], "text_emb_g")
    document = json.loads((tmp_path / "out.json").read_text())
    first = document["images"][0]["prompts"][0]
    assert first["typed"] == "There is Pneumothorax."
    assert first["words"] == ["[CLS]", "there", "is", "pneumothorax", "[SEP]"]
    assert document["model"]["status"] == "untrained"
    assert document["model"]["precision"] == "fp32"
    captured = capsys.readouterr()
    assert "UNTRAINED DEMO MODEL" in captured.err


def _other_sizes_config() -> CarzeroConfig:
    bert = {
        "vocab_size": 400,
        "hidden_size": 48,
        "num_hidden_layers": 6,
        "num_attention_heads": 4,
        "intermediate_size": 96,
        "max_position_embeddings": 112,
        "type_vocab_size": 2,
        "layer_norm_eps": 1e-12,
        "hidden_act": "gelu",
        "pad_token_id": 0,
    }
    return CarzeroConfig(
        vision=VisionConfig(embed_dim=48, depth=3, num_heads=3, mlp_hidden=144, patch_size=16, img_size=224),
        text=TextConfig(bert=bert),
        fusion=FusionConfig(d_model=48, num_layers=4, ffn_dim=80, mlp_dims=(48, 40, 24, 16, 1), num_heads=6),
    )


def test_score_exact_on_checkpoint_of_other_sizes(tmp_path: Path) -> None:
    """No constant tuned to the fixture: another layout-identical checkpoint matches the official path."""
    weights = tmp_path / "other"
    write_weights_folder(weights, _other_sizes_config(), seed=99, vocab=synthetic_vocab(400))
    image = Path(__file__).resolve().parents[2] / "data" / "cxr"
    candidates = sorted(image.rglob("*.png"))
    image = candidates[0] if candidates else FIXTURE / "image.png"
    prompts = tmp_path / "prompts.json"
    texts = ["There is a small left pleural effusion.", "Heart size is normal", "Pneumothorax"]
    prompts.write_text(json.dumps(texts))
    assert _score(weights, image, prompts, tmp_path) == 0

    loaded = load_model(resolve_weights_folder(weights))
    pixels = loaded.model.pixels_from_crops([prepare(decode_grayscale(image)).crop])
    text = official_text(loaded.model, loaded.tokenizer, texts)
    reference = official_outputs(loaded.model, pixels, text.features)
    word_maps = official_word_query_maps(loaded.model, pixels, text.features)
    with np.load(tmp_path / "out.npz") as arrays:
        assert_close(arrays["scores"], reference.scores.numpy(), "scores")
        assert_close(arrays["grounding_map_14"], reference.grounding_map.numpy(), "grounding")
        assert_close(arrays["word_attn_t2i"], reference.word_attention.numpy(), "word attention")
        assert_close(arrays["word_query_map_14"], word_maps.numpy(), "word maps")
        assert arrays["text_emb_g"].shape == (3, 48)
    assert reference.scores.shape == torch.Size([1, 3])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["score", "missing.png", "--prompt", "x y"], "missing.png"),
        (["score", "{image}", "--prompt", "There is fluid.", "--weights", "{nowhere}"], "does not exist"),
        (["score", "{image}", "--prompts-file", "{bad_json}"], "not valid JSON"),
        (["score", "{image}", "--prompt", "   "], "prompt is empty"),
    ],
)
def test_score_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("[unclosed")
    values = {
        "image": str(FIXTURE / "image.png"),
        "nowhere": str(tmp_path / "nowhere"),
        "bad_json": str(bad_json),
    }
    args = [a.format(**values) for a in arguments]
    if "--weights" not in args:
        args += ["--weights", str(FIXTURE)]
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("carzero-viewer score: error:")
    assert message in err[-1]
    assert not any("Traceback" in line for line in err)


def test_selftest_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["selftest"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("PASS: worst deviation")


def test_weights_verify_reports_checksum(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    copy = tmp_path / "w"
    shutil.copytree(FIXTURE, copy)
    assert main(["weights", "verify", str(copy)]) == 0
    out = capsys.readouterr().out
    assert "sha256:" in out
    assert "untrained" in out
