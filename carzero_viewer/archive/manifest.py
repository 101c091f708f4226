"""The images of a batch run: files, folders (recursive) and CSV/Parquet manifests with a path column.

A manifest is a user's file, so it is read through :mod:`carzero_viewer.untrusted`: regular files only, a
bounded size and row count, every path cell a non-empty string without NUL, and every problem raised as one
line ``<manifest>: <field>: <reason>``. The bounds come from the use: :data:`MAX_MANIFEST_ROWS` = 10^7 rows
covers the largest archives this tool targets (a hospital's 10^6+ images) with a margin, and a path cell of
at most :data:`MAX_PATH_CHARS` = 4,096 characters is Linux's ``PATH_MAX``. A CSV manifest is read whole, so
it is also held to :data:`~carzero_viewer.untrusted.MAX_TEXT_BYTES` (512 MiB: ~5 x 10^6 rows of
100-character paths); a longer list goes in a Parquet manifest, of which only the path column is read.
Relative paths in a manifest are read relative to the manifest's folder, so a manifest travels with its
images.

A path cell may also be a DICOMweb URL (``dicomweb+http(s)://HOST/PREFIX/studies/UID[/series/UID]``, as on
the command line: :mod:`carzero_viewer.imaging.source`). :func:`expand_inputs` retrieves it into the PACS
cache and puts the retrieved image files in its place, so the table's ``path`` column records each image's
cache path, ``<cache>/<key of the URL>/<SOP Instance UID>.dcm``: a real file every later step (decode,
hash, the Ray workers, ``eval``) reads like any other, and the same for every run of the same URL, so
``--resume`` matches it on path + content hash like a local file (the URL itself names a study, not an
image, and a URL + UID column would be a second key for the same row). A URL that cannot be retrieved is
reported with the inputs that name nothing (the errors file) and the run goes on. Each run retrieves its
URLs again, before scoring (the server is the source of truth; an unchanged instance has the same bytes, so
its rows are kept on resume). On a multi-node Ray cluster the cache must be on storage the workers share.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from carzero_viewer.errors import CarzeroError
from carzero_viewer.untrusted import fail, read_text, require_regular_file, require_text

MAX_MANIFEST_ROWS = 10_000_000
MAX_PATH_CHARS = 4096


class ManifestError(CarzeroError):
    """A manifest cannot be read: not CSV/Parquet, no path column, a bad path cell, too many rows."""


def _checked_path(value: object, manifest: Path, field: str) -> Path | str:
    """A manifest cell: a path (relative ones from the manifest's folder), or a DICOMweb URL kept as text."""
    from carzero_viewer.imaging.source import is_remote

    text = require_text(value, manifest, ManifestError, field, MAX_PATH_CHARS)
    if "\0" in text:
        fail(ManifestError, manifest, field, "holds a NUL character; not a file path")
    if is_remote(text):
        return text
    path = Path(text)
    return path if path.is_absolute() else manifest.parent / path


def _csv_paths(manifest: Path, column: str) -> list[Path | str]:
    reader = csv.reader(io.StringIO(read_text(manifest, ManifestError, "manifest"), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            fail(ManifestError, manifest, None, "manifest is empty")
        if column not in header:
            fail(
                ManifestError,
                manifest,
                None,
                f"has no {column!r} column (columns: {', '.join(header)[:200]})",
            )
        index = header.index(column)
        paths: list[Path | str] = []
        for number, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(paths) >= MAX_MANIFEST_ROWS:
                fail(ManifestError, manifest, None, f"holds more than {MAX_MANIFEST_ROWS:,} rows")
            if len(row) != len(header):
                fail(
                    ManifestError,
                    manifest,
                    f"line {number}",
                    f"has {len(row)} cells; the header has {len(header)}",
                )
            paths.append(_checked_path(row[index], manifest, f"line {number}: {column}"))
    except csv.Error as exc:
        fail(ManifestError, manifest, None, f"is not valid CSV ({exc})")
    return paths


def _parquet_paths(manifest: Path, column: str) -> list[Path | str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    require_regular_file(manifest, ManifestError, "manifest")
    try:
        parquet = pq.ParquetFile(manifest)
        if column not in parquet.schema_arrow.names:
            names = ", ".join(parquet.schema_arrow.names)[:200]
            fail(ManifestError, manifest, None, f"has no {column!r} column (columns: {names})")
        if parquet.metadata.num_rows > MAX_MANIFEST_ROWS:
            fail(ManifestError, manifest, None, f"holds more than {MAX_MANIFEST_ROWS:,} rows")
        values = parquet.read(columns=[column]).column(column)
    except (pa.ArrowException, OSError) as exc:
        fail(ManifestError, manifest, None, f"is not a readable Parquet file ({exc})")
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        fail(ManifestError, manifest, column, f"must hold strings, not {values.type}")
    return [_checked_path(v, manifest, f"row {i + 1}: {column}") for i, v in enumerate(values.to_pylist())]


def read_manifest(manifest: Path, column: str = "path") -> list[Path | str]:
    """The image paths of a CSV or Parquet manifest (by suffix), in the manifest's order; DICOMweb URLs as
    text.

    Raises:
        ManifestError: the file is not a readable manifest (one line naming the file and the row).
    """
    suffix = manifest.suffix.lower()
    if suffix == ".csv":
        return _csv_paths(manifest, column)
    if suffix in (".parquet", ".pq"):
        return _parquet_paths(manifest, column)
    fail(ManifestError, manifest, None, "a manifest is a .csv or .parquet file")


def _image_name(path: Path) -> bool:
    """A raster or DICOM suffix, no suffix, or a non-alphabetic one (DICOM files are often named by UID)."""
    from carzero_viewer.imaging.detect import DICOM_SUFFIXES, RASTER_SUFFIXES

    if path.name.startswith(".") or path.name.upper() == "DICOMDIR":
        return False
    suffix = path.suffix.lower()
    return suffix in RASTER_SUFFIXES or suffix in DICOM_SUFFIXES or not suffix[1:].isalpha()


def walk_images(folder: Path) -> list[Path]:
    """Every file under ``folder`` (recursively, sorted) whose name may be an image (:func:`_image_name`);
    ``DICOMDIR``, hidden files and other documents (``.txt``, ``.csv``, ``.json``...) excepted.

    Unlike the viewer's study scan (:func:`~carzero_viewer.imaging.scan_folder`) nothing is opened here and no
    file is left out for its content: a corrupt image must reach the errors file, not vanish, and an archive
    of 10^6 files is listed at the speed of the file system.

    Raises:
        ManifestError: more than :data:`MAX_MANIFEST_ROWS` files, or the folder cannot be listed.
    """
    found: list[Path] = []
    try:
        for path in folder.rglob("*"):
            if _image_name(path) and path.is_file():
                found.append(path)
                if len(found) > MAX_MANIFEST_ROWS:
                    fail(ManifestError, folder, None, f"holds more than {MAX_MANIFEST_ROWS:,} image files")
    except OSError as exc:
        fail(ManifestError, folder, None, f"cannot be listed ({exc.strerror or exc})")
    return sorted(found)


def expand_inputs(
    inputs: Sequence[Path], manifest: Path | None = None, column: str = "path"
) -> tuple[list[Path], list[tuple[Path | str, str]]]:
    """Every image to score, as absolute paths without duplicates, and the inputs that name nothing.

    Files are taken as given (a file that cannot be decoded is reported when it is scored), folders as the
    files of :func:`walk_images`, then the manifest's rows, a DICOMweb URL as the files it is retrieved to
    (module docstring).

    Returns:
        (paths, problems): ``problems`` pairs an input with why it yields no image (missing, empty folder,
        a URL that could not be retrieved).
    """
    from carzero_viewer.imaging.source import source_files

    paths: list[Path] = []
    problems: list[tuple[Path | str, str]] = []
    for path in inputs:
        if path.is_dir():
            found = walk_images(path)
            if not found:
                problems.append((path, "no image files found in the folder"))
            paths.extend(found)
        elif path.exists():
            paths.append(path)
        else:
            problems.append((path, "does not exist"))
    for entry in read_manifest(manifest, column) if manifest is not None else []:
        if isinstance(entry, Path):
            paths.append(entry)
            continue
        try:
            paths.extend(source_files(entry).files)
        except CarzeroError as exc:
            problems.append((entry, exc.reason))
    return list(dict.fromkeys(p.absolute() for p in paths)), problems
