"""The one box type every reader produces, the error readers raise, and the checks every value passes.

Coordinates are floats in the pixel frame of the image the annotation was drawn on (``image_size``), with the
usual raster convention: ``x`` grows to the right, ``y`` downwards, pixel ``(row r, column c)`` covers the square
``[c, c+1) x [r, r+1)``, so a box ``x1=0, x2=W`` spans the whole width. :meth:`Box.scaled_to` moves a box into the
frame of the image actually opened.

Every value a reader takes from a file goes through :mod:`carzero_viewer.untrusted` here, so a :class:`Box`
always holds checked values and nothing behind the readers re-checks. The bounds, and why:

- Files are regular files of at most :data:`MAX_ANNOTATION_BYTES` (64 MiB): the largest public CXR box and
  label tables (NIH ``Data_Entry_2017.csv`` 8 MB, VinDr-CXR's 2-3 MB CSVs, ChestX-Det10 under 2 MB) fit many
  times over, while parsing a JSON file of that size already costs about 1 GB of Python objects.
- JSON has at most :data:`~carzero_viewer.untrusted.MAX_JSON_DEPTH` levels and
  :data:`~carzero_viewer.untrusted.MAX_JSON_ITEMS` values, no ``NaN``/``Infinity`` and no lone surrogates.
- Numbers are JSON numbers or plain decimal text (CSV cells, and JSON strings holding one); they must be finite.
- Coordinates lie within +-:data:`MAX_COORDINATE` pixels (no image side can exceed the pixel budget) and every
  box has ``x2 > x1`` and ``y2 > y1``: a zero or negative width (a negative COCO ``w``, swapped corners) is an
  error naming the row, never a flipped or empty box, because every metric divides by the box area.
- Image sizes, which :meth:`Box.scaled_to` divides by, are whole numbers of pixels >= 1 whose product stays
  within the display pixel budget (:data:`~carzero_viewer.imaging.MAX_PIXELS`): ``0`` or ``0.4`` used to
  become a division by zero, a negative width mirrored every box.
- Labels and reader ids have at most :data:`MAX_LABEL_CHARS` characters, image names at most
  :data:`MAX_KEY_CHARS` (a path), phrases at most :data:`MAX_TEXT_CHARS`; all must be encodable as UTF-8.

Errors name the file and where in it: ``line <n>`` for CSV rows, ``annotations[<i>]``-style paths for JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from carzero_viewer.errors import CarzeroError
from carzero_viewer.imaging import MAX_PIXELS
from carzero_viewer.untrusted import fail, require_float, require_number_text, require_text

MAX_ANNOTATION_BYTES = 64 * 1024 * 1024
MAX_COORDINATE = float(MAX_PIXELS)
MAX_LABEL_CHARS = 1000
MAX_KEY_CHARS = 4096
MAX_TEXT_CHARS = 10_000


class AnnotationError(CarzeroError):
    """An annotation file cannot be read: malformed row (the line is named), bad value, bad JSON."""


class UnknownFormat(AnnotationError):
    """The file is not recognisably annotations: unreadable as text or bounded JSON, or no known layout.

    Folder discovery skips such files silently (a ``prompts.json`` or a results table beside the images),
    while a file the user names explicitly reports the same message as any other error.
    """


def row_error(path: Path, line: int, reason: str) -> AnnotationError:
    """``<path>: line <n>: <reason>`` — the one-line message for a malformed row or entry."""
    return AnnotationError(f"line {line}: {reason}", path)


@dataclass(frozen=True)
class Box:
    """One ground-truth box.

    Attributes:
        x1, y1, x2, y2: left, top, right, bottom in pixels of ``image_size`` (``x1 < x2``, ``y1 < y2`` from readers).
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


def number(path: Path, field: str, value: object, low: float, high: float, low_open: bool = False) -> float:
    """A finite number in range from a JSON number or a decimal string (a CSV cell); ``field`` says where."""
    read = require_number_text if isinstance(value, str) else require_float
    return read(value, path, AnnotationError, field, low, high, low_open)


