"""A whole profile from each finding's labelled raw scores: the one place calibrate and eval assemble it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from carzero_viewer.calibration.finding import Exclusion, FindingCalibration, calibrate_finding
from carzero_viewer.calibration.profile import CalibrationError, CalibrationProfile, Provenance


@dataclass(frozen=True)
class LabelledFinding:
    """One finding's raw scores over the images labelled for it, with those labels.

    Attributes:
        scores, labels: ``(n,)`` finite raw scores (phrasing means) and whether each image is positive.
        unlabelled: why no image is labelled for the finding at all (it is then left out with this reason).
    """

    name: str
    phrasings: tuple[str, ...]
    scores: Sequence[float]
    labels: Sequence[bool]
    unlabelled: str | None = None


def build_profile(
    findings: Iterable[LabelledFinding], provenance: Provenance, labels_path: Path
) -> CalibrationProfile:
    """Calibrate every finding with the provenance's settings (min cases, folds, bootstrap, seed).

    Raises:
        CalibrationError: no finding could be calibrated (each one's reason listed, naming ``labels_path``):
            a profile without a calibration would only mislead.
    """
    calibrated: dict[str, FindingCalibration] = {}
    excluded: list[Exclusion] = []
    for finding in findings:
        if finding.unlabelled is not None:
            excluded.append(Exclusion(finding.name, 0, 0, finding.unlabelled))
            continue
        fitted = calibrate_finding(
            finding.name,
            finding.phrasings,
            finding.scores,
            finding.labels,
            provenance.min_cases,
            provenance.folds,
            provenance.bootstrap,
            provenance.seed,
        )
        if isinstance(fitted, FindingCalibration):
            calibrated[finding.name] = fitted
        else:
            excluded.append(fitted)
    if not calibrated:
        reasons = "; ".join(f"{e.name}: {e.reason}" for e in excluded)
        raise CalibrationError(f"no finding could be calibrated ({reasons})", labels_path)
    return CalibrationProfile(provenance, calibrated, tuple(excluded))
