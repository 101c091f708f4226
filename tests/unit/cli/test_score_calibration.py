"""The values ``score --calibration`` adds: exact raw score untouched, probability and call beside it."""

from __future__ import annotations

import numpy as np
import pytest

from carzero_viewer.calibration import CalibrationProfile, FindingCalibration, Provenance, calibrate_finding
from carzero_viewer.calibration.fitting import sigmoid
from carzero_viewer.commands.score_calibration import ScoreCalibration
from carzero_viewer.findings import Finding

EFFUSION = ("There is pleural effusion.",)


def _profile() -> CalibrationProfile:
    rng = np.random.default_rng(0)
    scores = rng.normal(0.0, 2.0, 200)
    labels = rng.random(200) < sigmoid(scores)
    fitted = calibrate_finding("Effusion", EFFUSION, scores, labels, n_boot=20)
    assert isinstance(fitted, FindingCalibration)
    provenance = Provenance(
        "ab" * 32, False, "l.csv", "imgs", 200, "2026-01-01T00:00:00+00:00", "1", 5, 20, 0, 10, 10
    )
    return CalibrationProfile(provenance, {"Effusion": fitted})


def test_without_a_profile_nothing_is_added() -> None:
    none = ScoreCalibration(None, "youden")
    assert none.values("Effusion", 1.0, EFFUSION) == {}
    assert none.text("Effusion", 1.0, EFFUSION) == ""
    assert none.record() is None
    none.check_weights("cd" * 32)


def test_calibrated_and_uncalibrated_findings() -> None:
    profile = _profile()
    calibration = ScoreCalibration(profile, "youden")
    threshold = profile.findings["Effusion"].points[0].threshold
    above = calibration.values("Effusion", threshold, EFFUSION)
    assert above == {"probability": profile.probability("Effusion", threshold), "above_operating_point": True}
    below = calibration.values("Effusion", threshold - 1.0, EFFUSION)
    assert below["above_operating_point"] is False
    assert 0.0 <= below["probability"] < above["probability"] <= 1.0
    assert (
        calibration.text("Effusion", threshold - 1.0, EFFUSION)
        == f"  P={below['probability']:.3f}, below youden"
    )
    assert calibration.values("Hernia", 1.0, ("There is hernia.",)) == {
        "probability": None,
        "above_operating_point": None,
    }
    assert calibration.text("Hernia", 1.0, ("There is hernia.",)) == ""
    record = ScoreCalibration(profile, "sensitivity_0.95").record()
    assert record is not None
    assert record["calibrated_findings"] == ["Effusion"] and record["operating_point"] == "sensitivity_0.95"


def test_a_calibration_of_other_phrasings_does_not_apply(capsys: pytest.CaptureFixture[str]) -> None:
    calibration = ScoreCalibration(_profile(), "youden")
    other = ("There is pleural effusion.", "There is fluid in the pleural space.")
    assert calibration.values("Effusion", 1.0, other) == {"probability": None, "above_operating_point": None}
    calibration.warn_other_phrasings([Finding("Effusion", other), Finding("Effusion", EFFUSION)])
    assert capsys.readouterr().err.count("'Effusion' was calibrated with other phrasings") == 1
