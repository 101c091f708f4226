"""Batch scoring throughput and memory with a random full-size CARZero; prints one JSON document.

    .venv/bin/python benchmarks/throughput.py [--images 100] [--weights DIR]

* ``throughput``: N real-size PNG files (copies of the bundled radiographs, shifted so no two are identical)
  x 14 prompts (the ChestX-ray14 findings through the template), file decoding included: ours (the batch
  pipeline: decoding ahead of the model, ViT batches, shared image memory, text encoded once) next to the
  official loop (OpenCV decode, one image at a time, text padded to 97 and encoded once, full 98-token t2i
  memory), with the maximum score deviation.
* ``memory``: a fresh process loads the model from safetensors; its load time and resident set size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from carzero_viewer.imaging import load_image
from carzero_viewer.inference.batch import score_files
from carzero_viewer.inference.device import select_device
from carzero_viewer.inference.engine import InferenceEngine
from carzero_viewer.model.loader import load_model
from carzero_viewer.model.official import official_outputs, official_text
from carzero_viewer.model.preprocessing import decode_grayscale, prepare
from carzero_viewer.model.random_init import released_config, write_weights_folder
from carzero_viewer.paths import resolve_weights_folder

ROOT = Path(__file__).resolve().parents[1]
FINDINGS = (
    "atelectasis", "cardiomegaly", "effusion", "infiltration", "mass", "nodule", "pneumonia", "pneumothorax",
    "consolidation", "edema", "emphysema", "fibrosis", "pleural thickening", "hernia",
)  # fmt: skip
MEMORY_PROBE = """
import resource, sys, time
t0 = time.perf_counter()
from carzero_viewer.model.loader import load_model
from carzero_viewer.paths import resolve_weights_folder
load_model(resolve_weights_folder(__import__("pathlib").Path(sys.argv[1])))
ready = time.perf_counter() - t0
rss = int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) / 1024
print(f"{ready:.3f} {rss:.0f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
"""


def make_images(folder: Path, count: int) -> list[Path]:
    sources = sorted((ROOT / "resources" / "samples").glob("*.png"))
    paths = []
    for index in range(count):
        image = cv2.imread(str(sources[index % len(sources)]), cv2.IMREAD_GRAYSCALE)
        path = folder / f"image{index:03d}.png"
        cv2.imwrite(str(path), np.roll(image, index, axis=1))
        paths.append(path)
    return paths


def memory(weights: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(weights)], capture_output=True, text=True, check=True
    ).stdout.split()
    return {"model_ready_s": float(out[0]), "rss_mb": float(out[1]), "peak_rss_mb": float(out[2])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--weights", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        weights = args.weights
        if weights is None:
            weights = Path(tmp) / "weights"
            write_weights_folder(weights, released_config(), fmt="safetensors")
        paths = make_images(Path(tmp), args.images)
        report: dict[str, Any] = {"torch": torch.__version__, "memory": memory(weights)}
        engine = InferenceEngine(load_model(resolve_weights_folder(weights)), select_device("cpu"))
        reference = load_model(resolve_weights_folder(weights))
        texts = [f"There is {finding}." for finding in FINDINGS]

        start = time.perf_counter()
        prompts = engine.encode_prompts([engine.process(t) for t in texts])
        ours = [
            [r.score for r in item.results]
            for item in score_files(engine, paths, prompts, decode=lambda p: load_image(p).model_input)
        ]
        ours_s = time.perf_counter() - start

        start = time.perf_counter()
        text = official_text(reference.model, reference.tokenizer, texts)
        official = []
        for path in paths:
            pixels = reference.model.pixels_from_crops([prepare(decode_grayscale(path)).crop])
            official.append(official_outputs(reference.model, pixels, text.features).scores[0].tolist())
        official_s = time.perf_counter() - start

        report["throughput"] = {
            "images": len(paths),
            "prompts": len(texts),
            "ours_images_per_s": round(len(paths) / ours_s, 2),
            "official_images_per_s": round(len(paths) / official_s, 2),
            "speedup": round(official_s / ours_s, 2),
            "max_score_deviation": float(np.abs(np.array(ours) - np.array(official)).max()),
        }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
