"""The application's own simple box format, as CSV or JSON (documented here; the README points to it).

CSV (``x1, y1, x2, y2`` corners in pixels; one row per box; optional columns may be left empty)::

    image,label,x1,y1,x2,y2,image_width,image_height,reader
    00000344_003.png,Effusion,160,331,491,758,1024,1024,
    scan.dcm,Pneumothorax,10.5,20,300,410,,,

JSON (the same fields; ``polygon`` optional, a list of ``[x, y]`` points)::

    {
        "format": "carzero-boxes/1",
        "boxes": [
            {
                "image": "00000344_003.png",
                "label": "Effusion",
                "x1": 160,
                "y1": 331,
                "x2": 491,
                "y2": 758,
                "image_width": 1024,
                "image_height": 1024,
                "polygon": [[160, 331], [491, 331], [491, 758]],
            }
        ],
    }

``image`` is a file name, a stem or a DICOM SOP Instance UID. Without ``image_width``/``image_height`` the
coordinates are taken to be in the opened image's own pixels.
"""

from __future__ import annotations

from pathlib import Path

from carzero_viewer.annotations.boxes import (
    AnnotationError,
    Box,
    coordinate,
    image_size,
    make_box,
    polygon_points,
)
from carzero_viewer.annotations.tabular import csv_rows
from carzero_viewer.untrusted import fail

NAME = "plain"
FORMAT_TAG = "carzero-boxes/1"
REQUIRED = ("image", "label", "x1", "y1", "x2", "y2")
CORNERS = ("x1", "y1", "x2", "y2")


def looks_like_csv(header: list[str]) -> bool:
    return set(REQUIRED) <= set(header)


def looks_like_json(data: object) -> bool:
    """An object with a ``boxes`` list (``format`` optional but checked when present)."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("boxes"), list)
        and str(data.get("format", FORMAT_TAG)).startswith("carzero-boxes")
    )


def parse_csv(path: Path, text: str) -> list[Box]:
    source = f"{NAME}:{path.name}"
    boxes: list[Box] = []
    for row in csv_rows(path, text, REQUIRED):
        where = f"line {row.line}"
        x1, y1, x2, y2 = (coordinate(path, where, n, row.get(n)) for n in CORNERS)
        boxes.append(
            make_box(
                path,
                where,
                (x1, y1, x2, y2),
                label=row.get("label"),
                source=source,
                image_key=row.get("image"),
                image_size=image_size(path, where, row.get("image_width"), row.get("image_height")),
                reader=row.get("reader"),
            )
        )
    return boxes


def parse_json(path: Path, data: object) -> list[Box]:
    if not isinstance(data, dict) or not looks_like_json(data):
        raise AnnotationError(f'expected {{"format": "{FORMAT_TAG}", "boxes": [...]}}', path)
    source = f"{NAME}:{path.name}"
    boxes: list[Box] = []
    for index, entry in enumerate(data["boxes"]):
        where = f"boxes[{index}]"
        if not isinstance(entry, dict):
            fail(AnnotationError, path, where, "expected an object")
        x1, y1, x2, y2 = (coordinate(path, where, n, entry.get(n)) for n in CORNERS)
        polygon = entry.get("polygon")
        if polygon is not None and not isinstance(polygon, list):
            fail(AnnotationError, path, f"{where}: polygon", "must be a list of [x, y] points")
        reader = entry.get("reader")
        boxes.append(
            make_box(
                path,
                where,
                (x1, y1, x2, y2),
                label=entry.get("label"),
                source=source,
                image_key=entry.get("image"),
                image_size=image_size(path, where, entry.get("image_width"), entry.get("image_height")),
                polygon=None if polygon is None else polygon_points(path, where, polygon),
                reader=str(reader) if isinstance(reader, int) and not isinstance(reader, bool) else reader,
            )
        )
    return boxes
