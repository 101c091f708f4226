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

from carzero_viewer.annotations.boxes import AnnotationError, Box, make_box, parse_float, row_error
from carzero_viewer.annotations.tabular import csv_rows

NAME = "plain"
FORMAT_TAG = "carzero-boxes/1"
REQUIRED = ("image", "label", "x1", "y1", "x2", "y2")


def looks_like_csv(header: list[str]) -> bool:
    return set(REQUIRED) <= set(header)


def looks_like_json(data: object) -> bool:
    """An object with a ``boxes`` list (``format`` optional but checked when present)."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("boxes"), list)
        and str(data.get("format", FORMAT_TAG)).startswith("carzero-boxes")
    )


def _size(path: Path, line: int, width: object, height: object) -> tuple[int, int] | None:
    if width in (None, "") and height in (None, ""):
        return None
    w = parse_float(path, line, "image_width", width)
    h = parse_float(path, line, "image_height", height)
    if w <= 0 or h <= 0:
        raise row_error(path, line, "image_width and image_height must be positive")
    return round(h), round(w)


def parse_csv(path: Path, text: str) -> list[Box]:
    source = f"{NAME}:{path.name}"
    boxes: list[Box] = []
    for row in csv_rows(path, text, REQUIRED):
        corners = tuple(parse_float(path, row.line, n, row.get(n)) for n in ("x1", "y1", "x2", "y2"))
        boxes.append(
            make_box(
                path,
                row.line,
                (corners[0], corners[1], corners[2], corners[3]),
                label=row.get("label"),
                source=source,
                image_key=row.get("image"),
                image_size=_size(path, row.line, row.get("image_width"), row.get("image_height")),
                reader=row.get("reader") or None,
            )
        )
    return boxes


def _polygon(path: Path, where: str, value: object) -> tuple[tuple[float, float], ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) < 3:
        raise AnnotationError(f"{where}: polygon must be a list of at least 3 [x, y] points", path)
    points = []
    for point in value:
        if not isinstance(point, list) or len(point) != 2:
            raise AnnotationError(f"{where}: polygon points must be [x, y]", path)
        points.append((parse_float(path, 0, "x", point[0]), parse_float(path, 0, "y", point[1])))
    return tuple(points)


def parse_json(path: Path, data: object) -> list[Box]:
    if not isinstance(data, dict) or not looks_like_json(data):
        raise AnnotationError(f'expected {{"format": "{FORMAT_TAG}", "boxes": [...]}}', path)
    source = f"{NAME}:{path.name}"
    boxes: list[Box] = []
    for index, entry in enumerate(data["boxes"]):
        where = f"boxes[{index}]"
        if not isinstance(entry, dict):
            raise AnnotationError(f"{where}: expected an object", path)
        try:
            x1, y1, x2, y2 = (parse_float(path, 0, n, entry.get(n)) for n in ("x1", "y1", "x2", "y2"))
            label, image = entry.get("label"), entry.get("image")
            if not isinstance(label, str) or not isinstance(image, str):
                raise AnnotationError(f"{where}: image and label must be strings", path)
            boxes.append(
                make_box(
                    path,
                    0,
                    (x1, y1, x2, y2),
                    label=label,
                    source=source,
                    image_key=image,
                    image_size=_size(path, 0, entry.get("image_width"), entry.get("image_height")),
                    polygon=_polygon(path, where, entry.get("polygon")),
                    reader=str(entry["reader"]) if entry.get("reader") is not None else None,
                )
            )
        except AnnotationError as exc:
            if exc.reason.startswith(where):
                raise
            raise AnnotationError(f"{where}: {exc.reason.removeprefix('line 0: ')}", path) from None
    return boxes
