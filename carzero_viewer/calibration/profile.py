"""A calibration profile: per-finding Platt maps and operating points, with where they came from.

The profile is what a user loads to turn raw scores into probabilities. It is only valid for the weights it
was fitted with (a different checkpoint gives differently scaled scores), so it records their SHA-256 and
:meth:`CalibrationProfile.check_weights` refuses any other; a profile fitted on UNTRAINED weights (the demo
and test fixture) says so in :attr:`Provenance.weights_untrained`.

On disk it is versioned JSON (:data:`FORMAT`, :data:`SCHEMA_VERSION`) written atomically through
:mod:`carzero_viewer.files`; :mod:`carzero_viewer.calibration.profile_read` reads it back through the
untrusted-file boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from carzero_viewer.annotations import canonical
from carzero_viewer.calibration.finding import Exclusion, FindingCalibration
from carzero_viewer.calibration.fitting import Reliability
from carzero_viewer.calibration.operating import DEFAULT_POINT, POINTS, OperatingPoint
from carzero_viewer.errors import CarzeroError

FORMAT = "carzero-calibration-profile"
SCHEMA_VERSION = 1
SCORE_MEANING = (
    "raw score = mean over the finding's phrasings of the official CARZero score (i2t + t2i) / 2; "
    "probability = sigmoid(slope * raw score + intercept); a case is above an operating point when its raw "
    "score is at least the point's threshold"
)
METHOD = (
    "Platt scaling (maximum likelihood, slope >= 0, ridge 1e-3 on the standardised slope); ECE over "
    "equal-mass bins, before = sigmoid(raw score), after = cross-validated held-out probabilities; percentile "
    "bootstrap intervals (sensitivity/specificity at the chosen threshold; threshold re-chosen per resample)"
)


class CalibrationError(CarzeroError):
    """A calibration profile cannot be used: malformed, from a future version, or for other weights."""


@dataclass(frozen=True)
class Provenance:
    """Where a profile came from.

    Attributes:
        weights_sha256: lower-case hex SHA-256 of the checkpoint the scores came from.
        weights_untrained: the checkpoint is a known untrained one (its numbers mean nothing clinically).
        labels_file, images_folder: names (not full paths: a profile is shared) of the labelled set.
        images_scored: images that were scored and had labels.
        created_utc: ISO 8601 time of the fit, UTC.
        folds, bootstrap, seed, min_cases, ece_bins: the fitting settings.
    """

    weights_sha256: str
    weights_untrained: bool
    labels_file: str
    images_folder: str
    images_scored: int
    created_utc: str
    app_version: str
    folds: int
    bootstrap: int
    seed: int
    min_cases: int
    ece_bins: int

    def origin(self) -> dict[str, Any]:
        """Where the profile's numbers come from (weights and labelled set), as JSON values; outputs that apply
        a profile repeat these fields."""
        return {
            "weights_sha256": self.weights_sha256,
            "weights_untrained": self.weights_untrained,
            "labels_file": self.labels_file,
            "images_folder": self.images_folder,
            "images_scored": self.images_scored,
            "created_utc": self.created_utc,
            "app_version": self.app_version,
        }


@dataclass(frozen=True)
class CalibrationProfile:
    """Calibrated findings keyed by name, the findings left out, and the provenance.

    A finding is looked up by its name, else by its canonical label spelling
    (:func:`~carzero_viewer.annotations.canonical`), as ground-truth labels select findings.
    """

    provenance: Provenance
    findings: dict[str, FindingCalibration]
    excluded: tuple[Exclusion, ...] = ()
    source: Path | None = None

    def _finding(self, name: str) -> FindingCalibration:
        found = self.findings.get(name) or self.findings.get(self._canonical_names.get(canonical(name), ""))
        if found is None:
            known = ", ".join(sorted(self.findings)) or "none"
            raise CalibrationError(
                f"finding {name!r} is not calibrated in this profile (it has: {known})", self.source
            )
        return found

    @cached_property
    def _canonical_names(self) -> dict[str, str]:
        """Calibrated names by canonical spelling, so ``Pleural_Thickening`` finds ``Pleural Thickening``."""
        return {canonical(name): name for name in self.findings}

    def finding(self, name: str) -> FindingCalibration:
        """The calibration of ``name`` (any spelling of a calibrated name), e.g. for its plots.

        Raises:
            CalibrationError: ``name`` is not calibrated in this profile.
        """
        return self._finding(name)

    def calibrates(self, finding: str, phrasings: tuple[str, ...] | None = None) -> bool:
        """Whether ``finding`` (any spelling of a calibrated name) has a calibration in this profile.

        Args:
            phrasings: when given, the calibration must also be of these phrasings: a finding's raw score is
                the mean of its phrasings, so other phrasings give other scores that the fit does not describe.
        """
        if finding not in self.findings and canonical(finding) not in self._canonical_names:
            return False
        return phrasings is None or self._finding(finding).phrasings == tuple(phrasings)

    def probability(self, finding: str, raw_score: float) -> float:
        """The calibrated probability of ``finding`` at ``raw_score``; non-decreasing in the score."""
        return float(self._finding(finding).platt.probability(raw_score))

    def above_operating_point(self, finding: str, raw_score: float, point: str = DEFAULT_POINT) -> bool:
        """Whether ``raw_score`` reaches the threshold of operating point ``point`` (one of :data:`POINTS`)."""
        chosen = self._finding(finding).point(point)
        if chosen is None:
            raise CalibrationError(
                f"unknown operating point {point!r}; one of {', '.join(POINTS)}", self.source
            )
        return raw_score >= chosen.threshold

    def check_weights(self, sha256: str) -> None:
        """Refuse scores from weights other than the profile's (one line naming both checksums)."""
        if sha256.lower() != self.provenance.weights_sha256:
            raise CalibrationError(
                f"made for weights with SHA-256 {self.provenance.weights_sha256[:16]}..., not the loaded "
                f"{sha256.lower()[:16]}...; calibrate these weights or load their profile",
                self.source,
            )


