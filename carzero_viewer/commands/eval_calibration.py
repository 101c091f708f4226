"""``eval --calibration-out PROFILE.json``: the calibration profile from eval's own scores, not scored twice.

With ``--labels``, ``eval`` already holds every labelled image's score for each class (its finding: the
label's single prompt, or the matching finding's phrasing mean with ``--findings``). This writes the profile
``calibrate`` would write for those findings (:func:`~carzero_viewer.calibration.build_profile`, the same
assembly and provenance), with ``--bootstrap`` and ``--seed`` shared with eval's AUROC intervals and
:data:`~carzero_viewer.calibration.fitting.DEFAULT_FOLDS` folds. The profile is fitted before eval writes its
report, so the report can show each class's calibration; a fit that fails is raised only after eval's own
outputs are written, so it loses none of them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from carzero_viewer.calibration import CalibrationError, CalibrationProfile
    from carzero_viewer.findings import Finding
    from carzero_viewer.inference.engine import InferenceEngine


def add_profile_options(parser: argparse.ArgumentParser) -> None:
    """``--calibration-out`` and ``--min-cases`` (the parser imports nothing heavy)."""
    parser.add_argument(
        "--calibration-out",
        type=Path,
        metavar="PROFILE.json",
        help="also write a calibration profile of the labelled classes (needs --labels), as `calibrate` would",
    )
    parser.add_argument(
        "--min-cases",
        type=int,
        metavar="N",
        help="with --calibration-out: positives and negatives each needed to calibrate a class (default 10)",
    )


def prepare_profile(args: argparse.Namespace) -> None:
    """Check the profile options and refuse an existing profile before any work (as eval's other outputs).

    Raises:
        CalibrationError: ``--calibration-out`` without ``--labels``, or ``--min-cases`` out of range.
        WriteError: the profile exists and ``--force`` is off.
    """
    from carzero_viewer.calibration import DEFAULT_MIN_CASES, MIN_CASES_FLOOR, CalibrationError
    from carzero_viewer.files import prepare_targets

    if args.calibration_out is None:
        return
    if args.labels is None:
        raise CalibrationError("--calibration-out needs --labels (the image-level labels it is fitted on)")
    args.min_cases = DEFAULT_MIN_CASES if args.min_cases is None else args.min_cases
    if args.min_cases < MIN_CASES_FLOOR:
        raise CalibrationError(f"--min-cases {args.min_cases} is below {MIN_CASES_FLOOR}")
    prepare_targets([args.calibration_out], args.force)


def fit_eval_profile(
    args: argparse.Namespace,
    engine: InferenceEngine,
    classes: Sequence[tuple[str, list[bool], list[float]]],
    findings: Mapping[str, Finding],
) -> CalibrationProfile | CalibrationError | None:
    """The profile of ``classes`` (canonical class, truths, scores) when it was asked for (None when not), or
    the error that no class could be calibrated (returned, to be raised once eval's outputs are written)."""
    from carzero_viewer.calibration import CalibrationError, LabelledFinding, build_profile
    from carzero_viewer.calibration.fitting import DEFAULT_FOLDS
    from carzero_viewer.commands.calibrate import provenance_for

    if args.calibration_out is None:
        return None
    labelled = [LabelledFinding(c, findings[c].phrasings, scores, truth) for c, truth, scores in classes]
    scored = len(classes[0][1]) if classes else 0
    settings = argparse.Namespace(
        folds=DEFAULT_FOLDS, bootstrap=args.bootstrap, seed=args.seed, min_cases=args.min_cases
    )
    provenance = provenance_for(engine, args.labels, args.images, scored, settings)
    try:
        return build_profile(labelled, provenance, args.labels)
    except CalibrationError as exc:
        return exc


def report_calibration(
    args: argparse.Namespace, fitted: CalibrationProfile | CalibrationError | None
) -> tuple[dict[str, Any], str] | None:
    """What the eval report shows of a fitted profile: its JSON document and file name (None: no profile)."""
    from carzero_viewer.calibration import CalibrationProfile, profile_document

    if not isinstance(fitted, CalibrationProfile):
        return None
    return profile_document(fitted), args.calibration_out.name


def write_eval_profile(
    args: argparse.Namespace, fitted: CalibrationProfile | CalibrationError | None
) -> None:
    """Write the fitted profile (nothing when none was asked for); raise the fit's error, if it failed."""
    from carzero_viewer.calibration import CalibrationError, write_profile

    if isinstance(fitted, CalibrationError):
        raise fitted
    if fitted is not None:
        write_profile(args.calibration_out, fitted, args.force)
        print(f"wrote {args.calibration_out}", file=sys.stderr)
