"""MS-CXR phrase-grounding CSV: one row per box with ``label_text`` (the phrase), ``category_name``,
``path`` (or ``dicom_id``), ``x, y, w, h`` and usually ``image_width, image_height``.

The label is ``category_name`` (``label_text`` when that column is absent); the phrase is kept in
:attr:`Box.text`. The image key is the file name of ``path`` (MIMIC-CXR files are ``<dicom_id>.jpg``), else
``dicom_id``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from carzero_viewer.annotations.boxes import Box, coordinate, extent, image_size, make_box
from carzero_viewer.annotations.tabular import csv_rows

NAME = "mscxr"
REQUIRED = ("label_text", "x", "y", "w", "h")


def looks_like(header: list[str]) -> bool:
    return set(REQUIRED) <= set(header) and ("path" in header or "dicom_id" in header)


def parse(path: Path, text: str) -> list[Box]:
    source = f"{NAME}:{path.name}"
    boxes: list[Box] = []
    for row in csv_rows(path, text, REQUIRED):
        where = f"line {row.line}"
        x, y = (coordinate(path, where, n, row.get(n)) for n in "xy")
        w, h = (extent(path, where, n, row.get(n)) for n in "wh")
        key = (
            PurePosixPath(row.get("path").replace("\\", "/")).name if row.get("path") else row.get("dicom_id")
        )
        boxes.append(
            make_box(
                path,
                where,
                (x, y, x + w, y + h),
                label=row.get("category_name") or row.get("label_text"),
                source=source,
                image_key=key,
                image_size=image_size(path, where, row.get("image_width"), row.get("image_height")),
                text=row.get("label_text"),
            )
        )
    return boxes
