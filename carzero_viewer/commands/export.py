"""``carzero-viewer export``: the viewer's figures and reports from the command line.

For every image x prompt the prompt map (or, with ``--map words``, each word's map) is mapped to original
pixels (NaN outside the model's field of view) and drawn by the same renderer the viewer's export action uses,
with the image's default window. Ground-truth boxes are found next to each image (every ``*.csv``/``*.json``
in its folder that reads as annotations; files of no known format are ignored, a broken annotation file is
named in a warning and skipped) and drawn with the viewer's styles (:func:`carzero_viewer.annotations.display.
style_boxes`: a colour per class, a line style per source, the source in the label when several are present);
boxes whose label matches the prompt give the grounding metrics of the reports. Every figure, PDF and report
row carries the image's applicability check (:mod:`carzero_viewer.imaging.applicability`): a warning with its
reasons when the image is outside what the model was trained on; the image is scored all the same.

Outputs in ``--out`` (names sanitised; ``<stem>`` = image file stem, ``<prompt>`` = prompt slug):
``<stem>__<prompt>.png`` / ``.dcm`` (DICOM inputs only: a Secondary Capture in the source's study) and, with
``--map words``, ``<stem>__<prompt>__w<i>-<word>.*``; ``<stem>__report.pdf`` (one page per image);
``scores.csv`` and ``scores.json`` (all images x prompts). For DICOM inputs only (like ``dcm``: the objects
join the source's study, which a PNG does not have; a PNG input gets its other formats and one note):
``sr`` writes ``<stem>__sr.dcm``, the image's Structured Report (:mod:`carzero_viewer.export.dicom_sr`), and
``dcm-map`` writes ``<stem>__<prompt>__map.dcm``, each prompt map as a Segmentation a PACS viewer overlays
(:mod:`carzero_viewer.export.dicom_map`; the prompt map only, also with ``--map words``). With
``--calibration PROFILE.json`` (as for ``score``) the report holds each calibrated prompt's probability and
operating-point call. Nothing is overwritten without ``--force``: every
target is checked before the model runs, and an existing one stops the command with a one-line message.

A failing image does not stop the run: an image that cannot be read or scored is skipped, and a format that
cannot be written for an image (say its Secondary Capture) is skipped for that image while its other formats
are written. Each failure is printed on stderr when it happens as ``failed: <image>: <what>: <reason>``
(:data:`FAILURE_PREFIX`; the viewer's *Export study* collects these lines), and the command ends with one
error line listing them all and exit code 1. Source attributes that a DICOM object could not copy as they
were (invalid for their VR: fixed or dropped) are printed once per image as ``note: <image>: ...``, naming
the attribute and the reason, never the value.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from carzero_viewer import __version__
from carzero_viewer.commands.common import add_model_options, build_engine
from carzero_viewer.commands.export_dicom import ImageObjects
from carzero_viewer.commands.score_calibration import ScoreCalibration, add_calibration_options
from carzero_viewer.errors import CarzeroError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from carzero_viewer.annotations import AnnotationSet, Box
    from carzero_viewer.export.dicom_source import SourceNote
    from carzero_viewer.export.heatmap_style import HeatmapStyle
    from carzero_viewer.export.render import BoxSpec
    from carzero_viewer.export.reports import Provenance, ReportRow
    from carzero_viewer.imaging import ImageRecord
    from carzero_viewer.inference.engine import InferenceEngine
    from carzero_viewer.inference.features import PromptFeatures
    from carzero_viewer.types import PromptResult

FORMATS = ("png", "pdf", "csv", "json", "dcm", "sr", "dcm-map")
DICOM_FORMATS = ("dcm", "sr", "dcm-map")  # written for DICOM inputs only: they go into the source's study
FAILURE_PREFIX = "failed: "
LOG = logging.getLogger(__name__)
SPECIAL_WORDS = frozenset({"[CLS]", "[SEP]"})


def _formats(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"formats must be a comma list of {', '.join(FORMATS)}")
    return chosen


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value:g}")
    return value


def _colormap(name: str) -> str:
    from carzero_viewer.export.heatmap_style import colormap_table

    try:
        colormap_table(name, 2)
    except ValueError:
        raise argparse.ArgumentTypeError(f"unknown colormap {name!r} (try jet, inferno, viridis)") from None
    return name


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("export", help="render overlays and write PNG/PDF/CSV/JSON/DICOM (headless)")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG/JPEG/TIFF/BMP/DICOM)")
    parser.add_argument(
        "--prompt", action="append", required=True, metavar="TEXT", help="a prompt (repeatable)"
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder (created)")
    parser.add_argument(
        "--format",
        type=_formats,
        default=("png",),
        metavar="LIST",
        help="comma list of png,pdf,csv,json,dcm,sr,dcm-map (dcm, sr and dcm-map: DICOM inputs only)",
    )
    parser.add_argument(
        "--map", choices=("prompt", "words"), default="prompt", help="prompt map or word maps"
    )
    parser.add_argument("--colormap", type=_colormap, default="jet", help="matplotlib colormap (default jet)")
    parser.add_argument("--opacity", type=_fraction, default=0.5, help="overlay opacity 0..1 (default 0.5)")
    parser.add_argument("--threshold", type=_fraction, default=0.0, help="hide values below this fraction")
    parser.add_argument("--interpolation", choices=("bilinear", "nearest"), default="bilinear")
    parser.add_argument("--raw", action="store_true", help="no template: score the text exactly as given")
    parser.add_argument(
        "--template", default=None, help="template for bare findings (default 'There is {}.')"
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    add_calibration_options(parser)
    add_model_options(parser)


class ExportIncomplete(CarzeroError):
    """Some images or formats failed; the others were written (the message lists every failure)."""


@dataclass
class _Image:
    record: ImageRecord
    stem: str
    boxes: tuple[Box, ...]
    reasons: tuple[str, ...]  # the applicability check's reasons (empty: the model can read the image)
    png_targets: list[list[tuple[Path, int | None]]] = field(default_factory=list)  # per prompt: (stem, word)
    map_targets: list[Path] = field(default_factory=list)  # per prompt, with dcm-map for a DICOM image
    failed_formats: set[str] = field(default_factory=set)
    noted: bool = False  # the notes on its source attributes were printed (once per image)


@dataclass
class _Failures:
    """Every failure of the run, in order: (image or output, what failed, reason); printed as they happen."""

    items: list[tuple[Path, str, str]] = field(default_factory=list)

    def add(self, path: Path, what: str, exc: Exception) -> None:
        if isinstance(exc, CarzeroError):
            reason = exc.reason if exc.path == path else exc.message
        else:  # an unexpected error still names the file; --debug logs its traceback
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
            LOG.debug("export of %s (%s) failed", path, what, exc_info=exc)
        self.items.append((path, what, reason))
        print(f"{FAILURE_PREFIX}{path}: {what}: {reason}", file=sys.stderr)

    def check(self, total: int) -> None:
        """Raise :class:`ExportIncomplete` listing every failure, if there was any."""
        if not self.items:
            return
        listed = "; ".join(f"{path.name}: {what}: {reason}" for path, what, reason in self.items)
        raise ExportIncomplete(
            f"export incomplete ({total} inputs), everything else was written; {len(self.items)} failed: {listed}"
        )


def _find_boxes(record: ImageRecord, cache: dict[Path, AnnotationSet]) -> tuple[Box, ...]:
    """The boxes of ``record`` from the annotation files beside it (a broken one is reported and skipped)."""
    from carzero_viewer.annotations import discover

    folder = record.path.resolve().parent
    if folder not in cache:
        found = discover(folder)
        for problem in found.problems:
            print(f"warning: {problem.message} (its boxes are not drawn)", file=sys.stderr)
        cache[folder] = found.annotations
    return cache[folder].boxes_for(record.path, record.shape).boxes


def _unique(name: str, taken: set[str]) -> str:
    candidate, counter = name, 2
    while candidate.lower() in taken:
        candidate, counter = f"{name}-{counter}", counter + 1
    taken.add(candidate.lower())
    return candidate


def _style(args: argparse.Namespace) -> HeatmapStyle:
    from carzero_viewer.export.heatmap_style import HeatmapStyle

    return HeatmapStyle(
        colormap=args.colormap,
        opacity=args.opacity,
        threshold=args.threshold,
        interpolation=args.interpolation,
    )


def box_specs(boxes: Sequence[Box]) -> list[BoxSpec]:
    """The boxes of one image drawn as the viewer draws them (:func:`~carzero_viewer.annotations.display.
    style_boxes` with the built-in label map)."""
    from carzero_viewer.annotations import LabelMap
    from carzero_viewer.annotations.display import style_boxes
    from carzero_viewer.export.render import BoxSpec

    return [
        BoxSpec(s.box.x1, s.box.y1, s.box.x2, s.box.y2, s.caption, s.colour, s.line_style)
        for s in style_boxes(boxes, LabelMap.load(None))
    ]


def run(args: argparse.Namespace) -> int:
    from carzero_viewer.export.reports import write_csv, write_json
    from carzero_viewer.files import check_target, ensure_directory
    from carzero_viewer.imaging import SourceFormat, load_image
    from carzero_viewer.inference.prompts import DEFAULT_TEMPLATE

    calibration = ScoreCalibration.from_args(args)  # a bad profile fails before any work
    out = ensure_directory(args.out)
    failures = _Failures()
    records = []
    for name in args.images:
        try:
            records.append(load_image(Path(name)))
        except Exception as exc:  # one unreadable file, whatever the error, must not stop the others
            failures.add(Path(name), "read", exc)
    if records:
        engine = build_engine(args)
        calibration.check_weights(engine.info.sha256)
        template = args.template or DEFAULT_TEMPLATE
        prompts = engine.encode_prompts([engine.process(t, template, args.raw) for t in args.prompt])
        images, planned = _plan(args, out, records, prompts)
        for path in planned:  # an existing file stops the run before any work or any write
            check_target(path, args.force)
        dicom = [f for f in DICOM_FORMATS if f in args.format]
        if dicom and any(r.source_format is not SourceFormat.DICOM for r in records):
            print(f"note: {', '.join(dicom)} output is written for DICOM inputs only", file=sys.stderr)
        rows = _export_all(
            args, engine, images, prompts, None if args.raw else template, calibration, failures
        )
        for fmt, writer in (("csv", write_csv), ("json", write_json)):
            if fmt in args.format:
                try:
                    print(writer(out / f"scores.{fmt}", rows, args.force))
                except CarzeroError as exc:
                    failures.add(out / f"scores.{fmt}", fmt, exc)
    failures.check(len(args.images))
    return 0


def _plan(
    args: argparse.Namespace, out: Path, records: list[ImageRecord], prompts: list[PromptFeatures]
) -> tuple[list[_Image], list[Path]]:
    """Every image's output name stems (unique, sanitised) and the full list of files the run will write."""
    from carzero_viewer.files import sanitise_filename, slug
    from carzero_viewer.imaging import SourceFormat, check_applicability

    formats: tuple[str, ...] = args.format
    cache: dict[Path, AnnotationSet] = {}
    taken_stems: set[str] = set()
    taken_slugs: set[str] = set()
    prompt_slugs = [_unique(slug(feature.prompt.typed), taken_slugs) for feature in prompts]
    images: list[_Image] = []
    planned: list[Path] = []
    for record in records:
        stem = _unique(sanitise_filename(record.path.stem, 60), taken_stems)
        reasons = check_applicability(record).reasons
        item = _Image(record, stem, _find_boxes(record, cache), reasons)
        extensions = [".png"] if "png" in formats else []
        is_dicom = record.source_format is SourceFormat.DICOM
        if "dcm" in formats and is_dicom:
            extensions.append(".dcm")
        for feature, prompt_slug in zip(prompts, prompt_slugs, strict=True):
            if args.map == "prompt":
                targets: list[tuple[Path, int | None]] = [(out / f"{stem}__{prompt_slug}", None)]
            else:
                targets = [
                    (out / f"{stem}__{prompt_slug}__w{index}-{sanitise_filename(word, 24)}", index)
                    for index, word in enumerate(feature.words)
                    if word not in SPECIAL_WORDS
                ]
            item.png_targets.append(targets)
            planned += [base.with_name(base.name + ext) for base, _ in targets for ext in extensions]
            if "dcm-map" in formats and is_dicom:
                item.map_targets.append(_map_path(out, stem, prompt_slug))
                planned.append(item.map_targets[-1])
        if "pdf" in formats:
            planned.append(out / f"{stem}__report.pdf")
        if "sr" in formats and is_dicom:
            planned.append(_sr_path(out, stem))
        images.append(item)
    planned += [out / f"scores.{fmt}" for fmt in ("csv", "json") if fmt in formats]
    return images, planned


