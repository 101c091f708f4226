"""``carzero-viewer export`` draws boxes with the viewer's rules (annotations/display.py): each class in its
colour (not one colour for boxes matching the prompt and another for the rest), the second source dashed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from carzero_viewer.annotations import LabelMap
from carzero_viewer.annotations.display import class_colours
from carzero_viewer.cli import main

ROOT = Path(__file__).resolve().parents[3]
WEIGHTS = ROOT / "tests" / "data" / "carzero-tiny"
SAMPLES = ROOT / "resources" / "samples"
IMAGE = "00000344_003.png"  # 1024x1024, with an NIH Effusion box in the bundled BBox_List_2017.csv
EFFUSION = (
    200,
    300,
    400,
    500,
)  # x1, y1, x2, y2 of a plain-CSV box (after ChestX-Det10 in source order: dashed)
FIBROSIS = (600, 100, 700, 300)  # a ChestX-Det10 box (the first source: solid)


def test_export_boxes_follow_the_display_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    shutil.copy(SAMPLES / IMAGE, folder / IMAGE)
    det10 = [{"file_name": IMAGE, "syms": ["Fibrosis"], "boxes": [list(FIBROSIS)]}]
    (folder / "det10.json").write_text(json.dumps(det10), encoding="utf-8")
    x1, y1, x2, y2 = EFFUSION
    (folder / "boxes.csv").write_text(
        f"image,label,x1,y1,x2,y2\n{IMAGE},Effusion,{x1},{y1},{x2},{y2}\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    args = [
        "export",
        str(folder / IMAGE),
        "--weights",
        str(WEIGHTS),
        "--prompt",
        "effusion",
        "--out",
        str(out),
    ]
    assert main([*args, "--opacity", "0", "--device", "cpu"]) == 0
    capsys.readouterr()
    with Image.open(out / f"{Path(IMAGE).stem}__effusion.png") as figure:
        rgb = np.asarray(figure.convert("RGB"))
    colours = class_colours(["Effusion", "Fibrosis"], list(LabelMap.load(None).findings))
    effusion_edge = np.all(rgb[y2 - 2, x1:x2] == colours["Effusion"], axis=1)  # inside the bottom line
    assert effusion_edge[0] and 0.2 < effusion_edge.mean() < 0.8
    fx1, fy1, fx2, _fy2 = FIBROSIS
    assert np.all(rgb[fy1 + 1, fx1:fx2] == colours["Fibrosis"])
