"""COCO detection JSON: ``images`` (id, file_name, width, height), ``annotations`` (image_id, category_id,
``bbox`` = x, y, w, h, optional polygon ``segmentation``), ``categories`` (id, name).

Coordinates are in the pixels of the image's recorded ``width`` x ``height``. Only the first polygon of a
polygon segmentation is kept; RLE masks (``{"counts": ...}``) are not decoded (the box still is).
"""

from __future__ import annotations

from pathlib import Path

from carzero_viewer.annotations.boxes import AnnotationError, Box, make_box, parse_float

NAME = "coco"


def looks_like(data: object) -> bool:
    """A JSON object with ``images`` and ``annotations`` lists."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("images"), list)
        and isinstance(data.get("annotations"), list)
    )


def _polygon(segmentation: object) -> tuple[tuple[float, float], ...] | None:
    if not isinstance(segmentation, list) or not segmentation or not isinstance(segmentation[0], list):
        return None
    flat = segmentation[0]
    if len(flat) < 6 or len(flat) % 2 or not all(isinstance(v, int | float) for v in flat):
        return None
    return tuple((float(flat[i]), float(flat[i + 1])) for i in range(0, len(flat), 2))


def parse(path: Path, data: object) -> list[Box]:
    if not isinstance(data, dict) or not looks_like(data):
        raise AnnotationError("COCO file must hold an object with images and annotations lists", path)
    categories: dict[object, str] = {}
    for category in data.get("categories") or []:
        if isinstance(category, dict) and isinstance(category.get("name"), str):
            categories[category.get("id")] = category["name"]
    images: dict[object, tuple[str, tuple[int, int] | None]] = {}
    for index, image in enumerate(data["images"]):
        if not isinstance(image, dict) or not isinstance(image.get("file_name"), str):
            raise AnnotationError(f"images[{index}]: expected an object with a file_name", path)
        width, height = image.get("width"), image.get("height")
        size = (int(height), int(width)) if isinstance(width, int) and isinstance(height, int) else None
        images[image.get("id")] = (image["file_name"], size)
    source = f"{NAME}:{path.name}"
    boxes: list[Box] = []
    for index, ann in enumerate(data["annotations"]):
        where = f"annotations[{index}]"
        if not isinstance(ann, dict):
            raise AnnotationError(f"{where}: expected an object", path)
        if ann.get("image_id") not in images:
            raise AnnotationError(f"{where}: image_id {ann.get('image_id')!r} is not in images", path)
        bbox = ann.get("bbox")
        if not isinstance(bbox, list) or len(bbox) != 4:
            raise AnnotationError(f"{where}: bbox must be [x, y, w, h]", path)
        try:
            x, y, w, h = (parse_float(path, 0, "bbox value", v) for v in bbox)
            file_name, size = images[ann["image_id"]]
            label = categories.get(ann.get("category_id"), str(ann.get("category_id")))
            boxes.append(
                make_box(
                    path,
                    0,
                    (x, y, x + w, y + h),
                    label=label,
                    source=source,
                    image_key=file_name,
                    image_size=size,
                    polygon=_polygon(ann.get("segmentation")),
                )
            )
        except AnnotationError as exc:
            raise AnnotationError(f"{where}: {exc.reason.removeprefix('line 0: ')}", path) from None
    return boxes
