"""``score --out TABLE``: archive-scale scoring into a resumable Parquet or CSV table.

Inputs are files, folders (recursive) and ``--manifest`` rows (:mod:`carzero_viewer.archive.manifest`). Rows
are made by the local engine (default) or by ``--engine ray`` (:mod:`carzero_viewer.inference.ray_engine`),
both from the same per-file and per-batch functions (:mod:`carzero_viewer.inference.archive`), and written
here in durable chunks every ``--flush-every`` images or :data:`FLUSH_SECONDS`, whichever comes first, so a
killed run loses at most that much work (:mod:`carzero_viewer.archive.table`). ``--resume`` scores only the
files and prompts whose rows are missing. Files that cannot be read go to the errors file (``path,reason``)
and the run goes on; the exit code is 1 when any failed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from carzero_viewer import __version__
from carzero_viewer.archive import ArchiveError

if TYPE_CHECKING:
    from carzero_viewer.archive import ArchiveMeta, ErrorsFile, RowSink, WorkItem
    from carzero_viewer.archive.table import Row
    from carzero_viewer.commands.score_calibration import ScoreCalibration
    from carzero_viewer.inference.archive import ImageOutcome, RowSpec
    from carzero_viewer.inference.engine import InferenceEngine

    Outcomes = Callable[[Sequence[WorkItem]], Iterable[ImageOutcome]]
    AddProbability = Callable[[list[Row]], None]

FLUSH_SECONDS = 60.0
DEFAULT_FLUSH_EVERY = 256


def add_archive_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("archive scoring (a table of rows, resumable)")
    group.add_argument(
        "--out",
        type=Path,
        metavar="TABLE.parquet|TABLE.csv",
        help="write one row per image x prompt (or finding), in durable chunks; a .parquet table is a folder "
        "of part files",
    )
    group.add_argument(
        "--manifest", type=Path, metavar="FILE", help="CSV or Parquet file listing the images (needs --out)"
    )
    group.add_argument(
        "--path-column", default="path", metavar="NAME", help="manifest column (default: path)"
    )
    group.add_argument(
        "--resume", action="store_true", help="keep the rows already in --out; score only what is missing"
    )
    group.add_argument(
        "--errors",
        type=Path,
        metavar="FILE.csv",
        help="files that could not be scored, with the reason (default: beside the table, "
        "e.g. scores.parquet.errors.csv)",
    )
    group.add_argument(
        "--with-maps", action="store_true", help="add each row's 14x14 grounding map as a list"
    )
    group.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local (default), or a Ray Data pipeline (pip install 'carzero-viewer[distributed]')",
    )
    group.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="Ray cluster to join (auto, ray://host:10001); default: a local Ray",
    )
    group.add_argument(
        "--batch-size", type=int, metavar="N", help="images per model batch (default: the device's)"
    )
    group.add_argument(
        "--flush-every",
        type=int,
        default=DEFAULT_FLUSH_EVERY,
        metavar="N",
        help=f"make rows durable every N images (and every {FLUSH_SECONDS:.0f} s); default {DEFAULT_FLUSH_EVERY}",
    )


def check_archive_options(args: argparse.Namespace) -> None:
    """Refuse option combinations that have no meaning, before anything is read or loaded.

    Raises:
        ArchiveError: an archive option without ``--out``, or ``--out`` with the in-memory outputs.
    """
    if args.out is None:
        needing = [
            name
            for name, given in (
                ("--manifest", args.manifest is not None),
                ("--resume", args.resume),
                ("--errors", args.errors is not None),
                ("--with-maps", args.with_maps),
                ("--engine ray", args.engine == "ray"),
                ("--ray-address", args.ray_address is not None),
            )
            if given
        ]
        if needing:
            raise ArchiveError(f"{needing[0]} needs --out TABLE.parquet|TABLE.csv")
        if not args.images:
            raise ArchiveError("give image files, or folders / --manifest with --out")
        return
    if args.json is not None or args.arrays is not None:
        raise ArchiveError("--out writes the table; --json and --arrays hold a whole run in memory: use one")
    if args.ray_address is not None and args.engine != "ray":
        raise ArchiveError("--ray-address needs --engine ray")
    if not args.images and args.manifest is None:
        raise ArchiveError("no images: give files, folders or --manifest")
    for name, value in (("--batch-size", args.batch_size), ("--flush-every", args.flush_every)):
        if value is not None and not 1 <= value <= 100_000:
            raise ArchiveError(f"{name} {value} is outside 1..100000")


def run_archive(args: argparse.Namespace, spec: RowSpec, calibration: ScoreCalibration) -> int:
    """Score the inputs into ``args.out``; returns 1 when some file failed, else 0."""
    from carzero_viewer.archive import expand_inputs

    paths, problems = expand_inputs([Path(p) for p in args.images], args.manifest, args.path_column)
    out: Path = args.out
    return score_table(args, out, args.errors, paths, problems, spec, calibration)[0]


def score_table(
    args: argparse.Namespace,
    out: Path,
    errors_path: Path | None,
    paths: Sequence[Path],
    problems: Sequence[tuple[Path | str, str]],
    spec: RowSpec,
    calibration: ScoreCalibration,
    engine: InferenceEngine | None = None,
) -> tuple[int, ArchiveMeta]:
    """Score ``paths`` into table ``out`` with the engine and archive options of ``args``: the pipeline of
    ``score --out`` and of ``eval --table``.

    Args:
        errors_path: the errors file (default: beside the table, ``NAME.errors.csv``).
        problems: inputs that named no image, written to the errors file first.
        engine: the local engine when the caller has loaded it already (else loaded here; unused by Ray).

    Returns:
        (1 when some file failed else 0, the table's metadata).
    """
    from carzero_viewer.archive import ArchiveMeta, ErrorsFile, open_sink, plan_work
    from carzero_viewer.files import check_target
    from carzero_viewer.findings import Finding

    errors_path = errors_path or out.with_name(out.name + ".errors.csv")
    for target in (out, errors_path):  # "already exists" before any work, the table first
        check_target(target, args.force or args.resume)
    sha256, outcomes = _engine(args, spec, engine)
    calibration.check_weights(sha256)
    calibration.warn_other_phrasings(spec.findings or [Finding(t, (t,)) for t in spec.texts])
    meta = ArchiveMeta(
        weights_sha256=sha256,
        app_version=__version__,
        precision=args.precision,
        pipeline="official" if spec.official else "app",
        template="" if spec.raw else spec.template,
        row_kind=spec.row_kind,
        calibration=str(args.calibration or ""),
        with_maps=spec.with_maps,
        phrasings={f.name: f.phrasings for f in spec.findings},
    )
    sink = open_sink(out, meta, args.resume, args.force)
    errors = ErrorsFile(errors_path, force=True)
    for path, reason in problems:
        errors.add(path, reason)
    items = plan_work(paths, sink.done)
    counts = _drain(
        outcomes(items), len(items), sink, errors, args.flush_every, _probabilities(spec, calibration)
    )
    print(
        f"{out}: {counts['scored']} images scored ({sink.rows_written} rows written), {counts['skipped']} "
        f"already done, {errors.count} failed" + (f" (see {errors_path})" if errors.count else ""),
        file=sys.stderr,
    )
    return (1 if errors.count else 0), sink.meta


def _engine(args: argparse.Namespace, spec: RowSpec, engine: InferenceEngine | None) -> tuple[str, Outcomes]:
    """The weights' SHA-256 and a function from work items to outcomes, for the chosen engine."""
    if args.engine == "ray":
        from carzero_viewer.checksums import sha256_file
        from carzero_viewer.inference.ray_engine import RayRun, require_ray
        from carzero_viewer.paths import find_weights

        require_ray()
        location = find_weights(args.weights)
        run = RayRun(location, args.device, args.precision, spec, args.batch_size, args.ray_address)
        run.start()
        return sha256_file(location.checkpoint), run.outcomes

    from carzero_viewer.commands.common import build_engine
    from carzero_viewer.inference.archive import score_local

    local = engine if engine is not None else build_engine(args)
    size = args.batch_size or local.device.batch_size
    return local.info.sha256, lambda items: score_local(local, items, spec, size)


def _probabilities(spec: RowSpec, calibration: ScoreCalibration) -> AddProbability | None:
    """A function adding ``probability`` to rows (None without a calibration profile)."""
    if calibration.profile is None:
        return None
    phrasings = {f.name: f.phrasings for f in spec.findings} or {t: (t,) for t in spec.texts}

    def add(rows: list[Row]) -> None:
        for row in rows:
            name = row[spec.row_kind]
            row["probability"] = calibration.values(name, row["score"], phrasings[name])["probability"]

    return add


def _drain(
    outcomes: Iterable[ImageOutcome],
    total: int,
    sink: RowSink,
    errors: ErrorsFile,
    flush_every: int,
    add_probability: AddProbability | None,
) -> dict[str, int]:
    """Write the outcomes as they come, durable every ``flush_every`` images or :data:`FLUSH_SECONDS`.

    Progress (rate and ETA) goes to stderr when it is a terminal. The rows finished before an interruption
    (Ctrl+C, an engine error) are made durable before the error propagates.
    """
    from tqdm import tqdm

    counts = {"scored": 0, "skipped": 0, "failed": 0}
    since, last = 0, time.monotonic()
    try:
        for outcome in tqdm(
            outcomes, total=total, desc="scoring", unit="image", file=sys.stderr, disable=None
        ):
            counts[outcome.status] += 1
            if outcome.status == "failed":
                errors.add(outcome.path, outcome.reason)
                continue
            if add_probability is not None:
                add_probability(outcome.rows)
            sink.add(outcome.rows)
            since += 1
            if since >= flush_every or time.monotonic() - last >= FLUSH_SECONDS:
                sink.flush()
                since, last = 0, time.monotonic()
    finally:
        sink.flush()
    return counts
