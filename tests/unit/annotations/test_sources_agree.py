"""Two independent ground truths of the same image, in two conventions, land on the same pixels.

NIH ``BBox_List_2017.csv`` stores ``x, y, w, h`` floats, ChestX-Det10 stores ``x1, y1, x2, y2`` integers. On
``00002578_000.png`` (an RGBA NIH PNG) both mark the same nodule: ChestX-Det10's tight box lies inside NIH's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from carzero_viewer.annotations import AnnotationSet
from carzero_viewer.export.render import BoxSpec, RenderRequest, render_image
from carzero_viewer.imaging import load_image

DATA = Path(__file__).resolve().parents[2] / "data" / "annotations"
IMAGE = DATA / "images" / "00002578_000.png"


def test_nih_and_chestx_det10_boxes_coincide_on_the_opened_image() -> None:
    record = load_image(IMAGE)
    nih = AnnotationSet.load([DATA / "BBox_List_2017.csv"]).boxes_for(IMAGE, record.shape[:2])
    det = AnnotationSet.load([DATA / "train.json", DATA / "test.json"]).boxes_for(IMAGE, record.shape[:2])
    nih_nodule = next(b for b in nih.boxes if b.label == "Nodule")
    det_nodules = [b for b in det.boxes if b.label == "Nodule"]
    assert not nih.scaled and not det.scaled  # both drawn on this 1024x1024 image
    inner = next(
        b for b in det_nodules
        if nih_nodule.x1 <= b.x1 and nih_nodule.y1 <= b.y1 and b.x2 <= nih_nodule.x2 and b.y2 <= nih_nodule.y2
    )  # fmt: skip
    assert inner.area / nih_nodule.area > 0.3  # IoU of nested boxes

    # Drawn on the image, the ChestX-Det10 outline (red) sits inside the NIH outline (green).
    boxes = [
        BoxSpec(inner.x1, inner.y1, inner.x2, inner.y2, "", (255, 0, 0)),
        BoxSpec(nih_nodule.x1, nih_nodule.y1, nih_nodule.x2, nih_nodule.y2, "", (0, 255, 0)),
    ]
    rgb = render_image(RenderRequest(display=record.display(), boxes=boxes))
    red = np.argwhere((rgb[..., 0] == 255) & (rgb[..., 1] == 0) & (rgb[..., 2] == 0))
    green = np.argwhere((rgb[..., 1] == 255) & (rgb[..., 0] == 0) & (rgb[..., 2] == 0))
    assert red.size and green.size
    assert red[:, 0].min() >= green[:, 0].min() and red[:, 0].max() <= green[:, 0].max()
    assert red[:, 1].min() >= green[:, 1].min() and red[:, 1].max() <= green[:, 1].max()
