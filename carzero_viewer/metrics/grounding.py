"""Grounding metrics of a heatmap against boxes, in original-image pixels, NaN-aware.

Inputs: ``values`` is an ``(H, W)`` float map in the opened image's pixels (row = y, column = x) with NaN
where the model saw nothing; boxes are anything with ``x1, y1, x2, y2`` in the same pixel frame (e.g.
:class:`carzero_viewer.annotations.Box` after ``scaled_to``). NaN pixels are excluded from every count, sum
and mean: "no data" is never "zero attention".

Pixel-centre convention: pixel ``(r, c)`` covers ``[c, c+1) x [r, r+1)`` and its centre is
``(c + 0.5, r + 0.5)``; it belongs to a box iff ``x1 <= c + 0.5 < x2`` and ``y1 <= r + 0.5 < y2``. A box
``(0, 0, 2, 1)`` therefore holds exactly pixels (0, 0) and (0, 1); a box narrower than a pixel that
contains no centre holds none. Several boxes combine by union.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from carzero_viewer.metrics.classification import roc_auc

DEFAULT_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5)
FloatMap = npt.NDArray[np.floating]


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


def box_mask(shape: tuple[int, int], boxes: Iterable[BoxLike]) -> npt.NDArray[np.bool_]:
    """``(H, W)`` True at the pixels whose centre lies in at least one box (see the module docstring)."""
    mask = np.zeros(shape, dtype=bool)
    for box in boxes:
        r0, r1 = _span(box.y1, box.y2, shape[0])
        c0, c1 = _span(box.x1, box.x2, shape[1])
        mask[r0:r1, c0:c1] = True
    return mask


def _prepare(
    values: FloatMap, boxes: Sequence[BoxLike]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"expected an (H, W) map, got shape {array.shape}")
    valid = ~np.isnan(array)
    inside = box_mask((array.shape[0], array.shape[1]), boxes)
    return array, valid, inside


def pointing_game(values: FloatMap, boxes: Sequence[BoxLike]) -> bool:
    """Whether the map's maximum falls inside the boxes.

    Hit iff at least one pixel attaining the maximum of the valid (non-NaN) values lies inside a box. (Block
    maps have plateaus; counting any maximal pixel removes the arbitrariness of a row-major argmax.) A map
    that is constant over its valid pixels points nowhere: False. Also False without boxes or valid pixels.
    """
    array, valid, inside = _prepare(values, boxes)
    if not valid.any() or not inside.any():
        return False
    finite = array[valid]
    peak = finite.max()
    if peak == finite.min():
        return False
    return bool(np.any((array == peak) & valid & inside))


def energy_in_box(values: FloatMap, boxes: Sequence[BoxLike]) -> float:
    """Share of the map's mass inside the boxes: ``sum(v+ in boxes) / sum(v+)`` over valid pixels.

    ``v+`` is the map clipped below at 0 (attention maps are non-negative already). NaN when the total mass
    is 0.
    """
    array, valid, inside = _prepare(values, boxes)
    mass = np.where(valid, np.clip(array, 0.0, None), 0.0)
    total = float(mass.sum())
    if total <= 0.0:
        return float("nan")
    return float(mass[inside].sum()) / total


def cnr(values: FloatMap, boxes: Sequence[BoxLike]) -> float:
    """Contrast-to-noise ratio ``|mean_in - mean_out| / sqrt(var_in + var_out)`` (MS-CXR protocol).

    Means and population variances (``ddof=0``) over the valid pixels inside the boxes and outside them.
    NaN when either region has no valid pixel or both variances are 0.
    """
    array, valid, inside = _prepare(values, boxes)
    a, b = array[valid & inside], array[valid & ~inside]
    if a.size == 0 or b.size == 0:
        return float("nan")
    spread = float(a.var() + b.var())
    if spread <= 0.0:
        return float("nan")
    return abs(float(a.mean()) - float(b.mean())) / math.sqrt(spread)


def normalise_minmax(values: FloatMap) -> npt.NDArray[np.float64]:
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
    array, valid, inside = _prepare(values, boxes)
    predicted = (normalise_minmax(array) > threshold) & valid
    truth = inside & valid
    union = int((predicted | truth).sum())
    if union == 0:
        return float("nan")
    return int((predicted & truth).sum()) / union


def miou(
    values: FloatMap, boxes: Sequence[BoxLike], thresholds: Sequence[float] = DEFAULT_THRESHOLDS
) -> float:
    """Mean of :func:`iou_at` over ``thresholds`` (0.1 ... 0.5 by default), ignoring NaN terms."""
    ious = [iou_at(values, boxes, t) for t in thresholds]
    finite = [v for v in ious if not math.isnan(v)]
    return float(np.mean(finite)) if finite else float("nan")


def pixel_auroc(values: FloatMap, boxes: Sequence[BoxLike]) -> float:
    """ROC-AUC of the map's values as a pixel classifier of "inside a box", over valid pixels.

    Rank-based with ties averaged (:func:`carzero_viewer.metrics.classification.roc_auc`); NaN when every
    valid pixel is inside, or none is.
    """
    array, valid, inside = _prepare(values, boxes)
    return roc_auc(inside[valid], array[valid])
