"""``eval --table TABLE [--resume] [--engine ray]``: eval's scores kept in a resumable archive table.

Why this design: an eval of 10^5 images is hours of scoring, and all of that work is the archive scoring of
``score --out`` (:mod:`carzero_viewer.commands.score_archive`): per-file decode, batches through the model,
durable chunks, ``--resume`` by path + content hash + row name, the errors file, the Ray engine. So eval
does not get a scoring loop of its own for archives: with ``--table`` it hands its images and its class
findings (one row per image x class, ``row_kind`` ``finding``) to that same pipeline, then reads the rows
back and computes its metrics from them exactly as from scores held in memory. One option covers both uses:

* an interrupted eval is rerun with ``--resume``: the rows already in the table are kept, only the missing
  ones are computed, then the metrics are computed over all of them;
* a table already written (by an earlier ``eval --table``, or by ``score --out --findings ... --with-maps``
  of the same findings) is evaluated without recomputing by the same ``--table TABLE --resume``.

The table's metadata (:class:`~carzero_viewer.archive.ArchiveMeta`: weights SHA-256, precision, text
pipeline, template, row kind, maps, layout version, and each finding's phrasings) must match what eval would
compute, else the run is refused in one line before anything is scored.

Grounding metrics need maps: when the annotations hold boxes the rows carry ``map_14`` and the model input's
``geometry``, and each map is registered onto the image's pixels through that geometry, the same
:func:`~carzero_viewer.inference.geometry.map_to_original` call as in memory; the boxes are scaled to the
geometry's original size (the decoded image's shape). A row is used only when its content hash is the file's
current SHA-256 (the file is hashed again when read back: a file rewritten since holds no stale scores). The
report's example overlays decode their (at most four) images again. Maps are kept in memory only for the
images that have boxes; rows are streamed from the table.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from carzero_viewer.commands.score_archive import DEFAULT_FLUSH_EVERY

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from carzero_viewer.annotations import AnnotationSet, LabelMap
    from carzero_viewer.archive.table import Row
    from carzero_viewer.commands.eval import ClassPrompts, ClassScore, EvalResult
    from carzero_viewer.inference.engine import InferenceEngine


def add_table_options(parser: argparse.ArgumentParser) -> None:
    """``--table`` and the archive options that go with it (the parser imports nothing heavy)."""
    group = parser.add_argument_group("archive-size evals (scores kept in a resumable table)")
    group.add_argument(
        "--table",
        type=Path,
        metavar="TABLE.parquet|TABLE.csv",
        help="score through the archive pipeline of `score --out` into this table (one row per image x "
        "class, with maps when there are boxes), then compute the metrics from it",
    )
    group.add_argument(
        "--resume",
        action="store_true",
        help="keep the rows already in --table and score only what is missing (also: evaluate a finished "
        "table without recomputing)",
    )
    group.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="with --table: local (default) or a Ray Data pipeline, as `score --engine`",
    )
    group.add_argument("--ray-address", metavar="ADDR", help="with --engine ray: the Ray cluster to join")
    group.add_argument(
        "--batch-size",
        type=int,
        metavar="N",
        help="with --table: images per model batch (default: the device's)",
    )


def check_table_options(args: argparse.Namespace) -> None:
    """Refuse table options that have no meaning (one line, before any work), as ``score --out`` does.

    Raises:
        EvalError: ``--resume``, ``--engine ray``, ``--ray-address`` or ``--batch-size`` without ``--table``;
            ``--ray-address`` without ``--engine ray``; ``--batch-size`` outside 1..100000.
    """
    from carzero_viewer.commands.eval import EvalError

    if args.table is not None:
        if args.ray_address is not None and args.engine != "ray":
            raise EvalError("--ray-address needs --engine ray")
        if args.batch_size is not None and not 1 <= args.batch_size <= 100_000:
            raise EvalError(f"--batch-size {args.batch_size} is outside 1..100000")
        return
    for name, given in (
        ("--resume", args.resume),
        ("--engine ray", args.engine == "ray"),
        ("--ray-address", args.ray_address is not None),
        ("--batch-size", args.batch_size is not None),
    ):
        if given:
            raise EvalError(f"{name} needs --table TABLE.parquet|TABLE.csv")


def score_through_table(
    args: argparse.Namespace,
    engine: InferenceEngine,
    wanted: Mapping[Path, tuple[str | None, frozenset[str] | None]],
    texts: Sequence[str],
    template: str,
    class_prompts: ClassPrompts,
    annotations: AnnotationSet,
    label_map: LabelMap,
    result: EvalResult,
) -> None:
    """Score ``wanted`` into ``args.table`` (resuming it with ``--resume``), then record every image whose
    class rows are all there, as :func:`~carzero_viewer.commands.eval.record_image` does from memory.

    Raises:
        ArchiveError: the table cannot be resumed (other weights, precision, template, findings or maps).
    """
    import sys
    from functools import partial

    from carzero_viewer.archive.table import read_rows
    from carzero_viewer.commands.eval import record_image
    from carzero_viewer.commands.score_archive import score_table
    from carzero_viewer.commands.score_calibration import ScoreCalibration
    from carzero_viewer.errors import CarzeroError
    from carzero_viewer.inference.archive import RowSpec, file_sha256

    findings = {f.name: f for f in class_prompts.findings.values()}
    spec = RowSpec(
        tuple(texts),
        template,
        raw=False,
        findings=tuple(findings.values()),
        with_maps=bool(annotations.boxes),
    )
    options = argparse.Namespace(
        **vars(args), calibration=None, flush_every=DEFAULT_FLUSH_EVERY, official=False
    )
    _, meta = score_table(
        options, args.table, None, list(wanted), (), spec, ScoreCalibration(None, ""), engine
    )
    errors = args.table.with_name(args.table.name + ".errors.csv")  # score_table's default
    current: dict[str, str] = {}
    for path in wanted:
        try:
            current[str(path)] = file_sha256(path)
        except CarzeroError as exc:
            result.failed.append(exc.message)
    boxed = {str(path) for path, (sop_uid, _) in wanted.items() if annotations.lookup(path, sop_uid)[0]}
    rows: dict[str, dict[str, Row]] = {}
    for row in read_rows(args.table, meta, current.keys()):
        if row["content_sha256"] == current[row["path"]]:
            if row["path"] not in boxed:
                row.pop("map_14", None)
            rows.setdefault(row["path"], {})[row["finding"]] = row
    for path, (sop_uid, truth) in wanted.items():
        by_name = rows.get(str(path), {})
        if str(path) not in current:
            continue
        if any(name not in by_name for name in findings):
            message = f"{path}: not scored (the reason is in {errors})"
            print(f"warning: skipped {message}", file=sys.stderr)
            result.failed.append(message)
            continue
        by_class = {c: _class_score(by_name[f.name], args.table) for c, f in class_prompts.findings.items()}
        geometry = next((s.geometry for s in by_class.values() if s.geometry is not None), None)
        record_image(
            path,
            sop_uid,
            truth,
            geometry.original_size if geometry is not None else (0, 0),
            by_class,
            partial(_model_input, path),
            class_prompts,
            annotations,
            label_map,
            result,
        )


def _model_input(path: Path) -> npt.NDArray[np.uint8]:
    """The image's 8-bit model input, decoded again (for a report example: at most four images)."""
    from carzero_viewer.inference.batch import decode_model_input

    return decode_model_input(path).gray


def _class_score(row: Row, table: Path) -> ClassScore:
    """A class's score (and map with its geometry, when the row holds them) from its table row."""
    from carzero_viewer.archive import ArchiveError
    from carzero_viewer.archive.table import geometry_from_cells
    from carzero_viewer.commands.eval import ClassScore
    from carzero_viewer.untrusted import fail

    grid = row.get("map_14")
    if grid is None:
        return ClassScore(float(row["score"]))
    side = round(len(grid) ** 0.5)
    if side * side != len(grid):
        fail(ArchiveError, table, f"{row['path']}: map_14", f"holds {len(grid)} values, not a square grid")
    geometry = geometry_from_cells(row.get("geometry"), table, f"{row['path']}: geometry")
    return ClassScore(float(row["score"]), grid.reshape(side, side), geometry)
