"""The DICOM Secondary Capture of a rendered figure, in the source's study."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import validate_file_meta
from pydicom.uid import SecondaryCaptureImageStorage

from carzero_viewer.export.dicom_sc import (
    NOT_FOR_DIAGNOSTIC_USE,
    DicomExportError,
    secondary_capture,
    write_secondary_capture,
)
from carzero_viewer.files import WriteError
from carzero_viewer.imaging import SourceFormat, load_image

DATA = Path(__file__).resolve().parents[2] / "data"
DICOM = DATA / "dicom" / "RG1_J2KI.dcm"
# From the pydicom wheel (offline): CT, MR, ultrasound YBR colour, an RGB Secondary Capture, a file without a
# Study Instance UID and a big-endian file whose study date and time are invalid.
PYDICOM_SOURCES = (
    "CT_small.dcm",
    "MR_small.dcm",
    "examples_ybr_color.dcm",
    "SC_rgb_jpeg_dcmtk.dcm",
    "JPEGLSNearLossless_08.dcm",
    "ExplVR_BigEnd.dcm",
)
SOURCES = [*sorted((DATA / "dicom").glob("*.dcm")), *(Path(get_testdata_file(n)) for n in PYDICOM_SOURCES)]


def _figure() -> npt.NDArray[np.uint8]:
    rgb = np.zeros((96, 64, 3), np.uint8)
    rgb[..., 0] = np.arange(64, dtype=np.uint8)[None, :] * 4
    rgb[40:50, 10:20] = (0, 255, 0)
    return rgb


def test_secondary_capture_reopens_in_pydicom_and_the_app(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = pydicom.dcmread(DICOM, stop_before_pixels=True)
    rgb = _figure()
    capture = secondary_capture(DICOM, rgb, "prompt map for 'There is cardiomegaly.'")
    assert capture.notes == ()
    ds = capture.dataset
    path = write_secondary_capture(tmp_path / "sc.dcm", ds)

    back = pydicom.dcmread(path)
    validate_file_meta(back.file_meta, enforce_standard=True)
    assert back.SOPClassUID == SecondaryCaptureImageStorage
    assert back.file_meta.MediaStorageSOPClassUID == SecondaryCaptureImageStorage
    assert back.StudyInstanceUID == source.StudyInstanceUID
    assert back.SeriesInstanceUID != source.SeriesInstanceUID
    assert back.SOPInstanceUID != source.SOPInstanceUID
    assert back.file_meta.MediaStorageSOPInstanceUID == back.SOPInstanceUID
    assert back.PatientID == source.PatientID and back.PatientName == source.PatientName
    assert list(back.ImageType) == ["DERIVED", "SECONDARY"]
    assert back.ImageComments == NOT_FOR_DIAGNOSTIC_USE
    assert back.BurnedInAnnotation == "YES" and back.ConversionType == "WSD"
    assert "cardiomegaly" in back.DerivationDescription
    assert back.SourceImageSequence[0].ReferencedSOPInstanceUID == source.SOPInstanceUID
    np.testing.assert_array_equal(back.pixel_array, rgb)

    record = load_image(path)
    assert record.source_format is SourceFormat.DICOM and record.is_color
    assert record.shape == rgb.shape[:2]
    np.testing.assert_array_equal(record.pixels, rgb.astype(np.float32))  # lossless: exact
    assert capsys.readouterr() == ("", "")  # nothing printed (patient identity never leaves the file)

    with pytest.raises(WriteError):
        write_secondary_capture(path, ds)


def test_each_capture_gets_new_uids() -> None:
    first = secondary_capture(DICOM, _figure(), "a").dataset
    second = secondary_capture(DICOM, _figure(), "b").dataset
    assert first.SeriesInstanceUID != second.SeriesInstanceUID
    assert first.SOPInstanceUID != second.SOPInstanceUID


def test_non_dicom_source_is_refused() -> None:
    with pytest.raises(DicomExportError):
        secondary_capture(DATA / "carzero-tiny" / "image.png", _figure(), "x")


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.name)
def test_every_capture_has_zero_dciodvfy_errors(
    source: Path, tmp_path: Path, dciodvfy: Callable[[Path], list[str]]
) -> None:
    """dicom3tools' IOD validator on the Secondary Capture of every test DICOM (warnings may remain)."""
    capture = secondary_capture(source, _figure(), "prompt map for 'Il y a un épanchement.' " * 40)
    path = write_secondary_capture(tmp_path / "sc.dcm", capture.dataset)
    assert dciodvfy(path) == []


def test_source_without_a_valid_study_uid_starts_a_new_study() -> None:
    source = Path(get_testdata_file("JPEGLSNearLossless_08.dcm"))
    capture = secondary_capture(source, _figure(), "x")
    assert [(n.keyword, n.action) for n in capture.notes] == [("StudyInstanceUID", "replaced")]
    assert capture.dataset.StudyInstanceUID


def test_laterality_is_carried_as_image_laterality() -> None:
    hip = secondary_capture(DATA / "dicom" / "RG3_J2KR.dcm", _figure(), "x").dataset  # Laterality R
    assert hip.ImageLaterality == "R" and "Laterality" not in hip and hip.BodyPartExamined == "EXTREMITY"
    assert list(hip.PatientOrientation) == ["R", "F"]
    unknown = secondary_capture(DATA / "dicom" / "RG2_JPLL.dcm", _figure(), "x").dataset  # HIP, no laterality
    assert unknown.ImageLaterality == "" and unknown.PatientOrientation == ""
