"""Annotation files beside images: unknown files are skipped silently, broken annotation files are reported
and skipped, good ones are used (issue 11: one unrelated bad file used to crash ``export``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from carzero_viewer.annotations import discover

DATA = Path(__file__).resolve().parents[2] / "data" / "annotations"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "study"
    folder.mkdir()
    shutil.copy(DATA / "sample_plain.csv", folder / "boxes.csv")
    (folder / "prompts.json").write_text('["There is effusion."]', encoding="utf-8")
    (folder / "results.CSV").write_text("image,score\na.png,0.5\n", encoding="utf-8")
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (folder / "binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    (folder / "empty.json").write_text("", encoding="utf-8")
    (folder / "sub.json").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "pipe.csv")
    # recognised formats with a bad value: reported, not fatal
    (folder / "zero.csv").write_text(
        "image,label,x1,y1,x2,y2,image_width,image_height\na.png,Mass,1,1,5,5,0.4,10\n", encoding="utf-8"
    )
    (folder / "coco.json").write_text(
        '{"images": [{"id": 1, "file_name": "a.png", "width": 0, "height": 9}], "annotations": []}',
        encoding="utf-8",
    )
    return folder


def test_unknown_files_skipped_broken_ones_reported(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    found = discover(folder)
    assert [p.name for p in found.annotations.files] == ["boxes.csv"]
    assert len(found.annotations) == len(list(DATA.joinpath("sample_plain.csv").read_text().splitlines())) - 1
    messages = sorted(p.message for p in found.problems)
    assert messages == [
        f"{folder / 'coco.json'}: images[0]: width: 0 is outside the accepted range [1, 6.4e+07]",
        f"{folder / 'zero.csv'}: line 2: image_width: 0.4 is outside the accepted range [1, 6.4e+07]",
    ]


def test_missing_or_unreadable_folder_gives_nothing(tmp_path: Path) -> None:
    found = discover(tmp_path / "nope")
    assert len(found.annotations) == 0 and found.problems == ()
