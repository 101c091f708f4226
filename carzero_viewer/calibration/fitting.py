"""Platt scaling of one finding's raw scores, its cross-validated probabilities and calibration error.

Platt scaling is the 1-D logistic regression ``P(positive | s) = sigmoid(slope * s + intercept)`` of the label
on the raw score ``s`` (the official CARZero score, a logit-like number with no fixed scale). It is fitted by
Newton's method (iteratively reweighted least squares) on the standardised score, for conditioning, and
mapped back to raw-score units. A ridge of :data:`RIDGE` on the standardised slope keeps the fit finite when
the classes are separable (the unpenalised slope would grow without bound); it changes nothing measurable
otherwise (the data's own curvature is about ``n / 4`` per case). Platt's target smoothing is not used, so
the fit is the maximum-likelihood one and its parameters can be compared with a known relation.

The slope is constrained to be non-negative: a higher score must never mean a lower probability. A finding
whose scores run the wrong way gets slope 0 (the probability is then its prevalence) and ``clamped`` says so.

Calibration error is the expected calibration error (ECE) over :data:`ECE_BINS` equal-mass bins (cases sorted
by predicted probability, split into bins of equal count): equal-width bins leave most bins empty when the
probabilities crowd near 0, as they do for rare findings. "Before" calibration means the raw score read as if
it were a log-odds, ``sigmoid(s)``, which is what a user reading a logit as a probability gets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

RIDGE = 1e-3
MAX_NEWTON_STEPS = 100
NEWTON_TOLERANCE = 1e-10
ECE_BINS = 10
DEFAULT_FOLDS = 5
Z_95 = 1.959963984540054  # two-sided 95 % normal quantile

FloatArray = npt.NDArray[np.float64]


def sigmoid(values: npt.ArrayLike) -> FloatArray:
    """The logistic function through ``tanh``: no overflow, and non-decreasing in floating point too."""
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * np.asarray(values, dtype=np.float64))), dtype=np.float64)


@dataclass(frozen=True)
class PlattFit:
    """``P(positive | s) = sigmoid(slope * s + intercept)`` with ``s`` the raw score.

    Attributes:
        slope, intercept: in raw-score units (slope >= 0).
        slope_se, intercept_se: Wald standard errors from the inverse Hessian of the penalised likelihood.
        clamped: the unconstrained slope was negative and was fixed at 0.
    """

    slope: float
    intercept: float
    slope_se: float
    intercept_se: float
    clamped: bool = False

    def probability(self, scores: npt.ArrayLike) -> FloatArray:
        """Calibrated probabilities of ``scores`` (any shape), non-decreasing in the score."""
        return sigmoid(self.slope * np.asarray(scores, dtype=np.float64) + self.intercept)

    def slope_ci(self, z: float = Z_95) -> tuple[float, float]:
        return self.slope - z * self.slope_se, self.slope + z * self.slope_se

    def intercept_ci(self, z: float = Z_95) -> tuple[float, float]:
        return self.intercept - z * self.intercept_se, self.intercept + z * self.intercept_se


def _penalised_loss(theta: FloatArray, x: FloatArray, y: FloatArray) -> float:
    t = theta[0] + theta[1] * x
    return float(np.sum(np.logaddexp(0.0, t) - y * t) + 0.5 * RIDGE * theta[1] ** 2)


def _newton(x: FloatArray, y: FloatArray, theta: FloatArray) -> FloatArray:
    """The penalised maximum-likelihood ``(b0, b1)`` on the standardised score ``x``."""
    penalty = np.diag([0.0, RIDGE])
    design = np.stack([np.ones_like(x), x], axis=1)
    for _ in range(MAX_NEWTON_STEPS):
        gradient = design.T @ (sigmoid(theta[0] + theta[1] * x) - y) + penalty @ theta
        step = np.linalg.solve(_hessian(x, theta) + 1e-12 * np.eye(2), gradient)
        loss = _penalised_loss(theta, x, y)
        scale = 1.0
        while scale > 1e-6 and _penalised_loss(theta - scale * step, x, y) > loss:
            scale /= 2.0  # step halving: Newton can overshoot when the classes (nearly) separate
        theta = theta - scale * step
        if float(np.max(np.abs(scale * step))) < NEWTON_TOLERANCE:
            break
    return theta


def _hessian(x: FloatArray, theta: FloatArray) -> FloatArray:
    """The penalised negative log-likelihood's Hessian in ``(b0, b1)`` at ``theta``."""
    p = sigmoid(theta[0] + theta[1] * x)
    design = np.stack([np.ones_like(x), x], axis=1)
    return np.asarray(design.T @ (design * (p * (1.0 - p))[:, None]) + np.diag([0.0, RIDGE]))


