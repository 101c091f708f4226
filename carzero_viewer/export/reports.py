"""Score reports: one row per (image, prompt) with provenance, written as CSV and JSON.

Each row carries what is needed to reproduce and audit it: the prompt as typed and as processed, the
official score and its two directions, ground-truth grounding metrics when boxes exist for the image, and
the provenance (app version, model id, weights checksum, image content hash, template), and whether the image
is one the model can read (the applicability check's reasons, passed as plain sentences: empty = applicable).
Image names are file names only (no folders, no DICOM patient data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from carzero_viewer import __version__, files
from carzero_viewer.metrics import BoxLike, score_grounding
from carzero_viewer.types import PromptResult

METRIC_NAMES = ("pointing_game", "energy_in_box", "cnr", "miou", "pixel_auroc")
SCORE_MEANING = (
    "official CARZero zero-shot score (i2t + t2i) / 2: a raw logit, higher = more likely; not a probability"
)


@dataclass(frozen=True)
class Provenance:
    """Where a result came from (the same for every row of one run).

    Attributes:
        model_id: the engine's model id (short checksum @ device-precision).
        weights_checksum: full sha256 of the weights.
        model_status: ``verified`` / ``unverified`` / ``untrained``.
        template: the prompt template, or None in raw mode.
        app_version: the application version.
        created: when the report was made (ISO 8601).
    """

    model_id: str
    weights_checksum: str
    model_status: str
    template: str | None
    app_version: str = __version__
    created: str = ""

    @property
    def is_untrained(self) -> bool:
        """The weights are a known untrained checkpoint: every number of the run is meaningless."""
        return self.model_status == "untrained"


@dataclass(frozen=True)
class ReportRow:
    """One (image, prompt) result.

    Attributes:
        image: file name of the image.
        image_hash: the image record's content hash (model input pixels).
        typed_prompt, processed_prompt, cleaned_prompt: the prompt at each stage.
        score, i2t, t2i: official score and its two logits.
        words, word_weights: the prompt's words and their official t2i weights (aligned).
        n_boxes: ground-truth boxes used for the metrics (0: no metrics).
        metrics: metric name -> value (``METRIC_NAMES``), empty without boxes.
        provenance: the run's provenance.
        applicability_reasons: why the image is outside what the model was trained on; empty when it is not.
    """

    image: str
    image_hash: str
    typed_prompt: str
    processed_prompt: str
    cleaned_prompt: str
    score: float
    i2t: float
    t2i: float
    provenance: Provenance
    words: tuple[str, ...] = ()
    word_weights: tuple[float, ...] = ()
    n_boxes: int = 0
    metrics: Mapping[str, float] = field(default_factory=dict)
    applicability_reasons: tuple[str, ...] = ()

    @property
    def applicable(self) -> bool:
        """True when the applicability check found no reason to warn."""
        return not self.applicability_reasons


CSV_COLUMNS = (
    "image",
    "typed_prompt",
    "processed_prompt",
    "score",
    "i2t",
    "t2i",
    "n_boxes",
    *METRIC_NAMES,
    "applicable",
    "applicability_reasons",
    "app_version",
    "model_id",
    "weights_checksum",
    "model_status",
    "image_hash",
    "template",
)


def grounding_metrics(values: npt.NDArray[np.floating], boxes: Sequence[BoxLike]) -> dict[str, float]:
    """All grounding metrics of a map in original pixels (NaN = no data) against the boxes of its prompt's
    class, as :func:`carzero_viewer.metrics.score_grounding` defines them (union; CNR averaged over boxes);
    {} without boxes."""
    if not boxes:
        return {}
    scores = score_grounding(values, boxes)
    return {
        "pointing_game": float(scores.pointing_hit),
        "energy_in_box": scores.energy_in_box,
        "cnr": scores.cnr,
        "miou": scores.miou,
        "pixel_auroc": scores.pixel_auroc,
    }


def row_from_result(
    result: PromptResult,
    image_name: str,
    image_hash: str,
    provenance: Provenance,
    metrics: Mapping[str, float] | None = None,
    n_boxes: int = 0,
    applicability_reasons: Sequence[str] = (),
) -> ReportRow:
    """A report row from an engine result (``applicability_reasons``: the image's applicability check)."""
    return ReportRow(
        image=Path(image_name).name,
        image_hash=image_hash,
        typed_prompt=result.prompt.typed,
        processed_prompt=result.prompt.text,
        cleaned_prompt=result.prompt.cleaned,
        score=float(result.score),
        i2t=float(result.i2t),
        t2i=float(result.t2i),
        provenance=provenance,
        words=tuple(result.words),
        word_weights=tuple(float(w) for w in result.word_weights),
        n_boxes=n_boxes if metrics else 0,
        metrics=dict(metrics or {}),
        applicability_reasons=tuple(applicability_reasons),
    )


def csv_text(rows: Sequence[ReportRow]) -> str:
    """The CSV document (header :data:`CSV_COLUMNS`, one line per row, empty cell = not available;
    ``applicability_reasons`` joins the reasons with "; ").

    Text cells (prompts, names) are neutralised against formula injection (:func:`files.csv_cell`).
    """
    records: list[list[object]] = []
    for row in rows:
        p = row.provenance
        record: dict[str, object] = {
            "image": row.image,
            "typed_prompt": row.typed_prompt,
            "processed_prompt": row.processed_prompt,
            "score": row.score,
            "i2t": row.i2t,
            "t2i": row.t2i,
            "n_boxes": row.n_boxes,
            **{name: row.metrics.get(name) for name in METRIC_NAMES},
            "applicable": row.applicable,
            "applicability_reasons": "; ".join(row.applicability_reasons),
            "app_version": p.app_version,
            "model_id": p.model_id,
            "weights_checksum": p.weights_checksum,
            "model_status": p.model_status,
            "image_hash": row.image_hash,
            "template": p.template,
        }
        records.append([record[column] for column in CSV_COLUMNS])
    return files.csv_text(CSV_COLUMNS, records)


def json_document(rows: Sequence[ReportRow]) -> dict[str, Any]:
    """The JSON document: run provenance once, then one entry per row (the writer turns NaN into null)."""
    provenance = asdict(rows[0].provenance) if rows else {}
    entries = []
    for row in rows:
        entry = {
            "image": row.image,
            "image_hash": row.image_hash,
            "typed_prompt": row.typed_prompt,
            "processed_prompt": row.processed_prompt,
            "cleaned_prompt": row.cleaned_prompt,
            "score": row.score,
            "i2t": row.i2t,
            "t2i": row.t2i,
            "words": [{"word": w, "weight": v} for w, v in zip(row.words, row.word_weights, strict=False)],
            "n_boxes": row.n_boxes,
            "metrics": dict(row.metrics) or None,
            "applicable": row.applicable,
            "applicability_reasons": list(row.applicability_reasons),
            "provenance": asdict(row.provenance),
        }
        entries.append(entry)
    return {
        "app_version": provenance.get("app_version", __version__),
        "provenance": provenance,
        "score_meaning": SCORE_MEANING,
        "disclaimer": "Not for diagnostic use.",
        "results": entries,
    }


def write_csv(path: str | Path, rows: Sequence[ReportRow], force: bool = False) -> Path:
    """Write the CSV report atomically (never overwrites without ``force``)."""
    return files.write_text_atomic(path, csv_text(rows), force)


def write_json(path: str | Path, rows: Sequence[ReportRow], force: bool = False) -> Path:
    """Write the JSON report atomically (never overwrites without ``force``; NaN written as null)."""
    return files.write_json_atomic(path, json_document(rows), force)
