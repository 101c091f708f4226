"""Platt scaling, cross-validated probabilities and ECE on synthetic scores with a known logistic relation."""

from __future__ import annotations

import numpy as np
import pytest

from carzero_viewer.calibration.fitting import (
    cross_validated_probabilities,
    fit_platt,
    reliability,
    sigmoid,
    stratified_folds,
)

TRUE_SLOPE, TRUE_INTERCEPT = 2.0, -1.0


def _synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores ~ N(0.5, 1.5) and labels drawn with P(1 | s) = sigmoid(2 s - 1)."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(0.5, 1.5, n)
    labels = rng.random(n) < sigmoid(TRUE_SLOPE * scores + TRUE_INTERCEPT)
    return scores, labels


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_known_relation_is_recovered_within_its_ci(seed: int) -> None:
    fit = fit_platt(*_synthetic(4000, seed))
    low, high = fit.slope_ci()
    assert low <= TRUE_SLOPE <= high
    low, high = fit.intercept_ci()
    assert low <= TRUE_INTERCEPT <= high
    assert 0.0 < fit.slope_se < 0.2  # 4000 cases pin the slope to a few percent
    assert not fit.clamped


def test_wald_interval_covers_the_truth_at_about_its_level() -> None:
    hits = 0
    for seed in range(100):
        low, high = fit_platt(*_synthetic(500, 100 + seed)).slope_ci()
        hits += low <= TRUE_SLOPE <= high
    assert 88 <= hits <= 100  # 95 % nominal; 88 is 3 binomial standard deviations below 95 of 100


def test_probabilities_are_monotonic_and_bounded() -> None:
    fit = fit_platt(*_synthetic(1000, 3))
    grid = np.linspace(-1e4, 1e4, 20001)
    p = fit.probability(grid)
    assert np.all(np.diff(p) >= 0.0)
    assert p.min() >= 0.0 and p.max() <= 1.0


def test_separable_classes_give_a_finite_steep_fit() -> None:
    scores = np.r_[np.linspace(-3.0, -1.0, 30), np.linspace(1.0, 3.0, 30)]
    labels = np.r_[np.zeros(30, bool), np.ones(30, bool)]
    fit = fit_platt(scores, labels)
    assert np.isfinite([fit.slope, fit.intercept, fit.slope_se]).all()
    assert fit.probability(-1.0) < 0.01 and fit.probability(1.0) > 0.99


def test_scores_running_the_wrong_way_are_clamped_to_the_prevalence() -> None:
    scores, labels = _synthetic(1000, 4)
    fit = fit_platt(-scores, labels)
    assert fit.clamped and fit.slope == 0.0
    np.testing.assert_allclose(fit.probability([-5.0, 5.0]), labels.mean(), rtol=1e-9)


def test_one_class_or_bad_scores_are_refused() -> None:
    with pytest.raises(ValueError, match="both classes"):
        fit_platt([0.1, 0.2], [True, True])
    with pytest.raises(ValueError, match="finite"):
        fit_platt([0.1, np.nan], [True, False])


def test_folds_are_stratified_and_seeded() -> None:
    labels = np.r_[np.ones(7, bool), np.zeros(23, bool)]
    fold = stratified_folds(labels, 5, seed=0)
    assert np.array_equal(fold, stratified_folds(labels, 5, seed=0))
    for k in range(5):
        assert labels[fold == k].sum() in (1, 2)
    assert stratified_folds(labels[4:], 5, seed=0).max() == 2  # 3 positives: 3 folds
    with pytest.raises(ValueError, match="at least 2 positives"):
        stratified_folds(labels[6:], 5, seed=0)


def test_ece_falls_on_held_out_data() -> None:
    scores, labels = _synthetic(2000, 5)
    before = reliability(sigmoid(scores), labels).ece
    after = reliability(cross_validated_probabilities(scores, labels, 5, seed=0), labels).ece
    assert after < before / 2  # sigmoid(s) misses the slope 2 and the offset -1 by far
    assert after < 0.05


def test_reliability_bins_are_equal_mass() -> None:
    p = np.linspace(0.0, 1.0, 23)
    table = reliability(p, p > 0.5, bins=10)
    assert sorted(set(table.counts)) == [2, 3] and sum(table.counts) == 23
    assert list(table.predicted) == sorted(table.predicted)
    perfect = reliability(np.r_[np.zeros(10), np.ones(10)], np.r_[np.zeros(10), np.ones(10)], bins=2)
    assert perfect.ece == 0.0
