"""``carzero-viewer inspect`` through the real ``cli.main``: report, written PNGs, exit codes, no PHI.

Only the inspect command is registered in these tests, so they do not depend on the other commands' modules.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pydicom
import pytest

from carzero_viewer import cli

DATA = Path(__file__).resolve().parents[2] / "data"
CHEST = DATA / "dicom" / "966_fixed.dcm"


@pytest.fixture(autouse=True)
def _only_inspect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMANDS", {"inspect": "carzero_viewer.commands.inspect"})


def test_inspect_prints_metadata_and_pipeline_and_writes_pngs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    display, model, crop = tmp_path / "display.png", tmp_path / "model.png", tmp_path / "crop.png"
    code = cli.main(
        [
            "inspect",
            str(CHEST),
            "--save-display",
            str(display),
            "--save-model-input",
            str(model),
            "--save-model-crop",
            str(crop),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "MONOCHROME1 -> inverted after VOI" in out
    assert "modality: DX" in out
    assert "pixel spacing: 0.16 x 0.16 mm" in out
    ds = pydicom.dcmread(CHEST, stop_before_pixels=True)
    assert str(ds.PatientID) not in out
    assert str(ds.PatientName) not in out
    written_display = cv2.imread(str(display), cv2.IMREAD_UNCHANGED)
    written_model = cv2.imread(str(model), cv2.IMREAD_UNCHANGED)
    assert written_display.shape == (2128, 2000)
    assert written_model.dtype == np.uint8
    # Lungs (upper left/right) darker than the spine in both renderings: not inverted.
    for image in (written_display, written_model):
        lungs = image[700:1000, 450:650].mean()
        spine = image[900:1200, 950:1050].mean()
        assert lungs < spine
    assert cv2.imread(str(crop), cv2.IMREAD_UNCHANGED).shape == (224, 224)


def test_inspect_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["inspect", str(DATA / "cxr" / "00001369_000.png"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["metadata"]["format"] == "PNG"
    assert report["model_input_rule"].startswith("official OpenCV grayscale decode")
    assert len(report["content_hash"]) == 64


def test_inspect_failure_is_one_line_and_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.dcm"
    bad.write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\xff\x7f")
    code = cli.main(["inspect", str(bad)])
    err = capsys.readouterr().err
    assert code != 0
    assert err.count("\n") == 1
    assert str(bad) in err
