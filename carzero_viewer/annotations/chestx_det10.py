"""ChestX-Det10 JSON: ``[{"file_name": "...png", "syms": [label, ...], "boxes": [[x1, y1, x2, y2], ...]}]``.

``syms[i]`` labels ``boxes[i]``; corners are integer pixels of the 1024x1024 NIH PNGs (the file records no
size, so 1024x1024 is assumed and flagged). Entries with empty ``syms`` are images without findings. An error
names the entry's index (0-based) since JSON has no useful line for it.
"""

from __future__ import annotations

from pathlib import Path

from carzero_viewer.annotations.boxes import AnnotationError, Box, coordinate, make_box
from carzero_viewer.untrusted import fail

NAME = "chestx_det10"
DET10_SIZE = (1024, 1024)


def looks_like(data: object) -> bool:
    """A JSON list whose first entry has ``file_name``, ``syms`` and ``boxes``."""
    return (
        isinstance(data, list)
        and bool(data)
        and isinstance(data[0], dict)
        and {"file_name", "syms", "boxes"} <= data[0].keys()
    )


def parse(path: Path, data: object) -> list[Box]:
    if not isinstance(data, list):
        raise AnnotationError("ChestX-Det10 file must hold a JSON list", path)
    source = f"{NAME}:{path.name}"
    boxes: list[Box] = []
    for index, entry in enumerate(data):
        where = f"entry {index}"
        if not isinstance(entry, dict):
            fail(AnnotationError, path, where, "expected an object with file_name, syms and boxes")
        syms, corners = entry.get("syms"), entry.get("boxes")
        if not isinstance(syms, list) or not isinstance(corners, list) or len(syms) != len(corners):
            fail(AnnotationError, path, where, "syms and boxes must be lists of the same length")
        for number, (sym, box) in enumerate(zip(syms, corners, strict=True)):
            if not isinstance(box, list) or len(box) != 4:
                fail(AnnotationError, path, f"{where}: boxes[{number}]", "must be [x1, y1, x2, y2]")
            x1, y1, x2, y2 = (
                coordinate(path, f"{where}: boxes[{number}]", n, v)
                for n, v in zip(("x1", "y1", "x2", "y2"), box, strict=True)
            )
            boxes.append(
                make_box(
                    path,
                    f"{where}: boxes[{number}]",
                    (x1, y1, x2, y2),
                    label=sym,
                    source=source,
                    image_key=entry.get("file_name"),
                    image_size=DET10_SIZE,
                    size_assumed=True,
                )
            )
    return boxes
