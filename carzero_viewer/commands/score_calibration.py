"""``score --calibration PROFILE.json``: a calibrated probability and an operating-point call beside raw scores.

The profile (:mod:`carzero_viewer.calibration`) is read before the model is loaded, so a malformed profile
fails at once, and checked against the loaded weights' SHA-256 before anything is scored: a profile fitted
with other weights is refused in one line, because their raw scores have another scale. The raw score stays
exactly as it was; the calibrated values are added beside it, and ``null`` for a finding or prompt the profile
does not calibrate (the document's ``calibration`` record lists the ones it does).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from carzero_viewer.calibration import CalibrationProfile


def add_calibration_options(parser: argparse.ArgumentParser) -> None:
    from carzero_viewer.calibration import DEFAULT_POINT, POINTS

    parser.add_argument(
        "--calibration",
        type=Path,
        metavar="PROFILE.json",
        help="calibration profile (from `calibrate`) for these weights: adds each finding's probability and "
        "whether it is above the operating point to --json",
    )
    parser.add_argument(
        "--operating-point",
        choices=POINTS,
        default=DEFAULT_POINT,
        help=f"operating point of --calibration (default: {DEFAULT_POINT})",
    )


def load_calibration(path: Path | None) -> CalibrationProfile | None:
    """The profile of ``--calibration``, read and checked (None without one)."""
    from carzero_viewer.calibration import read_profile

    return read_profile(path) if path is not None else None


def calibrated_values(
    profile: CalibrationProfile | None, name: str, raw_score: float, point: str
) -> dict[str, Any]:
    """``probability`` and ``above_operating_point`` of one finding's raw score (both None if uncalibrated).

    Without a profile nothing is added, so outputs without ``--calibration`` keep their exact form.
    """
    if profile is None:
        return {}
    if not profile.calibrates(name):
        return {"probability": None, "above_operating_point": None}
    return {
        "probability": profile.probability(name, raw_score),
        "above_operating_point": profile.above_operating_point(name, raw_score, point),
    }


def calibration_record(profile: CalibrationProfile | None, point: str) -> dict[str, Any] | None:
    """The document-level record of the profile used: its file, provenance and the operating point."""
    if profile is None:
        return None
    provenance = profile.provenance
    return {
        "profile": str(profile.source) if profile.source else None,
        "operating_point": point,
        "calibrated_findings": sorted(profile.findings),
        "weights_sha256": provenance.weights_sha256,
        "weights_untrained": provenance.weights_untrained,
        "labels_file": provenance.labels_file,
        "images_folder": provenance.images_folder,
        "images_scored": provenance.images_scored,
        "created_utc": provenance.created_utc,
        "app_version": provenance.app_version,
        "probability_meaning": "calibrated probability = sigmoid(slope * raw score + intercept) fitted on the "
        "profile's labelled images; it holds for data like those",
    }