def _interval(values: tuple[float, float]) -> list[float]:
    return [values[0], values[1]]


def _point_document(point: OperatingPoint) -> dict[str, Any]:
    return {
        "threshold": point.threshold,
        "threshold_ci": _interval(point.threshold_ci),
        "sensitivity": point.sensitivity,
        "sensitivity_ci": _interval(point.sensitivity_ci),
        "specificity": point.specificity,
        "specificity_ci": _interval(point.specificity_ci),
    }


def _reliability_document(table: Reliability) -> dict[str, Any]:
    return {
        "ece": table.ece,
        "predicted": list(table.predicted),
        "observed": list(table.observed),
        "counts": list(table.counts),
    }


def _finding_document(finding: FindingCalibration) -> dict[str, Any]:
    platt = finding.platt
    return {
        "name": finding.name,
        "phrasings": list(finding.phrasings),
        "n_positive": finding.n_positive,
        "n_negative": finding.n_negative,
        "platt": {
            "slope": platt.slope,
            "intercept": platt.intercept,
            "slope_se": platt.slope_se,
            "intercept_se": platt.intercept_se,
            "slope_ci": _interval(platt.slope_ci()),
            "intercept_ci": _interval(platt.intercept_ci()),
            "clamped": platt.clamped,
        },
        "auroc": finding.auroc,
        "auroc_ci": _interval(finding.auroc_ci),
        "folds": finding.folds,
        "reliability_before": _reliability_document(finding.before),
        "reliability_after": _reliability_document(finding.after),
        "operating_points": {p.name: _point_document(p) for p in finding.points},
        "roc": {"fpr": list(finding.roc[0]), "tpr": list(finding.roc[1])},
    }


def profile_document(profile: CalibrationProfile) -> dict[str, Any]:
    """The JSON document of ``profile`` (what :func:`write_profile` writes)."""
    provenance = profile.provenance
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "untrained_warning": (
            "fitted on UNTRAINED weights: these numbers mean nothing clinically"
            if provenance.weights_untrained
            else None
        ),
        "provenance": {
            **provenance.origin(),
            "folds": provenance.folds,
            "bootstrap": provenance.bootstrap,
            "seed": provenance.seed,
            "min_cases": provenance.min_cases,
            "ece_bins": provenance.ece_bins,
        },
        "score_meaning": SCORE_MEANING,
        "method": METHOD,
        "findings": [_finding_document(f) for f in profile.findings.values()],
        "excluded": [
            {"name": e.name, "n_positive": e.n_positive, "n_negative": e.n_negative, "reason": e.reason}
            for e in profile.excluded
        ],
    }


def write_profile(path: str | Path, profile: CalibrationProfile, force: bool = False) -> Path:
    """Write ``profile`` atomically (never over an existing file without ``force``)."""
    from carzero_viewer.files import write_json_atomic

    return write_json_atomic(path, profile_document(profile), force)
