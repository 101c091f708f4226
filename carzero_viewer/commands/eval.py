"""``carzero-viewer eval``: grounding metrics against ground-truth boxes over a folder, plus image-level AUROC.

For every image that has boxes (or image-level labels) the image is encoded once and scored against the
prompts of the dataset's classes (every distinct prompt encoded once, up front). Each box label's prompt map
is mapped back to original-image pixels (NaN outside the model's field of view) and compared with the boxes,
scaled to the opened image.

The metrics follow the published definitions (``shared/docs/published-results.md``; units in
:mod:`carzero_viewer.metrics.grounding`): the ground truth of an (image, class) is every box of that class
and dataset on the image; pointing game, energy-in-box, mIoU and pixel AUROC are computed once per (image,
class) against the union of those boxes, CNR once per box.

Outputs in ``--out`` (each written atomically by :mod:`carzero_viewer.files`; an existing output is only
replaced with ``--force``, checked before any work is done):

* ``image_classes.csv``: one row per (image, dataset, class): ``n_boxes`` and the four union metrics.
* ``boxes.csv``: one row per box: its coordinates and its own ``cnr``.
* ``summary.csv`` / ``summary.json``: per (source, class): pointing game = hit rate and energy-in-box, mIoU,
  pixel AUROC = means over the (image, class) rows (``n_images`` of them); CNR = mean over the class's boxes
  (``n_boxes``). A ``mean`` row per source: CNR over all the source's boxes (published "averaged over
  boxes"), the other metrics over the class rows (as the published pointing-game mean). With ``--labels``,
  per-class ROC-AUC over the images' scores with a bootstrap 95 % CI. NaN values are skipped in every mean.
* ``report.html``: tables, bar charts and example overlays beside the published CARZero numbers
  (:mod:`carzero_viewer.commands.eval_report`).
* with ``--calibration-out PROFILE.json`` (and ``--labels``): the calibration profile of the labelled classes
  from these same scores (:mod:`carzero_viewer.commands.eval_calibration`), as ``calibrate`` would write it.

With ``--table TABLE.parquet|TABLE.csv [--resume] [--engine ray]`` the scores are computed by the archive
pipeline of ``score --out`` into a resumable table and the metrics are computed from its rows
(:mod:`carzero_viewer.commands.eval_table`): an interrupted eval of an archive resumes, and a finished table
is evaluated again without recomputing.

Each class is scored as a finding (:mod:`carzero_viewer.findings`): by default the label's single prompt
(``Effusion`` -> "There is pleural effusion."), whose score and map are exactly that prompt's; with
``--findings NAME|FILE.json`` (as ``score --findings``) a class that a finding matches (same canonical label)
is scored as the mean of that finding's phrasings, scores and maps alike, and the ``prompt`` columns list its
phrasings joined by `` | ``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carzero_viewer import __version__
from carzero_viewer.commands.common import add_model_options, build_engine
from carzero_viewer.commands.eval_calibration import add_profile_options
from carzero_viewer.commands.eval_grounding import box_metrics, family
from carzero_viewer.commands.eval_table import add_table_options, check_table_options
from carzero_viewer.errors import CarzeroError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from carzero_viewer.annotations import AnnotationSet, ImageLabels, LabelMap
    from carzero_viewer.commands.eval_report import Example
    from carzero_viewer.findings import Finding
    from carzero_viewer.imaging import ImageRecord
    from carzero_viewer.inference.engine import InferenceEngine
    from carzero_viewer.types import ModelInputGeometry

    ExampleImage = Callable[[], npt.NDArray[np.uint8]]

IMAGE_CLASS_COLUMNS = (
    "image",
    "source",
    "class",
    "prompt",
    "score",
    "scaled",
    "n_boxes",
    "pointing_hit",
    "energy_in_box",
    "miou",
    "pixel_auroc",
)
BOX_COLUMNS = (
    "image",
    "source",
    "label",
    "class",
    "prompt",
    "x1",
    "y1",
    "x2",
    "y2",
    "scaled",
    "score",
    "cnr",
)
SUMMARY_COLUMNS = (
    "source",
    "class",
    "n_boxes",
    "n_images",
    "pointing_game",
    "energy_in_box",
    "cnr",
    "miou",
    "pixel_auroc",
    "n_positive",
    "auroc",
    "auroc_ci_low",
    "auroc_ci_high",
)
UNION_METRICS = ("energy_in_box", "miou", "pixel_auroc")  # averaged over (image, class) rows
AGGREGATION = (
    "per class: pointing game = hit rate over the class's (image, class) rows; energy in box, mIoU and pixel "
    "AUROC = mean over those rows; CNR = mean over the class's boxes. 'mean' row: CNR = mean over all the "
    "dataset's boxes (published: averaged over boxes), the others = mean of the class rows (as the published "
    "pointing-game mean). NaN values are skipped."
)
PIXEL_RULE = "pixel-centre box masks; pixels outside the model's field of view (NaN) excluded"
OUTPUT_NAMES = ("image_classes.csv", "boxes.csv", "summary.csv", "summary.json", "report.html")


class EvalError(CarzeroError):
    """The evaluation cannot run (no images, nothing matched, unwritable output folder)."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("eval", help="grounding metrics against ground-truth boxes (headless)")
    parser.add_argument("--images", type=Path, required=True, metavar="DIR", help="folder of images")
    parser.add_argument(
        "--annotations",
        type=Path,
        action="append",
        required=True,
        metavar="FILE",
        help="box file (NIH CSV, ChestX-Det10/COCO/plain JSON, MS-CXR/VinDr/RSNA/plain CSV); repeatable",
    )
    parser.add_argument(
        "--labels",
        type=Path,
        metavar="CSV",
        help="image-level labels (NIH Data_Entry: Image Index, Finding Labels)",
    )
    parser.add_argument(
        "--template", default=None, help="prompt template for findings (default 'There is {}.')"
    )
    parser.add_argument(
        "--label-map", type=Path, metavar="JSON", help='extra {"Label": "prompt finding"} entries'
    )
    parser.add_argument(
        "--findings",
        action="append",
        metavar="NAME|FILE.json",
        help="score each class as the matching finding (mean of its phrasings) of a library (chestxray14, "
        "chexpert, chexpert-competition, chestx-det10) or a JSON file; repeatable, later wins",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples (1000)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (0)")
    parser.add_argument("--force", action="store_true", help="overwrite the outputs of a previous run")
    add_profile_options(parser)
    add_table_options(parser)
    add_model_options(parser)


@dataclass(frozen=True)
class ClassPrompts:
    """What each canonical class is scored with: its finding, and the model text(s) the outputs show."""

    findings: dict[str, Finding]
    texts: dict[str, str]


@dataclass(frozen=True)
class ClassScore:
    """One class on one image: its finding's score, and its map with the crop geometry (None without maps)."""

    score: float
    map: npt.NDArray[np.float32] | None = None
    geometry: ModelInputGeometry | None = None


@dataclass
class EvalResult:
    image_class_rows: list[dict[str, Any]] = field(default_factory=list)  # IMAGE_CLASS_COLUMNS
    box_rows: list[dict[str, Any]] = field(default_factory=list)  # BOX_COLUMNS
    image_scores: dict[str, dict[str, float]] = field(default_factory=dict)  # image -> class -> score
    image_truth: dict[str, frozenset[str]] = field(default_factory=dict)  # image -> canonical positives
    examples: list[Example] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    scored: int = 0


def run(args: argparse.Namespace) -> int:
    from carzero_viewer.annotations import AnnotationSet, LabelMap, read_image_labels
    from carzero_viewer.commands.eval_calibration import (
        fit_eval_profile,
        prepare_profile,
        report_calibration,
        write_eval_profile,
    )
    from carzero_viewer.findings import Finding, all_phrasings, finding_for_label, load_findings
    from carzero_viewer.imaging import scan_folder
    from carzero_viewer.inference.prompts import DEFAULT_TEMPLATE

    started = time.perf_counter()
    check_table_options(args)
    _prepare_out(args.out, args.force)
    prepare_profile(args)
    annotations = AnnotationSet.load(args.annotations)
    label_map = LabelMap.load(args.label_map)
    findings = load_findings(*args.findings, label_map=label_map) if args.findings else ()
    image_labels = read_image_labels(args.labels) if args.labels else None
    entries = scan_folder(args.images)
    if not entries:
        raise EvalError("no readable images in the folder", args.images)
    engine = build_engine(args)
    template = args.template or DEFAULT_TEMPLATE
    classes = sorted(
        {label_map.canonical(b.label) for b in annotations.boxes}
        | ({label_map.canonical(c) for c in image_labels.classes()} if image_labels else set())
    )
    class_findings = {
        c: finding_for_label(findings, c, label_map) or Finding(c, (label_map.finding(c),)) for c in classes
    }
    texts = all_phrasings(class_findings.values())
    processed = [engine.process(text, template) for text in texts]
    prompts = engine.encode_prompts(processed) if args.table is None else []
    model_texts = {text: p.text for text, p in zip(texts, processed, strict=True)}
    class_prompts = ClassPrompts(
        class_findings,
        {c: " | ".join(model_texts[t] for t in f.phrasings) for c, f in class_findings.items()},
    )
    result = EvalResult()
    wanted = _wanted(entries, annotations, image_labels, result)
    if args.table is not None:
        from carzero_viewer.commands.eval_table import score_through_table

        score_through_table(
            args, engine, wanted, texts, template, class_prompts, annotations, label_map, result
        )
    else:
        _score_folder(wanted, engine, prompts, class_prompts, annotations, label_map, result)
    if result.scored == 0:
        raise EvalError("no image in the folder matched the annotations or labels", args.images)
    summary = summarise(result, label_map, image_labels, args.bootstrap, args.seed)
    runtime = time.perf_counter() - started
    document = _summary_document(args, engine, template, class_prompts.texts, result, summary, runtime)
    labelled = labelled_classes(result, label_map, image_labels) if image_labels is not None else []
    fitted = fit_eval_profile(args, engine, labelled, class_findings)
    calibration = report_calibration(args, fitted)
    _write_outputs(args.out, result, summary, document, engine.info.is_untrained, args.force, calibration)
    write_eval_profile(args, fitted)  # after eval's own outputs, so a failed fit loses none of them
    print(
        f"scored {result.scored} image(s), {len(result.box_rows)} box(es) in {runtime:.1f} s; "
        f"wrote {args.out / 'report.html'}",
        file=sys.stderr,
    )
    return 0


def _prepare_out(out: Path, force: bool) -> None:
    """Create the output folder and refuse existing outputs (without ``force``) before any work is done."""
    from carzero_viewer.files import prepare_targets

    prepare_targets([out / name for name in OUTPUT_NAMES], force)


def _sop_uid(path: Path, kind: object) -> str | None:
    from carzero_viewer.imaging import FileKind

    if kind != FileKind.DICOM:
        return None
    import pydicom

    try:
        dataset = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SOPInstanceUID"])
    except Exception:  # a header we cannot read only means no UID match; loading reports real problems
        return None
    uid = dataset.get("SOPInstanceUID")
    return str(uid) if uid else None


def _wanted(
    entries: Sequence[Any], annotations: AnnotationSet, image_labels: ImageLabels | None, result: EvalResult
) -> dict[Path, tuple[str | None, frozenset[str] | None]]:
    """The images with boxes or labels (each with its SOP Instance UID and label set); the rest are skipped."""
    wanted: dict[Path, tuple[str | None, frozenset[str] | None]] = {}
    for entry in entries:
        sop_uid = _sop_uid(entry.path, entry.kind)
        truth = image_labels.for_image(entry.path) if image_labels is not None else None
        if annotations.lookup(entry.path, sop_uid)[0] or truth is not None:
            wanted[entry.path] = (sop_uid, truth)
        else:
            result.skipped.append(entry.path.name)
    return wanted


def _score_folder(
    wanted: Mapping[Path, tuple[str | None, frozenset[str] | None]],
    engine: InferenceEngine,
    prompts: Sequence[Any],
    class_prompts: ClassPrompts,
    annotations: AnnotationSet,
    label_map: LabelMap,
    result: EvalResult,
) -> None:
    """Score every wanted image through the batch pipeline (decoding ahead, batches), all in memory."""
    from functools import partial

    from tqdm import tqdm

    from carzero_viewer.findings import aggregate
    from carzero_viewer.imaging import load_image
    from carzero_viewer.inference.batch import score_files

    def failed(path: Path, exc: CarzeroError) -> None:
        print(f"warning: skipped {exc.message}", file=sys.stderr)
        result.failed.append(exc.message)

    def model_input(record: ImageRecord) -> npt.NDArray[np.uint8]:
        return record.model_input

    files = score_files(engine, list(wanted), prompts, load_image, model_input, on_error=failed)
    for scored in tqdm(files, total=len(wanted), desc="eval", unit="image", file=sys.stderr):
        sop_uid, truth = wanted[scored.path]
        by_text = {r.prompt.typed: r for r in scored.results}
        by_class = {}
        for canonical, finding in class_prompts.findings.items():
            aggregated = aggregate(finding, by_text)
            by_class[canonical] = ClassScore(aggregated.score, aggregated.map, aggregated.geometry)
        record = scored.decoded
        record_image(
            scored.path,
            sop_uid,
            truth,
            record.shape,
            by_class,
            partial(model_input, record),
            class_prompts,
            annotations,
            label_map,
            result,
        )


def record_image(
    path: Path,
    sop_uid: str | None,
    truth: frozenset[str] | None,
    shape: tuple[int, int],
    by_class: Mapping[str, ClassScore],
    example_image: ExampleImage,
    class_prompts: ClassPrompts,
    annotations: AnnotationSet,
    label_map: LabelMap,
    result: EvalResult,
) -> None:
    """Add one scored image's class scores and box metrics to ``result``.

    Args:
        shape: (height, width) of the opened image, the frame the boxes are scaled to.
        by_class: each canonical class's score (and map, when the image has boxes).
        example_image: the image's 8-bit model input, asked for only if it becomes a report example.
    """
    matched = annotations.boxes_for(path, shape, sop_uid)
    if matched.note and matched.note not in result.notes:
        result.notes.append(matched.note)
    result.scored += 1
    if truth is not None:
        result.image_scores[path.name] = {c: r.score for c, r in by_class.items()}
        result.image_truth[path.name] = frozenset(label_map.canonical(t) for t in truth)
    if matched.boxes:
        box_metrics(
            path,
            example_image,
            matched.boxes,
            matched.scaled,
            by_class,
            class_prompts.texts,
            label_map,
            result,
        )


def _grounding_rows(result: EvalResult, source: str) -> list[dict[str, Any]]:
    """One dataset's per-class grounding rows and its ``mean`` row, each metric averaged in its unit."""
    from carzero_viewer.metrics import nanmean

    pairs = [r for r in result.image_class_rows if r["source"] == source]
    boxes = [r for r in result.box_rows if family(r["source"]) == source]
    class_rows = []
    for canonical in sorted({r["class"] for r in pairs}):
        class_pairs = [r for r in pairs if r["class"] == canonical]
        class_boxes = [r for r in boxes if r["class"] == canonical]
        row: dict[str, Any] = {"source": source, "class": canonical}
        row["n_boxes"] = len(class_boxes)
        row["n_images"] = len(class_pairs)
        row["pointing_game"] = sum(bool(r["pointing_hit"]) for r in class_pairs) / len(class_pairs)
        for metric in UNION_METRICS:
            row[metric] = nanmean(float(r[metric]) for r in class_pairs)
        row["cnr"] = nanmean(float(r["cnr"]) for r in class_boxes)
        class_rows.append(row)
    mean: dict[str, Any] = {"source": source, "class": "mean", "n_boxes": len(boxes)}
    mean["n_images"] = len({r["image"] for r in pairs})
    for metric in ("pointing_game", *UNION_METRICS):
        mean[metric] = nanmean(r[metric] for r in class_rows)
    mean["cnr"] = nanmean(float(r["cnr"]) for r in boxes)
    return [*class_rows, mean]


def summarise(
    result: EvalResult, label_map: LabelMap, image_labels: ImageLabels | None, n_boot: int, seed: int
) -> list[dict[str, Any]]:
    """Summary rows: per (source, class) grounding means + a mean row per source; then classification.

    Grounding units (module docstring): pointing game, energy-in-box, mIoU and pixel AUROC over the (image,
    class) rows; CNR over the boxes, also in the ``mean`` row.
    """
    from carzero_viewer.metrics import bootstrap_ci, nanmean, roc_auc

    rows: list[dict[str, Any]] = []
    for source in sorted({r["source"] for r in result.image_class_rows}):
        rows += _grounding_rows(result, source)
    if image_labels is not None and result.image_truth:
        source = f"labels:{image_labels.source.name}"
        names = sorted(result.image_truth)
        auc_rows: list[dict[str, Any]] = []
        for canonical, truth, scores in labelled_classes(result, label_map, image_labels):
            low, high = bootstrap_ci(truth, scores, n=n_boot, seed=seed)
            auc_rows.append(
                {
                    "source": source,
                    "class": canonical,
                    "n_images": len(names),
                    "n_positive": sum(truth),
                    "auroc": roc_auc(truth, scores),
                    "auroc_ci_low": low,
                    "auroc_ci_high": high,
                }
            )
        mean_row: dict[str, Any] = {"source": source, "class": "mean", "n_images": len(names)}
        mean_row["auroc"] = nanmean(r["auroc"] for r in auc_rows)
        rows += [*auc_rows, mean_row]
    return rows


def labelled_classes(
    result: EvalResult, label_map: LabelMap, image_labels: ImageLabels
) -> list[tuple[str, list[bool], list[float]]]:
    """Per canonical class of the labels: each labelled image's truth and score, images sorted by name."""
    names = sorted(result.image_truth)
    return [
        (
            canonical,
            [canonical in result.image_truth[n] for n in names],
            [result.image_scores[n][canonical] for n in names],
        )
        for canonical in sorted({label_map.canonical(c) for c in image_labels.classes()})
    ]


def _summary_document(
    args: argparse.Namespace,
    engine: InferenceEngine,
    template: str,
    prompt_texts: dict[str, str],
    result: EvalResult,
    summary: list[dict[str, Any]],
    runtime: float,
) -> dict[str, Any]:
    from carzero_viewer.metrics import METRIC_DEFINITIONS

    info = engine.info
    return {
        "app_version": __version__,
        "model": {
            "checkpoint": str(info.checkpoint),
            "sha256": info.sha256,
            "status": info.status.value,
            "status_detail": info.status_detail,
            "untrained": info.is_untrained,
            "device": engine.device.label,
        },
        "images": str(args.images),
        "annotations": [str(p) for p in args.annotations],
        "labels": str(args.labels) if args.labels else None,
        "template": template,
        "prompts": prompt_texts,
        "images_scored": result.scored,
        "images_skipped_no_ground_truth": len(result.skipped),
        "images_failed": result.failed,
        "image_classes": len(result.image_class_rows),
        "boxes": len(result.box_rows),
        "scaling_notes": result.notes,
        "summary": summary,
        "runtime_s": round(runtime, 2),
        "metric_definitions": {
            "metrics": METRIC_DEFINITIONS,
            "aggregation": AGGREGATION,
            "pixels": PIXEL_RULE,
        },
    }


def _csv_text(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    from carzero_viewer.files import csv_text

    return csv_text(columns, ([row.get(k) for k in columns] for row in rows), lambda value: f"{value:.6g}")


def _write_outputs(
    out: Path,
    result: EvalResult,
    summary: list[dict[str, Any]],
    document: dict[str, Any],
    untrained: bool,
    force: bool,
    calibration: tuple[dict[str, Any], str] | None = None,
) -> None:
    """Write :data:`OUTPUT_NAMES` (CSV cells neutralised against formulas, JSON with null for NaN); the report
    shows ``calibration`` (the ``--calibration-out`` profile's document and file name)."""
    from carzero_viewer.commands.eval_report import render_report
    from carzero_viewer.files import write_json_atomic, write_text_atomic

    write_text_atomic(
        out / "image_classes.csv", _csv_text(IMAGE_CLASS_COLUMNS, result.image_class_rows), force
    )
    write_text_atomic(out / "boxes.csv", _csv_text(BOX_COLUMNS, result.box_rows), force)
    write_text_atomic(out / "summary.csv", _csv_text(SUMMARY_COLUMNS, summary), force)
    write_json_atomic(out / "summary.json", document, force)
    write_text_atomic(
        out / "report.html", render_report(document, summary, result.examples, untrained, calibration), force
    )
