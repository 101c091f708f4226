"""MS-CXR phrase-grounding CSV: one row per box with ``label_text`` (the phrase), ``category_name``,
``path`` (or ``dicom_id``), ``x, y, w, h`` and usually ``image_width, image_height``.

The label is ``category_name`` (``label_text`` when that column is absent); the phrase is kept in
:attr:`Box.text`. The image key is the file name of ``path`` (MIMIC-CXR files are ``<dicom_id>.jpg``), else
``dicom_id``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from carzero_viewer.annotations.boxes import Box, make_box, parse_float, row_error
from carzero_viewer.annotations.tabular import csv_rows

NAME = "mscxr"
REQUIRED = ("label_text", "x", "y", "w", "h")


def looks_like(header: list[str]) -> bool:
    return set(REQUIRED) <= set(header) and ("path" in header or "dicom_id" in header)


def parse(path: Path, text: str) -> list[Box]:
    source = f"{NAME}:{path.name}"
    boxes: list[Box] = []
    for row in csv_rows(path, text, REQUIRED):
        x, y, w, h = (parse_float(path, row.line, n, row.get(n)) for n in "xywh")
        key = (
            PurePosixPath(row.get("path").replace("\\", "/")).name if row.get("path") else row.get("dicom_id")
        )
        size = None
        if row.get("image_width") and row.get("image_height"):
            width = parse_float(path, row.line, "image_width", row.get("image_width"))
            height = parse_float(path, row.line, "image_height", row.get("image_height"))
            if width <= 0 or height <= 0:
                raise row_error(path, row.line, "image_width and image_height must be positive")
            size = (round(height), round(width))
        boxes.append(
            make_box(
                path,
                row.line,
                (x, y, x + w, y + h),
                label=row.get("category_name") or row.get("label_text"),
                source=source,
                image_key=key,
                image_size=size,
                text=row.get("label_text") or None,
            )
        )
    return boxes
