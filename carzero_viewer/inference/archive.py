"""Archive scoring's work, shared by both engines: decode one work item, score one batch into table rows.

The local engine (:func:`score_local`) and the Ray engine (:mod:`carzero_viewer.inference.ray_engine`) run
exactly these two functions (:func:`decode_item` per file, :meth:`BatchScorer.outcomes` per batch; the model
part is :func:`~carzero_viewer.inference.batch.score_batch`), so they compute the same rows by construction;
only where the functions run differs. Every file yields one :class:`ImageOutcome`: scored (its rows),
skipped (its rows are already in the table: a resume) or failed (the reason, one line).

The content hash is the SHA-256 of the file's bytes, not of the decoded pixels: a resume must recognise a
finished file without decoding it, and a file rewritten with other bytes is scored again.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from carzero_viewer.archive import WorkItem
from carzero_viewer.archive.table import Row, geometry_cells
from carzero_viewer.errors import CarzeroError, ImageLoadError
from carzero_viewer.findings import Finding, aggregate
from carzero_viewer.imaging import SixteenBitRule
from carzero_viewer.inference.batch import decode_ahead, decode_model_input, score_batch
from carzero_viewer.inference.engine import InferenceEngine
from carzero_viewer.types import PromptResult
from carzero_viewer.untrusted import require_regular_file

_CHUNK = 1 << 20


@dataclass(frozen=True)
class RowSpec:
    """What each row is computed from (picklable: the Ray engine sends it to its workers).

    Attributes:
        texts: the distinct typed prompts, in order (with findings: their phrasings).
        template: template of bare findings (ignored when ``raw``).
        raw: score the text exactly as given.
        official: the original code's decode (OpenCV's high byte of 16-bit rasters).
        findings: score findings (the mean of their phrasings) instead of single prompts.
        with_maps: rows carry the g x g grounding map and the model input's geometry.
    """

    texts: tuple[str, ...]
    template: str
    raw: bool
    official: bool = False
    findings: tuple[Finding, ...] = ()
    with_maps: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """The row names of every image: the findings' names, or the prompts."""
        return tuple(f.name for f in self.findings) if self.findings else self.texts

    @property
    def row_kind(self) -> str:
        """The key column's name: ``finding`` or ``prompt``."""
        return "finding" if self.findings else "prompt"

    @property
    def rule(self) -> SixteenBitRule:
        return SixteenBitRule.OPENCV_HIGH_BYTE if self.official else SixteenBitRule.FULL_RANGE


@dataclass(frozen=True)
class DecodedItem:
    """One work item after the decode stage: the model input of a file that still has rows to compute.

    Attributes:
        gray: (H, W) uint8 model input; ``None`` when skipped or failed (nothing is held for those).
        missing: the row names still to compute (empty: everything is already in the table).
        reason: why the file could not be read ("" unless it failed).
    """

    path: str
    sha256: str = ""
    missing: tuple[str, ...] = ()
    gray: npt.NDArray[np.uint8] | None = None
    reason: str = ""


@dataclass(frozen=True)
class ImageOutcome:
    """What became of one file: ``status`` is ``scored``, ``skipped`` or ``failed`` (then ``reason``)."""

    path: str
    status: str
    reason: str = ""
    rows: list[Row] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a regular file's bytes.

    Raises:
        ImageLoadError: missing, not a regular file, or unreadable.
    """
    require_regular_file(path, ImageLoadError, "image file")
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise ImageLoadError(f"cannot be read ({exc.strerror or exc})", path) from exc
    return digest.hexdigest()


def decode_item(item: WorkItem, spec: RowSpec) -> DecodedItem:
    """Hash the file, and decode it only if some of its rows are missing; failures become the reason."""
    try:
        sha = file_sha256(Path(item.path))
        missing = tuple(item.missing(sha, spec.names))
        if not missing:
            return DecodedItem(item.path, sha)
        return DecodedItem(item.path, sha, missing, decode_model_input(Path(item.path), spec.rule).gray)
    except CarzeroError as exc:
        return DecodedItem(item.path, reason=exc.reason)


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


class BatchScorer:
    """The per-batch function of both engines: an engine and the run's prompts, encoded once."""

    def __init__(self, engine: InferenceEngine, spec: RowSpec) -> None:
        self.engine = engine
        self.spec = spec
        self.prompts = engine.encode_prompts([engine.process(t, spec.template, spec.raw) for t in spec.texts])

    def outcomes(self, batch: Sequence[DecodedItem]) -> list[ImageOutcome]:
        """Score the batch's files that have missing rows in one model batch; one outcome per file, in order."""
        todo = [item for item in batch if item.gray is not None]
        results = dict(
            zip(
                (item.path for item in todo),
                score_batch(self.engine, [item.gray for item in todo if item.gray is not None], self.prompts)[
                    1
                ],
                strict=True,
            )
        )
        outcomes = []
        for item in batch:
            if item.reason:
                outcomes.append(ImageOutcome(item.path, "failed", item.reason))
            elif item.path in results:
                outcomes.append(ImageOutcome(item.path, "scored", rows=self._rows(item, results[item.path])))
            else:
                outcomes.append(ImageOutcome(item.path, "skipped"))
        return outcomes

    def _rows(self, item: DecodedItem, results: list[PromptResult]) -> list[Row]:
        by_text = {r.prompt.typed: r for r in results}
        rows = []
        for name in item.missing:
            if self.spec.findings:
                finding = next(f for f in self.spec.findings if f.name == name)
                phrasings = [by_text[t] for t in finding.phrasings]
                scored = aggregate(finding, by_text)
                values = (scored.score, _mean([r.i2t for r in phrasings]), _mean([r.t2i for r in phrasings]))
                grid, geometry = scored.map, scored.geometry
            else:
                result = by_text[name]
                values = (result.score, result.i2t, result.t2i)
                grid, geometry = result.grounding_map, result.geometry
            row: Row = {
                "path": item.path,
                "content_sha256": item.sha256,
                self.spec.row_kind: name,
                "score": values[0],
                "i2t": values[1],
                "t2i": values[2],
            }
            if self.spec.with_maps and grid is not None and geometry is not None:
                row["map_14"] = [float(v) for v in np.asarray(grid, dtype=np.float32).ravel()]
                row["geometry"] = geometry_cells(geometry)
            rows.append(row)
        return rows


def score_local(
    engine: InferenceEngine, items: Sequence[WorkItem], spec: RowSpec, batch_size: int, workers: int = 2
) -> Iterator[ImageOutcome]:
    """The local engine: files decoded ahead in threads, batches of ``batch_size`` files through the model.

    Outcomes come in input order, a batch at a time.
    """
    scorer = BatchScorer(engine, spec)
    batch: list[DecodedItem] = []
    decoded = decode_ahead(
        items, lambda item: decode_item(item, spec), workers, max(batch_size, workers), None
    )
    for _, item in decoded:
        batch.append(item)
        if sum(b.gray is not None for b in batch) == batch_size:
            yield from scorer.outcomes(batch)
            batch = []
    if batch:
        yield from scorer.outcomes(batch)
