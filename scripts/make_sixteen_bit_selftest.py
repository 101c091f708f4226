"""Regenerate the self-test's 16-bit case: ``tests/data/carzero-tiny/sixteen-bit/{image.png, expected.npz}``.

    PYTHONPATH=. .venv/bin/python scripts/make_sixteen_bit_selftest.py [--force]

The image is the fixture's 8-bit radiograph widened to 14 bits (``v << 6``) with seeded noise in the six low
bits: a typical 12-to-16-bit detector PNG, whose high byte (what the original code reads) is a dark ``v >> 2``
rendering and whose full-range rendering (the app's default) is close to the original image, so the two
pipelines give clearly different scores. The expected arrays are the original code's computation on it:
``cv2.imread(path, IMREAD_GRAYSCALE)`` of the written file, then the official-way reference path
(:func:`carzero_viewer.inference.selftest.official_arrays`) with the fixture's model and prompts. Running the
script twice writes identical files (fixed seed, deterministic CPU float32 path).
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import cv2
import numpy as np

from carzero_viewer.files import write_bytes_atomic
from carzero_viewer.inference.device import select_device
from carzero_viewer.inference.engine import InferenceEngine
from carzero_viewer.inference.selftest import SIXTEEN_BIT_CASE, official_arrays
from carzero_viewer.model.loader import load_model
from carzero_viewer.paths import resolve_weights_folder

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "data" / "carzero-tiny"
SEED = 16
LOW_BITS = 6
KEPT = ("scores", "i2t_logits", "t2i_logits", "grounding_map_14")  # what the self-test compares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="replace existing files")
    args = parser.parse_args()
    out = FIXTURE / SIXTEEN_BIT_CASE
    base = cv2.imread(str(FIXTURE / "image.png"), cv2.IMREAD_GRAYSCALE).astype(np.uint16)
    noise = np.random.default_rng(SEED).integers(0, 1 << LOW_BITS, base.shape, dtype=np.uint16)
    ok, png = cv2.imencode(".png", (base << LOW_BITS) | noise)
    assert ok
    image = write_bytes_atomic(out / "image.png", png.tobytes(), force=args.force)
    gray = cv2.imread(str(image), cv2.IMREAD_GRAYSCALE)  # the original code's decode, on the written file
    prompts = json.loads((FIXTURE / "prompts.json").read_text(encoding="utf-8"))
    engine = InferenceEngine(load_model(resolve_weights_folder(FIXTURE)), select_device("cpu"))
    arrays = official_arrays(engine, prompts, gray)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, image_gray_u8=gray, **{name: arrays[name] for name in KEPT})
    write_bytes_atomic(out / "expected.npz", buffer.getvalue(), force=args.force)
    print(f"wrote {image} and {out / 'expected.npz'}; scores {np.round(arrays['scores'], 6).tolist()}")


if __name__ == "__main__":
    main()
