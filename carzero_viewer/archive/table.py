"""The row table of a batch run and its crash-safe, resumable writers (Parquet part folder or CSV).

One row per image x prompt (x finding with ``--findings``): ``path`` (absolute), ``content_sha256`` (of the
file's bytes), ``prompt`` or ``finding``, ``score``, ``i2t``, ``t2i``, ``probability`` (only with a
calibration profile; null where it does not calibrate) and, only with maps, ``map_14`` (the g x g grounding
map, row-major, float32) and ``geometry`` (the model input's resize/pad/crop as :data:`GEOMETRY_FIELDS`, so a
map can be registered back onto the image's pixels as ``eval`` does, without decoding the image again). The
weights' SHA-256, the app version, the precision, the text pipeline and the layout's :data:`TABLE_VERSION` are
the table's metadata.

Crash safety, and why this layout:

- **Parquet** (``--out NAME.parquet``) is a *folder* of numbered part files, each written completely and
  moved into place atomically (:func:`carzero_viewer.files.write_atomic_with`), plus ``_carzero.json`` with
  the metadata (also in every part's key-value metadata). A Parquet file is readable only once its footer is
  written, so one growing file would be lost to a kill; a temp file finalized at the end would need a second
  journal and a rewrite of the whole table on every resume (10^6 images x 14 prompts with maps is ~11 GB).
  A part folder is what Spark, Ray and pyarrow write and read as one dataset (``pandas.read_parquet(folder)``;
  names starting with ``_`` or ``.`` are skipped by those readers), a killed run leaves every finished part,
  and a resume only adds parts.
- **CSV** (``--out NAME.csv``) is one file grown by fsynced appends (:func:`carzero_viewer.files.append_bytes`)
  with the metadata in ``NAME.csv.meta.json``. A kill can tear only the last line; resuming first drops it.

``--resume`` reads the key columns back (path, content hash, prompt/finding) and refuses a table written with
other weights, precision, text pipeline or columns, since its rows would not be comparable with new ones.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from carzero_viewer.errors import CarzeroError
from carzero_viewer.files import (
    FORMULA_PREFIXES,
    append_bytes,
    csv_cell,
    ensure_directory,
    exists_error,
    write_atomic_with,
    write_json_atomic,
)
from carzero_viewer.types import ModelInputGeometry
from carzero_viewer.untrusted import fail, read_json, require_int, require_object, require_regular_file

# 2: rows with maps carry ``geometry``; a version-1 table (maps without it) cannot be resumed or evaluated.
TABLE_VERSION = 2
GEOMETRY_FIELDS = (
    "original_h",
    "original_w",
    "resized_h",
    "resized_w",
    "pad_top",
    "pad_left",
    "pad_size",
    "crop_top",
    "crop_left",
    "crop_size",
)
# Phrasings per finding in a table's metadata (the built-in libraries use up to 3; a user file a few more).
MAX_PHRASINGS = 1000
# A grid map of up to 64 x 64 cells (the released model's is 14 x 14).
MAX_MAP_VALUES = 64 * 64
# Any decodable image fits: the imaging layer refuses larger ones long before (a side of 2^20 pixels).
MAX_GEOMETRY_VALUE = 1 << 20
META_KEY = b"carzero"
FOLDER_META = "_carzero.json"
PART_GLOB = "part-*.parquet"
PART_NAME = re.compile(r"part-(\d{1,9})\.parquet")
Row = dict[str, Any]
# path -> content SHA-256 -> names done. The name sets are shared between files (most hold all the names), so
# the index of a 10^6-image table costs ~0.5 KB per file, not a set per file.
DoneIndex = dict[str, dict[str, AbstractSet[str]]]


class ArchiveError(CarzeroError):
    """An output table cannot be resumed or extended (other weights, unreadable part, not our folder)."""


@dataclass(frozen=True)
class ArchiveMeta:
    """What produced the rows; every field but ``app_version`` must match for a resume.

    Attributes:
        weights_sha256: SHA-256 of the checkpoint.
        precision: ``fp32``, ``bf16`` or ``fp16``.
        pipeline: ``app`` or ``official`` (the text and decode rules).
        template: the template of bare findings; ``""`` for raw text.
        row_kind: ``prompt`` or ``finding``: the name of the key column.
        calibration: the calibration profile's path (``""`` without): adds ``probability``.
        with_maps: whether rows hold ``map_14`` and ``geometry``.
        version: the table layout (:data:`TABLE_VERSION`).
        phrasings: each finding's phrasings (finding rows only): a finding's row name does not say which
            phrasings its score is the mean of, so a resume (or ``eval --table``) with other phrasings under
            the same name is refused; findings new to the table are added.
    """

    weights_sha256: str
    app_version: str
    precision: str
    pipeline: str
    template: str
    row_kind: str
    calibration: str = ""
    with_maps: bool = False
    version: int = TABLE_VERSION
    phrasings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        extra = (["probability"] if self.calibration else []) + (
            ["map_14", "geometry"] if self.with_maps else []
        )
        return ["path", "content_sha256", self.row_kind, "score", "i2t", "t2i", *extra]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "columns": self.columns}

    def check_same_run(self, other: dict[str, Any], source: Path) -> ArchiveMeta:
        """Refuse to extend a table made with other settings (one line naming the first difference).

        Returns:
            This run's metadata, with the phrasings of the table's findings that this run does not score.
        """
        resume = "--resume only extends a table of the same run settings (write to another table)"
        for name, value in asdict(self).items():
            if name not in ("app_version", "phrasings") and other.get(name) != value:
                fail(
                    ArchiveError,
                    source,
                    name,
                    f"the table was written with {other.get(name)!r}, this run has {value!r}; {resume}",
                )
        recorded = _recorded_phrasings(other.get("phrasings", {}), source)
        for finding, texts in self.phrasings.items():
            if recorded.get(finding, texts) != texts:
                written = " | ".join(recorded[finding])[:200]
                fail(ArchiveError, source, "phrasings", f"{finding!r} was scored as {written!r}; {resume}")
        return replace(self, phrasings={**recorded, **self.phrasings})


def _recorded_phrasings(value: object, source: Path) -> dict[str, tuple[str, ...]]:
    """The ``phrasings`` of a table's metadata (a user's file): finding name -> list of texts."""
    from carzero_viewer.untrusted import require_list, require_str

    recorded = require_object(value, source, ArchiveError, "phrasings")
    return {
        name: tuple(
            require_str(text, source, ArchiveError, f"phrasings: {name}")
            for text in require_list(texts, source, ArchiveError, f"phrasings: {name}", MAX_PHRASINGS)
        )
        for name, texts in recorded.items()
    }


@dataclass(frozen=True)
class WorkItem:
    """One image to score: its path and, on a resume, the names already done per content hash."""

    path: str
    done: Mapping[str, Collection[str]] = field(default_factory=dict)

    def missing(self, sha256: str, names: Sequence[str]) -> list[str]:
        """The row names still to compute for the file as it is now (all of them if its content changed)."""
        finished = self.done.get(sha256, ())
        return [name for name in names if name not in finished]


def plan_work(paths: Sequence[Path], done: DoneIndex) -> list[WorkItem]:
    """A work item per path, carrying what the table already holds for it (hashes are checked when read)."""
    return [WorkItem(str(path), done.get(str(path), {})) for path in paths]


class _Index:
    """Builds a :data:`DoneIndex` from key rows, sharing equal name sets."""

    def __init__(self) -> None:
        self.done: dict[str, dict[str, set[str]]] = {}

    def add(self, path: str, sha: str, name: str) -> None:
        self.done.setdefault(path, {}).setdefault(sha, set()).add(sys.intern(name))

    def result(self) -> DoneIndex:
        shared: dict[frozenset[str], frozenset[str]] = {}
        return {
            path: {
                sha: shared.setdefault(frozenset(names), frozenset(names)) for sha, names in by_sha.items()
            }
            for path, by_sha in self.done.items()
        }


class RowSink:
    """Buffers rows and writes them in durable chunks; subclasses know the format."""

    def __init__(self, out: Path, meta: ArchiveMeta) -> None:
        self.out = out
        self.meta = meta
        self.done: DoneIndex = {}
        self.rows_written = 0
        self._buffer: list[Row] = []

    def add(self, rows: Sequence[Row]) -> None:
        self._buffer.extend(rows)

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def flush(self) -> None:
        """Make every buffered row durable (a no-op without rows)."""
        if self._buffer:
            self._write(self._buffer)
            self.rows_written += len(self._buffer)
            self._buffer = []

    def _write(self, rows: list[Row]) -> None:
        raise NotImplementedError


class ParquetParts(RowSink):
    """``NAME.parquet/part-NNNNNN.parquet``: one atomically written part per flush."""

    def __init__(self, out: Path, meta: ArchiveMeta, resume: bool, force: bool) -> None:
        super().__init__(out, meta)
        marker = out / FOLDER_META
        parts = sorted(out.glob(PART_GLOB)) if out.is_dir() else []
        if out.exists() and not out.is_dir():
            fail(ArchiveError, out, None, "exists and is not a folder; a Parquet --out is a folder of parts")
        if resume and out.exists():
            if not marker.exists():
                fail(ArchiveError, out, None, f"has no {FOLDER_META}; it was not written by `score --out`")
            self.meta = meta.check_same_run(_read_meta(marker), marker)
            index = _Index()
            for part in parts:
                self._read_keys(part, index)
            self.done = index.result()
            for leftover in out.glob(
                ".part-*.part"
            ):  # the temporary file of a part being written when killed
                leftover.unlink()
        elif out.exists() and (parts or marker.exists()):
            if not force:
                raise exists_error(out)
            for part in parts:
                part.unlink()
            marker.unlink(missing_ok=True)
            parts = []
        ensure_directory(out)
        write_json_atomic(marker, self.meta.to_json(), force=True)
        numbers = [int(match.group(1)) for p in parts if (match := PART_NAME.fullmatch(p.name))]
        self._next = 1 + max(numbers, default=-1)

    def _read_keys(self, part: Path, index: _Index) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        key = self.meta.row_kind
        require_regular_file(part, ArchiveError, "Parquet part")
        try:
            table = pq.read_table(part, columns=["path", "content_sha256", key])
        except (pa.ArrowException, OSError) as exc:
            fail(ArchiveError, part, None, f"is not a readable part of this table ({exc})")
        for path, sha, name in zip(
            *(table.column(c).to_pylist() for c in ("path", "content_sha256", key)), strict=True
        ):
            index.add(str(path), str(sha), str(name))

    def _write(self, rows: list[Row]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist(rows, schema=arrow_schema(self.meta))
        part = self.out / f"part-{self._next:06d}.parquet"
        write_atomic_with(part, lambda handle: pq.write_table(table, handle))
        self._next += 1


def arrow_schema(meta: ArchiveMeta) -> Any:
    """The Parquet schema of the table, with the metadata under the ``carzero`` key."""
    import pyarrow as pa

    types = {
        "path": pa.string(),
        "content_sha256": pa.string(),
        meta.row_kind: pa.string(),
        "score": pa.float64(),
        "i2t": pa.float64(),
        "t2i": pa.float64(),
        "probability": pa.float64(),
        "map_14": pa.list_(pa.float32()),
        "geometry": pa.list_(pa.int32()),
    }
    fields = [pa.field(name, types[name]) for name in meta.columns]
    return pa.schema(fields, metadata={META_KEY: json.dumps(meta.to_json()).encode()})


def geometry_cells(geometry: ModelInputGeometry) -> list[int]:
    """The ``geometry`` cell of a row: the fields of :data:`GEOMETRY_FIELDS`, in order."""
    g = geometry
    return [*g.original_size, *g.resized_size, *g.pad_offset, g.pad_size, *g.crop_offset, g.crop_size]


def geometry_from_cells(cells: object, source: Path, field: str) -> ModelInputGeometry:
    """A row's ``geometry`` cell read back (a user's file: each value an integer in a plausible range).

    Raises:
        ArchiveError: not a list of :data:`GEOMETRY_FIELDS` integers, sizes within ``1..2^20`` and offsets
            within ``0..2^20`` (a zero size would divide by zero when the map is registered).
    """
    if not isinstance(cells, list | tuple) or len(cells) != len(GEOMETRY_FIELDS):
        fail(
            ArchiveError,
            source,
            field,
            f"must list {len(GEOMETRY_FIELDS)} integers ({', '.join(GEOMETRY_FIELDS)})",
        )
    v = [
        require_int(
            cell,
            source,
            ArchiveError,
            f"{field}: {name}",
            int(name.endswith(("_h", "_w", "size"))),
            MAX_GEOMETRY_VALUE,
        )
        for cell, name in zip(cells, GEOMETRY_FIELDS, strict=True)
    ]
    return ModelInputGeometry((v[0], v[1]), (v[2], v[3]), (v[4], v[5]), v[6], (v[7], v[8]), v[9])


def _read_meta(path: Path) -> dict[str, Any]:
    return require_object(read_json(path, ArchiveError, "table metadata"), path, ArchiveError)


def _csv_text(cell: str) -> str:
    """Undo :func:`csv_cell`'s formula guard on a text cell read back."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_PREFIXES) else cell


