"""Calibration profiles built in code for the viewer's tests (the fitting itself is tested in unit/calibration).

Each finding is fitted on synthetic scores with a known logistic relation, so its probabilities rise with the
score; the provenance says UNTRAINED, as a profile of the test fixture would.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from carzero_viewer.calibration import (
    CalibrationProfile,
    FindingCalibration,
    Provenance,
    calibrate_finding,
    write_profile,
)
from carzero_viewer.calibration.fitting import sigmoid

SHA = "ab" * 32


def make_profile(findings: dict[str, tuple[str, ...]], sha256: str = SHA) -> CalibrationProfile:
    """A profile calibrating ``findings`` (name -> phrasings) for the weights ``sha256``."""
    rng = np.random.default_rng(0)
    scores = rng.normal(0.0, 2.0, 300)
    labels = rng.random(300) < sigmoid(1.5 * scores - 0.5)
    fitted: dict[str, FindingCalibration] = {}
    for name, phrasings in findings.items():
        calibration = calibrate_finding(name, phrasings, scores, labels, n_boot=50)
        assert isinstance(calibration, FindingCalibration)
        fitted[name] = calibration
    provenance = Provenance(
        sha256, True, "labels.csv", "images", 300, "2026-01-01T00:00:00Z", "1.0", 5, 50, 0, 10, 10
    )
    return CalibrationProfile(provenance, fitted)


def write_test_profile(path: Path, findings: dict[str, tuple[str, ...]], sha256: str = SHA) -> Path:
    """:func:`make_profile` written to ``path`` through the one writer."""
    return write_profile(path, make_profile(findings, sha256))
