"""One finding's calibration: left out with its counts and reason when it cannot be fitted honestly."""

from __future__ import annotations

import numpy as np

from carzero_viewer.calibration import Exclusion, FindingCalibration, calibrate_finding

EFFUSION = ("There is pleural effusion.",)


def _data(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    labels = rng.random(n) < 0.4
    return rng.normal(0.0, 1.0, n) + labels, labels


def test_too_few_cases_are_left_out_with_the_counts() -> None:
    scores, labels = _data()
    left_out = calibrate_finding("Effusion", EFFUSION, scores, labels, min_cases=int(labels.sum()) + 1)
    assert isinstance(left_out, Exclusion)
    assert (left_out.n_positive, left_out.n_negative) == (labels.sum(), (~labels).sum())
    assert left_out.reason.endswith(f"at least {labels.sum() + 1} of each are needed")
    assert isinstance(calibrate_finding("Effusion", EFFUSION, scores, labels, n_boot=20), FindingCalibration)


def test_a_finding_with_a_non_finite_score_is_left_out_not_fitted() -> None:
    scores, labels = _data()
    scores[5] = np.nan
    left_out = calibrate_finding("Effusion", EFFUSION, scores, labels, min_cases=2)
    assert isinstance(left_out, Exclusion)
    assert left_out.reason == "1 image(s) have no finite score; nothing was fitted"


def test_stored_roc_is_bounded_and_runs_from_0_to_1() -> None:
    rng = np.random.default_rng(0)
    labels = rng.random(2000) < 0.3
    fitted = calibrate_finding("Effusion", EFFUSION, rng.normal(0.0, 1.0, 2000) + labels, labels, n_boot=10)
    assert isinstance(fitted, FindingCalibration)
    fpr, tpr = fitted.roc
    assert len(fpr) <= 101 and (fpr[0], tpr[0]) == (0.0, 0.0) and (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0.0) and np.all(np.diff(tpr) >= 0.0)
