"""Latency (median and minimum) of the fast engine next to the official computation, on a random full-size CARZero.

Prints one JSON document. Each measurement is paired with the same computation done the official way (text
padded to 97 tokens, the full 98-token t2i memory, the fusion module called per image with the query set
repeated, nothing cached), so the ratio and the maximum output deviation come from one run on one machine.

    .venv/bin/python benchmarks/latency.py [--repeats 7] [--weights DIR] [--device cpu|cuda] [--precision ...]

Measurements:
* ``image_encoding``: preprocessing + ViT for one new image.
* ``one_prompt``: one new prompt on an already-encoded image (text encoding, both fusion directions, the prompt
  map and the per-word maps). The official way has no cache, so it re-encodes the image too; its speed-up is
  split into ``caching_speedup`` (the official way with the image encoded once) and
  ``exact_shortcuts_speedup`` (ours against that).
* ``one_image_ten_prompts``: a new image and ten new prompts, everything from scratch.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _shared import MODEL, add_common_options, device_from, machine, spread, weights_folder

from carzero_viewer.inference.engine import InferenceEngine
from carzero_viewer.model.loader import load_model
from carzero_viewer.model.official import official_outputs, official_text
from carzero_viewer.paths import resolve_weights_folder

FINDINGS = [
    "pneumothorax", "pleural effusion", "cardiomegaly", "atelectasis", "consolidation", "pulmonary edema",
    "lung nodule", "lung mass", "pneumonia", "emphysema", "fibrosis", "hernia", "pleural thickening",
    "infiltration", "fracture", "support devices",
]  # fmt: skip
MODIFIERS = ["", "left ", "right ", "bilateral ", "small ", "large ", "mild ", "moderate ", "severe "]


def _prompt(index: int) -> str:
    """A distinct prompt of the form the template produces ("There is <finding>."), 5-9 word pieces."""
    finding = FINDINGS[index % len(FINDINGS)]
    modifier = MODIFIERS[(index // len(FINDINGS)) % len(MODIFIERS)]
    return f"There is {modifier}{finding}."


def _image(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.linspace(0, 255, 2048 * 2048, dtype=np.float32).reshape(2048, 2048)
    return np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)


def _timed_ms(fn: Callable[[int], Any], repeats: int) -> tuple[dict[str, Any], Any]:
    """Min and median wall time in ms (:func:`spread`) over ``repeats`` calls after a warm-up, and the last
    output. On a shared machine the minimum is the figure least disturbed by other work."""
    fn(10_000)  # warm-up (allocator, thread pools, lazy initialisation)
    times, last = [], None
    for rep in range(repeats):
        start = time.perf_counter()
        last = fn(rep)
        times.append((time.perf_counter() - start) * 1000)
    return spread(times, 1), last


def _split(one_prompt: dict[str, Any], cached_min_ms: float) -> None:
    """Split the one-prompt speed-up into caching the image (the official way with vs without its image
    encoding) and the exact shortcuts (ours vs the official way, both with the image encoded once); their
    product is ``speedup_of_minima`` (minima: the split is of two ratios, which other work would blur)."""
    one_prompt["official_image_cached_min_ms"] = round(cached_min_ms, 1)
    one_prompt["caching_speedup"] = round(one_prompt["official_min_ms"] / cached_min_ms, 2)
    one_prompt["exact_shortcuts_speedup"] = round(cached_min_ms / one_prompt["ours_min_ms"], 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    add_common_options(parser)
    args = parser.parse_args()

    device = device_from(args)
    with tempfile.TemporaryDirectory() as tmp:
        location = resolve_weights_folder(weights_folder(args.weights, Path(tmp)))
        loaded = load_model(location, device.device)
        # The official computation runs on its own copy with plain (MKL) weights, in fp32, as the original
        # code does; the engine packs its copy for oneDNN (CPU) or runs in the chosen precision.
        reference = load_model(location, device.device)
    engine = InferenceEngine(loaded, device)
    model, tokenizer = reference.model, reference.tokenizer
    images = [_image(seed) for seed in range(args.repeats + 1)] + [_image(99)]

    def ours_image(rep: int) -> Any:
        engine.clear_caches()
        return engine.encode_image(images[rep % len(images)])

    def official_image(rep: int) -> Any:
        with torch.inference_mode():
            pixels = model.pixels_from_crops([engine.prepare_image(images[rep % len(images)]).crop])
            return model.image_memory_tokens(pixels)

    cached_image = engine.encode_image(images[-1])
    with torch.inference_mode():
        official_cached = model.image_memory_tokens(
            model.pixels_from_crops([engine.prepare_image(images[-1]).crop])
        )

    def official_prompt_cached_image(rep: int) -> Any:
        """The official text and fusion passes on an image encoded once: what caching alone gives."""
        with torch.inference_mode():
            text = official_text(model, tokenizer, [engine.process(_prompt(rep)).text])
            return official_outputs(model, torch.empty(0), text.features, [official_cached])

    def ours_prompt(rep: int) -> Any:
        engine._prompts.clear()
        prompts = engine.encode_prompts([engine.process(_prompt(rep))])
        return engine.score(cached_image, prompts, word_maps=True)

    def official_prompts(texts: list[str]) -> Any:
        texts = [engine.process(t).text for t in texts]
        with torch.inference_mode():
            pixels = model.pixels_from_crops([engine.prepare_image(images[-1]).crop])
            text = official_text(model, tokenizer, texts)
            return official_outputs(model, pixels, text.features)

    def ten_prompts(rep: int) -> list[str]:
        return [_prompt(rep * 10 + i) for i in range(10)]

    def ours_ten(rep: int) -> Any:
        engine.clear_caches()
        return engine.score_texts(images[-1], ten_prompts(rep), word_maps=True)

    report: dict[str, Any] = {
        "machine": machine(device),
        "model": MODEL,
        "repeats": args.repeats,
        "results": {},
    }
    pairs = {
        "image_encoding": (ours_image, official_image),
        "one_prompt": (ours_prompt, lambda rep: official_prompts([_prompt(rep)])),
        "one_image_ten_prompts": (ours_ten, lambda rep: official_prompts(ten_prompts(rep))),
    }
    for name, (ours, official) in pairs.items():
        ours_ms, ours_out = _timed_ms(ours, args.repeats)
        official_ms, official_out = _timed_ms(official, args.repeats)
        entry: dict[str, Any] = {
            "ours_ms": ours_ms["median"],
            "official_ms": official_ms["median"],
            "speedup": round(official_ms["median"] / ours_ms["median"], 2),
            "ours_min_ms": ours_ms["min"],
            "official_min_ms": official_ms["min"],
            "speedup_of_minima": round(official_ms["min"] / ours_ms["min"], 2),
        }
        if name == "one_image_ten_prompts":
            entry["word_pieces_per_prompt"] = [
                len(tokenizer.word_pieces(r.prompt.cleaned)) + 2 for r in ours_out
            ]
        if name != "image_encoding":
            ours_scores = np.array([r.score for r in ours_out])
            ours_maps = np.stack([r.grounding_map for r in ours_out])
            entry["max_score_deviation"] = float(np.abs(ours_scores - official_out.scores[0].numpy()).max())
            entry["max_map_deviation"] = float(
                np.abs(ours_maps - official_out.grounding_map[0].numpy()).max()
            )
        report["results"][name] = entry
    _split(report["results"]["one_prompt"], _timed_ms(official_prompt_cached_image, args.repeats)[0]["min"])
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
