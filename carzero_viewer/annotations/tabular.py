"""Annotation files as text (through the untrusted-file boundary) and CSV rows with their line numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from carzero_viewer.annotations.boxes import MAX_ANNOTATION_BYTES, AnnotationError, row_error
from carzero_viewer.untrusted import ErrorType, read_text


def annotation_text(path: Path, error: ErrorType = AnnotationError) -> str:
    """A regular file of at most :data:`MAX_ANNOTATION_BYTES` as UTF-8 text (BOM tolerated), or ``error``."""
    return read_text(path, error, "annotation file", MAX_ANNOTATION_BYTES)


def normalise_header(name: str) -> str:
    return name.strip().lower()


@dataclass(frozen=True)
class Row:
    """One CSV data row: its 1-based physical line number and its cells by lower-cased header name."""

    line: int
    cells: dict[str, str]

    def get(self, name: str) -> str:
        return self.cells.get(name, "").strip()


def header_fields(text: str) -> list[str]:
    """The lower-cased, stripped fields of the first CSV line ("" when the file is empty)."""
    first = next(csv.reader(io.StringIO(text, newline="")), [])
    return [normalise_header(f) for f in first]


def csv_rows(path: Path, text: str, required: tuple[str, ...]) -> Iterator[Row]:
    """Data rows keyed by header name; blank lines skipped; a short row or a missing column is an error."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [normalise_header(f) for f in next(reader)]
    except StopIteration:
        raise AnnotationError("file is empty", path) from None
    missing = [name for name in required if name not in header]
    if missing:
        raise row_error(path, 1, f"header lacks column(s) {', '.join(missing)}")
    width = max(header.index(name) for name in required) + 1
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(record) < width:
                raise row_error(
                    path, reader.line_num, f"expected at least {width} values, found {len(record)}"
                )
            cells = {name: value for name, value in zip(header, record, strict=False) if name}
            yield Row(reader.line_num, cells)
    except csv.Error as exc:
        raise row_error(path, reader.line_num, f"malformed CSV ({exc})") from None
