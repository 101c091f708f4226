"""Grounding metrics of a heatmap against ground-truth boxes, in original-image pixels, NaN-aware.

Inputs: ``values`` is an ``(H, W)`` float map in the opened image's pixels (row = y, column = x) with NaN
where the model saw nothing; boxes are anything with ``x1, y1, x2, y2`` in the same pixel frame (e.g.
:class:`carzero_viewer.annotations.Box` after ``scaled_to``). NaN pixels are excluded from every count, sum
and mean: "no data" is never "zero attention".

Pixel-centre convention: pixel ``(r, c)`` covers ``[c, c+1) x [r, r+1)`` and its centre is
``(c + 0.5, r + 0.5)``; it belongs to a box iff ``x1 <= c + 0.5 < x2`` and ``y1 <= r + 0.5 < y2``. A box
``(0, 0, 2, 1)`` therefore holds exactly pixels (0, 0) and (0, 1); a box narrower than a pixel that
contains no centre holds none.

Units, as defined in ``shared/docs/published-results.md`` (MS-CXR phrase-grounding protocol, ChestX-Det10
pointing game). The ``boxes`` given to a function are the ground truth of ONE (image, class): every box of
that class on that image, and no box of another class.

* Per (image, class), against the UNION of the class's boxes (other boxes of the same class are never
  negatives):

  - :func:`miou`: "mean over thresholds {0.1, ..., 0.5} of IoU between (min-max normalised map > t) and the
    union of the ground-truth boxes" (published).
  - :func:`pointing_game`: "map maximum inside a ground-truth box" (published), i.e. inside the union.
  - :func:`energy_in_box` and :func:`pixel_auroc`: not defined in the published material; they use the same
    union mask as mIoU so that the two agree on what "inside" means.

* Per box: :func:`box_cnrs` gives "CNR = |mean inside - mean outside| / sqrt(var inside + var outside), per
  box" (published), inside = that box alone, outside = every other valid pixel; :func:`cnr` is their mean
  over the boxes, NaNs ignored ("averaged over boxes", published). A dataset-level CNR therefore averages
  all boxes (:func:`nanmean` of the per-box values), not per-class means.

:func:`score_grounding` computes all of them for one (image, class) in one pass; the ``eval`` command, the
viewer's grounding panel and the export reports all call it, so the definitions live only here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from carzero_viewer.metrics.classification import roc_auc

DEFAULT_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5)
FloatMap = npt.NDArray[np.floating]
Mask = npt.NDArray[np.bool_]
Array = npt.NDArray[np.float64]
# One line per metric for reports (eval's summary.json and report.html): unit, formula, published source.
METRIC_DEFINITIONS: dict[str, str] = {
    "pointing_game": "per (image, class): a hit when a pixel attaining the map's maximum lies inside the union "
    "of the class's boxes (published ChestX-Det10 pointing game)",
    "energy_in_box": "per (image, class): share of the non-negative map mass inside the union of the class's "
    "boxes (not in the published material; same mask as mIoU)",
    "cnr": "per box: |mean inside - mean outside| / sqrt(var inside + var outside), inside = that box, outside = "
    "every other pixel (the class's other boxes included); averaged over boxes, NaNs ignored (published, MS-CXR "
    "protocol)",
    "miou": "per (image, class): mean over t in {0.1, 0.2, 0.3, 0.4, 0.5} of the IoU between (min-max "
    "normalised map > t) and the union of the class's boxes (published, MS-CXR protocol)",
    "pixel_auroc": "per (image, class): ROC-AUC of the map values separating pixels inside the union of the "
    "class's boxes from the others (not in the published material; same mask as mIoU)",
}


class BoxLike(Protocol):
    @property
    def x1(self) -> float: ...
    @property
    def y1(self) -> float: ...
    @property
    def x2(self) -> float: ...
    @property
    def y2(self) -> float: ...


def _span(lo: float, hi: float, size: int) -> tuple[int, int]:
    """Indices ``i`` in ``[start, stop)`` with ``lo <= i + 0.5 < hi``, clipped to ``[0, size)``."""
    start = max(0, math.ceil(lo - 0.5))
    stop = min(size, math.ceil(hi - 0.5))
    return start, max(start, stop)


def box_mask(shape: tuple[int, int], boxes: Iterable[BoxLike]) -> Mask:
    """``(H, W)`` True at the pixels whose centre lies in at least one box (see the module docstring)."""
    mask = np.zeros(shape, dtype=bool)
    for box in boxes:
        r0, r1 = _span(box.y1, box.y2, shape[0])
        c0, c1 = _span(box.x1, box.x2, shape[1])
        mask[r0:r1, c0:c1] = True
    return mask


def nanmean(values: Iterable[float]) -> float:
    """Mean of the non-NaN values; NaN when there are none (how every grounding average ignores NaNs)."""
    finite = [v for v in values if not math.isnan(v)]
    return math.fsum(finite) / len(finite) if finite else float("nan")


def _as_map(values: FloatMap) -> tuple[Array, Mask]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"expected an (H, W) map, got shape {array.shape}")
    return array, ~np.isnan(array)


def _prepare(values: FloatMap, boxes: Sequence[BoxLike]) -> tuple[Array, Mask, Mask]:
    array, valid = _as_map(values)
    return array, valid, box_mask((array.shape[0], array.shape[1]), boxes)


def _pointing(array: Array, valid: Mask, inside: Mask) -> bool:
    if not valid.any() or not inside.any():
        return False
    finite = array[valid]
    peak = finite.max()
    if peak == finite.min():
        return False
    return bool(np.any((array == peak) & valid & inside))


def _energy(array: Array, valid: Mask, inside: Mask) -> float:
    mass = np.where(valid, np.clip(array, 0.0, None), 0.0)
    total = float(mass.sum())
    if total <= 0.0:
        return float("nan")
    return float(mass[inside].sum()) / total


def _region_cnr(array: Array, valid: Mask, inside: Mask) -> float:
    a, b = array[valid & inside], array[valid & ~inside]
    if a.size == 0 or b.size == 0:
        return float("nan")
    spread = float(a.var() + b.var())
    if spread <= 0.0:
        return float("nan")
    return abs(float(a.mean()) - float(b.mean())) / math.sqrt(spread)


def _box_cnrs(array: Array, valid: Mask, boxes: Sequence[BoxLike]) -> list[float]:
    shape = (array.shape[0], array.shape[1])
    return [_region_cnr(array, valid, box_mask(shape, [box])) for box in boxes]


def _iou(array: Array, valid: Mask, inside: Mask, threshold: float) -> float:
    predicted = (normalise_minmax(array) > threshold) & valid
    truth = inside & valid
    union = int((predicted | truth).sum())
    if union == 0:
        return float("nan")
    return int((predicted & truth).sum()) / union


def _miou(array: Array, valid: Mask, inside: Mask, thresholds: Sequence[float]) -> float:
    return nanmean(_iou(array, valid, inside, t) for t in thresholds)


def pointing_game(values: FloatMap, boxes: Sequence[BoxLike]) -> bool:
    """Whether the map's maximum falls inside the union of the boxes (per (image, class)).

    Hit iff at least one pixel attaining the maximum of the valid (non-NaN) values lies inside a box. (Block
    maps have plateaus; counting any maximal pixel removes the arbitrariness of a row-major argmax.) A map
    that is constant over its valid pixels points nowhere: False. Also False without boxes or valid pixels.
    """
    return _pointing(*_prepare(values, boxes))


def energy_in_box(values: FloatMap, boxes: Sequence[BoxLike]) -> float:
    """Share of the map's mass inside the union of the boxes: ``sum(v+ in union) / sum(v+)`` over valid pixels.

    ``v+`` is the map clipped below at 0 (attention maps are non-negative already). NaN when the total mass
    is 0.
    """
    return _energy(*_prepare(values, boxes))


def box_cnrs(values: FloatMap, boxes: Sequence[BoxLike]) -> list[float]:
    """Contrast-to-noise ratio of every box alone, in input order (the published per-box CNR).

    ``|mean_in - mean_out| / sqrt(var_in + var_out)`` with means and population variances (``ddof=0``) over
    the valid pixels inside that one box and all other valid pixels (other boxes included). NaN for a box
    when either region has no valid pixel or both variances are 0.
    """
    array, valid = _as_map(values)
    return _box_cnrs(array, valid, boxes)


def cnr(values: FloatMap, boxes: Sequence[BoxLike]) -> float:
    """Mean of :func:`box_cnrs` over the boxes, NaNs ignored (NaN without boxes or when every box is NaN)."""
    return nanmean(box_cnrs(values, boxes))


def normalise_minmax(values: FloatMap) -> Array:
    """``(v - min) / (max - min)`` over the valid pixels (NaN stays NaN); a constant map becomes all 0."""
    array = np.asarray(values, dtype=np.float64)
    valid = ~np.isnan(array)
    if not valid.any():
        return array.copy()
    lo, hi = float(array[valid].min()), float(array[valid].max())
    if hi == lo:
        return np.where(valid, 0.0, np.nan)
    return (array - lo) / (hi - lo)


def iou_at(values: FloatMap, boxes: Sequence[BoxLike], threshold: float) -> float:
    """IoU between ``min-max normalised map > threshold`` and the union of the boxes, over valid pixels.

    NaN when both sets are empty.
    """
    return _iou(*_prepare(values, boxes), threshold)


def miou(
    values: FloatMap, boxes: Sequence[BoxLike], thresholds: Sequence[float] = DEFAULT_THRESHOLDS
) -> float:
    """Mean of :func:`iou_at` (union of the boxes) over ``thresholds`` (0.1 ... 0.5), ignoring NaN terms."""
    return _miou(*_prepare(values, boxes), thresholds)


def pixel_auroc(values: FloatMap, boxes: Sequence[BoxLike]) -> float:
    """ROC-AUC of the map's values as a pixel classifier of "inside the union of the boxes", valid pixels only.

    Rank-based with ties averaged (:func:`carzero_viewer.metrics.classification.roc_auc`); NaN when every
    valid pixel is inside, or none is.
    """
    array, valid, inside = _prepare(values, boxes)
    return roc_auc(inside[valid], array[valid])


@dataclass(frozen=True)
class GroundingScores:
    """Every grounding metric of one map against the ground truth of one (image, class), each in its unit.

    Attributes:
        boxes: how many boxes form the ground truth (their union is the mask of the per-(image, class) metrics).
        pointing_hit: :func:`pointing_game` against the union.
        energy_in_box: :func:`energy_in_box` against the union, 0..1; NaN for a zero map.
        miou: :func:`miou` against the union, 0..1.
        pixel_auroc: :func:`pixel_auroc` against the union, 0..1.
        box_cnr: :func:`box_cnrs`, one per box in input order (the per-box unit).
        stride: 1 when mIoU and pixel AUROC used every pixel, else the step of the regular sub-grid they used.
    """

    boxes: int
    pointing_hit: bool
    energy_in_box: float
    miou: float
    pixel_auroc: float
    box_cnr: tuple[float, ...]
    stride: int = 1

    @property
    def cnr(self) -> float:
        """The per-box CNRs averaged over this (image, class)'s boxes, NaNs ignored (:func:`cnr`)."""
        return nanmean(self.box_cnr)


