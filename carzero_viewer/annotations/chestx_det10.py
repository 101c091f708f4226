"""ChestX-Det10 JSON: ``[{"file_name": "...png", "syms": [label, ...], "boxes": [[x1, y1, x2, y2], ...]}]``.

``syms[i]`` labels ``boxes[i]``; corners are integer pixels of the 1024x1024 NIH PNGs (the file records no
size, so 1024x1024 is assumed and flagged). Entries with empty ``syms`` are images without findings. An error
names the entry's index (0-based) since JSON has no useful line for it.
"""

from __future__ import annotations

from pathlib import Path

from carzero_viewer.annotations.boxes import AnnotationError, Box, make_box, parse_float

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


def _entry_error(path: Path, index: int, reason: str) -> AnnotationError:
    return AnnotationError(f"entry {index}: {reason}", path)


def parse(path: Path, data: object) -> list[Box]:
    if not isinstance(data, list):
        raise AnnotationError("ChestX-Det10 file must hold a JSON list", path)
    source = f"{NAME}:{path.name}"
    boxes: list[Box] = []
    for index, entry in enumerate(data):
        if not isinstance(entry, dict) or not isinstance(entry.get("file_name"), str):
            raise _entry_error(path, index, "expected an object with a file_name string")
        syms, corners = entry.get("syms"), entry.get("boxes")
        if not isinstance(syms, list) or not isinstance(corners, list) or len(syms) != len(corners):
            raise _entry_error(path, index, "syms and boxes must be lists of the same length")
        for sym, box in zip(syms, corners, strict=True):
            if not isinstance(sym, str) or not isinstance(box, list) or len(box) != 4:
                raise _entry_error(path, index, f"bad box {box!r} for label {sym!r}")
            try:
                x1, y1, x2, y2 = (parse_float(path, 0, "coordinate", v) for v in box)
                boxes.append(
                    make_box(
                        path,
                        0,
                        (x1, y1, x2, y2),
                        label=sym,
                        source=source,
                        image_key=entry["file_name"],
                        image_size=DET10_SIZE,
                        size_assumed=True,
                    )
                )
            except AnnotationError as exc:
                raise _entry_error(path, index, exc.reason.removeprefix("line 0: ")) from None
    return boxes
