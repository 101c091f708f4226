"""Image-level labels: NIH ``Data_Entry_2017.csv`` style (``Image Index``, ``Finding Labels`` with ``|``).

The header of the original file, ``...,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],``, has
commas inside its brackets, so only the first two columns are read, by position, after checking their names.
``No Finding`` is an image with no positive label. Original sizes (columns 8 and 9 when present) are kept
for the user's information.
"""

from __future__ import annotations

import contextlib
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from carzero_viewer.annotations.boxes import AnnotationError, row_error
from carzero_viewer.annotations.tabular import read_text

NO_FINDING = "no finding"


@dataclass(frozen=True)
class ImageLabels:
    """Per image (keyed by the file name as written): its positive labels and, if recorded, original size."""

    labels: dict[str, frozenset[str]]
    original_sizes: dict[str, tuple[int, int]]
    source: Path

    def classes(self) -> list[str]:
        """Every positive label that occurs, sorted."""
        return sorted({label for labels in self.labels.values() for label in labels})


def read_image_labels(path: str | Path) -> ImageLabels:
    """Read an NIH Data_Entry-style CSV (first column image, second column ``|``-separated findings)."""
    path = Path(path)
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:2] != ["image index", "finding labels"]:
        raise row_error(path, 1, "expected the header to start with 'Image Index,Finding Labels'")
    labels: dict[str, frozenset[str]] = {}
    sizes: dict[str, tuple[int, int]] = {}
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(record) < 2 or not record[0].strip():
                raise row_error(path, reader.line_num, "expected an image name and its finding labels")
            findings = [f.strip() for f in record[1].split("|") if f.strip()]
            labels[record[0].strip()] = frozenset(f for f in findings if f.lower() != NO_FINDING)
            if len(record) >= 9:
                with contextlib.suppress(ValueError):  # the size columns are informational only
                    sizes[record[0].strip()] = (int(record[8]), int(record[7]))
    except csv.Error as exc:
        raise AnnotationError(f"line {reader.line_num}: malformed CSV ({exc})", path) from None
    return ImageLabels(labels, sizes, path)