def score_grounding(
    values: FloatMap,
    boxes: Sequence[BoxLike],
    max_pixels: int | None = None,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> GroundingScores:
    """All grounding metrics of ``values`` against the boxes of one (image, class), as published.

    Args:
        values: ``(H, W)`` map in original-image pixels, NaN where the model saw nothing.
        boxes: every box of one class on the image (not empty), same pixel frame.
        max_pixels: None for exact results. Otherwise, above this many map pixels mIoU and pixel AUROC (a
            sort of every pixel: seconds on a 3000x2500 radiograph) use the regular sub-grid
            ``[::stride, ::stride]`` with the smallest stride that fits: a uniform pixel sample of the same
            quantity, the union mask sampled at the same pixels. Pointing game, energy and CNR stay exact.
        thresholds: the mIoU thresholds.

    Raises:
        ValueError: ``values`` is not 2-D, ``boxes`` is empty or ``max_pixels`` is below 1.
    """
    if not boxes:
        raise ValueError("no ground-truth box to score against")
    if max_pixels is not None and max_pixels < 1:
        raise ValueError(f"max_pixels must be at least 1, got {max_pixels}")
    array, valid, inside = _prepare(values, boxes)
    stride = 1 if max_pixels is None else max(1, math.ceil(math.sqrt(array.size / max_pixels)))
    sub = (slice(None, None, stride),) * 2
    return GroundingScores(
        boxes=len(boxes),
        pointing_hit=_pointing(array, valid, inside),
        energy_in_box=_energy(array, valid, inside),
        miou=_miou(array[sub], valid[sub], inside[sub], thresholds),
        pixel_auroc=roc_auc(inside[sub][valid[sub]], array[sub][valid[sub]]),
        box_cnr=tuple(_box_cnrs(array, valid, boxes)),
        stride=stride,
    )
