"""Scoring many files: decoding runs ahead of the model, images go through the ViT and the fusion in batches.

File decoding (a JPEG 2000 DICOM takes most of a second) and the model are independent, so a thread pool
decodes the next files while the current batch is encoded; numpy, OpenCV and the DICOM codecs release the
GIL. Text is encoded once for the whole run. Results come out in input order, one list per file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from carzero_viewer.inference.cancel import CancelToken
from carzero_viewer.inference.engine import InferenceEngine
from carzero_viewer.inference.features import ImageFeatures, PromptFeatures
from carzero_viewer.types import PromptResult

Decoder = Callable[[Path], npt.NDArray[np.uint8]]


@dataclass(frozen=True)
class FileScores:
    """The results of one file and its image features (for embeddings)."""

    path: Path
    image: ImageFeatures
    results: list[PromptResult]


def _decoded(
    paths: Sequence[Path], decode: Decoder, workers: int, lookahead: int
) -> Iterator[npt.NDArray[np.uint8]]:
    """Decoded model inputs in input order, with up to ``lookahead`` files decoded ahead."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="carzero-decode") as pool:
        pending: list[Future[npt.NDArray[np.uint8]]] = []
        remaining = iter(paths)
        for path in remaining:
            pending.append(pool.submit(decode, path))
            if len(pending) >= lookahead:
                break
        while pending:
            done = pending.pop(0).result()  # re-raises the decoder's error (e.g. ImageLoadError)
            following = next(remaining, None)
            if following is not None:
                pending.append(pool.submit(decode, following))
            yield done


def score_files(
    engine: InferenceEngine,
    paths: Sequence[Path],
    prompts: Sequence[PromptFeatures],
    decode: Decoder,
    batch_size: int | None = None,
    workers: int = 2,
    word_maps: bool = False,
    cancel: CancelToken | None = None,
) -> Iterator[FileScores]:
    """Score every file against ``prompts``; yields in input order as batches complete.

    Args:
        batch_size: images per batch; default: the device's (:attr:`DeviceSpec.batch_size`).
    """
    size = batch_size or engine.device.batch_size
    batch: list[tuple[Path, npt.NDArray[np.uint8]]] = []

    def flush() -> Iterator[FileScores]:
        images = engine.encode_images([gray for _, gray in batch], cancel)
        scored = engine.score_images(images, prompts, word_maps=word_maps, cancel=cancel)
        for (path, _), image, results in zip(batch, images, scored, strict=True):
            yield FileScores(path, image, results)
        batch.clear()

    for path, gray in zip(paths, _decoded(paths, decode, workers, lookahead=2 * size), strict=True):
        batch.append((path, gray))
        if len(batch) == size:
            yield from flush()
    if batch:
        yield from flush()
