"""NIH ChestX-ray14 ``BBox_List_2017.csv``: ``Image Index, Finding Label, x, y, w, h``.

The header, ``Image Index,Finding Label,Bbox [x,y,w,h],,,``, has commas inside its brackets and three
trailing empty columns, so a CSV parse gives 9 header fields for 6 data values; this reader therefore takes
the columns by position. Coordinates are floats (top-left corner, width, height) in pixels of the 1024x1024
PNG release; the file records no image size, so ``image_size=(1024, 1024)`` is assumed and flagged. The class
is spelled ``Infiltrate`` here (``Infiltration`` in ``Data_Entry_2017.csv``); the label is kept as written and
unified by :mod:`carzero_viewer.annotations.labels`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from carzero_viewer.annotations.boxes import AnnotationError, Box, coordinate, extent, make_box, row_error

NAME = "nih"
NIH_PNG_SIZE = (1024, 1024)


def looks_like(first_line: str) -> bool:
    """The NIH header: starts with ``Image Index,Finding Label`` and names the ``Bbox`` column."""
    head = first_line.strip().lower()
    return head.startswith("image index,finding label") and "bbox" in head


def parse(path: Path, text: str) -> list[Box]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or not looks_like(",".join(header)):
        raise row_error(path, 1, "not an NIH BBox_List header (Image Index,Finding Label,Bbox [x,y,w,h])")
    boxes: list[Box] = []
    source = f"{NAME}:{path.name}"
    try:
        for record in reader:
            values = [cell.strip() for cell in record]
            while values and not values[-1]:
                values.pop()  # the trailing empty columns some copies carry
            if not values:
                continue
            line = reader.line_num
            if len(values) != 6:
                raise row_error(
                    path, line, f"expected 6 values (image, label, x, y, w, h), found {len(values)}"
                )
            where = f"line {line}"
            x, y = (coordinate(path, where, n, v) for n, v in zip("xy", values[2:4], strict=True))
            w, h = (extent(path, where, n, v) for n, v in zip("wh", values[4:6], strict=True))
            boxes.append(
                make_box(
                    path,
                    where,
                    (x, y, x + w, y + h),
                    label=values[1],
                    source=source,
                    image_key=values[0],
                    image_size=NIH_PNG_SIZE,
                    size_assumed=True,
                )
            )
    except csv.Error as exc:
        raise AnnotationError(f"line {reader.line_num}: malformed CSV ({exc})", path) from None
    return boxes
