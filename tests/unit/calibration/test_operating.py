"""Operating points meet their targets on the data, and their bootstrap intervals are seeded and sensible."""

from __future__ import annotations

import numpy as np
import pytest

from carzero_viewer.calibration.operating import POINTS, choose, operating_points


def _data(seed: int = 0, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < 0.3
    scores = rng.normal(0.0, 1.0, n) + 1.2 * labels
    return labels, scores


def _rates(labels: np.ndarray, scores: np.ndarray, threshold: float) -> tuple[float, float]:
    called = scores >= threshold
    return called[labels].mean(), (~called[~labels]).mean()


def test_points_hit_their_targets_on_the_data() -> None:
    labels, scores = _data()
    points = {p.name: p for p in operating_points(labels, scores, n_boot=50)}
    assert tuple(points) == POINTS
    for name, point in points.items():
        sensitivity, specificity = _rates(labels, scores, point.threshold)
        assert point.sensitivity == pytest.approx(sensitivity, abs=1e-12)
        assert point.specificity == pytest.approx(specificity, abs=1e-12)
        kind, _, target = name.partition("_")
        if kind == "sensitivity":
            assert sensitivity >= float(target)
            # the best specificity at that sensitivity: one distinct score higher loses the target
            higher = np.min(scores[scores > point.threshold])
            assert _rates(labels, scores, higher)[0] < float(target)
        elif kind == "specificity":
            assert specificity >= float(target)
            lower = np.max(scores[scores < point.threshold])
            assert _rates(labels, scores, lower)[1] < float(target)


def test_youden_maximises_j_over_every_threshold() -> None:
    labels, scores = _data(1)
    youden = operating_points(labels, scores, n_boot=10)[0]
    best = max(sum(_rates(labels, scores, t)) - 1 for t in scores)
    assert youden.sensitivity + youden.specificity - 1 == pytest.approx(best, abs=1e-12)


def test_an_unreachable_specificity_calls_nothing_positive() -> None:
    # the highest score is a negative: only a threshold above every score gives specificity 1
    tpr, fpr = np.array([0.0, 0.0, 0.5, 1.0]), np.array([0.0, 0.5, 0.5, 1.0])
    assert choose("specificity_0.95", tpr, fpr) == 0


def test_intervals_are_seeded_and_contain_the_estimate() -> None:
    labels, scores = _data(2)
    first = operating_points(labels, scores, n_boot=200, seed=7)
    assert first == operating_points(labels, scores, n_boot=200, seed=7)
    for point in first:
        assert point.sensitivity_ci[0] <= point.sensitivity <= point.sensitivity_ci[1]
        assert point.specificity_ci[0] <= point.specificity <= point.specificity_ci[1]
        assert point.threshold_ci[0] <= point.threshold_ci[1]