def _map_path(out: Path, stem: str, prompt_slug: str) -> Path:
    """``<stem>__<prompt>__map.dcm``: the prompt map's Segmentation."""
    return out / f"{stem}__{prompt_slug}__map.dcm"


def _sr_path(out: Path, stem: str) -> Path:
    """``<stem>__sr.dcm``: the image's Structured Report."""
    return out / f"{stem}__sr.dcm"


def _provenance(engine: InferenceEngine, template: str | None, created: str) -> Provenance:
    from carzero_viewer.export.reports import Provenance

    info = engine.info
    return Provenance(
        model_id=engine.model_id,
        weights_checksum=info.sha256,
        model_status=info.status.value,
        template=template,
        app_version=__version__,
        created=created,
    )


def _export_all(
    args: argparse.Namespace,
    engine: InferenceEngine,
    images: list[_Image],
    prompts: list[PromptFeatures],
    template: str | None,
    calibration: ScoreCalibration,
    failures: _Failures,
) -> list[ReportRow]:
    """Every image's figures, PDF and report rows; a failing image or format is recorded and skipped."""
    now = _dt.datetime.now().astimezone()
    provenance = _provenance(engine, template, now.isoformat(timespec="seconds"))
    rows: list[ReportRow] = []
    for item in images:
        try:
            rows.extend(_export_image(args, engine, item, prompts, provenance, now, calibration, failures))
        except Exception as exc:  # one image's failure, whatever its kind, must not stop the others
            failures.add(item.record.path, "score and render", exc)
    return rows


