"""Copying source attributes: valid values unchanged, unambiguous fixes, everything else dropped with a note."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom import config
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from carzero_viewer.export.dicom_sc import PATIENT_STUDY_KEYWORDS, secondary_capture, write_secondary_capture
from carzero_viewer.export.dicom_source import SourceAttributes, SourceNote, vm_allows

DICOM = Path(__file__).resolve().parents[2] / "data" / "dicom"


def raw_bytes(values: dict[str, bytes]) -> bytes:
    """A DICOM file (explicit VR little endian) holding ``values`` exactly as given.

    pydicom refuses (or warns about) invalid values when they are assigned, so hostile values are encoded by
    hand and read back, which is also how they arrive from a user's file.
    """
    meta = Dataset()
    meta.file_meta = FileMetaDataset()
    meta.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.file_meta.MediaStorageSOPClassUID = "1.2.3"
    meta.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, meta, enforce_file_format=True)
    elements = []
    for keyword, value in sorted(values.items(), key=lambda item: tag_for_keyword(item[0]) or 0):
        tag = tag_for_keyword(keyword)
        assert tag is not None
        padded = value + b" " * (len(value) % 2)
        header = struct.pack("<HH", tag >> 16, tag & 0xFFFF) + dictionary_VR(tag).encode()
        elements.append(header + struct.pack("<H", len(padded)) + padded)
    return buffer.getvalue() + b"".join(elements)


def raw_source(values: dict[str, bytes]) -> Dataset:
    return pydicom.dcmread(io.BytesIO(raw_bytes(values)))


def _notes(attributes: SourceAttributes) -> dict[str, SourceNote]:
    return {note.keyword: note for note in attributes.notes}


def test_valid_source_values_are_copied_unchanged() -> None:
    source = pydicom.dcmread(DICOM / "RG1_J2KI.dcm", stop_before_pixels=True)
    attributes = SourceAttributes(source)
    target = Dataset()
    attributes.copy_to(target, PATIENT_STUDY_KEYWORDS)
    assert attributes.notes == []
    present = [k for k in PATIENT_STUDY_KEYWORDS if k in source]
    assert present and [k for k in PATIENT_STUDY_KEYWORDS if k in target] == present
    for keyword in present:
        assert target[keyword].value == source[keyword].value, keyword


def test_real_files_invalid_values_are_dropped_and_named() -> None:
    """The two chest files of issue 11: a 56-character Accession Number (and date) and an age without unit."""
    hashed = SourceAttributes(pydicom.dcmread(DICOM / "966_fixed.dcm", stop_before_pixels=True))
    assert hashed.get("AccessionNumber") is None and hashed.get("PatientBirthDate") is None
    assert hashed.get("PatientName") is not None  # 56 characters is valid for PN (64 per group)
    assert [str(note) for note in hashed.notes] == [
        "AccessionNumber dropped: 56 bytes where SH allows 16",
        "PatientBirthDate dropped: not a valid DA value",
    ]
    siim = next(DICOM.glob("SIIM_*.dcm"))
    aged = SourceAttributes(pydicom.dcmread(siim, stop_before_pixels=True))
    assert aged.get("PatientAge") is None  # no birth date to tell years from months, weeks or days
    assert [str(note) for note in aged.notes] == [
        "PatientAge dropped: a number without its unit (D, W, M or Y)"
    ]


HOSTILE = {
    "AccessionNumber": (b"A" * 17, "17 bytes where SH allows 16"),
    "StudyID": (b"ab\x01c", "contains control characters not allowed in SH"),
    "PatientName": (b"a=b=c=d", "4 component groups where PN allows 3"),
    "ReferringPhysicianName": (b"a^b^c^d^e^f", "more than 5 name components"),
    "PatientSex": (b"MALE", "not M, F or O"),
    "PatientOrientation": (b"A", "1 values where the dictionary allows 2"),
    "SeriesNumber": (b"99999999999", "outside the signed 32-bit range of IS"),
    "StudyDate": (b"20200101-20200202", "a DA range (query syntax), not a value"),
    "StudyTime": (b"25", "not a valid TM value"),
    "StudyInstanceUID": (b"1.2.03.4", "not a valid UI value"),
    "PatientSize": (b"1.7e", "not a valid DS value"),
    "ImageLaterality": (b"X", "not R, L, U or B"),
    "StudyDescription": ("é".encode("latin-1") * 40, "80 bytes where LO allows 64"),
}


@pytest.mark.parametrize("keyword", sorted(HOSTILE))
def test_invalid_values_are_dropped_with_a_reason_that_never_holds_the_value(keyword: str) -> None:
    raw, reason = HOSTILE[keyword]
    source = raw_source({"SpecificCharacterSet": b"ISO_IR 100", keyword: raw})
    attributes = SourceAttributes(source)
    assert attributes.get(keyword) is None
    assert attributes.notes == [SourceNote(keyword, "dropped", reason)]
    text = raw.decode("latin-1").rstrip()
    assert text not in str(attributes.notes[0])


def test_unambiguous_fixes() -> None:
    source = raw_source(
        {
            "PatientSex": b"m",
            "BodyPartExamined": b"chest",
            "PatientAge": b"62",
            "PatientBirthDate": b"19400305",
            "StudyDate": b"20020826",  # 62 full years after the birth date
        }
    )
    attributes = SourceAttributes(source)
    assert attributes.get("PatientSex") == "M" and attributes.get("BodyPartExamined") == "CHEST"
    assert attributes.get("PatientAge") == "062Y"
    assert [(n.keyword, n.action) for n in attributes.notes] == [
        ("PatientSex", "fixed"),
        ("BodyPartExamined", "fixed"),
        ("PatientAge", "fixed"),
    ]


def test_an_age_the_dates_do_not_confirm_is_dropped() -> None:
    source = raw_source({"PatientAge": b"62", "PatientBirthDate": b"19400305", "StudyDate": b"20020304"})
    attributes = SourceAttributes(source)
    assert attributes.get("PatientAge") is None  # 61 full years: 62 may be months, or a typo
    assert [(n.keyword, n.action) for n in attributes.notes] == [("PatientAge", "dropped")]


def test_empty_and_multi_valued_values() -> None:
    source = raw_source({"PatientID": b"", "PatientOrientation": b"L\\F", "AccessionNumber": b"a\\b"})
    attributes = SourceAttributes(source)
    assert attributes.get("PatientID") == ""
    assert attributes.get("PatientOrientation") == ["L", "F"]
    assert attributes.get("AccessionNumber") is None
    assert attributes.get("IssuerOfPatientID") is None  # absent: no note
    assert [str(n) for n in attributes.notes] == [
        "AccessionNumber dropped: 2 values where the dictionary allows 1"
    ]


def _with_other_ids(patient_id: str) -> Dataset:
    item = Dataset()
    with config.disable_value_validation():  # a hostile value, as a user's file may hold it
        item.PatientID = patient_id
    item.TypeOfPatientID = "TEXT"
    source = Dataset()
    source.OtherPatientIDsSequence = [item]
    return source


def test_a_sequence_is_copied_whole_or_dropped() -> None:
    valid = SourceAttributes(_with_other_ids("X" * 64))
    target = Dataset()
    valid.copy_to(target, ["OtherPatientIDsSequence"])
    assert target.OtherPatientIDsSequence[0].PatientID == "X" * 64 and valid.notes == []
    invalid = SourceAttributes(_with_other_ids("X" * 65))
    assert invalid.get("OtherPatientIDsSequence") is None
    assert [str(n) for n in invalid.notes] == [
        "OtherPatientIDsSequence dropped: PatientID in it: 65 bytes where LO allows 64"
    ]


@pytest.mark.parametrize(
    ("vm", "count", "allowed"),
    [("1", 1, True), ("1", 2, False), ("2", 1, False), ("1-n", 5, True), ("2-2n", 3, False), ("2-2n", 4, True),
     ("1-3", 4, False), ("3-3n", 6, True)],
)  # fmt: skip
def test_vm_allows(vm: str, count: int, allowed: bool) -> None:
    assert vm_allows(vm, count) is allowed


def test_a_capture_of_a_hostile_source_has_zero_dciodvfy_errors(
    tmp_path: Path, dciodvfy: Callable[[Path], list[str]]
) -> None:
    values = {keyword: raw for keyword, (raw, _) in HOSTILE.items()}
    values.update({"SpecificCharacterSet": b"ISO_IR 100", "PatientAge": b"62", "Modality": b"cr"})
    source = tmp_path / "hostile.dcm"
    source.write_bytes(raw_bytes(values))
    capture = secondary_capture(source, np.zeros((8, 8, 3), np.uint8), "x")
    assert {n.keyword for n in capture.notes} == {*HOSTILE, "PatientAge", "Modality"}
    assert capture.dataset.Modality == "CR"
    assert dciodvfy(write_secondary_capture(tmp_path / "sc.dcm", capture.dataset)) == []
