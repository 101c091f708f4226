"""RSNA Pneumonia Detection CSV: ``patientId, x, y, width, height, Target``.

``Target = 1`` rows carry one box each (labelled ``Pneumonia``: the challenge's positive class); ``Target = 0``
rows have no box and are skipped. The challenge DICOMs are 1024x1024 and the file records no size, so
1024x1024 is assumed (and flagged). The image key is ``patientId`` (the DICOM file stem).
"""

from __future__ import annotations

from pathlib import Path

from carzero_viewer.annotations.boxes import Box, coordinate, extent, make_box, row_error
from carzero_viewer.annotations.tabular import csv_rows

NAME = "rsna"
REQUIRED = ("patientid", "x", "y", "width", "height", "target")
RSNA_SIZE = (1024, 1024)
LABEL = "Pneumonia"


def looks_like(header: list[str]) -> bool:
    return set(REQUIRED) <= set(header)


def parse(path: Path, text: str) -> list[Box]:
    source = f"{NAME}:{path.name}"
    boxes: list[Box] = []
    for row in csv_rows(path, text, REQUIRED):
        target = row.get("target")
        if target not in ("0", "1"):
            raise row_error(path, row.line, f"Target must be 0 or 1, found {target!r}")
        if target == "0":
            continue
        where = f"line {row.line}"
        x, y = (coordinate(path, where, n, row.get(n)) for n in ("x", "y"))
        w, h = (extent(path, where, n, row.get(n)) for n in ("width", "height"))
        boxes.append(
            make_box(
                path,
                where,
                (x, y, x + w, y + h),
                label=LABEL,
                source=source,
                image_key=row.get("patientid"),
                image_size=RSNA_SIZE,
                size_assumed=True,
            )
        )
    return boxes
