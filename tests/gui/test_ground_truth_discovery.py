"""The viewer finds annotation files beside opened images with the same policy as ``export``: unknown files
are ignored, a broken annotation file is reported once, explicitly opened files always report."""

from __future__ import annotations

from pathlib import Path

import pytest

from carzero_viewer.viewer_model.ground_truth import GroundTruth

pytestmark = pytest.mark.gui

ZERO = "image,label,x1,y1,x2,y2,image_width,image_height\na.png,Mass,1,1,5,5,0.4,10\n"


def test_folder_discovery_reports_broken_files_once(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (tmp_path / "prompts.json").write_text('["There is effusion."]', encoding="utf-8")
    (tmp_path / "zero.csv").write_text(ZERO, encoding="utf-8")
    (tmp_path / "good.csv").write_text("image,label,x1,y1,x2,y2\na.png,Mass,1,1,5,5\n", encoding="utf-8")
    truth = GroundTruth()
    messages = truth.add_folder(tmp_path)
    assert messages == [
        f"{tmp_path.resolve() / 'zero.csv'}: line 2: image_width: 0.4 is outside the accepted "
        "range [1, 6.4e+07]"
    ]
    assert [p.name for p in truth.files] == ["good.csv"]
    assert truth.add_folder(tmp_path) == []  # already reported this session
    assert len(truth.add_files([tmp_path / "zero.csv"])) == 1  # the user asked for it by name
    assert len(truth.add_files([tmp_path / "prompts.json"])) == 1