def coordinate(path: Path, where: str, name: str, value: object) -> float:
    """One box or polygon coordinate in pixels, within +-:data:`MAX_COORDINATE`."""
    return number(path, f"{where}: {name}", value, -MAX_COORDINATE, MAX_COORDINATE)


def extent(path: Path, where: str, name: str, value: object) -> float:
    """A box width or height: finite and positive (a zero or negative one is never turned into a box)."""
    return number(path, f"{where}: {name}", value, 0.0, MAX_COORDINATE, low_open=True)


def image_size(
    path: Path,
    where: str,
    width: object,
    height: object,
    names: tuple[str, str] = ("image_width", "image_height"),
) -> tuple[int, int] | None:
    """``(height, width)`` in whole pixels, or ``None`` when both are absent (``None`` or an empty cell).

    Each side is a whole number >= 1 (``1024.0`` is accepted, ``0.4`` is not) and ``width * height`` stays
    within the pixel budget, since boxes are later scaled by ``opened / recorded``. ``names`` are the two
    fields as the format spells them, for the message.
    """
    if width in (None, "") and height in (None, ""):
        return None
    sides = []
    for name, value in zip(names, (width, height), strict=True):
        side = number(path, f"{where}: {name}", value, 1.0, float(MAX_PIXELS))
        if not side.is_integer():
            fail(AnnotationError, path, f"{where}: {name}", f"{side:g} is not a whole number of pixels")
        sides.append(int(side))
    w, h = sides
    if w * h > MAX_PIXELS:
        fail(
            AnnotationError,
            path,
            where,
            f"image size {w}x{h} is above the {MAX_PIXELS / 1e6:.0f}-megapixel budget of any image we open",
        )
    return h, w


def text_value(path: Path | None, where: str, name: str, value: object, max_length: int) -> str:
    """A stripped, non-empty, encodable string of at most ``max_length`` characters."""
    return require_text(value, path, AnnotationError, f"{where}: {name}", max_length)


def optional_text(path: Path, where: str, name: str, value: object, max_length: int) -> str | None:
    """Like :func:`text_value`, but absent (``None`` or blank) gives ``None``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return text_value(path, where, name, value, max_length)


def polygon_points(path: Path, where: str, points: list[object]) -> tuple[tuple[float, float], ...]:
    """``[[x, y], ...]`` (at least 3 points) as checked coordinates."""
    if len(points) < 3:
        fail(AnnotationError, path, f"{where}: polygon", "must have at least 3 [x, y] points")
    checked = []
    for index, point in enumerate(points):
        if not isinstance(point, list) or len(point) != 2:
            fail(AnnotationError, path, f"{where}: polygon[{index}]", "must be an [x, y] point")
        checked.append(
            (
                coordinate(path, where, f"polygon[{index}] x", point[0]),
                coordinate(path, where, f"polygon[{index}] y", point[1]),
            )
        )
    return tuple(checked)


def make_box(
    path: Path,
    where: str,
    corners: tuple[float, float, float, float],
    *,
    label: object,
    source: str,
    image_key: object,
    image_size: tuple[int, int] | None = None,
    polygon: tuple[tuple[float, float], ...] | None = None,
    reader: object = None,
    size_assumed: bool = False,
    text: object = None,
) -> Box:
    """A box from checked corners (see :func:`coordinate`) and raw label/name/reader/phrase values.

    Raises:
        AnnotationError: ``x2 <= x1`` or ``y2 <= y1``, or a label / image name that is not a non-empty,
            bounded, encodable string (``where`` names the row or entry).
    """
    x1, y1, x2, y2 = corners
    if not (x2 > x1 and y2 > y1):
        fail(
            AnnotationError,
            path,
            where,
            f"box has zero or negative width or height (x1={x1:g}, y1={y1:g}, x2={x2:g}, y2={y2:g})",
        )
    return Box(
        x1,
        y1,
        x2,
        y2,
        text_value(path, where, "label", label, MAX_LABEL_CHARS),
        source,
        text_value(path, where, "image", image_key, MAX_KEY_CHARS),
        image_size,
        polygon,
        optional_text(path, where, "reader", reader, MAX_LABEL_CHARS),
        size_assumed,
        optional_text(path, where, "text", text, MAX_TEXT_CHARS),
    )
