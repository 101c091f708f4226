"""The viewer's full-resolution export draws the boxes as the canvas does (annotations/display.py): class
colours, the second source's boxes dashed, the source named in the label when several sources are shown."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from carzero_viewer.annotations import LabelMap
from carzero_viewer.annotations.display import class_colours

pytestmark = pytest.mark.gui
SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
IMAGE = "00000344_003.png"  # has an NIH Effusion box in the bundled BBox_List_2017.csv
FIBROSIS = (600, 100, 700, 300)  # a ChestX-Det10 box (x1, y1, x2, y2), away from the NIH box


@pytest.fixture
def window(open_window, qtbot, tmp_path: Path):
    shutil.copy(SAMPLES / IMAGE, tmp_path / IMAGE)
    shutil.copy(SAMPLES / "BBox_List_2017.csv", tmp_path / "BBox_List_2017.csv")
    det10 = [{"file_name": IMAGE, "syms": ["Fibrosis"], "boxes": [list(FIBROSIS)]}]
    (tmp_path / "det10.json").write_text(json.dumps(det10), encoding="utf-8")
    win = open_window()
    win.open_paths([tmp_path / IMAGE])
    qtbot.waitUntil(
        lambda: win.record is not None and len(win.ground_truth_panel.visible_boxes()) == 2, timeout=30_000
    )
    return win


def test_full_resolution_export_uses_the_display_rules(window) -> None:
    figure = window.chrome.exports.full_resolution()
    colours = class_colours(["Effusion", "Fibrosis"], list(LabelMap.load(None).findings))
    nih = next(b for b in window.ground_truth_panel.visible_boxes() if b.source == "NIH")
    x1, y1, x2, _y2 = FIBROSIS
    edge = np.all(figure[y1 + 1, x1:x2] == colours["Fibrosis"], axis=1)  # inside the top line
    assert edge[0] and 0.2 < edge.mean() < 0.8  # the second source's box is dashed, in its class colour
    top, left, right = round(nih.y1), round(nih.x1), round(nih.x2) - 1
    assert np.all(figure[top + 1, left:right] == colours["Effusion"])  # the first source's box is solid


def test_exported_labels_name_the_source_when_several_are_shown(window) -> None:
    captions = {b.label for b in window.chrome.exports._boxes()}
    assert captions == {"Effusion \u00b7 NIH", "Fibrosis \u00b7 ChestX-Det10"}
