"""One finding's calibration from its labelled raw scores: Platt map, held-out ECE, operating points, AUROC.

A finding with fewer than ``min_cases`` positives or negatives is not calibrated: an :class:`Exclusion`
records its counts and why (with 9 positives a 0.95-sensitivity threshold is decided by one case, and
5-fold cross-validation leaves folds of one or two positives).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from carzero_viewer.calibration.fitting import (
    DEFAULT_FOLDS,
    ECE_BINS,
    PlattFit,
    Reliability,
    cross_validated_probabilities,
    fit_platt,
    reliability,
    sigmoid,
)
from carzero_viewer.calibration.operating import Interval, OperatingPoint, operating_points
from carzero_viewer.metrics import bootstrap_ci, roc_auc, roc_curve

DEFAULT_MIN_CASES = 10
MIN_CASES_FLOOR = 2  # cross-validation needs 2 of each class (fitting.stratified_folds)
ROC_POINTS = 101  # the stored curve, for the viewer's ROC plot: enough to draw, bounded in the profile


@dataclass(frozen=True)
class FindingCalibration:
    """Everything a profile records for one calibrated finding.

    Attributes:
        phrasings: the prompt texts whose mean score is the finding's raw score.
        before, after: reliability over :data:`~carzero_viewer.calibration.fitting.ECE_BINS` equal-mass bins of
            ``sigmoid(raw score)`` and of the held-out (cross-validated) Platt probabilities.
        roc: ``(fpr, tpr)`` at most :data:`ROC_POINTS` points of the empirical curve, from (0, 0) to (1, 1).
    """

    name: str
    phrasings: tuple[str, ...]
    n_positive: int
    n_negative: int
    platt: PlattFit
    auroc: float
    auroc_ci: Interval
    before: Reliability
    after: Reliability
    folds: int
    points: tuple[OperatingPoint, ...]
    roc: tuple[tuple[float, ...], tuple[float, ...]]

    def point(self, name: str) -> OperatingPoint | None:
        return next((p for p in self.points if p.name == name), None)


@dataclass(frozen=True)
class Exclusion:
    """A finding left out of the profile, with its counts and the reason."""

    name: str
    n_positive: int
    n_negative: int
    reason: str


def _stored_roc(
    labels: npt.NDArray[np.bool_], scores: npt.NDArray[np.float64]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    _, tpr, fpr = roc_curve(labels, scores)
    fpr, tpr = np.r_[0.0, fpr], np.r_[0.0, tpr]
    keep = np.unique(np.linspace(0, fpr.size - 1, min(ROC_POINTS, fpr.size)).round().astype(int))
    return tuple(float(v) for v in fpr[keep]), tuple(float(v) for v in tpr[keep])


def calibrate_finding(
    name: str,
    phrasings: tuple[str, ...],
    scores: npt.ArrayLike,
    labels: npt.ArrayLike,
    min_cases: int = DEFAULT_MIN_CASES,
    folds: int = DEFAULT_FOLDS,
    n_boot: int = 1000,
    seed: int = 0,
) -> FindingCalibration | Exclusion:
    """Calibrate one finding from finite raw ``scores`` (n,) and boolean ``labels`` (n,).

    Args:
        min_cases: positives and negatives each need at least this many (at least :data:`MIN_CASES_FLOOR`).
        folds: cross-validation folds, lowered to the smaller class's count.
        n_boot, seed: bootstrap resamples and seed for every interval (AUROC and operating points).
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(labels, dtype=bool).ravel()
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    missing = int(np.count_nonzero(~np.isfinite(s)))
    if missing:
        return Exclusion(name, n_pos, n_neg, f"{missing} image(s) have no finite score; nothing was fitted")
    needed = max(min_cases, MIN_CASES_FLOOR)
    if n_pos < needed or n_neg < needed:
        reason = f"{n_pos} positive(s) and {n_neg} negative(s); at least {needed} of each are needed"
        return Exclusion(name, n_pos, n_neg, reason)
    held_out = cross_validated_probabilities(s, y, folds, seed)
    return FindingCalibration(
        name=name,
        phrasings=phrasings,
        n_positive=n_pos,
        n_negative=n_neg,
        platt=fit_platt(s, y),
        auroc=roc_auc(y, s),
        auroc_ci=bootstrap_ci(y, s, n=n_boot, seed=seed),
        before=reliability(sigmoid(s), y, ECE_BINS),
        after=reliability(held_out, y, ECE_BINS),
        folds=min(folds, n_pos, n_neg),
        points=operating_points(y, s, n_boot, seed),
        roc=_stored_roc(y, s),
    )