def csv_row_cells(row: Row, columns: Sequence[str]) -> list[str]:
    """A row's CSV cells: floats by ``repr`` (round-trips exactly), a map as a JSON list."""
    cells = []
    for name in columns:
        value = row.get(name)
        if name == "map_14" and value is not None:
            value = json.dumps([None if math.isnan(v) else v for v in map(float, value)])
        elif name == "geometry" and value is not None:
            value = json.dumps([int(v) for v in value])
        cells.append(csv_cell(value))
    return cells


class CsvAppend(RowSink):
    """``NAME.csv`` grown by fsynced appends, metadata in ``NAME.csv.meta.json``."""

    def __init__(self, out: Path, meta: ArchiveMeta, resume: bool, force: bool) -> None:
        super().__init__(out, meta)
        sidecar = out.with_name(out.name + ".meta.json")
        if resume and out.exists():
            if not sidecar.exists():
                fail(ArchiveError, out, None, f"has no {sidecar.name}; it was not written by `score --out`")
            self.meta = meta.check_same_run(_read_meta(sidecar), sidecar)
            self._read_keys()
        else:
            if out.exists() and not force:
                raise exists_error(out)
            ensure_directory(out.parent)
            write_atomic_with(out, lambda handle: handle.write(_csv_bytes([meta.columns])), force=True)
        write_json_atomic(sidecar, self.meta.to_json(), force=True)

    def _read_keys(self) -> None:
        """Index the complete lines; a torn last line (killed mid-append) is cut off first."""
        require_regular_file(self.out, ArchiveError, "CSV table")
        with self.out.open("rb") as handle:
            handle.seek(0, io.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 1))
            torn = size > 0 and handle.read(1) != b"\n"
        if torn:
            write_atomic_with(self.out, self._copy_complete_lines, force=True)
        columns = self.meta.columns
        with self.out.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            if next(reader, None) != columns:
                fail(ArchiveError, self.out, None, f"does not start with the header {','.join(columns)}")
            key = columns.index(self.meta.row_kind)
            index = _Index()
            for number, cells in enumerate(reader, start=2):
                if len(cells) != len(columns):
                    fail(ArchiveError, self.out, f"line {number}", "is not a row of this table")
                index.add(cells[0], cells[1], _csv_text(cells[key]))
        self.done = index.result()

    def _copy_complete_lines(self, target: IO[bytes]) -> None:
        with self.out.open("rb") as source:
            for line in _complete_lines(source):
                target.write(line)

    def _write(self, rows: list[Row]) -> None:
        append_bytes(self.out, _csv_bytes([csv_row_cells(row, self.meta.columns) for row in rows]))