def _export_image(
    args: argparse.Namespace,
    engine: InferenceEngine,
    item: _Image,
    prompts: list[PromptFeatures],
    provenance: Provenance,
    now: _dt.datetime,
    calibration: ScoreCalibration,
    failures: _Failures,
) -> list[ReportRow]:
    """One image: its rows, every figure, its PDF, its map Segmentations and its Structured Report (a format
    that fails is skipped for this image)."""
    from carzero_viewer.annotations import labels_match
    from carzero_viewer.export.pdf import write_pdf
    from carzero_viewer.export.reports import grounding_metrics, row_from_result
    from carzero_viewer.inference.geometry import map_to_original

    style = _style(args)
    record = item.record
    objects = _objects(args, item, calibration)
    features = engine.encode_image(record.model_input)
    results = engine.score(features, prompts, word_maps=args.map == "words")
    display = record.display()
    image_rows: list[ReportRow] = []
    first_figure = None
    for index, (result, targets) in enumerate(zip(results, item.png_targets, strict=True)):
        prompt_map = map_to_original(result.grounding_map, result.geometry, style.interpolation)
        matching = [b for b in item.boxes if labels_match(b.label, result.prompt.text)]
        metrics = grounding_metrics(prompt_map, matching)
        row = row_from_result(
            result, record.path.name, record.content_hash, provenance, metrics, len(matching), item.reasons
        )
        image_rows.append(row)
        if objects is not None:
            objects.add(row, matching)
            if item.map_targets:
                _write_map(item, objects, item.map_targets[index], row, prompt_map, style, failures)
        for base, word_index in targets:
            values = (
                prompt_map
                if word_index is None
                else map_to_original(result.word_maps[word_index], result.geometry, style.interpolation)
            )
            figure = _render(args, engine, item, result, values, display, word_index, now)
            if first_figure is None:
                first_figure = figure
            _write_figure(args, engine, item, result, base, figure, word_index, failures)
    if "pdf" in args.format and first_figure is not None:
        try:
            print(
                write_pdf(
                    Path(args.out) / f"{item.stem}__report.pdf",
                    first_figure,
                    record.path.name,
                    image_rows,
                    0,
                    engine.info.is_untrained,
                    args.force,
                )
            )
        except CarzeroError as exc:
            failures.add(record.path, "pdf", exc)
    if objects is not None and "sr" in args.format and "sr" not in item.failed_formats:
        try:
            print(objects.write_report(_sr_path(Path(args.out), item.stem)))
            _print_notes(item, "Structured Report", objects.notes())
        except Exception as exc:  # as for the Secondary Capture: the image's other formats are kept
            _dicom_failed(item, "sr", "Structured Report", exc, failures)
    return image_rows


