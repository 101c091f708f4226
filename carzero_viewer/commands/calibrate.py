"""``carzero-viewer calibrate``: fit a calibration profile for the loaded weights on a labelled image folder.

The findings are ``--findings NAME|FILE.json`` (libraries and files of :mod:`carzero_viewer.findings`,
merged as in ``score``) or single prompts (``--prompt``/``--prompts-file``, each a finding of one phrasing,
named by its text). A finding selects its label by name, a prompt by the label it names
(:meth:`~carzero_viewer.calibration.CalibrationLabels.label_for`). Every image of ``--images`` that the label
file (NIH ``Data_Entry_2017.csv`` or ``image,finding,label``; :mod:`carzero_viewer.calibration.labels`)
labels for at least one finding is scored once against every distinct phrasing, through the batch pipeline
that ``score`` and ``eval`` use. A finding's raw score on an image is its phrasings' mean official score
(:func:`~carzero_viewer.findings.aggregate_scores`, as ``score --findings`` reports it); each finding is
then calibrated on the images labelled for it (:func:`~carzero_viewer.calibration.calibrate_finding`):
Platt map, ECE before/after on held-out folds, operating points and AUROC with bootstrap intervals.
Findings with fewer than ``--min-cases`` positives or negatives, or that no label names, are listed in the
profile's ``excluded`` with the reason.

The profile (:mod:`carzero_viewer.calibration.profile`) is written atomically; an existing file is replaced
only with ``--force``, checked before any work. A profile fitted with UNTRAINED weights says so.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from carzero_viewer import __version__
from carzero_viewer.commands.common import add_model_options, build_engine

if TYPE_CHECKING:
    from carzero_viewer.calibration import (
        CalibrationLabels,
        CalibrationProfile,
        Provenance,
    )
    from carzero_viewer.findings import Finding
    from carzero_viewer.inference.engine import InferenceEngine

MIN_FOLDS = 2
MAX_FOLDS = 20
MAX_BOOTSTRAP = 100_000


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("calibrate", help="fit a calibration profile on labelled images (headless)")
    parser.add_argument("--images", type=Path, required=True, metavar="DIR", help="folder of labelled images")
    parser.add_argument(
        "--labels",
        type=Path,
        required=True,
        metavar="CSV",
        help="NIH Data_Entry_2017.csv (Image Index, Finding Labels) or a CSV with image,finding,label (0/1)",
    )
    prompts = parser.add_mutually_exclusive_group(required=True)
    prompts.add_argument(
        "--prompt", action="append", metavar="TEXT", help="a prompt, calibrated as a finding (repeatable)"
    )
    prompts.add_argument("--prompts-file", type=Path, metavar="JSON", help="JSON list of prompt strings")
    prompts.add_argument(
        "--findings",
        action="append",
        metavar="NAME|FILE.json",
        help="findings to calibrate, each scored as the mean of its phrasings: a library (chestxray14, "
        'chexpert, chexpert-competition, chestx-det10) or a JSON file {"Finding": ["phrasing", ...]}; '
        "repeatable, merged as in score",
    )
    parser.add_argument(
        "--template", default=None, help="template for bare findings (default 'There is {}.')"
    )
    parser.add_argument("--out", type=Path, required=True, metavar="PROFILE.json", help="profile to write")
    parser.add_argument(
        "--min-cases",
        type=int,
        metavar="N",
        help="positives and negatives each needed to calibrate a finding (default 10)",
    )
    parser.add_argument("--folds", type=int, default=5, metavar="K", help="cross-validation folds (5)")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples (1000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the folds and the bootstrap (0)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing profile")
    add_model_options(parser)


@dataclass
class LabelledScores:
    """One finding's raw scores and labels over the images labelled for it, in folder order."""

    finding: Finding
    label: str | None
    scores: list[float] = field(default_factory=list)
    truth: list[bool] = field(default_factory=list)


def _check_settings(args: argparse.Namespace) -> None:
    """Fill in ``--min-cases`` (left unset by the parser, which imports nothing heavy) and check the ranges."""
    from carzero_viewer.calibration import DEFAULT_MIN_CASES, MIN_CASES_FLOOR, CalibrationError

    if args.min_cases is None:
        args.min_cases = DEFAULT_MIN_CASES
    checks = (
        ("--min-cases", args.min_cases, MIN_CASES_FLOOR, 10**9),
        ("--folds", args.folds, MIN_FOLDS, MAX_FOLDS),
        ("--bootstrap", args.bootstrap, 1, MAX_BOOTSTRAP),
        ("--seed", args.seed, 0, 2**63 - 1),
    )
    for name, value, low, high in checks:
        if not low <= value <= high:
            raise CalibrationError(f"{name} {value} is outside {low}..{high}")


