"""``export --format sr,dcm-map,dcm`` on the tiny untrained model: valid objects in the source's study, the
calibrated values and the grounding metrics where they apply, PNG inputs skipped with a note."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest

from carzero_viewer.calibration import (
    CalibrationProfile,
    FindingCalibration,
    Provenance,
    calibrate_finding,
    write_profile,
)
from carzero_viewer.calibration.fitting import sigmoid
from carzero_viewer.checksums import sha256_file
from carzero_viewer.cli import main
from carzero_viewer.export.dicom_map import BANDS

DATA = Path(__file__).resolve().parents[2] / "data"
WEIGHTS = DATA / "carzero-tiny"
PNG = WEIGHTS / "image.png"
DICOM = DATA / "dicom" / "RG1_J2KI.dcm"
CARDIOMEGALY = "There is cardiomegaly."
BOX = (100, 200, 900, 1000)  # x1, y1, x2, y2 in the radiograph's pixels


def _profile(path: Path) -> Path:
    """A profile for the tiny weights that calibrates the prompt ``CARDIOMEGALY`` (and nothing else)."""
    rng = np.random.default_rng(0)
    scores = rng.normal(0.0, 2.0, 200)
    labels = rng.random(200) < sigmoid(scores)
    fitted = calibrate_finding(CARDIOMEGALY, (CARDIOMEGALY,), scores, labels, n_boot=20)
    assert isinstance(fitted, FindingCalibration)
    provenance = Provenance(
        sha256_file(WEIGHTS / "checkpoint.ckpt"), True, "l.csv", "imgs", 200, "2026-01-01T00:00:00+00:00",
        "1", 5, 20, 0, 10, 10,
    )  # fmt: skip
    return write_profile(path, CalibrationProfile(provenance, {CARDIOMEGALY: fitted}))


def test_sr_and_map_objects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dciodvfy: Callable[[Path], list[str]]
) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    shutil.copy(DICOM, folder / DICOM.name)
    x1, y1, x2, y2 = BOX
    (folder / "boxes.csv").write_text(
        f"image,label,x1,y1,x2,y2\n{DICOM.name},Cardiomegaly,{x1},{y1},{x2},{y2}\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    arguments = [
        "export", str(PNG), str(folder / DICOM.name), "--weights", str(WEIGHTS), "--device", "cpu",
        "--prompt", CARDIOMEGALY, "--prompt", "effusion", "--out", str(out), "--format", "sr,dcm-map,dcm",
        "--calibration", str(_profile(tmp_path / "profile.json")),
    ]  # fmt: skip
    assert main(arguments) == 0
    captured = capsys.readouterr()
    assert sorted(Path(p).name for p in captured.out.split()) == [
        "RG1_J2KI__effusion.dcm",
        "RG1_J2KI__effusion__map.dcm",
        "RG1_J2KI__sr.dcm",
        "RG1_J2KI__there-is-cardiomegaly.dcm",
        "RG1_J2KI__there-is-cardiomegaly__map.dcm",
    ]  # nothing for the PNG, which has no study to join
    assert "note: dcm, sr, dcm-map output is written for DICOM inputs only" in captured.err
    for path in out.iterdir():
        assert dciodvfy(path) == [], path.name

    source = pydicom.dcmread(DICOM, stop_before_pixels=True)
    sr = hd.sr.srread(out / "RG1_J2KI__sr.dcm")
    assert sr.StudyInstanceUID == source.StudyInstanceUID and "UNTRAINED" in sr.SeriesDescription
    cardiomegaly, effusion = sr.content.get_image_measurement_groups()
    assert cardiomegaly.tracking_identifier == CARDIOMEGALY and effusion.tracking_identifier == "effusion"
    names = {m.name.value for m in cardiomegaly.get_measurements()}
    assert {"raw-score", "probability", "pointing-game", "miou"} <= names  # calibrated, and it has a box
    assert [q.name.meaning for q in cardiomegaly.get_qualitative_evaluations()] == [
        "Above operating point youden"
    ]
    assert {m.name.value for m in effusion.get_measurements()} == {"raw-score"}  # not calibrated, no box
    [region] = sr.content.get_planar_roi_measurement_groups()
    assert region.roi is not None
    np.testing.assert_array_equal(region.roi.value[0], [x1, y1])

    for name in ("there-is-cardiomegaly", "effusion"):
        seg = hd.seg.segread(out / f"RG1_J2KI__{name}__map.dcm")
        assert seg.StudyInstanceUID == source.StudyInstanceUID and seg.number_of_segments == BANDS
        assert seg.SourceImageSequence[0].ReferencedSOPInstanceUID == source.SOPInstanceUID
