"""Operating points on the raw score: Youden's J and fixed sensitivity or specificity, with bootstrap CIs.

A case is called positive when its raw score is at least the threshold. The candidate thresholds are the
distinct scores of the data plus one just above the highest score (nothing positive, specificity 1), so
every target can be met:

* ``youden``: the threshold maximising ``sensitivity + specificity - 1`` (the highest one among ties).
* ``sensitivity_0.90`` / ``sensitivity_0.95``: the highest threshold whose sensitivity reaches the target,
  i.e. the best specificity that keeps that sensitivity.
* ``specificity_0.90`` / ``specificity_0.95``: the lowest threshold whose specificity reaches the target,
  i.e. the best sensitivity that keeps that specificity.

Confidence intervals are percentile bootstrap intervals over ``n`` resamples of the cases (seeded
``numpy.random.default_rng``); a resample is a vector of case counts over the scores sorted once. The
sensitivity and specificity intervals are those of the rates *at the chosen threshold* over the resamples
(what a user applying that threshold can expect); the threshold interval is that of the threshold chosen
again on each resample (how stable the choice is). Resamples without a positive or a negative are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from carzero_viewer.metrics import ScoreGroups

POINTS: tuple[str, ...] = (
    "youden",
    "sensitivity_0.90",
    "sensitivity_0.95",
    "specificity_0.90",
    "specificity_0.95",
)
DEFAULT_POINT = "youden"
RATE_SLACK = 1e-12  # k / n is compared with a target such as 0.9 without being defeated by rounding

Interval = tuple[float, float]


@dataclass(frozen=True)
class OperatingPoint:
    """One operating point: the raw-score threshold and the rates it achieves on the calibration data."""

    name: str
    threshold: float
    threshold_ci: Interval
    sensitivity: float
    sensitivity_ci: Interval
    specificity: float
    specificity_ci: Interval


def _curve(
    groups: ScoreGroups, labels: npt.NDArray[np.bool_], weights: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The ROC curve (descending thresholds) with the "nothing positive" threshold above the highest score."""
    tpr, fpr = groups.rates(labels, weights)
    thresholds = groups.distinct[::-1]
    above = np.nextafter(thresholds[0], np.inf)
    return np.r_[above, thresholds], np.r_[0.0, tpr], np.r_[0.0, fpr]


def choose(name: str, tpr: npt.NDArray[np.float64], fpr: npt.NDArray[np.float64]) -> int:
    """The index of operating point ``name`` on a curve of descending thresholds (see the module docstring)."""
    if name == "youden":
        return int(np.argmax(tpr - fpr))
    kind, _, target_text = name.partition("_")
    target = float(target_text)
    if kind == "sensitivity":
        return int(np.argmax(tpr >= target - RATE_SLACK))  # first = highest threshold; tpr ends at 1
    if kind == "specificity":
        return int(np.flatnonzero(1.0 - fpr >= target - RATE_SLACK)[-1])  # index 0 always qualifies
    raise ValueError(f"unknown operating point {name!r}")


def _quantiles(values: list[float], level: float) -> Interval:
    if not values:
        return float("nan"), float("nan")
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(np.asarray(values), [alpha, 1.0 - alpha])
    return float(low), float(high)


def operating_points(
    labels: npt.ArrayLike,
    scores: npt.ArrayLike,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[OperatingPoint, ...]:
    """Every point of :data:`POINTS` for finite ``scores`` (n,) and boolean ``labels`` (n,) with both classes."""
    y = np.asarray(labels, dtype=bool).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    groups = ScoreGroups(s)  # sorted once; each resample below is a weight vector over the same groups
    thresholds, tpr, fpr = _curve(groups, y, np.ones(s.size))
    chosen = [choose(name, tpr, fpr) for name in POINTS]
    picked = thresholds[chosen]
    rng = np.random.default_rng(seed)
    boot_thresholds: list[list[float]] = [[] for _ in POINTS]
    boot_sens: list[list[float]] = [[] for _ in POINTS]
    boot_spec: list[list[float]] = [[] for _ in POINTS]
    for _ in range(n_boot):
        counts = np.bincount(rng.integers(0, s.size, s.size), minlength=s.size).astype(np.float64)
        if not counts[y].any() or not counts[~y].any():
            continue
        # the same threshold grid in every resample: index chosen[i] is the full-data threshold of point i
        b_thresholds, b_tpr, b_fpr = _curve(groups, y, counts)
        for i, name in enumerate(POINTS):
            boot_thresholds[i].append(float(b_thresholds[choose(name, b_tpr, b_fpr)]))
            boot_sens[i].append(float(b_tpr[chosen[i]]))
            boot_spec[i].append(float(1.0 - b_fpr[chosen[i]]))
    return tuple(
        OperatingPoint(
            name=name,
            threshold=float(picked[i]),
            threshold_ci=_quantiles(boot_thresholds[i], level),
            sensitivity=float(tpr[chosen[i]]),
            sensitivity_ci=_quantiles(boot_sens[i], level),
            specificity=float(1.0 - fpr[chosen[i]]),
            specificity_ci=_quantiles(boot_spec[i], level),
        )
        for i, name in enumerate(POINTS)
    )
