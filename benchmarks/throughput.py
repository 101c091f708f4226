"""Batch scoring throughput, ours next to the official loop, on a random full-size CARZero; prints JSON.

    .venv/bin/python benchmarks/throughput.py [--images 100] [--weights DIR] [--device cpu|cuda]
        [--precision fp32|bf16|fp16] [--batch-size N]

N real-size PNG files (copies of the bundled radiographs, shifted so no two are identical) x 14 prompts (the
ChestX-ray14 findings through the template), file decoding included: ours (the batch pipeline: decoding ahead
of the model, ViT batches, shared image memory, text encoded once) next to the official loop (OpenCV decode,
one image at a time, text padded to 97 and encoded once, full 98-token t2i memory), in fp32 on the same
device, with the maximum score deviation.

With a reduced precision (``--precision bf16`` on a CPU with AVX512-BF16/AMX, or bf16/fp16 on CUDA) our run
uses autocast and the deviation is that of the reduced precision from the fp32 official loop. On a CPU
without native bf16 (where the app refuses bf16), ``bf16_emulated`` still reports the deviation bf16 would
cause, measured on a few images, so the precision trade-off is known before buying hardware.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from _shared import MODEL, add_common_options, device_from, machine, weights_folder

from carzero_viewer.imaging import load_image
from carzero_viewer.inference.batch import score_files
from carzero_viewer.inference.device import DeviceSpec, cpu_supports_bf16
from carzero_viewer.inference.engine import InferenceEngine
from carzero_viewer.model.loader import LoadedModel, load_model
from carzero_viewer.model.official import official_outputs, official_text
from carzero_viewer.model.preprocessing import decode_grayscale, prepare
from carzero_viewer.paths import resolve_weights_folder

ROOT = Path(__file__).resolve().parents[1]
FINDINGS = (
    "atelectasis", "cardiomegaly", "effusion", "infiltration", "mass", "nodule", "pneumonia", "pneumothorax",
    "consolidation", "edema", "emphysema", "fibrosis", "pleural thickening", "hernia",
)  # fmt: skip


def make_images(folder: Path, count: int) -> list[Path]:
    sources = sorted((ROOT / "resources" / "samples").glob("*.png"))
    paths = []
    for index in range(count):
        image = cv2.imread(str(sources[index % len(sources)]), cv2.IMREAD_GRAYSCALE)
        path = folder / f"image{index:03d}.png"
        cv2.imwrite(str(path), np.roll(image, index, axis=1))
        paths.append(path)
    return paths


def official_scores(reference: LoadedModel, texts: list[str], paths: list[Path]) -> Any:
    """The official loop: OpenCV decode, one image at a time through ViT and both fusion directions."""
    text = official_text(reference.model, reference.tokenizer, texts)
    scores = []
    for path in paths:
        pixels = reference.model.pixels_from_crops([prepare(decode_grayscale(path)).crop])
        scores.append(official_outputs(reference.model, pixels, text.features).scores[0].tolist())
    return scores


def ours_scores(engine: InferenceEngine, texts: list[str], paths: list[Path], batch_size: int) -> Any:
    prompts = engine.encode_prompts([engine.process(t) for t in texts])
    files = score_files(
        engine,
        paths,
        prompts,
        decode=lambda p: load_image(p).model_input,
        model_input=lambda gray: gray,
        batch_size=batch_size,
    )
    return [[r.score for r in item.results] for item in files]


def timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--batch-size", type=int, help="images per batch (default: the device's)")
    parser.add_argument(
        "--emulated-images", type=int, default=4, help="images for the bf16-emulated check (0: skip it)"
    )
    add_common_options(parser)
    args = parser.parse_args()
    device = device_from(args)
    batch_size = args.batch_size or device.batch_size
    texts = [f"There is {finding}." for finding in FINDINGS]
    with tempfile.TemporaryDirectory() as tmp:
        location = resolve_weights_folder(weights_folder(args.weights, Path(tmp)))
        paths = make_images(Path(tmp), args.images)
        engine = InferenceEngine(load_model(location, device.device), device)
        reference = load_model(location, device.device)
        ours_scores(engine, texts, paths[:batch_size], batch_size)  # warm-up: allocator, kernels, autotuning
        engine.clear_caches()
        ours_s, ours = timed(lambda: ours_scores(engine, texts, paths, batch_size))
        official_s, official = timed(lambda: official_scores(reference, texts, paths))
        report: dict[str, Any] = {
            "machine": machine(device),
            "model": MODEL,
            "images": len(paths),
            "prompts": len(texts),
            "batch_size": batch_size,
            "ours_images_per_s": round(len(paths) / ours_s, 2),
            "official_images_per_s": round(len(paths) / official_s, 2),
            "speedup": round(official_s / ours_s, 2),
            "max_score_deviation": float(np.abs(np.array(ours) - np.array(official)).max()),
        }
        if args.emulated_images > 0 and device.device.type == "cpu" and not cpu_supports_bf16():
            emulated = InferenceEngine(load_model(location), DeviceSpec(torch.device("cpu"), "bf16"))
            few = paths[: args.emulated_images]
            seconds, scores = timed(lambda: ours_scores(emulated, texts, few, batch_size))
            report["bf16_emulated"] = {
                "note": "this CPU lacks AVX512-BF16/AMX: the app refuses bf16 here; measured for its deviation",
                "images": len(few),
                "images_per_s": round(len(few) / seconds, 2),
                "max_score_deviation_vs_fp32": float(
                    np.abs(np.array(scores) - np.array(official[: len(few)])).max()
                ),
            }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
