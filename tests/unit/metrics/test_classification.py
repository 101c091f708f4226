"""ROC-AUC and bootstrap CI on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from carzero_viewer.metrics import ScoreGroups, average_ranks, bootstrap_ci, roc_auc, roc_curve


def test_average_ranks_ties() -> None:
    assert average_ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [3.5, 1.0, 3.5, 2.0]


def test_roc_auc_by_hand() -> None:
    # positives 0.9, 0.4; negatives 0.5, 0.1: pairs (0.9>0.5, 0.9>0.1, 0.4<0.5, 0.4>0.1) -> 3/4
    assert roc_auc([1, 1, 0, 0], [0.9, 0.4, 0.5, 0.1]) == pytest.approx(0.75)
    # a tie between a positive and a negative counts 1/2: positive 0.5 vs negatives 0.5, 0.1 -> 1.5 / 2
    assert roc_auc([1, 0, 0], [0.5, 0.5, 0.1]) == pytest.approx(0.75)
    assert roc_auc([1, 0], [1.0, 0.0]) == 1.0 and roc_auc([0, 1], [1.0, 0.0]) == 0.0
    # the NaN pair is dropped
    assert roc_auc([1, 0, 1], [0.2, 0.1, np.nan]) == 1.0
    assert math.isnan(roc_auc([1, 1], [0.1, 0.2]))


def test_bootstrap_ci() -> None:
    rng = np.random.default_rng(1)
    labels = np.r_[np.ones(40), np.zeros(40)].astype(bool)
    scores = np.r_[rng.normal(1, 1, 40), rng.normal(0, 1, 40)]
    auc = roc_auc(labels, scores)
    low, high = bootstrap_ci(labels, scores, n=300, seed=3)
    assert 0.0 <= low < auc < high <= 1.0
    assert (low, high) == bootstrap_ci(labels, scores, n=300, seed=3)  # reproducible
    # a perfect separation gives a degenerate interval at 1
    assert bootstrap_ci([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1], n=50) == (1.0, 1.0)
    assert all(math.isnan(v) for v in bootstrap_ci([1, 1], [0.1, 0.2]))


def test_roc_curve_by_hand() -> None:
    # scores 0.9 (pos), 0.8 (neg), 0.8 (pos), 0.1 (neg): three distinct thresholds, the tie counted together
    thresholds, tpr, fpr = roc_curve([1, 0, 1, 0], [0.9, 0.8, 0.8, 0.1])
    assert thresholds.tolist() == [0.9, 0.8, 0.1]
    assert tpr.tolist() == [0.5, 1.0, 1.0]
    assert fpr.tolist() == [0.0, 0.5, 1.0]


def test_roc_curve_weights_are_multiplicities() -> None:
    labels, scores = np.array([1, 0, 1, 0, 1]), np.array([0.7, 0.2, 0.4, 0.6, 0.3])
    counts = np.array([2, 0, 1, 3, 1])
    weighted = roc_curve(labels, scores, counts)
    repeated = roc_curve(np.repeat(labels, counts), np.repeat(scores, counts))
    # the weighted curve keeps the zero-weight case's threshold (0.2) with unchanged rates
    keep = weighted[0] != 0.2
    for got, want in zip(weighted, repeated, strict=True):
        np.testing.assert_array_equal(got[keep], want)


def test_weighted_auc_is_the_auc_of_repeated_cases() -> None:
    rng = np.random.default_rng(4)
    labels = rng.random(60) < 0.4
    scores = np.round(rng.normal(0.0, 1.0, 60), 1)  # rounded: many ties
    counts = rng.integers(0, 4, 60)
    expected = roc_auc(np.repeat(labels, counts), np.repeat(scores, counts))
    # both are sums of halves and integers over the same pairs: equal to float rounding of ~60^2 terms
    assert ScoreGroups(scores).auc(labels, counts) == pytest.approx(expected, abs=1e-12)


def test_bootstrap_ci_resamples_are_the_documented_draws() -> None:
    rng = np.random.default_rng(5)
    labels = rng.random(80) < 0.3
    scores = rng.normal(0.0, 1.0, 80) + labels
    draws = np.random.default_rng(11)
    aucs = [roc_auc(labels[d], scores[d]) for d in (draws.integers(0, 80, 80) for _ in range(300))]
    expected = np.quantile([a for a in aucs if not math.isnan(a)], [0.025, 0.975])
    np.testing.assert_allclose(bootstrap_ci(labels, scores, n=300, seed=11), expected, rtol=0, atol=1e-12)
