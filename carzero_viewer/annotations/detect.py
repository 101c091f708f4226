"""Annotation format detection by content, and reading any supported file into boxes.

Rules, in order (the file name and extension are never used):

1. The text, stripped, starts with ``[`` or ``{``: it is JSON.
   * a list whose first entry has ``file_name``, ``syms`` and ``boxes`` -> ChestX-Det10;
   * an object with ``images`` and ``annotations`` lists -> COCO;
   * an object with a ``boxes`` list (``format`` absent or ``carzero-boxes/...``) -> plain JSON;
   * an empty list -> no boxes.
2. Otherwise it is CSV, classified by its first line (header names compared lower-cased and stripped):
   * starts with ``Image Index,Finding Label`` and mentions ``Bbox`` -> NIH ``BBox_List_2017.csv``;
   * has ``patientId, x, y, width, height, Target`` -> RSNA pneumonia;
   * has ``image_id, class_name, x_min, y_min, x_max, y_max`` -> VinDr-CXR;
   * has ``label_text, x, y, w, h`` and ``path`` or ``dicom_id`` -> MS-CXR;
   * has ``image, label, x1, y1, x2, y2`` -> plain CSV.
3. Anything else is :class:`UnknownFormat` quoting the first line. A file that cannot be read as text, or as
   JSON within the bounds of :mod:`carzero_viewer.untrusted`, is :class:`UnknownFormat` too: nothing tells
   what it was meant to be. Folder discovery skips such files and reports every other error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from carzero_viewer.annotations import chestx_det10, coco, mscxr, nih, plain, rsna, vindr
from carzero_viewer.annotations.boxes import Box, UnknownFormat
from carzero_viewer.annotations.tabular import annotation_text, header_fields
from carzero_viewer.untrusted import parse_json

_CSV_FORMATS: tuple[tuple[str, Callable[[list[str]], bool], Callable[[Path, str], list[Box]]], ...] = (
    (rsna.NAME, rsna.looks_like, rsna.parse),
    (vindr.NAME, vindr.looks_like, vindr.parse),
    (mscxr.NAME, mscxr.looks_like, mscxr.parse),
    (plain.NAME, plain.looks_like_csv, plain.parse_csv),
)
_JSON_FORMATS: tuple[tuple[str, Callable[[object], bool], Callable[[Path, object], list[Box]]], ...] = (
    (chestx_det10.NAME, chestx_det10.looks_like, chestx_det10.parse),
    (coco.NAME, coco.looks_like, coco.parse),
    (plain.NAME, plain.looks_like_json, plain.parse_json),
)
FORMATS = ("nih", "chestx_det10", "coco", "mscxr", "vindr", "rsna", "plain")
EMPTY_JSON = "empty"  # an empty JSON list: no boxes, whatever format it was meant to be


def _identify(path: Path, text: str) -> tuple[str, object]:
    """The reader name for this content and, for JSON, the parsed (bounded) document."""
    if text.lstrip()[:1] in ("[", "{"):
        data = parse_json(text, path, UnknownFormat, "annotation file")
        if data == []:
            return EMPTY_JSON, data
        for json_name, json_matches, _ in _JSON_FORMATS:
            if json_matches(data):
                return json_name, data
        raise UnknownFormat(
            "unrecognised JSON annotation format (expected ChestX-Det10, COCO or carzero-boxes)", path
        )
    first_line = text.split("\n", 1)[0].strip()
    if nih.looks_like(first_line):
        return nih.NAME, None
    header = header_fields(text)
    for name, matches, _ in _CSV_FORMATS:
        if matches(header):
            return name, None
    shown = first_line if len(first_line) <= 120 else first_line[:117] + "..."
    raise UnknownFormat(f"unrecognised annotation format; first line is {shown!r}", path)


def detect_format(path: Path, text: str | None = None) -> str:
    """The reader name for this file's content (one of :data:`FORMATS`; an empty JSON list reads as plain)."""
    name, _ = _identify(path, annotation_text(path, UnknownFormat) if text is None else text)
    return plain.NAME if name == EMPTY_JSON else name


def read_boxes(path: str | Path) -> list[Box]:
    """Every box in one annotation file, whatever its supported format (detected by content).

    Raises:
        UnknownFormat: not recognisably an annotation file (see the module docstring).
        AnnotationError: a recognised file with a bad row or value (the message names the line or entry).
    """
    path = Path(path)
    text = annotation_text(path, UnknownFormat)
    name, data = _identify(path, text)
    if name == EMPTY_JSON:
        return []
    if name == nih.NAME:
        return nih.parse(path, text)
    if data is not None:
        return next(parse for n, _, parse in _JSON_FORMATS if n == name)(path, data)
    return next(parse for n, _, parse in _CSV_FORMATS if n == name)(path, text)
