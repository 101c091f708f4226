"""A folder opened as a study list: recursive scan (or DICOMDIR), sorted the way a PACS lists images.

Only headers are read (``stop_before_pixels``), so a CD with hundreds of images lists in seconds. Sorting is
by patient, study, series and instance for DICOM (dates and numbers before UIDs, because UIDs do not sort in
acquisition order); raster images follow in natural path order. The patient is used for grouping only, as a
short one-way hash: :class:`StudyEntry` holds no patient identity, so the list can be logged and shown safely.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.imaging.detect import FileKind, is_candidate_name, sniff
from carzero_viewer.imaging.dicom_meta import first_float, text
from carzero_viewer.untrusted import read_bytes

_log = logging.getLogger(__name__)

# A scan stops after this many files so that opening "/" by mistake cannot hang the app.
MAX_FILES = 20_000
# Only this much of each file is parsed while listing (the tags a list needs come before the pixels).
HEADER_LIMIT = 4 * 1024 * 1024
IMAGE_KINDS = frozenset({FileKind.DICOM, FileKind.PNG, FileKind.JPEG, FileKind.TIFF, FileKind.BMP})


@dataclass(frozen=True)
class StudyEntry:
    """One openable file of a study list (no PHI).

    Attributes:
        path: the file.
        kind: detected format.
        patient_key: short hash grouping files of the same patient ("" for raster images).
        study_date: YYYYMMDD or "".
        study_uid / series_uid: grouping keys ("" for raster images).
        series_number / instance_number: ordering numbers (0 when absent).
        modality / series_description / frames: for the list's labels.
    """

    path: Path
    kind: FileKind
    patient_key: str = ""
    study_date: str = ""
    study_uid: str = ""
    series_uid: str = ""
    series_number: int = 0
    instance_number: int = 0
    modality: str = ""
    series_description: str = ""
    frames: int = 1

    def sort_key(self) -> tuple[Any, ...]:
        """Patient / study / series / instance for DICOM, then raster files by natural path order."""
        is_raster = self.kind is not FileKind.DICOM
        return (
            is_raster,
            self.patient_key,
            self.study_date,
            self.study_uid,
            self.series_number,
            self.series_uid,
            self.instance_number,
            _natural(str(self.path)),
        )


def _natural(value: str) -> tuple[Any, ...]:
    """'img2' < 'img10'."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", value))


def _dicom_entry(path: Path) -> StudyEntry | None:
    import pydicom

    from carzero_viewer.imaging.budget import check_deflated

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with path.open("rb") as handle:
                head = handle.read(HEADER_LIMIT)  # from memory: damaged lengths cannot allocate gigabytes
            check_deflated(head, path)  # 4 MB of deflate could still inflate to 4 GB
            ds = pydicom.dcmread(io.BytesIO(head), force=True, stop_before_pixels=True)
            if "DirectoryRecordSequence" in ds:
                return None
            patient = text(ds.get("PatientID")) + "|" + text(ds.get("PatientName"))
            return StudyEntry(
                path=path,
                kind=FileKind.DICOM,
                patient_key=hashlib.sha256(patient.encode("utf-8", "replace")).hexdigest()[:12],
                study_date=text(ds.get("StudyDate")),
                study_uid=text(ds.get("StudyInstanceUID")),
                series_uid=text(ds.get("SeriesInstanceUID")),
                series_number=int(first_float(ds.get("SeriesNumber"), 0)),
                instance_number=int(first_float(ds.get("InstanceNumber"), 0)),
                modality=text(ds.get("Modality")),
                series_description=text(ds.get("SeriesDescription")),
                frames=max(1, int(first_float(ds.get("NumberOfFrames"), 1))),
            )
    except Exception:
        # An unreadable header just leaves the file out of the list; opening it directly reports why.
        return None


def _entry(path: Path) -> StudyEntry | None:
    try:
        with path.open("rb") as handle:
            head = handle.read(132)
    except OSError:
        return None
    kind = sniff(head)
    if kind not in IMAGE_KINDS:
        return None
    if kind is FileKind.DICOM:
        return _dicom_entry(path)
    return StudyEntry(path=path, kind=kind)


def _referenced_path(dicomdir: Path, file_id: Any) -> Path | None:
    """The file a Referenced File ID names next to ``dicomdir``, or None when it would leave that folder.

    PS3.10 8.5 makes a File ID a list of plain components relative to the DICOMDIR's folder; ``..``, ``.``,
    empty components, separators, drive letters or absolute paths are not components, and a symbolic link
    must not lead out of the folder either.
    """
    parts = [str(file_id)] if isinstance(file_id, str) else [str(part) for part in file_id]
    if not parts or any(part.strip() in ("", ".", "..") or any(c in part for c in "/\\:") for part in parts):
        return None
    candidate = dicomdir.parent.joinpath(*parts)
    return candidate if candidate.resolve().is_relative_to(dicomdir.parent.resolve()) else None


def _dicomdir_files(dicomdir: Path) -> list[Path]:
    """Regular files referenced by a DICOMDIR's records that lie inside its folder.

    A File ID that points elsewhere (``../x``, ``/etc/passwd``, a link out of the folder) is skipped with a
    warning naming the DICOMDIR and the ID: a study list must never show files from outside what was opened.
    """
    import pydicom

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(io.BytesIO(read_bytes(dicomdir, ImageLoadError, "DICOMDIR")), force=True)
            records = ds.get("DirectoryRecordSequence") or []
            out: list[Path] = []
            for record in records:
                file_id = record.get("ReferencedFileID")
                if file_id is None:
                    continue
                candidate = _referenced_path(dicomdir, file_id)
                if candidate is None:
                    _log.warning(
                        "%s: Referenced File ID %r leaves the folder; skipped", dicomdir, str(file_id)
                    )
                elif candidate.is_file():
                    out.append(candidate)
            return out
    except Exception:
        return []


def _walk(folder: Path) -> list[Path]:
    found: list[Path] = []
    for path in sorted(folder.rglob("*")):
        if len(found) >= MAX_FILES:
            break
        if path.is_file() and path.name.upper() != "DICOMDIR" and is_candidate_name(path):
            found.append(path)
    return found


def scan_folder(folder: str | Path) -> list[StudyEntry]:
    """List the openable images under ``folder``, sorted patient/study/series/instance.

    Uses the DICOMDIR at the folder root when it references existing files, otherwise scans recursively.

    Raises:
        ImageLoadError: ``folder`` is not a readable folder.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ImageLoadError("is not a folder", root)
    dicomdir = next((p for p in (root / "DICOMDIR", root / "dicomdir") if p.is_file()), None)
    paths = _dicomdir_files(dicomdir) if dicomdir is not None else []
    try:
        candidates = paths or _walk(root)
    except OSError as exc:
        raise ImageLoadError(f"cannot list the folder ({exc.strerror or exc})", root) from exc
    entries = [e for e in (_entry(p) for p in candidates) if e is not None]
    return sorted(entries, key=StudyEntry.sort_key)
