"""The installation self-test: reproduce the bundled fidelity fixture (arrays produced by the original code).

Runs both the fast engine and the official-way reference on the tiny fixture and compares every headline array
with ``max |ours - expected| <= 1e-5 * max(1, max |expected|)``. A user runs it with
``carzero-viewer selftest`` to check that their torch/tokenizers/OpenCV stack computes CARZero correctly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from carzero_viewer.inference.device import select_device
from carzero_viewer.inference.engine import InferenceEngine
from carzero_viewer.model.loader import load_model
from carzero_viewer.model.official import official_outputs, official_text
from carzero_viewer.model.preprocessing import decode_grayscale
from carzero_viewer.paths import demo_model_dir, resolve_weights_folder

TOLERANCE = 1e-5


@dataclass(frozen=True)
class Check:
    name: str
    deviation: float

    @property
    def passed(self) -> bool:
        return self.deviation <= TOLERANCE


def relative_deviation(ours: npt.ArrayLike, expected: npt.ArrayLike) -> float:
    """``max |ours - expected| / max(1, max |expected|)``; infinite on a shape mismatch."""
    a, b = np.asarray(ours, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(np.abs(a - b).max() / max(1.0, float(np.abs(b).max())))


def run_selftest(folder: Path | None = None) -> list[Check]:
    """Compare the fast engine and the official path with the fixture's expected arrays."""
    folder = folder or demo_model_dir()
    expected = np.load(folder / "expected.npz")
    prompts = json.loads((folder / "prompts.json").read_text(encoding="utf-8"))
    engine = InferenceEngine(load_model(resolve_weights_folder(folder)), select_device("cpu"))
    gray = decode_grayscale(folder / "image.png")
    results = engine.score_texts(gray, prompts, raw=True)
    model = engine.model
    pixels = model.pixels_from_crops([engine.prepare_image(gray).crop])
    text = official_text(model, engine.loaded.tokenizer, prompts)
    official = official_outputs(model, pixels, text.features)
    return [
        Check("pixel values", relative_deviation(pixels[:1].cpu().numpy(), expected["pixel_values"])),
        Check("token ids", relative_deviation(text.tokens.input_ids.numpy(), expected["input_ids"])),
        Check("text embeddings", relative_deviation(text.features.sentence.numpy(), expected["text_emb_g"])),
        Check("scores (fast engine)", relative_deviation([[r.score for r in results]], expected["scores"])),
        Check("scores (official path)", relative_deviation(official.scores.numpy(), expected["scores"])),
        Check(
            "prompt maps",
            relative_deviation([[r.grounding_map for r in results]], expected["grounding_map_14"]),
        ),
        Check(
            "word attention",
            relative_deviation([r.word_attention for r in results], expected["word_attn_t2i"]),
        ),
        Check("attention layers", relative_deviation(official.attn_i2t.numpy(), expected["attn_i2t_layers"])),
    ]