def fit_platt(scores: npt.ArrayLike, labels: npt.ArrayLike) -> PlattFit:
    """Fit :class:`PlattFit` to finite ``scores`` (n,) and boolean ``labels`` (n,) holding both classes.

    Raises:
        ValueError: lengths differ, a score is not finite, or a class is missing.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(labels, dtype=bool).ravel().astype(np.float64)
    if s.shape != y.shape or not np.all(np.isfinite(s)):
        raise ValueError("scores must be finite and as many as the labels")
    prevalence = float(y.mean()) if y.size else 0.0
    if not 0.0 < prevalence < 1.0:
        raise ValueError("both classes are needed to fit a calibration")
    centre, spread = float(s.mean()), float(s.std())
    spread = spread if spread > 0.0 else 1.0
    x = (s - centre) / spread
    start = np.array([math.log(prevalence / (1.0 - prevalence)), 0.0])
    theta = _newton(x, y, start)
    clamped = bool(theta[1] < 0.0)
    if clamped:
        theta = start
    # pinv: if every probability saturated in float64 the intercept's curvature would vanish; the standard
    # errors are then huge (and say so) rather than an exception
    covariance = np.linalg.pinv(_hessian(x, theta))
    # (intercept, slope) in raw units = J @ (b0, b1): intercept = b0 - b1 * centre / spread, slope = b1 / spread
    jacobian = np.array([[1.0, -centre / spread], [0.0, 1.0 / spread]])
    raw = jacobian @ covariance @ jacobian.T
    return PlattFit(
        slope=float(theta[1] / spread),
        intercept=float(theta[0] - theta[1] * centre / spread),
        slope_se=float(math.sqrt(max(raw[1, 1], 0.0))),
        intercept_se=float(math.sqrt(max(raw[0, 0], 0.0))),
        clamped=clamped,
    )


def stratified_folds(labels: npt.ArrayLike, folds: int, seed: int) -> npt.NDArray[np.int64]:
    """A fold index per case: positives and negatives each shuffled (seeded) and dealt round-robin.

    ``folds`` is lowered to the size of the smaller class, so every fold's training part holds both classes.

    Raises:
        ValueError: fewer than 2 positives or 2 negatives (no held-out fit is possible).
    """
    y = np.asarray(labels, dtype=bool).ravel()
    k = min(folds, int(y.sum()), int((~y).sum()))
    if k < 2:
        raise ValueError("cross-validation needs at least 2 positives and 2 negatives")
    rng = np.random.default_rng(seed)
    fold = np.empty(y.size, dtype=np.int64)
    for members in (np.flatnonzero(y), np.flatnonzero(~y)):
        fold[rng.permutation(members)] = np.arange(members.size) % k
    return fold


def cross_validated_probabilities(
    scores: npt.ArrayLike, labels: npt.ArrayLike, folds: int = DEFAULT_FOLDS, seed: int = 0
) -> FloatArray:
    """Each case's probability from a Platt fit on the other folds (:func:`stratified_folds`), shape (n,)."""
    s = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(labels, dtype=bool).ravel()
    fold = stratified_folds(y, folds, seed)
    held_out = np.empty(s.size, dtype=np.float64)
    for k in range(int(fold.max()) + 1):
        test = fold == k
        held_out[test] = fit_platt(s[~test], y[~test]).probability(s[test])
    return held_out


@dataclass(frozen=True)
class Reliability:
    """A reliability table over equal-mass bins (ascending predicted probability), each ``(bins,)``.

    Attributes:
        predicted: mean predicted probability of the bin's cases.
        observed: share of positives among them.
        counts: cases in the bin.
    """

    predicted: tuple[float, ...]
    observed: tuple[float, ...]
    counts: tuple[int, ...]

    @property
    def ece(self) -> float:
        """Expected calibration error: ``sum_b (n_b / n) |observed_b - predicted_b|``, in [0, 1]."""
        total = sum(self.counts)
        return sum(
            n * abs(o - p) for n, o, p in zip(self.counts, self.observed, self.predicted, strict=True)
        ) / max(total, 1)


def reliability(probabilities: npt.ArrayLike, labels: npt.ArrayLike, bins: int = ECE_BINS) -> Reliability:
    """:class:`Reliability` of ``probabilities`` (n,) against boolean ``labels`` (n,), ``min(bins, n)`` bins.

    Cases are sorted by probability (stable, so ties keep input order) and split into bins whose sizes
    differ by at most one.
    """
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    y = np.asarray(labels, dtype=bool).ravel()
    order = np.argsort(p, kind="stable")
    groups = [g for g in np.array_split(order, min(bins, p.size)) if g.size]
    return Reliability(
        predicted=tuple(float(p[g].mean()) for g in groups),
        observed=tuple(float(y[g].mean()) for g in groups),
        counts=tuple(int(g.size) for g in groups),
    )
