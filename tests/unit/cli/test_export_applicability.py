"""``export`` and ``score --json`` carry the applicability check per image: a 64x64 MR is scored and exported
with its reasons in the PNG text chunks, the Secondary Capture, the reports and the JSON; a chest PNG is ok."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pydicom
import pytest
from PIL import Image

from carzero_viewer.cli import main

DATA = Path(__file__).resolve().parents[2] / "data"
WEIGHTS = DATA / "carzero-tiny"
PNG = WEIGHTS / "image.png"  # 260x300 grey: no reason to warn
MR = DATA / "dicom" / "emri_small.dcm"  # 64x64 MR of the head, 10 frames
COMMON = ["--weights", str(WEIGHTS), "--prompt", "edema", "--device", "cpu"]


def test_export_marks_the_mr_in_every_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["export", str(MR), str(PNG), "--out", str(out), "--format", "png,csv,json,dcm,pdf", *COMMON])
    capsys.readouterr()
    assert code == 0
    with Image.open(out / "emri_small__edema.png") as figure:
        assert "Modality is MR" in figure.text["Applicability"]
        assert "Modality is MR" in figure.text["Description"]
    with Image.open(out / "image__edema.png") as figure:
        assert figure.text["Applicability"].startswith("ok")
        assert "Modality" not in figure.text["Description"]
    capture = pydicom.dcmread(out / "emri_small__edema.dcm")
    assert "Modality is MR" in capture.DerivationDescription
    with (out / "scores.csv").open(encoding="utf-8") as handle:
        rows = {row["image"]: row for row in csv.DictReader(handle)}
    assert (rows["emri_small.dcm"]["applicable"], rows["image.png"]["applicable"]) == ("0", "1")
    assert "64x64 pixels" in rows["emri_small.dcm"]["applicability_reasons"]
    results = json.loads((out / "scores.json").read_text(encoding="utf-8"))["results"]
    assert [r["applicable"] for r in results] == [False, True]


def test_score_json_reports_applicability_per_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["score", str(MR), str(PNG), "--json", str(tmp_path / "s.json"), *COMMON]) == 0
    assert f"warning: {MR}: Modality is MR" in capsys.readouterr().err
    images = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["images"]
    mr, png = (image["applicability"] for image in images)
    assert mr["ok"] is False and any("Modality is MR" in reason for reason in mr["reasons"])
    assert png == {"ok": True, "reasons": []}
