"""Reading annotation files as text, CSV rows with their line numbers, or JSON, with one-line errors."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from carzero_viewer.annotations.boxes import AnnotationError, row_error


def read_text(path: Path) -> str:
    """The file as text (UTF-8, BOM tolerated)."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise AnnotationError("annotation file does not exist", path) from None
    except IsADirectoryError:
        raise AnnotationError("is a folder, not an annotation file", path) from None
    except UnicodeDecodeError as exc:
        raise AnnotationError(f"is not UTF-8 text ({exc.reason} at byte {exc.start})", path) from None
    except OSError as exc:
        raise AnnotationError(f"cannot be read ({exc.strerror or exc})", path) from None


def read_json(path: Path, text: str | None = None) -> object:
    """Parsed JSON; a syntax error names its line."""
    try:
        return json.loads(read_text(path) if text is None else text)
    except json.JSONDecodeError as exc:
        raise row_error(path, exc.lineno, f"invalid JSON ({exc.msg}, column {exc.colno})") from None


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
