"""The applicability check: each rule on a synthetic DICOM changed in one attribute, the real files, the CLI.

Every synthetic case starts from a frontal chest DX (``make_chest_dicom``) that the check calls ok, so a
reason can only come from the one attribute the case changes.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from carzero_viewer import cli
from carzero_viewer.imaging import Applicability, check_applicability, load_image
from carzero_viewer.imaging.applicability import MAX_QUOTED
from tests.unit.imaging.conftest import CXR_DIR, DICOM_DIR, MakeDicom

SIIM = next(DICOM_DIR.glob("SIIM_*.dcm"))
# Lower-case Code Strings break the standard but occur in real files; pydicom warns when one is written.
LOWER_CASE_CS = pytest.mark.filterwarnings("ignore:Invalid value for VR CS:UserWarning")


def reasons_of(path: Path, frame: int = 0) -> tuple[str, ...]:
    return check_applicability(load_image(path, frame=frame)).reasons


def test_a_frontal_chest_radiograph_is_ok(make_chest_dicom: MakeDicom) -> None:
    result = check_applicability(load_image(make_chest_dicom()))
    assert result == Applicability(ok=True, reasons=())


@LOWER_CASE_CS
@pytest.mark.parametrize("modality", ["CR", "DX", "DR", "dx"])
def test_radiograph_modalities_are_ok(make_chest_dicom: MakeDicom, modality: str) -> None:
    assert reasons_of(make_chest_dicom(Modality=modality)) == ()


@pytest.mark.parametrize(
    ("modality", "expected"),
    [
        ("MR", "Modality is MR (magnetic resonance), not a radiograph"),
        ("CT", "Modality is CT (computed tomography), not a radiograph"),
        ("XC", "Modality is XC, not a radiograph"),
        ("OT", "Modality is OT (other), so it cannot be confirmed as a radiograph"),
        ("SC", "Modality is SC (secondary capture), so it cannot be confirmed as a radiograph"),
        (None, "does not give its Modality"),
    ],
)
def test_other_modalities_warn(make_chest_dicom: MakeDicom, modality: str | None, expected: str) -> None:
    (reason,) = reasons_of(make_chest_dicom(Modality=modality))
    assert expected in reason
    assert "trained on frontal chest radiographs" in reason


@LOWER_CASE_CS
@pytest.mark.parametrize(
    "body_part", ["CHEST", "chest", "Thorax", "LUNGS", "CHEST_ABDOMEN", "TORAX", None, ""]
)
def test_chest_or_absent_body_part_is_ok(make_chest_dicom: MakeDicom, body_part: str | None) -> None:
    assert reasons_of(make_chest_dicom(BodyPartExamined=body_part)) == ()


@LOWER_CASE_CS
@pytest.mark.parametrize("body_part", ["HIP", "EXTREMITY", "skull", "TSPINE"])
def test_other_body_parts_warn(make_chest_dicom: MakeDicom, body_part: str) -> None:
    (reason,) = reasons_of(make_chest_dicom(BodyPartExamined=body_part))
    assert f"body part examined is {body_part}, not the chest" in reason


@LOWER_CASE_CS
@pytest.mark.parametrize("view", ["LL", "RL", "LATERAL", "lat"])
def test_lateral_view_position_warns(make_chest_dicom: MakeDicom, view: str) -> None:
    (reason,) = reasons_of(make_chest_dicom(ViewPosition=view))
    assert f"view position is {view} (lateral)" in reason


@pytest.mark.parametrize("orientation", [["A", "F"], ["P", "F"], ["PH", "FA"], ["F", "A"], ["A", "H"]])
def test_sagittal_patient_orientation_warns_without_view_position(
    make_chest_dicom: MakeDicom, orientation: list[str]
) -> None:
    (reason,) = reasons_of(make_chest_dicom(ViewPosition=None, PatientOrientation=orientation))
    text = "\\".join(orientation)
    assert f"patient orientation {text} means a lateral view" in reason


def test_a_lateral_is_reported_once_when_both_attributes_say_so(make_chest_dicom: MakeDicom) -> None:
    (reason,) = reasons_of(make_chest_dicom(ViewPosition="LL", PatientOrientation=["P", "F"]))
    assert "view position is LL" in reason


@pytest.mark.parametrize(
    ("view", "orientation"), [("AP", ["R", "F"]), ("PA", ["L", "F"]), (None, ["L", "F"]), (None, None)]
)
def test_frontal_or_unknown_view_is_ok(
    make_chest_dicom: MakeDicom, view: str | None, orientation: list[str] | None
) -> None:
    path = make_chest_dicom(ViewPosition=view, PatientOrientation=orientation)
    assert reasons_of(path) == ()


def test_patient_orientation_is_kept_in_the_metadata(make_chest_dicom: MakeDicom) -> None:
    record = load_image(make_chest_dicom(PatientOrientation=["A", "F"]))
    assert record.metadata["patient_orientation"] == "A\\F"


@pytest.mark.parametrize("photometric", ["RGB", "YBR_FULL"])
def test_colour_dicom_warns(make_chest_dicom: MakeDicom, photometric: str) -> None:
    (reason,) = reasons_of(make_chest_dicom(shape=(256, 256, 3), photometric=photometric))
    assert f"the image is in colour ({photometric})" in reason


@pytest.mark.parametrize(("rows", "columns"), [(223, 512), (512, 100), (64, 64)])
def test_smaller_than_the_crop_warns(make_chest_dicom: MakeDicom, rows: int, columns: int) -> None:
    (reason,) = reasons_of(make_chest_dicom(shape=(rows, columns)))
    assert f"the image is {columns}x{rows} pixels, smaller than the model's 224x224 input" in reason


def test_exactly_the_crop_size_is_ok(make_chest_dicom: MakeDicom) -> None:
    assert reasons_of(make_chest_dicom(shape=(224, 224))) == ()


def test_multi_frame_warns_and_names_the_scored_frame(make_chest_dicom: MakeDicom) -> None:
    path = make_chest_dicom(shape=(3, 256, 256), frames=3)
    (reason,) = reasons_of(path, frame=2)
    assert "the file has 3 frames (cine or multi-frame)" in reason
    assert "only frame 3 is scored" in reason


def test_reasons_come_in_rule_order(make_chest_dicom: MakeDicom) -> None:
    path = make_chest_dicom(
        shape=(2, 100, 100, 3), frames=2, Modality="US", BodyPartExamined="ABDOMEN", ViewPosition="RL"
    )
    starts = (
        "Modality is US",
        "body part examined is ABDOMEN",
        "view position is RL",
        "the image is in colour",
        "the image is 100x100 pixels",
        "the file has 2 frames",
    )
    reasons = reasons_of(path)
    assert len(reasons) == len(starts)
    for reason, start in zip(reasons, starts, strict=True):
        assert reason.startswith(start)


def write_png(path: Path, pixels: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), pixels)
    return path


def test_raster_files_get_only_the_size_and_colour_checks(tmp_path: Path) -> None:
    grey = np.full((300, 300), 128, np.uint8)
    assert reasons_of(write_png(tmp_path / "grey.png", grey)) == ()
    (small,) = reasons_of(write_png(tmp_path / "small.png", grey[:100, :200]))
    assert "the image is 200x100 pixels" in small
    colour = np.zeros((300, 300, 3), np.uint8)
    colour[:, :, 2] = 200
    (coloured,) = reasons_of(write_png(tmp_path / "colour.png", colour))
    assert "the image is in colour (RGB)" in coloured


def test_grey_valued_colour_raster_is_ok(tmp_path: Path) -> None:
    grey_rgb = np.repeat(np.arange(300 * 300, dtype=np.uint64).reshape(300, 300, 1) % 256, 3, axis=2)
    assert reasons_of(write_png(tmp_path / "grey_rgb.png", grey_rgb.astype(np.uint8))) == ()


def test_ok_and_reasons_cannot_disagree() -> None:
    with pytest.raises(ValueError, match="ok exactly when"):
        Applicability(ok=True, reasons=("a reason",))
    with pytest.raises(ValueError, match="ok exactly when"):
        Applicability(ok=False, reasons=())
    assert Applicability(ok=False, reasons=("x",)).to_json() == {"ok": False, "reasons": ["x"]}


# The real files (what pydicom reads from each is listed in tests/data/dicom/README.md and the report):
# (file, ok, one fragment per expected reason).
REAL_FILES: list[tuple[Path, bool, tuple[str, ...]]] = [
    (DICOM_DIR / "966_fixed.dcm", True, ()),
    (DICOM_DIR / "RG1_J2KI.dcm", True, ()),
    (SIIM, True, ()),
    (DICOM_DIR / "RG2_JPLL.dcm", False, ("body part examined is HIP",)),
    (DICOM_DIR / "RG2_JPLY_fixed.dcm", False, ("body part examined is HIP",)),
    (DICOM_DIR / "RG3_J2KR.dcm", False, ("body part examined is EXTREMITY",)),
    (
        DICOM_DIR / "emri_small.dcm",
        False,
        ("Modality is MR", "body part examined is HEAD", "64x64 pixels", "10 frames"),
    ),
    (DICOM_DIR / "mlut_18.dcm", False, ("Modality is OT (other)",)),
    (DICOM_DIR / "vlut_04.dcm", False, ("Modality is OT (other)",)),
    *((png, True, ()) for png in sorted(CXR_DIR.glob("*.png"))),
]


@pytest.mark.parametrize(("path", "ok", "fragments"), REAL_FILES, ids=lambda v: getattr(v, "name", None))
def test_real_files(path: Path, ok: bool, fragments: tuple[str, ...]) -> None:
    result = check_applicability(load_image(path))
    assert result.ok is ok
    assert len(result.reasons) == len(fragments)
    for reason, fragment in zip(result.reasons, fragments, strict=True):
        assert fragment in reason


@pytest.fixture
def only_inspect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMANDS", {"inspect": "carzero_viewer.commands.inspect"})


@pytest.mark.usefixtures("only_inspect")
@pytest.mark.parametrize("name", ["emri_small.dcm", "966_fixed.dcm"])
def test_inspect_json_reports_the_same_check(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = DICOM_DIR / name
    assert cli.main(["inspect", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    expected = check_applicability(load_image(path))
    assert report["applicability"] == {"ok": expected.ok, "reasons": list(expected.reasons)}
    assert report["applicability"]["ok"] is (name == "966_fixed.dcm")


@pytest.mark.usefixtures("only_inspect")
def test_inspect_text_prints_the_warning(capsys: pytest.CaptureFixture[str]) -> None:
    path = DICOM_DIR / "emri_small.dcm"
    assert cli.main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Applicability: WARNING" in out
    for reason in check_applicability(load_image(path)).reasons:
        assert f"  - {reason}\n" in out
    assert cli.main(["inspect", str(DICOM_DIR / "966_fixed.dcm")]) == 0
    assert "Applicability: ok" in capsys.readouterr().out


def test_values_quoted_from_the_file_stay_one_short_line(make_chest_dicom: MakeDicom) -> None:
    record = load_image(make_chest_dicom(BodyPartExamined="PELVIS"))
    hostile = dataclasses.replace(
        record, metadata={**record.metadata, "body_part": "LEFT\nKNEE " + "X" * 5000, "modality": "Q" * 100}
    )
    reasons = check_applicability(hostile).reasons
    assert reasons[0].startswith(f"Modality is {'Q' * (MAX_QUOTED - 3)}..., not a radiograph")
    assert reasons[1].startswith("body part examined is LEFT KNEE XXX")
    assert all("\n" not in r and len(r) < MAX_QUOTED + 120 for r in reasons)


def test_per_frame_patient_orientation_of_an_enhanced_object(make_chest_dicom: MakeDicom) -> None:
    import pydicom
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    path = make_chest_dicom(shape=(2, 256, 256), frames=2, ViewPosition=None, PatientOrientation=None)
    ds = pydicom.dcmread(path)
    groups = []
    for orientation in (["L", "F"], ["A", "F"]):
        item, group = Dataset(), Dataset()
        item.PatientOrientation = orientation
        group.PatientOrientationInFrameSequence = Sequence([item])
        groups.append(group)
    ds.PerFrameFunctionalGroupsSequence = Sequence(groups)
    ds.save_as(path)
    assert not any("lateral" in r for r in reasons_of(path, frame=0))
    assert any("patient orientation A\\F means a lateral view" in r for r in reasons_of(path, frame=1))
