"""``export`` beside unrelated and broken CSV/JSON files: it completes, names the broken annotation file in a
warning and still uses the good one (issue 11: ZeroDivisionError / RecursionError stopped the run)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from carzero_viewer.cli import main

DATA = Path(__file__).resolve().parents[2] / "data"
WEIGHTS = DATA / "carzero-tiny"


def test_export_skips_bad_files_beside_the_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    image = folder / "image.png"
    shutil.copy(WEIGHTS / "image.png", image)
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (folder / "notes.csv").write_text("anything,else\n1,2\n", encoding="utf-8")
    (folder / "zero.csv").write_text(
        "image,label,x1,y1,x2,y2,image_width,image_height\nimage.png,Effusion,1,1,5,5,0.4,10\n",
        encoding="utf-8",
    )
    (folder / "good.csv").write_text(
        "image,label,x1,y1,x2,y2\nimage.png,Cardiomegaly,20,20,120,100\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    code = main(
        [
            "export",
            str(image),
            "--weights",
            str(WEIGHTS),
            "--prompt",
            "There is cardiomegaly.",
            "--out",
            str(out),
            "--format",
            "png,json",
            "--device",
            "cpu",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {folder / 'zero.csv'}: line 2: image_width: 0.4 is outside the accepted range "
        "[1, 6.4e+07] (its boxes are not drawn)"
    ]
    assert (out / "image__there-is-cardiomegaly.png").is_file()
    (row,) = json.loads((out / "scores.json").read_text(encoding="utf-8"))["results"]
    assert row["n_boxes"] == 1  # the good file's box matched the prompt
