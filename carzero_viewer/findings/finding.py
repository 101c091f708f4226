"""A finding (a name and one or more phrasings) and its result on one image, aggregated from its phrasings.

Zero-shot scores depend on the wording of the prompt, so a finding is scored through several phrasings and
reported as their mean, with their spread, instead of trusting one sentence. Each phrasing is scored by the
official scorer exactly as a single prompt would be (same text processing, same engine path); nothing here
changes a phrasing's score, so a one-phrasing finding has exactly that prompt's score and map.

- score: the arithmetic mean of the phrasings' official scores (raw logits, not probabilities), in float64;
- spread: minimum, maximum and population standard deviation of those scores (the spread of these phrasings,
  not an estimate over all possible wordings, so one phrasing has a spread of 0);
- map: the element-wise mean of the phrasings' prompt maps, NaN only where every phrasing's map is NaN
  (outside the model's field of view, after :func:`~carzero_viewer.inference.geometry.map_to_original`).

Numpy only: results arrive as :class:`~carzero_viewer.types.PromptResult` (or as plain scores, for callers
that keep no maps, such as calibration).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from carzero_viewer.errors import CarzeroError
from carzero_viewer.types import ModelInputGeometry, PromptResult


class FindingsError(CarzeroError):
    """A finding library or file cannot be used (unknown library, malformed or unbounded file, bad entry)."""


@dataclass(frozen=True)
class Finding:
    """A name and its phrasings (distinct texts, in order; at least one).

    Attributes:
        name: the label as the library or the user's file spells it (``Pleural_Thickening``); ground-truth
            labels select it through :class:`~carzero_viewer.annotations.LabelMap`'s canonical spelling.
        phrasings: the prompt texts scored for it, each processed like a single typed prompt.
    """

    name: str
    phrasings: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.phrasings:
            raise ValueError(f"finding {self.name!r} has no phrasing")
        if len(set(self.phrasings)) != len(self.phrasings):
            raise ValueError(f"finding {self.name!r} repeats a phrasing: each would count twice in its mean")


@dataclass(frozen=True)
class PhrasingScore:
    """One phrasing's official score (raw logit) on one image."""

    text: str
    score: float


@dataclass(frozen=True)
class Spread:
    """How far the phrasings of one finding disagree on one image (raw-logit units)."""

    min: float
    max: float
    std: float


@dataclass(frozen=True)
class FindingResult:
    """A finding on one image.

    Attributes:
        name: the finding's name.
        score: mean of the phrasings' official scores (raw logit; higher = more likely; not a probability).
        phrasing_scores: each phrasing's score, in the finding's order.
        spread: min / max / population standard deviation of the phrasing scores.
        map: ``(g, g)`` float32 mean of the phrasings' official prompt maps (``PromptResult.grounding_map``,
            row-major over the model's crop); ``None`` when aggregated from scores alone.
        geometry: the crop's geometry shared by the phrasings (all come from one image), to map ``map`` back
            to original pixels; ``None`` with ``map``.
    """

    name: str
    score: float
    phrasing_scores: tuple[PhrasingScore, ...]
    spread: Spread
    map: npt.NDArray[np.float32] | None = None
    geometry: ModelInputGeometry | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON form of ``score --json``: name, score, phrasings ``[{"text", "score"}]`` and spread."""
        return {
            "name": self.name,
            "score": self.score,
            "phrasings": [{"text": p.text, "score": p.score} for p in self.phrasing_scores],
            "spread": {"min": self.spread.min, "max": self.spread.max, "std": self.spread.std},
        }


def all_phrasings(findings: Iterable[Finding]) -> tuple[str, ...]:
    """Every distinct phrasing of ``findings``, in first-seen order: each is scored once, whichever findings
    share it (``Effusion`` and ``Pleural Effusion`` of two libraries have the same sentences)."""
    return tuple(dict.fromkeys(text for finding in findings for text in finding.phrasings))


def aggregate(finding: Finding, results_by_text: Mapping[str, PromptResult]) -> FindingResult:
    """The finding's score, spread and map on one image from its phrasings' results.

    Args:
        results_by_text: the result of each phrasing (more entries are ignored), keyed by phrasing text as
            given to the engine.

    Raises:
        FindingsError: a phrasing has no result.
    """
    results = [_lookup(finding, results_by_text, text) for text in finding.phrasings]
    scored = aggregate_scores(
        finding, {text: r.score for text, r in zip(finding.phrasings, results, strict=True)}
    )
    mean = mean_map([r.grounding_map for r in results])
    return FindingResult(
        scored.name, scored.score, scored.phrasing_scores, scored.spread, mean, results[0].geometry
    )


def aggregate_scores(finding: Finding, scores_by_text: Mapping[str, float]) -> FindingResult:
    """:func:`aggregate` from plain scores (no map), for callers that keep only the numbers.

    Raises:
        FindingsError: a phrasing has no score.
    """
    scores = [float(_lookup(finding, scores_by_text, text)) for text in finding.phrasings]
    values = np.asarray(scores, dtype=np.float64)
    return FindingResult(
        name=finding.name,
        score=math.fsum(scores) / len(scores),
        phrasing_scores=tuple(PhrasingScore(t, s) for t, s in zip(finding.phrasings, scores, strict=True)),
        spread=Spread(float(values.min()), float(values.max()), float(values.std())),
    )


def mean_map(maps: Sequence[npt.NDArray[np.floating[Any]]]) -> npt.NDArray[np.float32]:
    """Element-wise mean of same-shape maps, skipping NaN; NaN where every map is NaN.

    Computed without ``np.nanmean`` so that an all-NaN pixel (outside the field of view) is a plain NaN
    rather than a "mean of empty slice" warning.

    Raises:
        ValueError: no maps, or maps of different shapes.
    """
    if not maps:
        raise ValueError("no map to average")
    stack = np.stack([np.asarray(m, dtype=np.float64) for m in maps])
    present = ~np.isnan(stack)
    counts = present.sum(axis=0)
    total = np.where(present, stack, 0.0).sum(axis=0)
    mean = np.full(total.shape, np.nan)
    np.divide(total, counts, out=mean, where=counts > 0)
    return mean.astype(np.float32)


def _lookup(finding: Finding, values: Mapping[str, Any], text: str) -> Any:
    try:
        return values[text]
    except KeyError:
        raise FindingsError(f"finding {finding.name!r}: no result for its phrasing {text!r}") from None
