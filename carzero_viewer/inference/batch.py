"""Scoring many files: decoding runs ahead of the model, images go through the ViT and the fusion in batches.

File decoding (a JPEG 2000 DICOM takes most of a second) and the model are independent, so a thread pool
decodes the next files while the current batch is encoded; numpy, OpenCV and the DICOM codecs release the
GIL. Text is encoded once for the whole run. Results come out in input order, one list per file.

The decoder may return more than the model needs (``eval`` wants the whole image record, for box scaling):
``model_input`` picks the 8-bit image out of it, and every result carries what was decoded. Callers that need
only the model input use :func:`decode_model_input`, which also names the rule (app default or the original
code's decode, see :class:`~carzero_viewer.imaging.SixteenBitRule`) so the outputs can say which was used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from carzero_viewer.errors import CarzeroError
from carzero_viewer.imaging import (
    Applicability,
    SixteenBitRule,
    SourceFormat,
    check_applicability,
    load_image,
)
from carzero_viewer.inference.cancel import CancelToken
from carzero_viewer.inference.engine import InferenceEngine
from carzero_viewer.inference.features import ImageFeatures, PromptFeatures
from carzero_viewer.types import PromptResult

Decoded = TypeVar("Decoded")
Item = TypeVar("Item")
ErrorHandler = Callable[[Path, CarzeroError], None]


@dataclass(frozen=True)
class FileScores(Generic[Decoded]):
    """The results of one file, what its decoder returned, and its image features (for embeddings)."""

    path: Path
    decoded: Decoded
    image: ImageFeatures
    results: list[PromptResult]


@dataclass(frozen=True)
class ModelInput:
    """What scoring needs from one file: the model's 8-bit image and how it was made.

    Attributes:
        gray: (H, W) uint8, the record's ``model_input``.
        rule: the record's ``model_input_rule`` (one line, for the outputs).
        source_format: the container, so callers can tell DICOM (outside the original pipeline) apart.
        applicability: whether the model can read the image (the one applicability check), for the outputs.
    """

    gray: npt.NDArray[np.uint8]
    rule: str
    source_format: SourceFormat
    applicability: Applicability


def decode_model_input(
    path: Path, sixteen_bit_rule: SixteenBitRule = SixteenBitRule.FULL_RANGE
) -> ModelInput:
    """Open one file and keep only its model input: the full-depth display pixels are dropped, because a
    batch decoded ahead holds many files at once.

    Args:
        sixteen_bit_rule: ``OPENCV_HIGH_BYTE`` reproduces the original code's ``cv2.imread(IMREAD_GRAYSCALE)``
            for every raster file (and refuses what it cannot read); DICOM is unaffected.

    Raises:
        ImageLoadError: the file cannot be opened (see :func:`~carzero_viewer.imaging.load_image`).
    """
    record = load_image(path, sixteen_bit_rule=sixteen_bit_rule)
    return ModelInput(
        record.model_input, record.model_input_rule, record.source_format, check_applicability(record)
    )


def decode_ahead(
    paths: Sequence[Item],
    decode: Callable[[Item], Decoded],
    workers: int,
    lookahead: int,
    on_error: Callable[[Item, CarzeroError], None] | None,
) -> Iterator[tuple[Item, Decoded]]:
    """Decoded files in input order, with up to ``lookahead`` files decoded ahead (in ``workers`` threads).

    ``Item`` is what names a file: a path, or a richer work item whose decoder reports its own failures
    (``on_error`` is then never called).

    A file whose decoder raises a :class:`CarzeroError` is passed to ``on_error`` and skipped; without a
    handler the error propagates (naming the file) and ends the run.
    """
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="carzero-decode") as pool:
        pending: list[tuple[Item, Future[Decoded]]] = []
        remaining = iter(paths)
        for path in remaining:
            pending.append((path, pool.submit(decode, path)))
            if len(pending) >= lookahead:
                break
        while pending:
            path, future = pending.pop(0)
            following = next(remaining, None)
            if following is not None:
                pending.append((following, pool.submit(decode, following)))
            try:
                done = future.result()
            except CarzeroError as exc:
                if on_error is None:
                    raise
                on_error(path, exc)
                continue
            yield path, done


def score_batch(
    engine: InferenceEngine,
    grays: Sequence[npt.NDArray[np.uint8]],
    prompts: Sequence[PromptFeatures],
    word_maps: bool = False,
    cancel: CancelToken | None = None,
) -> tuple[list[ImageFeatures], list[list[PromptResult]]]:
    """One batch through the model: the images' features (one ViT batch) and their results (one fusion pass).

    The single per-batch computation of every batch path (:func:`score_files`, the archive engines), so they
    compute the same numbers by construction.
    """
    images = engine.encode_images(grays, cancel)
    return images, engine.score_images(images, prompts, word_maps=word_maps, cancel=cancel)


def score_files(
    engine: InferenceEngine,
    paths: Sequence[Path],
    prompts: Sequence[PromptFeatures],
    decode: Callable[[Path], Decoded],
    model_input: Callable[[Decoded], npt.NDArray[np.uint8]],
    batch_size: int | None = None,
    workers: int = 2,
    word_maps: bool = False,
    cancel: CancelToken | None = None,
    on_error: ErrorHandler | None = None,
) -> Iterator[FileScores[Decoded]]:
    """Score every file against ``prompts``; yields in input order as batches complete.

    Args:
        decode: reads one file (in a worker thread).
        model_input: the 8-bit grayscale image of a decoded file.
        batch_size: images per batch; default: the device's (:attr:`DeviceSpec.batch_size`).
        on_error: called with a file that cannot be decoded, which is then skipped (default: raise).
    """
    size = batch_size or engine.device.batch_size
    batch: list[tuple[Path, Decoded]] = []

    def flush() -> Iterator[FileScores[Decoded]]:
        images, scored = score_batch(engine, [model_input(d) for _, d in batch], prompts, word_maps, cancel)
        for (path, decoded), image, results in zip(batch, images, scored, strict=True):
            yield FileScores(path, decoded, image, results)
        batch.clear()

    # One batch decoded ahead while the current one runs: enough to keep the model fed, and it bounds the
    # memory held in decoded files (a GPU batch is large).
    for item in decode_ahead(paths, decode, workers, lookahead=max(size, workers), on_error=on_error):
        batch.append(item)
        if len(batch) == size:
            yield from flush()
    if batch:
        yield from flush()
