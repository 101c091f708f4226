"""Image-level labels: NIH ``Data_Entry_2017.csv`` style (``Image Index``, ``Finding Labels`` with ``|``).

The header of the original file, ``...,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],``, has
commas inside its brackets, so only the first two columns are read, by position, after checking their names.
``No Finding`` is an image with no positive label. Original sizes (columns 8 and 9, read only when the
header names them ``OriginalImage[Width,Height]``) are kept for the user's information, checked like every
image size (:func:`~carzero_viewer.annotations.boxes.image_size`). Image names and labels are bounded as in
:mod:`carzero_viewer.annotations.boxes`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from carzero_viewer.annotations.boxes import (
    MAX_KEY_CHARS,
    MAX_LABEL_CHARS,
    AnnotationError,
    UnknownFormat,
    image_size,
    row_error,
    text_value,
)
from carzero_viewer.annotations.tabular import annotation_text

NO_FINDING = "no finding"
SIZE_HEADER = ["originalimage[width", "height]"]  # columns 8 and 9 of the NIH header


@dataclass(frozen=True)
class ImageLabels:
    """Per image (keyed by the file name as written): its positive labels and, if recorded, original size."""

    labels: dict[str, frozenset[str]]
    original_sizes: dict[str, tuple[int, int]]
    source: Path
    _by_stem: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Labels keyed by lower-case stem, built with the table so that the thread that reads the file pays
        # for it, not the viewer's first lookup in the GUI thread (~0.27 s for the NIH table's 112,120 rows).
        object.__setattr__(self, "_by_stem", {Path(k).stem.lower(): v for k, v in self.labels.items()})

    def classes(self) -> list[str]:
        """Every positive label that occurs, sorted."""
        return sorted({label for labels in self.labels.values() for label in labels})

    def for_image(self, path: Path) -> frozenset[str] | None:
        """The labels of the image file ``path``, matched by file name, else by stem (any case); None if absent."""
        found = self.labels.get(path.name)
        return found if found is not None else self._by_stem.get(path.stem.lower())


def read_image_labels(path: str | Path) -> ImageLabels:
    """Read an NIH Data_Entry-style CSV (first column image, second column ``|``-separated findings).

    Raises:
        UnknownFormat: the header does not start with ``Image Index,Finding Labels`` (folder discovery then
            skips the file silently).
        AnnotationError: a malformed row or value (the line is named).
    """
    path = Path(path)
    reader = csv.reader(io.StringIO(annotation_text(path), newline=""))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as exc:
        raise row_error(path, 1, f"malformed CSV ({exc})") from None
    if header[:2] != ["image index", "finding labels"]:
        raise UnknownFormat("line 1: expected the header to start with 'Image Index,Finding Labels'", path)
    has_sizes = header[7:9] == SIZE_HEADER
    labels: dict[str, frozenset[str]] = {}
    # One object per distinct label set and size: NIH's 112,120 rows have under a thousand of each, and 112,120
    # live containers would make every cyclic garbage collection of the session (in the GUI thread) slower.
    same_labels: dict[frozenset[str], frozenset[str]] = {}
    same_sizes: dict[tuple[int, int], tuple[int, int]] = {}
    sizes: dict[str, tuple[int, int]] = {}
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            where = f"line {reader.line_num}"
            if len(record) < 2:
                raise row_error(path, reader.line_num, "expected an image name and its finding labels")
            image = text_value(path, where, "Image Index", record[0], MAX_KEY_CHARS)
            findings = [
                text_value(path, where, "Finding Labels", f, MAX_LABEL_CHARS)
                for f in record[1].split("|")
                if f.strip()
            ]
            positive = frozenset(f for f in findings if f.lower() != NO_FINDING)
            labels[image] = same_labels.setdefault(positive, positive)
            size = image_size(path, where, record[7], record[8]) if has_sizes and len(record) >= 9 else None
            if size is not None:
                sizes[image] = same_sizes.setdefault(size, size)
    except csv.Error as exc:
        raise AnnotationError(f"line {reader.line_num}: malformed CSV ({exc})", path) from None
    return ImageLabels(labels, sizes, path)
