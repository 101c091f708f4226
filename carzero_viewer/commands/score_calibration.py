"""``score --calibration PROFILE.json``: a calibrated probability and an operating-point call beside raw scores.

The profile (:mod:`carzero_viewer.calibration`) is read before the model is loaded, so a malformed profile
fails at once, and checked against the loaded weights' SHA-256 before anything is scored: a profile fitted
with other weights is refused in one line, because their raw scores have another scale. The raw score stays
exactly as it was; the calibrated values are added beside it, and ``null`` for a finding or prompt the profile
does not calibrate (the document's ``calibration`` record lists the ones it does) or calibrated with other
phrasings (another mean, so another score distribution; a ``warning:`` line says so).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from carzero_viewer.calibration import CalibrationProfile
    from carzero_viewer.findings import Finding


def add_calibration_options(parser: argparse.ArgumentParser) -> None:
    """``--calibration`` and ``--operating-point`` (checked when read: the parser imports nothing heavy)."""
    parser.add_argument(
        "--calibration",
        type=Path,
        metavar="PROFILE.json",
        help="calibration profile (from `calibrate`) for these weights: adds each finding's probability and "
        "whether it is above the operating point",
    )
    parser.add_argument(
        "--operating-point",
        metavar="NAME",
        help="operating point of --calibration: youden (default), sensitivity_0.90, sensitivity_0.95, "
        "specificity_0.90 or specificity_0.95",
    )


@dataclass(frozen=True)
class ScoreCalibration:
    """The profile of ``--calibration`` (None without one) and the chosen operating point."""

    profile: CalibrationProfile | None
    point: str

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ScoreCalibration:
        """Read and check ``--calibration`` (before the model is loaded, so a bad profile fails at once)."""
        from carzero_viewer.calibration import DEFAULT_POINT, POINTS, CalibrationError, read_profile

        point = args.operating_point or DEFAULT_POINT
        if point not in POINTS:
            raise CalibrationError(f"--operating-point {point!r} is not one of {', '.join(POINTS)}")
        profile = read_profile(args.calibration) if args.calibration is not None else None
        return cls(profile, point)

    def check_weights(self, sha256: str) -> None:
        """Refuse a profile fitted with other weights (one line; see ``CalibrationProfile.check_weights``)."""
        if self.profile is not None:
            self.profile.check_weights(sha256)

    def warn_other_phrasings(self, findings: Iterable[Finding]) -> None:
        """A ``warning:`` line for each finding the profile calibrated with other phrasings (left uncalibrated)."""
        if self.profile is None:
            return
        for finding in findings:
            if self.profile.calibrates(finding.name) and not self.profile.calibrates(
                finding.name, finding.phrasings
            ):
                print(
                    f"warning: {self.profile.source}: {finding.name!r} was calibrated with other phrasings; "
                    "no probability is given for it",
                    file=sys.stderr,
                )

    def values(self, name: str, raw_score: float, phrasings: tuple[str, ...]) -> dict[str, Any]:
        """``probability`` and ``above_operating_point`` of one raw score (both None if not calibrated).

        Args:
            phrasings: what ``raw_score`` is the mean of; a calibration of other phrasings does not apply.

        Without a profile nothing is added, so outputs without ``--calibration`` keep their exact form.
        """
        if self.profile is None:
            return {}
        if not self.profile.calibrates(name, phrasings):
            return {"probability": None, "above_operating_point": None}
        return {
            "probability": self.profile.probability(name, raw_score),
            "above_operating_point": self.profile.above_operating_point(name, raw_score, self.point),
        }

    def text(self, name: str, raw_score: float, phrasings: tuple[str, ...]) -> str:
        """The table's suffix: ``  P=0.731, above youden`` ("" without a profile or a calibration)."""
        values = self.values(name, raw_score, phrasings)
        if values.get("probability") is None:
            return ""
        side = "above" if values["above_operating_point"] else "below"
        return f"  P={values['probability']:.3f}, {side} {self.point}"

    def record(self) -> dict[str, Any] | None:
        """The document-level record of the profile used: its file, provenance and the operating point."""
        if self.profile is None:
            return None
        provenance = self.profile.provenance
        return {
            "profile": str(self.profile.source) if self.profile.source else None,
            "operating_point": self.point,
            "calibrated_findings": sorted(self.profile.findings),
            **provenance.origin(),
            "probability_meaning": "calibrated probability = sigmoid(slope * raw score + intercept) fitted on "
            "the profile's labelled images; it holds for data like those",
        }