def run(args: argparse.Namespace) -> int:
    from carzero_viewer.calibration import (
        CalibrationError,
        LabelledFinding,
        build_profile,
        read_calibration_labels,
        write_profile,
    )
    from carzero_viewer.files import prepare_targets
    from carzero_viewer.imaging import scan_folder

    _check_settings(args)
    prepare_targets([args.out], args.force)
    labels = read_calibration_labels(args.labels)
    findings = {f.name: LabelledScores(f, labels.label_for(f.name)) for f in _findings(args)}
    paths = [
        entry.path
        for entry in scan_folder(args.images)
        if any(f.label and labels.truth(entry.path, f.label) is not None for f in findings.values())
    ]
    if not paths:
        raise CalibrationError(f"no image in the folder is labelled in {args.labels.name}", args.images)
    engine = build_engine(args)
    scored = _score(engine, paths, findings, labels, args.template)
    unlabelled = f"no label in {labels.source.name} names this finding"
    labelled = [
        LabelledFinding(
            name,
            data.finding.phrasings,
            data.scores,
            data.truth,
            None if data.label else unlabelled,
        )
        for name, data in findings.items()
    ]
    provenance = provenance_for(engine, args.labels, args.images, scored, args)
    profile = build_profile(labelled, provenance, args.labels)
    write_profile(args.out, profile, args.force)
    _print_summary(profile)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _findings(args: argparse.Namespace) -> tuple[Finding, ...]:
    """The findings of ``--findings``, or each prompt of ``--prompt``/``--prompts-file`` as a finding."""
    from carzero_viewer.findings import Finding, load_findings
    from carzero_viewer.inference.prompt_file import read_prompts_file

    if args.findings:
        return load_findings(*args.findings)
    texts = read_prompts_file(args.prompts_file) if args.prompts_file else list(args.prompt)
    return tuple(Finding(text, (text,)) for text in dict.fromkeys(texts))


def _score(
    engine: InferenceEngine,
    paths: list[Path],
    findings: dict[str, LabelledScores],
    labels: CalibrationLabels,
    template: str | None,
) -> int:
    """Score every image once against every distinct phrasing; add each finding's score and label.

    Returns:
        The number of images scored (an image that cannot be decoded is skipped with a warning).
    """
    from tqdm import tqdm

    from carzero_viewer.errors import CarzeroError
    from carzero_viewer.findings import aggregate_scores, all_phrasings
    from carzero_viewer.inference.batch import decode_model_input, score_files
    from carzero_viewer.inference.prompts import DEFAULT_TEMPLATE

    texts = list(all_phrasings(f.finding for f in findings.values()))
    prompts = engine.encode_prompts([engine.process(t, template or DEFAULT_TEMPLATE) for t in texts])

    def skipped(path: Path, exc: CarzeroError) -> None:
        print(f"warning: skipped {exc.message}", file=sys.stderr)

    files = score_files(engine, paths, prompts, decode_model_input, lambda d: d.gray, on_error=skipped)
    count = 0
    for result in tqdm(files, total=len(paths), desc="calibrate", unit="image", file=sys.stderr):
        count += 1
        by_text = {text: r.score for text, r in zip(texts, result.results, strict=True)}
        for data in findings.values():
            truth = labels.truth(result.path, data.label) if data.label else None
            if truth is not None:
                data.scores.append(aggregate_scores(data.finding, by_text).score)
                data.truth.append(truth)
    return count


def provenance_for(
    engine: InferenceEngine,
    labels: Path,
    images: Path,
    scored: int,
    settings: argparse.Namespace,
) -> Provenance:
    """The provenance of a profile fitted now on ``images`` with ``labels`` and the loaded weights.

    Args:
        settings: ``folds``, ``bootstrap``, ``seed`` and ``min_cases`` (the commands' options).
    """
    from carzero_viewer.calibration import ECE_BINS, Provenance

    return Provenance(
        weights_sha256=engine.info.sha256.lower(),
        weights_untrained=engine.info.is_untrained,
        labels_file=labels.name,
        images_folder=images.resolve().name,
        images_scored=scored,
        created_utc=datetime.now(UTC).isoformat(timespec="seconds"),
        app_version=__version__,
        folds=settings.folds,
        bootstrap=settings.bootstrap,
        seed=settings.seed,
        min_cases=settings.min_cases,
        ece_bins=ECE_BINS,
    )


def _print_summary(profile: CalibrationProfile) -> None:
    if profile.provenance.weights_untrained:
        print("UNTRAINED weights: this profile's numbers mean nothing clinically")
    for finding in profile.findings.values():
        low, high = finding.auroc_ci
        youden = finding.points[0]
        print(
            f"{finding.name}: {finding.n_positive} positive / {finding.n_negative} negative; "
            f"AUROC {finding.auroc:.3f} [{low:.3f}, {high:.3f}]; ECE {finding.before.ece:.3f} -> "
            f"{finding.after.ece:.3f} (held out); Youden threshold {youden.threshold:+.4f} "
            f"(sensitivity {youden.sensitivity:.2f}, specificity {youden.specificity:.2f})"
        )
    for exclusion in profile.excluded:
        print(f"{exclusion.name}: left out: {exclusion.reason}")
