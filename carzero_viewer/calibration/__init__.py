"""Calibration profiles: from a finding's raw score to a probability and an operating-point decision.

Numpy only (no torch, no Qt). :func:`calibrate_finding` fits one finding from labelled raw scores (Platt
scaling, held-out calibration error, operating points and AUROC with bootstrap intervals; see
:mod:`~carzero_viewer.calibration.fitting` and :mod:`~carzero_viewer.calibration.operating` for the
definitions); a :class:`CalibrationProfile` holds the calibrated findings with their provenance and answers
:meth:`~CalibrationProfile.probability`, :meth:`~CalibrationProfile.above_operating_point` and
:meth:`~CalibrationProfile.check_weights`; :func:`write_profile` / :func:`read_profile` store it as versioned
JSON (written through :mod:`carzero_viewer.files`, read through :mod:`carzero_viewer.untrusted`);
:func:`build_profile` assembles a profile from every finding's labelled scores;
:func:`read_calibration_labels` reads the labels (NIH ``Data_Entry_2017.csv`` or ``image,finding,label``).
"""

from carzero_viewer.calibration.build import LabelledFinding, build_profile
from carzero_viewer.calibration.finding import (
    DEFAULT_MIN_CASES,
    MIN_CASES_FLOOR,
    Exclusion,
    FindingCalibration,
    calibrate_finding,
)
from carzero_viewer.calibration.fitting import ECE_BINS, PlattFit, Reliability, fit_platt
from carzero_viewer.calibration.labels import CalibrationLabels, read_calibration_labels
from carzero_viewer.calibration.operating import DEFAULT_POINT, POINTS, OperatingPoint
from carzero_viewer.calibration.profile import (
    SCHEMA_VERSION,
    CalibrationError,
    CalibrationProfile,
    Provenance,
    profile_document,
    write_profile,
)
from carzero_viewer.calibration.profile_read import read_profile

__all__ = [
    "DEFAULT_MIN_CASES",
    "DEFAULT_POINT",
    "ECE_BINS",
    "MIN_CASES_FLOOR",
    "POINTS",
    "SCHEMA_VERSION",
    "CalibrationError",
    "CalibrationLabels",
    "CalibrationProfile",
    "Exclusion",
    "FindingCalibration",
    "LabelledFinding",
    "OperatingPoint",
    "PlattFit",
    "Provenance",
    "Reliability",
    "build_profile",
    "calibrate_finding",
    "fit_platt",
    "profile_document",
    "read_calibration_labels",
    "read_profile",
    "write_profile",
]
