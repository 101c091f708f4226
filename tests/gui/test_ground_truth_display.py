"""Ground-truth boxes on the canvas: distinct class colours, one line style per source, labels apart."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QRectF

from carzero_viewer.imaging import load_image
from carzero_viewer.ui.canvas import ImageCanvas
from carzero_viewer.ui.ground_truth_panel import GroundTruthPanel
from carzero_viewer.viewer_model.ground_truth import BoxSpec, GroundTruth

pytestmark = pytest.mark.gui
SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
IMAGE = "00000344_003.png"  # has an NIH Effusion box in the bundled BBox_List_2017.csv


@pytest.fixture
def two_sources(tmp_path: Path) -> GroundTruth:
    shutil.copy(SAMPLES / IMAGE, tmp_path / IMAGE)
    shutil.copy(SAMPLES / "BBox_List_2017.csv", tmp_path / "BBox_List_2017.csv")
    det10 = [
        {
            "file_name": IMAGE,
            "syms": ["Fibrosis", "Effusion"],
            "boxes": [[600, 100, 700, 300], [180, 240, 260, 440]],
        }
    ]
    (tmp_path / "det10.json").write_text(json.dumps(det10), encoding="utf-8")
    truth = GroundTruth()
    assert truth.add_folder(tmp_path) == []
    return truth


@pytest.fixture
def canvas(qtbot) -> ImageCanvas:
    widget = ImageCanvas()
    qtbot.addWidget(widget)
    widget.resize(800, 800)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_two_classes_two_colours_and_two_sources_two_styles(two_sources: GroundTruth, tmp_path: Path) -> None:
    boxes, _note = two_sources.boxes_for(load_image(tmp_path / IMAGE))
    by_class = {box.label: box.color for box in boxes}
    assert by_class["Effusion"] != by_class["Fibrosis"]
    assert {box.source for box in boxes} == {"NIH", "ChestX-Det10"}
    styles = {box.source: box.line_style for box in boxes}
    assert styles["NIH"] != styles["ChestX-Det10"]
    assert all(box.caption.endswith(box.source) for box in boxes)  # several sources: labels name them


def test_the_canvas_draws_each_source_with_its_pen_style(
    two_sources: GroundTruth, tmp_path: Path, canvas: ImageCanvas
) -> None:
    record = load_image(tmp_path / IMAGE)
    canvas.set_record(record)
    boxes, _note = two_sources.boxes_for(record)
    canvas.set_boxes(boxes)
    pens = {box.source: rect.pen().style() for box, (rect, _text) in zip(boxes, canvas.boxes(), strict=True)}
    assert pens["NIH"] != pens["ChestX-Det10"]


def test_labels_of_nearby_boxes_do_not_overlap_on_screen(canvas: ImageCanvas, qtbot) -> None:
    canvas.set_record(load_image(SAMPLES / IMAGE))
    near = [
        BoxSpec(100.0, 100.0, 300.0, 300.0, "Effusion", (255, 214, 0)),
        BoxSpec(104.0, 103.0, 280.0, 280.0, "Fibrosis", (0, 229, 255)),
        BoxSpec(110.0, 98.0, 200.0, 200.0, "Mass", (118, 255, 3)),
    ]
    canvas.set_boxes(near)
    for _ in range(2):  # at the fitted zoom, then zoomed in: the stacking follows the view
        qtbot.wait(10)
        rects = [text.mapRectToScene(text.boundingRect()) for _rect, text in canvas.boxes()]
        for a, b in itertools.combinations(rects, 2):
            assert not QRectF(a).adjusted(0.5, 0.5, -0.5, -0.5).intersects(b), (a, b)
        assert len({round(r.top()) for r in rects}) == 3
        canvas.view.scaleBy((0.5, 0.5))


def test_the_panel_legend_names_each_source_and_its_line_style(
    two_sources: GroundTruth, tmp_path: Path, qtbot
) -> None:
    panel = GroundTruthPanel()
    qtbot.addWidget(panel)
    boxes, note = two_sources.boxes_for(load_image(tmp_path / IMAGE))
    panel.set_boxes(boxes, note)
    assert panel.sources_label.text().startswith("NIH: solid lines · ChestX-Det10: dashed lines")
