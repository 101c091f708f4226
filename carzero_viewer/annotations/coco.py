"""COCO detection JSON: ``images`` (id, file_name, width, height), ``annotations`` (image_id, category_id,
``bbox`` = x, y, w, h, optional polygon ``segmentation``), ``categories`` (id, name).

Coordinates are in the pixels of the image's recorded ``width`` x ``height`` (optional; when given, whole
pixels >= 1). ``bbox`` width and height must be positive: a negative one would otherwise mirror the box.
Only the first polygon of a polygon segmentation is kept; RLE masks (``{"counts": ...}``) are not decoded
(the box still is). A category without a name is labelled by its id.
"""

from __future__ import annotations

from pathlib import Path

from carzero_viewer.annotations.boxes import (
    MAX_KEY_CHARS,
    MAX_LABEL_CHARS,
    AnnotationError,
    Box,
    coordinate,
    extent,
    image_size,
    make_box,
    polygon_points,
    text_value,
)
from carzero_viewer.untrusted import fail

NAME = "coco"


def looks_like(data: object) -> bool:
    """A JSON object with ``images`` and ``annotations`` lists."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("images"), list)
        and isinstance(data.get("annotations"), list)
    )


def _polygon(path: Path, where: str, segmentation: object) -> tuple[tuple[float, float], ...] | None:
    """The first polygon of a polygon segmentation (flat ``[x, y, x, y, ...]``).

    ``None`` for an RLE mask, no segmentation, or a degenerate outline of fewer than 3 points (the box is
    still used, as before this reader checked values).
    """
    if not isinstance(segmentation, list) or not segmentation:
        return None
    flat = segmentation[0]
    if not isinstance(flat, list) or len(flat) % 2:
        fail(AnnotationError, path, f"{where}: segmentation[0]", "must be a flat list of x, y values")
    if len(flat) < 6:
        return None
    return polygon_points(path, where, [flat[i : i + 2] for i in range(0, len(flat), 2)])


def _category_names(path: Path, data: dict[str, object]) -> dict[object, str]:
    categories = data.get("categories") or []
    if not isinstance(categories, list):
        fail(AnnotationError, path, "categories", "must be a list")
    names: dict[object, str] = {}
    for index, category in enumerate(categories):
        if isinstance(category, dict) and category.get("name") is not None:
            names[_key(category.get("id"))] = text_value(
                path, f"categories[{index}]", "name", category["name"], MAX_LABEL_CHARS
            )
    return names


def _key(value: object) -> object:
    """An id usable as a dict key (ids are numbers or strings; anything else never matches)."""
    return value if isinstance(value, int | str) and not isinstance(value, bool) else None


def parse(path: Path, data: object) -> list[Box]:
    if not isinstance(data, dict) or not looks_like(data):
        raise AnnotationError("COCO file must hold an object with images and annotations lists", path)
    categories = _category_names(path, data)
    images: dict[object, tuple[str, tuple[int, int] | None]] = {}
    for index, image in enumerate(data["images"]):
        where = f"images[{index}]"
        if not isinstance(image, dict):
            fail(AnnotationError, path, where, "expected an object with a file_name")
        file_name = text_value(path, where, "file_name", image.get("file_name"), MAX_KEY_CHARS)
        images[_key(image.get("id"))] = (
            file_name,
            image_size(path, where, image.get("width"), image.get("height"), ("width", "height")),
        )
    source = f"{NAME}:{path.name}"
    boxes: list[Box] = []
    for index, ann in enumerate(data["annotations"]):
        where = f"annotations[{index}]"
        if not isinstance(ann, dict):
            fail(AnnotationError, path, where, "expected an object")
        image_id = _key(ann.get("image_id"))
        if image_id is None or image_id not in images:
            fail(
                AnnotationError,
                path,
                f"{where}: image_id",
                f"{str(ann.get('image_id'))[:40]} is not in images",
            )
        bbox = ann.get("bbox")
        if not isinstance(bbox, list) or len(bbox) != 4:
            fail(AnnotationError, path, f"{where}: bbox", "must be [x, y, w, h]")
        x, y = (coordinate(path, where, f"bbox {n}", v) for n, v in zip("xy", bbox[:2], strict=True))
        w, h = (extent(path, where, f"bbox {n}", v) for n, v in zip("wh", bbox[2:], strict=True))
        file_name, size = images[image_id]
        category = _key(ann.get("category_id"))
        boxes.append(
            make_box(
                path,
                where,
                (x, y, x + w, y + h),
                label=categories.get(category, str(category) if category is not None else None),
                source=source,
                image_key=file_name,
                image_size=size,
                polygon=_polygon(path, where, ann.get("segmentation")),
            )
        )
    return boxes
