"""The source image as highdicom sees it: validated study attributes for the SR and map objects we derive.

highdicom builds a derived object (SR, Segmentation) from its source datasets: it copies their Patient,
Patient Study and General Study modules and references their SOP Class, SOP Instance, Series and Study UIDs.
Handing it the user's file as read would copy values invalid for their VR (see
:mod:`carzero_viewer.export.dicom_source`) into our output, so it gets :class:`SourceStudy` instead: a
dataset holding only what the Secondary Capture would copy (:func:`~carzero_viewer.export.dicom_sc.
copy_patient_and_study`: Patient and General Study modules, validated, fixed or dropped with notes, Type 2
attributes empty when unknown) plus the source image's identifiers and size. Every derived object thus
carries exactly the patient and study modules of the Secondary Capture and is filed in the same study.

A source without a valid Study Instance UID gets a new one, as for the Secondary Capture (noted). A source
without valid SOP Class, SOP Instance and Series Instance UIDs is refused: a derived object must reference
the image it was made from.

The module also holds what every derived object shares once highdicom has built it: the declaration of our
private coding scheme and the validated, read-back encoding.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.sr.coding import Code

from carzero_viewer import APP_NAME
from carzero_viewer.export.dicom_sc import (
    DicomExportError,
    copy_patient_and_study,
    read_source,
    series_number,
    validate,
)
from carzero_viewer.export.dicom_source import SourceAttributes, SourceNote

PRIVATE_SCHEME = "99CARZERO"  # private coding scheme designators start with "99" (PS3.16 section 8.2)
PRIVATE_SCHEME_NAME = f"{APP_NAME} codes for zero-shot vision-language results"
UCUM_NO_UNIT = Code("1", "UCUM", "no units")
IMAGE_KEYWORDS = ("Modality", "PatientOrientation", "ImageLaterality", "Laterality", "BodyPartExamined")
# Frame of Reference and plane geometry of a cross-sectional source (CT, MR): a segmentation of an image with
# a frame of reference must give its plane in that frame. Radiographs have none of these.
GEOMETRY_KEYWORDS = (
    "FrameOfReferenceUID",
    "PositionReferenceIndicator",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "PixelSpacing",
    "SliceThickness",
)
REQUIRED_UIDS = ("SOPClassUID", "SOPInstanceUID", "SeriesInstanceUID")
US_MAX = 65535


def private_code(value: str, meaning: str) -> Code:
    """A concept of our private coding scheme (meaning cut to the 64 characters of Code Meaning)."""
    return Code(value, PRIVATE_SCHEME, meaning[:64])


@dataclass(frozen=True)
class SourceStudy:
    """The validated source for highdicom, and what it takes to place a derived object beside it.

    Attributes:
        dataset: Patient, Patient Study and General Study attributes (validated), the source image's SOP
            Class, SOP Instance, Series and Study Instance UIDs, Modality, Rows/Columns, Number of Frames (1
            when absent) and, for a cross-sectional image, its frame of reference and plane geometry.
        notes: source attributes fixed, dropped or replaced (keyword and reason, never the value).
        attributes: the checked source values (series number, laterality, orientation).
    """

    dataset: Dataset
    notes: tuple[SourceNote, ...]
    attributes: SourceAttributes

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, columns)`` of the source image in pixels."""
        return int(self.dataset.Rows), int(self.dataset.Columns)

    def series_number(self, offset: int) -> int:
        """The new series' number: the source's plus ``offset`` (one offset per kind of object)."""
        return series_number(self.attributes, offset)

    def patient_orientation(self) -> str | list[str]:
        """Patient Orientation of the source when valid, else empty (Type 2C in General Image)."""
        value = self.attributes.get("PatientOrientation")
        return value if value else ""


def source_study(source_path: str | Path) -> SourceStudy:
    """Read ``source_path`` (a DICOM image) and keep what a derived object may copy from it.

    Raises:
        DicomExportError: the file is not DICOM, cannot be read, has no valid identifiers or no image size.
    """
    source_path = Path(source_path)
    source = read_source(source_path)
    attributes = SourceAttributes(source)
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    copy_patient_and_study(attributes, ds)
    missing = [keyword for keyword in REQUIRED_UIDS if not attributes.get(keyword)]
    if missing:
        raise DicomExportError(
            f"the source has no valid {', '.join(missing)}: a derived object cannot reference it", source_path
        )
    attributes.copy_to(ds, (*REQUIRED_UIDS, *IMAGE_KEYWORDS))
    if attributes.get("FrameOfReferenceUID"):  # radiographs have none (and some a Pixel Spacing of 0)
        attributes.copy_to(ds, GEOMETRY_KEYWORDS)
    ds.Modality = attributes.get("Modality") or "OT"
    rows, columns = source.get("Rows"), source.get("Columns")
    if not all(isinstance(n, int) and 0 < n <= US_MAX for n in (rows, columns)):
        raise DicomExportError("the source has no valid Rows and Columns (image size)", source_path)
    ds.Rows, ds.Columns = rows, columns
    frames = attributes.get("NumberOfFrames")
    ds.NumberOfFrames = int(frames) if frames else 1
    return SourceStudy(ds, tuple(attributes.notes), attributes)


@contextmanager
def quiet_library() -> Iterator[None]:
    """Silence highdicom's and pydicom's warnings while an object is built: they quote attribute values
    (a patient name judged odd), and identity must never reach the terminal or a log. The values they
    judge were validated already (:class:`SourceStudy`), and the result is validated again when encoded."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@contextmanager
def library_errors(what: str) -> Iterator[None]:
    """Turn highdicom's refusal to build an object into a :class:`DicomExportError` naming the object and the
    exception type only (its message may quote a source value)."""
    try:
        yield
    except (ValueError, TypeError, AttributeError, KeyError, RuntimeError) as exc:
        raise DicomExportError(
            f"highdicom cannot build the {what} from this source ({type(exc).__name__})"
        ) from exc


def declare_private_scheme(ds: Dataset) -> None:
    """Coding Scheme Identification Sequence naming :data:`PRIVATE_SCHEME`, as PS3.3 C.12.1 asks of a
    private scheme used in the object."""
    item = Dataset()
    item.CodingSchemeDesignator = PRIVATE_SCHEME
    item.CodingSchemeName = PRIVATE_SCHEME_NAME
    item.CodingSchemeResponsibleOrganization = APP_NAME
    ds.CodingSchemeIdentificationSequence = DicomSequence([item])


def encoded(ds: Dataset, what: str, read_back: Callable[[BinaryIO], object]) -> bytes:
    """Validate ``ds`` (every text value against its VR), encode it and check that ``read_back`` parses it.

    Args:
        ds: the highdicom object.
        what: the object's name for error messages ("Structured Report").
        read_back: highdicom's reader for the object's kind, given the encoded file; any error it raises
            means the object is not what we meant to write.

    Raises:
        DicomExportError: naming the invalid attribute (never its value) or the failed read-back.
    """
    validate(ds)
    buffer = io.BytesIO()
    try:
        pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    except (ValueError, AttributeError, TypeError) as exc:
        raise DicomExportError(f"cannot encode the {what} ({type(exc).__name__})") from exc
    data = buffer.getvalue()
    try:
        read_back(io.BytesIO(data))
    except Exception as exc:  # highdicom's parsers raise many types; the message may quote values
        raise DicomExportError(
            f"the {what} does not read back with highdicom ({type(exc).__name__})"
        ) from exc
    return data
