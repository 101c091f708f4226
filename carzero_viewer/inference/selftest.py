"""The installation self-test: reproduce the bundled fidelity fixture (arrays produced by the original code).

Runs both the fast engine and the official-way reference on the tiny fixture and compares every headline array
with ``max |ours - expected| <= 1e-5 * max(1, max |expected|)``. A user runs it with
``carzero-viewer selftest`` to check that their torch/tokenizers/OpenCV stack computes CARZero correctly.

Images go through the ``score --official`` pipeline (raw text, OpenCV's grayscale decode). The fixture's image
is 8-bit, so a second case, ``sixteen-bit/`` inside the fixture folder, checks a 16-bit PNG: its expected
arrays were computed by :func:`official_arrays` on ``cv2.imread(..., IMREAD_GRAYSCALE)`` of that file (see
``scripts/make_sixteen_bit_selftest.py``), so it catches an OpenCV whose 16-bit decode differs (it must keep
the high byte) as well as the model stack.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from carzero_viewer.imaging import SixteenBitRule
from carzero_viewer.inference.batch import decode_model_input
from carzero_viewer.inference.device import select_device
from carzero_viewer.inference.engine import InferenceEngine
from carzero_viewer.model.loader import load_model
from carzero_viewer.model.official import official_outputs, official_text
from carzero_viewer.paths import demo_model_dir, resolve_weights_folder

TOLERANCE = 1e-5
SIXTEEN_BIT_CASE = "sixteen-bit"  # folder inside the fixture: image.png (16-bit grey) + expected.npz


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


def official_arrays(
    engine: InferenceEngine, prompts: Sequence[str], gray: npt.NDArray[np.uint8]
) -> dict[str, npt.NDArray[np.float32 | np.int64]]:
    """The original code's computation on one 8-bit image, by the official-way reference path.

    Names and layouts follow the fixture's ``expected.npz``: ``pixel_values`` [1,3,224,224], ``input_ids``
    [P,97], ``text_emb_g`` [P,D], ``scores``/``i2t_logits``/``t2i_logits`` [1,P], ``grounding_map_14``
    [1,P,g,g], ``attn_i2t_layers`` [L,1,P,1+g*g].
    """
    model = engine.model
    pixels = model.pixels_from_crops([engine.prepare_image(gray).crop])
    text = official_text(model, engine.loaded.tokenizer, prompts)
    official = official_outputs(model, pixels, text.features)
    return {
        "pixel_values": pixels[:1].cpu().numpy(),
        "input_ids": text.tokens.input_ids.numpy(),
        "text_emb_g": text.features.sentence.cpu().numpy(),
        "scores": official.scores.cpu().numpy(),
        "i2t_logits": official.i2t.cpu().numpy(),
        "t2i_logits": official.t2i.cpu().numpy(),
        "grounding_map_14": official.grounding_map.cpu().numpy(),
        "attn_i2t_layers": official.attn_i2t.cpu().numpy(),
    }


def run_selftest(folder: Path | None = None) -> list[Check]:
    """Compare the fast engine and the official path with the fixture's expected arrays (and the 16-bit case
    when the fixture folder has one)."""
    folder = folder or demo_model_dir()
    expected = np.load(folder / "expected.npz")
    prompts = json.loads((folder / "prompts.json").read_text(encoding="utf-8"))
    engine = InferenceEngine(load_model(resolve_weights_folder(folder)), select_device("cpu"))
    gray = decode_model_input(folder / "image.png", SixteenBitRule.OPENCV_HIGH_BYTE).gray
    results = engine.score_texts(gray, prompts, raw=True)
    official = official_arrays(engine, prompts, gray)
    checks = [
        Check("pixel values", relative_deviation(official["pixel_values"], expected["pixel_values"])),
        Check("token ids", relative_deviation(official["input_ids"], expected["input_ids"])),
        Check("text embeddings", relative_deviation(official["text_emb_g"], expected["text_emb_g"])),
        Check("scores (fast engine)", relative_deviation([[r.score for r in results]], expected["scores"])),
        Check("scores (official path)", relative_deviation(official["scores"], expected["scores"])),
        Check(
            "prompt maps",
            relative_deviation([[r.grounding_map for r in results]], expected["grounding_map_14"]),
        ),
        Check(
            "word attention",
            relative_deviation([r.word_attention for r in results], expected["word_attn_t2i"]),
        ),
        Check(
            "attention layers", relative_deviation(official["attn_i2t_layers"], expected["attn_i2t_layers"])
        ),
    ]
    case = folder / SIXTEEN_BIT_CASE
    if (case / "expected.npz").is_file():
        checks += _sixteen_bit_checks(engine, prompts, case)
    return checks


def _sixteen_bit_checks(engine: InferenceEngine, prompts: Sequence[str], case: Path) -> list[Check]:
    """The 16-bit PNG through the ``score --official`` pipeline: decode (must be the high byte), then scores."""
    expected = np.load(case / "expected.npz")
    gray = decode_model_input(case / "image.png", SixteenBitRule.OPENCV_HIGH_BYTE).gray
    results = engine.score_texts(gray, prompts, raw=True, word_maps=False)
    return [
        Check("16-bit decode (high byte)", relative_deviation(gray, expected["image_gray_u8"])),
        Check("16-bit scores", relative_deviation([[r.score for r in results]], expected["scores"])),
        Check(
            "16-bit prompt maps",
            relative_deviation([[r.grounding_map for r in results]], expected["grounding_map_14"]),
        ),
    ]
