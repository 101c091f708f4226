"""The one box type every reader produces, and the error readers raise.

Coordinates are floats in the pixel frame of the image the annotation was drawn on (``image_size``), with the
usual raster convention: ``x`` grows to the right, ``y`` downwards, pixel ``(row r, column c)`` covers the square
``[c, c+1) x [r, r+1)``, so a box ``x1=0, x2=W`` spans the whole width. :meth:`Box.scaled_to` moves a box into the
frame of the image actually opened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from carzero_viewer.errors import CarzeroError


class AnnotationError(CarzeroError):
    """An annotation file cannot be read: unknown format, malformed row (the line is named), bad JSON."""


def row_error(path: Path, line: int, reason: str) -> AnnotationError:
    """``<path>: line <n>: <reason>`` — the one-line message for a malformed row or entry."""
    return AnnotationError(f"line {line}: {reason}", path)


@dataclass(frozen=True)
class Box:
    """One ground-truth box.

    Attributes:
        x1, y1, x2, y2: left, top, right, bottom in pixels of ``image_size`` (``x1 <= x2``, ``y1 <= y2``).
        label: the class exactly as the source spells it (``Infiltrate``, ``Nodule/Mass``...).
        source: ``"<reader>:<file name>"``, e.g. ``"nih:BBox_List_2017.csv"``.
        image_key: how the source names the image: file name, stem, patient/image id or SOP Instance UID.
        image_size: ``(height, width)`` the coordinates refer to; ``None`` when unknown (then the box is
            taken to be in the opened image's own pixels).
        polygon: optional outline ``((x, y), ...)`` in the same frame (COCO segmentation, plain format).
        reader: the annotating radiologist's id where a source has several readers per image (VinDr).
        size_assumed: ``image_size`` is the source's documented convention, not read from the file
            (NIH CSV and ChestX-Det10 boxes refer to the 1024x1024 PNGs).
        text: the free-text phrase of phrase-grounding sources (MS-CXR ``label_text``).
    """

    x1: float
    y1: float
    x2: float
    y2: float
    label: str
    source: str
    image_key: str
    image_size: tuple[int, int] | None = None
    polygon: tuple[tuple[float, float], ...] | None = None
    reader: str | None = None
    size_assumed: bool = False
    text: str | None = None

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def area(self) -> float:
        """Area in square pixels of ``image_size``."""
        return max(0.0, self.width) * max(0.0, self.height)

    def scaled_to(self, height: int, width: int) -> Box:
        """This box in the frame of an image of ``(height, width)`` pixels.

        Scales x by ``width / image_width`` and y by ``height / image_height`` (anisotropic when the aspect
        differs, as for NIH PNGs resized to 1024x1024 from non-square originals). A box without
        ``image_size`` is returned with the new size recorded but its coordinates unchanged.
        """
        if self.image_size is None:
            return replace(self, image_size=(height, width), size_assumed=False)
        sy = height / self.image_size[0]
        sx = width / self.image_size[1]
        polygon = None if self.polygon is None else tuple((x * sx, y * sy) for x, y in self.polygon)
        return replace(
            self,
            x1=self.x1 * sx,
            y1=self.y1 * sy,
            x2=self.x2 * sx,
            y2=self.y2 * sy,
            polygon=polygon,
            image_size=(height, width),
            size_assumed=False,
        )


def make_box(
    path: Path,
    line: int,
    corners: tuple[float, float, float, float],
    *,
    label: str,
    source: str,
    image_key: str,
    image_size: tuple[int, int] | None = None,
    polygon: tuple[tuple[float, float], ...] | None = None,
    reader: str | None = None,
    size_assumed: bool = False,
    text: str | None = None,
) -> Box:
    """Build a box from ``x1, y1, x2, y2`` after checking they are finite and ordered."""
    if not all(math.isfinite(v) for v in corners):
        raise row_error(path, line, f"box coordinates must be finite numbers, got {corners}")
    x1, y1, x2, y2 = corners
    if x2 < x1 or y2 < y1:
        raise row_error(path, line, f"box has negative width or height ({x1}, {y1}, {x2}, {y2})")
    if not label.strip():
        raise row_error(path, line, "empty label")
    if not image_key.strip():
        raise row_error(path, line, "empty image name")
    return Box(
        x1,
        y1,
        x2,
        y2,
        label.strip(),
        source,
        image_key.strip(),
        image_size,
        polygon,
        reader,
        size_assumed,
        text,
    )


def parse_float(path: Path, line: int, name: str, value: object) -> float:
    """A number from a CSV cell or JSON value, or an error naming the line and the column."""
    if isinstance(value, bool):
        raise row_error(path, line, f"{name} is not a number ({value!r})")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise row_error(path, line, f"{name} is not a number ({value!r})") from None
    if not math.isfinite(number):
        raise row_error(path, line, f"{name} is not a finite number ({value!r})")
    return number