def _objects(args: argparse.Namespace, item: _Image, calibration: ScoreCalibration) -> ImageObjects | None:
    """The image's SR and map writer when ``sr`` or ``dcm-map`` is asked for and the image is DICOM."""
    from carzero_viewer.imaging import SourceFormat

    wanted = "sr" in args.format or "dcm-map" in args.format
    if not wanted or item.record.source_format is not SourceFormat.DICOM:
        return None
    return ImageObjects(item.record.path, calibration, args.force)


def _write_map(
    item: _Image,
    objects: ImageObjects,
    target: Path,
    row: ReportRow,
    prompt_map: npt.NDArray[np.float32],
    style: HeatmapStyle,
    failures: _Failures,
) -> None:
    """Write one prompt's map Segmentation (after the first failure, none for this image)."""
    if "dcm-map" in item.failed_formats:
        return
    try:
        print(objects.write_map(target, row, prompt_map, style))
        _print_notes(item, "map Segmentation", objects.notes())
    except Exception as exc:
        _dicom_failed(item, "dcm-map", "map Segmentation", exc, failures)


def _caption(result: PromptResult, word_index: int | None, style: HeatmapStyle) -> str:
    norm = "min-max" if style.normalisation == "minmax" else "fixed range"
    if word_index is None:
        return f"Prompt map (official i2t attention, 14x14 grid mapped to the image), {norm} scale"
    return f"Word map of '{result.words[word_index]}' (extension, not evaluated in the paper), {norm} scale"


