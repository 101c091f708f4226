"""The values ``score --calibration`` adds: exact raw score untouched, probability and call beside it."""

from __future__ import annotations

import numpy as np

from carzero_viewer.calibration import CalibrationProfile, FindingCalibration, Provenance, calibrate_finding
from carzero_viewer.calibration.fitting import sigmoid
from carzero_viewer.commands.score_calibration import calibrated_values, calibration_record


def _profile() -> CalibrationProfile:
    rng = np.random.default_rng(0)
    scores = rng.normal(0.0, 2.0, 200)
    labels = rng.random(200) < sigmoid(scores)
    fitted = calibrate_finding("Effusion", ("There is pleural effusion.",), scores, labels, n_boot=20)
    assert isinstance(fitted, FindingCalibration)
    provenance = Provenance(
        "ab" * 32, False, "l.csv", "imgs", 200, "2026-01-01T00:00:00+00:00", "1", 5, 20, 0, 10, 10
    )
    return CalibrationProfile(provenance, {"Effusion": fitted})


def test_without_a_profile_nothing_is_added() -> None:
    assert calibrated_values(None, "Effusion", 1.0, "youden") == {}
    assert calibration_record(None, "youden") is None


def test_calibrated_and_uncalibrated_findings() -> None:
    profile = _profile()
    threshold = profile.findings["Effusion"].points[0].threshold
    above = calibrated_values(profile, "Effusion", threshold, "youden")
    assert above == {"probability": profile.probability("Effusion", threshold), "above_operating_point": True}
    below = calibrated_values(profile, "Effusion", threshold - 1.0, "youden")
    assert below["above_operating_point"] is False
    assert 0.0 <= below["probability"] < above["probability"] <= 1.0
    assert calibrated_values(profile, "Hernia", 1.0, "youden") == {
        "probability": None,
        "above_operating_point": None,
    }
    record = calibration_record(profile, "sensitivity_0.95")
    assert record is not None
    assert record["calibrated_findings"] == ["Effusion"] and record["operating_point"] == "sensitivity_0.95"
