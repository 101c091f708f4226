"""Scoring many files: decoding runs ahead of the model, images go through the ViT in small batches.

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
    batch_size: int = 4,
    workers: int = 2,
    word_maps: bool = False,
    cancel: CancelToken | None = None,
) -> Iterator[FileScores]:
    """Score every file against ``prompts``; yields in input order as batches complete."""
    batch: list[tuple[Path, npt.NDArray[np.uint8]]] = []

    def flush() -> Iterator[FileScores]:
        images = engine.encode_images([gray for _, gray in batch], cancel)
        for (path, _), image in zip(batch, images, strict=True):
            yield FileScores(path, image, engine.score(image, prompts, word_maps=word_maps, cancel=cancel))
        batch.clear()

    for path, gray in zip(paths, _decoded(paths, decode, workers, lookahead=2 * batch_size), strict=True):
        batch.append((path, gray))
        if len(batch) == batch_size:
            yield from flush()
    if batch:
        yield from flush()
