"""Image-level classification metrics: rank-based ROC-AUC and its bootstrap confidence interval."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def average_ranks(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """1-based ranks of ``values`` (1-D), tied values sharing the mean of their ranks."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    # start index of every run of equal values
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    run_ranks = (starts + ends + 1) / 2.0  # mean of 1-based ranks start+1 .. end
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat(run_ranks, ends - starts)
    return ranks


def roc_auc(labels: npt.ArrayLike, scores: npt.ArrayLike) -> float:
    """Area under the ROC curve by the Mann-Whitney statistic.

    ``AUC = (R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg)`` with ``R_pos`` the sum of the positives' ranks
    among all scores (ties get their average rank, i.e. a tied positive/negative pair counts 1/2). Pairs whose
    score is NaN are dropped first.

    Returns:
        The AUC in [0, 1], or NaN when there is no positive or no negative left.
    """
    y = np.asarray(labels, dtype=bool).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in length ({y.size} vs {s.size})")
    keep = ~np.isnan(s)
    y, s = y[keep], s[keep]
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    rank_sum = float(average_ranks(s)[y].sum())
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def bootstrap_ci(
    labels: npt.ArrayLike,
    scores: npt.ArrayLike,
    n: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of :func:`roc_auc`.

    Draws ``n`` resamples of the (label, score) pairs with replacement (``numpy.random.default_rng(seed)``,
    one ``integers(0, size, size)`` draw per resample), computes the AUC of each, drops resamples that hold a
    single class (AUC undefined), and returns the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of
    the rest. ``(nan, nan)`` when the AUC itself is undefined or no resample is usable.

    A resample is held as case counts over the scores grouped once (:class:`ScoreGroups`), so each costs
    O(size) instead of a sort, and memory stays O(size) instead of O(n x size).
    """
    y = np.asarray(labels, dtype=bool).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if np.isnan(roc_auc(y, s)):
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    keep = ~np.isnan(s)
    groups = ScoreGroups(s[keep])
    aucs = np.array(
        [
            groups.auc(y[keep], np.bincount(rng.integers(0, y.size, y.size), minlength=y.size)[keep])
            for _ in range(n)
        ]
    )
    aucs = aucs[~np.isnan(aucs)]
    if aucs.size == 0:
        return float("nan"), float("nan")
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(aucs, [alpha, 1.0 - alpha])
    return float(low), float(high)


class ScoreGroups:
    """Finite scores grouped by distinct value once, for weighted ROC quantities without re-sorting.

    Attributes:
        distinct: ``(m,)`` the distinct scores, ascending.
        group: ``(n,)`` each case's index into ``distinct``.
    """

    def __init__(self, scores: npt.NDArray[np.float64]) -> None:
        self.distinct, self.group = np.unique(scores, return_inverse=True)

    def _sums(
        self, labels: npt.NDArray[np.bool_], weights: npt.NDArray[np.float64] | npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Weighted positives and negatives per distinct score, ascending, each ``(m,)``."""
        size = self.distinct.size
        w = np.asarray(weights, dtype=np.float64)
        positives = np.bincount(self.group, weights=np.where(labels, w, 0.0), minlength=size)
        negatives = np.bincount(self.group, weights=np.where(labels, 0.0, w), minlength=size)
        return positives.astype(np.float64), negatives.astype(np.float64)

    def rates(
        self, labels: npt.NDArray[np.bool_], weights: npt.NDArray[np.float64] | npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """``(tpr, fpr)`` at the distinct scores in *descending* order (see :func:`roc_curve`)."""
        positives, negatives = self._sums(labels, weights)
        tp, fp = np.cumsum(positives[::-1]), np.cumsum(negatives[::-1])
        with np.errstate(invalid="ignore", divide="ignore"):
            tpr = tp / (tp[-1] if tp.size else 1.0)
            fpr = fp / (fp[-1] if fp.size else 1.0)
        return tpr.astype(np.float64), fpr.astype(np.float64)

    def auc(
        self, labels: npt.NDArray[np.bool_], weights: npt.NDArray[np.float64] | npt.NDArray[np.int64]
    ) -> float:
        """The weighted Mann-Whitney AUC: ``sum_pos w (W_neg below + W_neg tied / 2) / (W_pos W_neg)``.

        With integer weights this is :func:`roc_auc` of the cases repeated that many times. NaN when a
        class has no weight.
        """
        positives, negatives = self._sums(labels, weights)
        total_pos, total_neg = float(positives.sum()), float(negatives.sum())
        if total_pos == 0.0 or total_neg == 0.0:
            return float("nan")
        below = np.cumsum(negatives) - negatives
        return float(positives @ (below + 0.5 * negatives) / (total_pos * total_neg))


def roc_curve(
    labels: npt.ArrayLike, scores: npt.ArrayLike, weights: npt.ArrayLike | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The empirical ROC curve at every distinct score, for the rule "positive iff score >= threshold".

    Args:
        weights: per-case multiplicities (a bootstrap resample's counts), default 1; NaN scores are dropped.

    Returns:
        ``(thresholds, tpr, fpr)``, each ``(m,)`` for the ``m`` distinct scores in descending order: the
        weighted share of positives (``tpr``) and of negatives (``fpr``) scoring at least ``thresholds[j]``.
        Both rates are non-decreasing and end at 1; they are NaN when a class has no weight.
    """
    y = np.asarray(labels, dtype=bool).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    w = np.ones(s.shape) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if not y.shape == s.shape == w.shape:
        raise ValueError(f"labels, scores and weights differ in length ({y.size}, {s.size}, {w.size})")
    keep = ~np.isnan(s)
    groups = ScoreGroups(s[keep])
    tpr, fpr = groups.rates(y[keep], w[keep])
    return np.asarray(groups.distinct[::-1], dtype=np.float64), tpr, fpr