def _csv_bytes(rows: Sequence[Sequence[str]]) -> bytes:
    """CSV lines (``\n`` ends) of cells already made safe by :func:`csv_cell`, as UTF-8."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _complete_lines(source: IO[bytes]) -> Iterator[bytes]:
    for line in source:
        if line.endswith(b"\n"):
            yield line


def open_sink(out: Path, meta: ArchiveMeta, resume: bool = False, force: bool = False) -> RowSink:
    """The writer for ``out`` by its suffix; with ``resume`` it indexes the rows already there.

    Raises:
        ArchiveError: not ``.parquet``/``.csv``, or a table that cannot be resumed.
        WriteError: ``out`` exists (without ``resume`` or ``force``) or cannot be written.
    """
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        return ParquetParts(out, meta, resume, force)
    if suffix == ".csv":
        return CsvAppend(out, meta, resume, force)
    fail(ArchiveError, out, None, "--out must end in .parquet or .csv")


def read_rows(out: Path, meta: ArchiveMeta, paths: AbstractSet[str]) -> Iterator[Row]:
    """The rows of table ``out`` (written with ``meta``, already checked by :func:`open_sink`) whose path is in
    ``paths``, in file order; a ``map_14`` cell as a float32 vector, ``geometry`` as the list of integers.

    The table is streamed (a Parquet part a record batch at a time), so reading the rows of a few images out
    of an archive's table holds only those.

    Raises:
        ArchiveError: a part or line that is not a row of this table.
    """
    import numpy as np

    columns = meta.columns
    if out.suffix.lower() == ".csv":
        yield from _csv_rows(out, meta, paths)
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    for part in sorted(out.glob(PART_GLOB)):
        require_regular_file(part, ArchiveError, "Parquet part")
        try:
            for batch in pq.ParquetFile(part).iter_batches(columns=columns):
                for row in batch.to_pylist():
                    if row["path"] in paths:
                        if row.get("map_14") is not None:
                            row["map_14"] = np.asarray(row["map_14"], dtype=np.float32)
                        yield row
        except (pa.ArrowException, OSError) as exc:
            fail(ArchiveError, part, None, f"is not a readable part of this table ({exc})")


def _csv_rows(out: Path, meta: ArchiveMeta, paths: AbstractSet[str]) -> Iterator[Row]:
    """:func:`read_rows` of a CSV table: floats parsed back (``repr`` round-trips), maps and geometry as JSON."""
    import numpy as np

    from carzero_viewer.untrusted import parse_json, require_float, require_list, require_number_text

    columns = meta.columns
    require_regular_file(out, ArchiveError, "CSV table")
    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for number, cells in enumerate(reader, start=2):
            if len(cells) != len(columns):
                fail(ArchiveError, out, f"line {number}", "is not a row of this table")
            if cells[0] not in paths:
                continue
            row: Row = dict(zip(columns, cells, strict=True))
            row[meta.row_kind] = _csv_text(row[meta.row_kind])
            for name in ("score", "i2t", "t2i", "probability"):
                field = f"line {number}: {name}"
                if name in row and not (name == "probability" and row[name] == ""):  # "": not calibrated
                    row[name] = require_number_text(row[name], out, ArchiveError, field, -math.inf, math.inf)
                elif name in row:
                    row[name] = None
            if meta.with_maps:
                field = f"line {number}: map_14"
                grid = require_list(
                    parse_json(row["map_14"], out, ArchiveError, field),
                    out,
                    ArchiveError,
                    field,
                    MAX_MAP_VALUES,
                )
                row["map_14"] = np.asarray(
                    [
                        math.nan
                        if v is None
                        else require_float(v, out, ArchiveError, field, -math.inf, math.inf)
                        for v in grid
                    ],
                    dtype=np.float32,
                )
                row["geometry"] = parse_json(row["geometry"], out, ArchiveError, f"line {number}: geometry")
            yield row


class ErrorsFile:
    """``path,reason`` CSV of the files that could not be scored, appended as they fail (kept on a crash).

    Each run starts it afresh (a resume retries earlier failures, so their old lines would be stale).
    """

    def __init__(self, path: Path, force: bool) -> None:
        self.path = path
        self.count = 0
        if path.exists() and not force:
            raise exists_error(path)
        ensure_directory(path.parent)
        write_atomic_with(path, lambda handle: handle.write(_csv_bytes([["path", "reason"]])), force=True)

    def add(self, path: str | Path, reason: str) -> None:
        self.count += 1
        append_bytes(self.path, _csv_bytes([[csv_cell(str(path)), csv_cell(reason)]]))
