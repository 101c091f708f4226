"""Boxes in exports follow the viewer's rules (annotations/display.py): class colours, a line style per source,
the source in the label when several sources are present."""

from __future__ import annotations

import numpy as np
from PIL import Image

from carzero_viewer.annotations import Box, LabelMap
from carzero_viewer.annotations.display import class_colours
from carzero_viewer.commands.export import box_specs
from carzero_viewer.export.render import BoxSpec, draw_boxes

RED = (255, 0, 0)


def _edge(style: str) -> np.ndarray:
    """The top edge (row 20, columns 20..179) of a box drawn on black in ``style``."""
    image = Image.new("RGB", (300, 300))
    draw_boxes(image, [BoxSpec(20.0, 20.0, 180.0, 180.0, "", RED, style)])
    return np.all(np.asarray(image)[20, 20:180] == RED, axis=1)


def test_a_dashed_box_has_gaps_and_a_solid_one_none() -> None:
    assert _edge("solid").all()
    for style in ("dash", "dot", "dash-dot"):
        edge = _edge(style)
        assert edge[0] and 0.2 < edge.mean() < 0.8, style
    assert not np.array_equal(_edge("dash"), _edge("dot"))


def test_cli_boxes_take_the_class_colours_and_source_styles_of_the_viewer() -> None:
    boxes = [
        Box(10, 10, 50, 50, "Effusion", "nih:BBox_List_2017.csv", "a.png"),
        Box(60, 10, 90, 40, "Fibrosis", "chestx_det10:det10.json", "a.png"),
    ]
    specs = box_specs(boxes)
    labels = LabelMap.load(None)
    colours = class_colours(["Effusion", "Fibrosis"], list(labels.findings))
    assert [s.colour for s in specs] == [colours["Effusion"], colours["Fibrosis"]]
    assert [s.line_style for s in specs] == ["solid", "dash"]
    assert [s.label for s in specs] == ["Effusion \u00b7 NIH", "Fibrosis \u00b7 ChestX-Det10"]
    (alone,) = box_specs(boxes[:1])
    assert alone.label == "Effusion" and alone.line_style == "solid"
