"""Grounding and classification metrics (numpy only: no torch, no Qt, no inference/ui imports).

Grounding (:mod:`carzero_viewer.metrics.grounding`, whose docstring states each metric's unit and the
published definition it follows): ``values`` is an ``(H, W)`` map in original-image pixels with NaN where
the model saw nothing; ``boxes`` are the ground truth of one (image, class): every box of that class on the
image, with ``x1, y1, x2, y2`` in the same frame. NaN pixels are excluded everywhere. A pixel ``(r, c)``
belongs to a box iff its centre lies inside it: ``x1 <= c + 0.5 < x2`` and ``y1 <= r + 0.5 < y2``.

* :func:`score_grounding` -> :class:`GroundingScores`: all of the below in one pass (what callers use).
* Per (image, class), against the union of the boxes:

  - :func:`pointing_game` -> bool: some pixel attaining the map's maximum lies inside the union (False for a
    constant map, without boxes or without valid pixels).
  - :func:`energy_in_box` -> float: ``sum(max(v, 0) inside) / sum(max(v, 0))``; NaN when the total is 0.
  - :func:`miou` -> float: mean over thresholds ``t`` in (0.1, 0.2, 0.3, 0.4, 0.5) of
    ``IoU(normalised > t, union of boxes)`` with ``normalised = (v - min) / (max - min)`` (0 for a constant
    map); a threshold where both sets are empty is skipped.
  - :func:`pixel_auroc` -> float: ROC-AUC of the values as a classifier of "pixel inside the union".

* Per box: :func:`box_cnrs` -> ``list[float]``: ``|mean_in - mean_out| / sqrt(var_in + var_out)``
  (population variances) of each box alone; NaN when a region is empty or both variances are 0.
  :func:`cnr` -> float: their mean over boxes, NaNs ignored (:func:`nanmean`).
* :func:`box_mask` -> ``(H, W)`` bool: the pixel-centre rasterisation above (union of the boxes).

Classification (:mod:`carzero_viewer.metrics.classification`):

* :func:`roc_auc(labels, scores)`: Mann-Whitney ``(R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg)`` with
  average ranks for ties (a tied positive/negative pair counts 1/2); NaN scores dropped; NaN when one class
  is missing.
* :func:`bootstrap_ci(labels, scores, n=1000, seed=0, level=0.95)` -> ``(low, high)``: percentile bootstrap
  over resampled (label, score) pairs, single-class resamples dropped.
* :func:`roc_curve(labels, scores, weights=None)` -> ``(thresholds, tpr, fpr)``: the empirical curve at every
  distinct score (descending), positive iff ``score >= threshold``; ``weights`` are case multiplicities.
* :class:`ScoreGroups`: scores grouped by distinct value once; ``rates`` and ``auc`` for any case weights
  (a bootstrap resample's counts) in O(n) without re-sorting.
"""

from carzero_viewer.metrics.classification import (
    ScoreGroups,
    average_ranks,
    bootstrap_ci,
    roc_auc,
    roc_curve,
)
from carzero_viewer.metrics.grounding import (
    DEFAULT_THRESHOLDS,
    METRIC_DEFINITIONS,
    BoxLike,
    GroundingScores,
    box_cnrs,
    box_mask,
    cnr,
    energy_in_box,
    iou_at,
    miou,
    nanmean,
    normalise_minmax,
    pixel_auroc,
    pointing_game,
    score_grounding,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "METRIC_DEFINITIONS",
    "BoxLike",
    "GroundingScores",
    "ScoreGroups",
    "average_ranks",
    "bootstrap_ci",
    "box_cnrs",
    "box_mask",
    "cnr",
    "energy_in_box",
    "iou_at",
    "miou",
    "nanmean",
    "normalise_minmax",
    "pixel_auroc",
    "pointing_game",
    "roc_auc",
    "roc_curve",
    "score_grounding",
]
