"""The batch pipeline: same results as one image at a time, input order kept, decode errors surface."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.inference.batch import score_files
from carzero_viewer.inference.device import select_device
from carzero_viewer.inference.engine import InferenceEngine
from carzero_viewer.model.loader import load_model
from carzero_viewer.model.preprocessing import decode_grayscale
from carzero_viewer.paths import resolve_weights_folder
from tests.tolerances import assert_close, bound, deviation
from tests.unit.model.conftest import FIXTURE


@pytest.fixture(scope="module")
def engine() -> InferenceEngine:
    return InferenceEngine(load_model(resolve_weights_folder(FIXTURE)), select_device("cpu"))


def _same(gray: np.ndarray) -> np.ndarray:
    return gray


def _images(count: int) -> dict[Path, np.ndarray]:
    base = decode_grayscale(FIXTURE / "image.png")
    return {Path(f"image{i}.png"): np.roll(base, 7 * i, axis=1) for i in range(count)}


def test_batches_equal_single_images_in_input_order(engine: InferenceEngine) -> None:
    images = _images(7)
    prompts = engine.encode_prompts(
        [engine.process(p) for p in ("Pneumothorax", "There is a left effusion.")]
    )
    batched = list(
        score_files(engine, list(images), prompts, decode=images.__getitem__, model_input=_same, batch_size=3)
    )
    assert [item.path for item in batched] == list(images)
    engine.clear_caches()
    for item in batched:
        single = engine.score(engine.encode_image(images[item.path]), prompts, word_maps=False)
        assert_close([r.score for r in item.results], [r.score for r in single], "scores, batched vs single")


def test_a_decode_error_names_the_file(engine: InferenceEngine) -> None:
    images = _images(3)

    def decode(path: Path) -> np.ndarray:
        if path.name == "image1.png":
            raise ImageLoadError("not a recognised image format", path)
        return images[path]

    prompts = engine.encode_prompts([engine.process("Pneumothorax")])
    with pytest.raises(ImageLoadError, match=r"image1\.png"):
        list(score_files(engine, list(images), prompts, decode=decode, model_input=_same, batch_size=2))


def test_scoring_images_together_equals_one_at_a_time(engine: InferenceEngine) -> None:
    images = engine.encode_images(list(_images(3).values()))
    prompts = engine.encode_prompts(
        [engine.process(p) for p in ("Pneumothorax", "There is a small left apical pneumothorax.", "Edema")]
    )
    together = engine.score_images(images, prompts, word_maps=True)
    assert len(together) == 3
    for image, batched in zip(images, together, strict=True):
        alone = engine.score(image, prompts, word_maps=True)
        for a, b in zip(alone, batched, strict=True):
            assert (a.prompt, a.words, a.geometry) == (b.prompt, b.words, b.geometry)
            assert_close([a.score, a.i2t, a.t2i], [b.score, b.i2t, b.t2i], "logits, together vs alone")
            for name in ("grounding_map", "word_attention", "word_maps", "padding_word_map"):
                assert_close(getattr(a, name), getattr(b, name), name)
    # Different images must give maps further apart than the tolerance, or the checks above prove nothing.
    assert deviation(together[0][0].grounding_map, together[1][0].grounding_map) > bound(
        together[1][0].grounding_map
    )


def test_an_error_handler_skips_undecodable_files(engine: InferenceEngine) -> None:
    images = _images(5)
    bad = {Path("image1.png"), Path("image3.png")}

    def decode(path: Path) -> tuple[str, np.ndarray]:
        if path in bad:
            raise ImageLoadError("not a recognised image format", path)
        return path.stem, images[path]

    skipped: list[Path] = []
    prompts = engine.encode_prompts([engine.process("Pneumothorax")])
    scored = list(
        score_files(
            engine,
            list(images),
            prompts,
            decode=decode,
            model_input=lambda decoded: decoded[1],
            batch_size=2,
            on_error=lambda path, exc: skipped.append(path),
        )
    )
    assert skipped == sorted(bad)
    assert [item.path for item in scored] == [p for p in images if p not in bad]
    assert [item.decoded[0] for item in scored] == [p.stem for p in images if p not in bad]
