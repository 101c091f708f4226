"""Content detection and folder scans (recursive and DICOMDIR), sorted patient/study/series/instance."""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.imaging import FileKind, detect, scan_folder
from carzero_viewer.imaging.detect import sniff
from tests.unit.imaging.conftest import run_with_timeout

DATA = Path(__file__).resolve().parents[2] / "data"
PIXELS = np.arange(16 * 16, dtype=np.uint16).reshape(16, 16)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\0" * 128 + b"DICM", FileKind.DICOM),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, FileKind.PNG),
        (b"\xff\xd8\xff\xe1" + b"\0" * 20, FileKind.JPEG),
        (b"II*\x00" + b"\0" * 20, FileKind.TIFF),
        (b"MM\x00*" + b"\0" * 20, FileKind.TIFF),
        (b"BM" + b"\0" * 40, FileKind.BMP),
        (b"\x08\x00\x05\x00CS\x0a\x00ISO_IR 100", FileKind.DICOM),  # bare explicit VR
        (b"\x08\x00\x16\x00\x1a\x00\x00\x001.2.840", FileKind.DICOM),  # bare implicit VR
        (b"\x08\x00\x16\x00\xff\xff\xff\x7f", FileKind.UNKNOWN),  # implausible length
        (b"%PDF-1.7", FileKind.UNKNOWN),
        (b"\xff\x4f\xff\x51", FileKind.JPEG2000),
    ],
)
def test_sniff(head: bytes, kind: FileKind) -> None:
    assert sniff(head) is kind


def test_detect_real_files_regardless_of_name(tmp_path: Path) -> None:
    copy = tmp_path / "no_extension"
    shutil.copy(DATA / "dicom" / "emri_small.dcm", copy)
    assert detect(copy) is FileKind.DICOM
    assert detect(DATA / "cxr" / "00000001_000.png") is FileKind.PNG
    (tmp_path / "empty.dcm").write_bytes(b"")
    with pytest.raises(ImageLoadError, match="empty"):
        detect(tmp_path / "empty.dcm")


def _instance(
    make_dicom: Any, name: str, study_date: str, series: int, instance: int, study_uid: str
) -> Path:
    return make_dicom(
        PIXELS,
        name=name,
        PatientID="P1",
        StudyDate=study_date,
        StudyTime="120000",
        StudyID="1",
        StudyInstanceUID=study_uid,
        SeriesInstanceUID=f"{study_uid}.{series}",
        SeriesNumber=series,
        InstanceNumber=instance,
    )


def test_recursive_scan_sorts_by_study_series_instance(make_dicom: Any, tmp_path: Path) -> None:
    root = tmp_path / "cd"
    (root / "a" / "b").mkdir(parents=True)
    made = {
        "late-s1-i2": _instance(make_dicom, "z1.dcm", "20240102", 1, 2, "1.2.3.2"),
        "early-s2-i1": _instance(make_dicom, "z2", "20240101", 2, 1, "1.2.3.1"),
        "early-s1-i10": _instance(make_dicom, "z3.dcm", "20240101", 1, 10, "1.2.3.1"),
        "early-s1-i2": _instance(make_dicom, "z4.dcm", "20240101", 1, 2, "1.2.3.1"),
    }
    destinations = {
        "late-s1-i2": "a/IM1",
        "early-s2-i1": "a/b/IM2",
        "early-s1-i10": "IM3",
        "early-s1-i2": "a/IM4",
    }
    for key, path in made.items():
        shutil.move(path, root / destinations[key])
    shutil.copy(DATA / "cxr" / "00000001_000.png", root / "a" / "x.png")
    (root / "notes.txt").write_text("not an image")
    (root / "zero").write_bytes(b"")
    (root / "junk").write_bytes(b"\x00\x01garbage")
    entries = scan_folder(root)
    order = [str(e.path.relative_to(root)) for e in entries]
    assert order == ["a/IM4", "IM3", "a/b/IM2", "a/IM1", "a/x.png"]
    assert entries[0].instance_number == 2
    assert entries[-1].kind is FileKind.PNG
    # No patient identity in the entries.
    assert all("SECRET" not in repr(e) and "Doe" not in repr(e) for e in entries)
    assert len({e.patient_key for e in entries[:4]}) == 1


def _write_dicomdir(folder: Path, file_ids: list[list[str]]) -> Path:
    """A DICOMDIR in ``folder`` with one IMAGE record per Referenced File ID (written as given)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence

    records = []
    for file_id in file_ids:
        record = Dataset()
        record.DirectoryRecordType = "IMAGE"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # hostile File IDs are invalid CS values on purpose
            record.ReferencedFileID = file_id
        records.append(record)
    dicomdir = Dataset()
    dicomdir.file_meta = FileMetaDataset()
    dicomdir.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.1.3.10"
    dicomdir.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4.5"
    dicomdir.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    dicomdir.DirectoryRecordSequence = Sequence(records)
    dicomdir.preamble = b"\0" * 128
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # hostile File IDs are invalid CS values on purpose
        dicomdir.save_as(folder / "DICOMDIR", enforce_file_format=True)
    return folder / "DICOMDIR"


def test_dicomdir_lists_its_referenced_files(make_dicom: Any, tmp_path: Path) -> None:
    out = tmp_path / "media"
    (out / "DIR1").mkdir(parents=True)
    file_ids = []
    for series, instance in [(2, 1), (1, 5), (1, 3)]:
        name = f"IM{series}{instance}"
        path = _instance(make_dicom, name, "20240101", series, instance, "1.2.3.9")
        shutil.move(path, out / "DIR1" / name)
        file_ids.append(["DIR1", name])
    _write_dicomdir(out, file_ids)
    (out / "stray.dcm").write_bytes((DATA / "dicom" / "emri_small.dcm").read_bytes())  # not in the index
    entries = scan_folder(out)
    assert [(e.series_number, e.instance_number) for e in entries] == [(1, 3), (1, 5), (2, 1)]


def test_dicomdir_never_lists_files_outside_its_folder(
    make_dicom: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "media"
    out.mkdir()
    outside = _instance(make_dicom, "outside.dcm", "20240101", 1, 1, "1.2.3.9")  # in tmp_path, next to media/
    shutil.move(_instance(make_dicom, "IM1", "20240101", 1, 2, "1.2.3.9"), out / "IM1")
    (out / "LINK").symlink_to(outside)
    hostile = [["..", "outside.dcm"], [str(outside)], ["/etc/passwd"], ["LINK"], ["SUB/../../outside.dcm"]]
    dicomdir = _write_dicomdir(out, [["IM1"], *hostile])
    with caplog.at_level(logging.WARNING, logger="carzero_viewer.imaging.study"):
        entries = scan_folder(out)
    assert [e.path for e in entries] == [out / "IM1"]
    messages = [r.getMessage() for r in caplog.records if r.name == "carzero_viewer.imaging.study"]
    assert len(messages) == len(hostile)
    assert all(str(dicomdir) in m and "leaves the folder" in m for m in messages)
    assert any("/etc/passwd" in m for m in messages)


def test_scan_does_not_block_on_a_fifo(make_dicom: Any, tmp_path: Path) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    shutil.move(_instance(make_dicom, "IM1", "20240101", 1, 1, "1.2.3.9"), folder / "IM1")
    os.mkfifo(folder / "IM2")
    entries = run_with_timeout(lambda: scan_folder(folder), folder / "IM2")
    assert [e.path.name for e in entries] == ["IM1"]


def test_scan_of_a_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x")
    with pytest.raises(ImageLoadError, match="not a folder"):
        scan_folder(tmp_path / "f")