def _render(
    args: argparse.Namespace,
    engine: InferenceEngine,
    item: _Image,
    result: PromptResult,
    values: npt.NDArray[np.float32],
    display: npt.NDArray[np.float32],
    word_index: int | None,
    now: _dt.datetime,
) -> npt.NDArray[np.uint8]:
    import numpy as np

    from carzero_viewer.export.render import LegendInfo, RenderRequest, render

    style = _style(args)
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (None, None)
    info = engine.info
    legend = LegendInfo(
        typed_prompt=result.prompt.typed,
        processed_prompt=result.prompt.text,
        word=None if word_index is None else result.words[word_index],
        score=result.score,
        image_name=item.record.path.name,
        model_name=f"CARZero ({info.status.value})",
        weights_checksum=info.short_checksum,
        app_version=__version__,
        date=now.strftime("%Y-%m-%d %H:%M %Z").strip(),
        untrained=info.is_untrained,
        map_low=low,
        map_high=high,
        map_caption=_caption(result, word_index, style),
        applicability_reasons=item.reasons,
    )
    request = RenderRequest(
        display=display,
        map_values=values,
        style=style,
        boxes=box_specs(item.boxes),
        legend=legend,
    )
    return render(request)


def _write_figure(
    args: argparse.Namespace,
    engine: InferenceEngine,
    item: _Image,
    result: PromptResult,
    base: Path,
    figure: npt.NDArray[np.uint8],
    word_index: int | None,
    failures: _Failures,
) -> None:
    from carzero_viewer.export.render import describe_figure, png_text
    from carzero_viewer.files import save_png
    from carzero_viewer.imaging import SourceFormat

    what = "prompt map" if word_index is None else f"word map of '{result.words[word_index]}'"
    model = f"{engine.model_id} ({engine.info.status.value})"
    description = describe_figure(
        what, result.prompt.text, result.score, model, engine.info.is_untrained, item.reasons
    )
    if "png" in args.format and "png" not in item.failed_formats:
        try:
            text = png_text(description, item.reasons)
            print(save_png(base.with_name(base.name + ".png"), figure, args.force, text))
        except CarzeroError as exc:
            item.failed_formats.add("png")
            failures.add(item.record.path, "png", exc)
    if (
        "dcm" in args.format
        and "dcm" not in item.failed_formats
        and item.record.source_format is SourceFormat.DICOM
    ):
        try:
            _write_capture(args, item, base, figure, description)
        except Exception as exc:  # pydicom may still object to a source; the image's other formats are kept
            _dicom_failed(item, "dcm", "Secondary Capture", exc, failures)


def _dicom_failed(item: _Image, fmt: str, what: str, exc: Exception, failures: _Failures) -> None:
    """Record a DICOM format that failed for ``item``; it is not tried again for this image."""
    item.failed_formats.add(fmt)
    if not isinstance(exc, CarzeroError):  # a library message may quote a patient value: never shown
        exc = CarzeroError(f"unexpected {type(exc).__name__} while building it")
    failures.add(item.record.path, f"{fmt} ({what})", exc)


def _print_notes(item: _Image, what: str, notes: Sequence[SourceNote]) -> None:
    """The notes on the image's source attributes, printed for its first DICOM object only (all its objects
    copy the same attributes, so the notes are the same)."""
    if item.noted:
        return
    item.noted = True
    for note in notes:
        print(f"note: {item.record.path}: {what}: {note}", file=sys.stderr)
        LOG.info("%s: %s: %s", item.record.path, what, note)


def _write_capture(
    args: argparse.Namespace, item: _Image, base: Path, figure: npt.NDArray[np.uint8], description: str
) -> None:
    """Write one Secondary Capture; its notes on the source attributes are printed for the image's first one."""
    from carzero_viewer.export.dicom_sc import secondary_capture, write_secondary_capture

    capture = secondary_capture(item.record.path, figure, description)
    print(write_secondary_capture(base.with_name(base.name + ".dcm"), capture.dataset, args.force))
    _print_notes(item, "Secondary Capture", capture.notes)
