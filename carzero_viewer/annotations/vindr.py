"""VinDr-CXR CSV: ``image_id, rad_id, class_name, x_min, y_min, x_max, y_max`` (one row per reader's box).

Coordinates are pixels of the original DICOM, whose size the CSV does not record: the boxes are taken to be
in the opened image's own frame (no scaling). Rows without coordinates (``No finding``) are skipped. Several
radiologists annotate each image; :attr:`Box.reader` keeps ``rad_id``.
"""

from __future__ import annotations

from pathlib import Path

from carzero_viewer.annotations.boxes import Box, coordinate, make_box
from carzero_viewer.annotations.tabular import csv_rows

NAME = "vindr"
REQUIRED = ("image_id", "class_name", "x_min", "y_min", "x_max", "y_max")


def looks_like(header: list[str]) -> bool:
    return set(REQUIRED) <= set(header)


def parse(path: Path, text: str) -> list[Box]:
    source = f"{NAME}:{path.name}"
    boxes: list[Box] = []
    for row in csv_rows(path, text, REQUIRED):
        names = ("x_min", "y_min", "x_max", "y_max")
        if not any(row.get(n) for n in names):
            continue  # "No finding": an image-level statement without a box
        where = f"line {row.line}"
        x1, y1, x2, y2 = (coordinate(path, where, n, row.get(n)) for n in names)
        boxes.append(
            make_box(
                path,
                where,
                (x1, y1, x2, y2),
                label=row.get("class_name"),
                source=source,
                image_key=row.get("image_id"),
                reader=row.get("rad_id"),
            )
        )
    return boxes
