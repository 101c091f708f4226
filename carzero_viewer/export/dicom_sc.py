"""DICOM output: the rendered figure as a Secondary Capture image in a new series of the source's study.

The Secondary Capture (SOP class 1.2.840.10008.5.1.4.1.1.7, RGB, explicit VR little endian) gets new Series
and SOP Instance UIDs, while the Patient and General Study attributes are copied from the source so a PACS
files it with the original study. Patient identity is copied because the archive needs it to match the study;
it is never logged, printed or put in an error message by this module.

Source values pass :class:`~carzero_viewer.export.dicom_source.SourceAttributes`: a value invalid for its VR
is fixed when the fix is unambiguous or dropped, and each fix or drop comes back as a note (attribute and
reason, no value) in :attr:`SecondaryCapture.notes`. A source without a valid Study Instance UID gets a new
one (noted): the capture then starts its own study for the same patient.

The object is marked as derived and non-diagnostic: Image Type ``DERIVED\\SECONDARY``, Derivation
Description, Image Comments "Not for diagnostic use", Burned In Annotation ``YES`` (the legend is burned in),
Conversion Type ``WSD`` (workstation). It references the source image in Source Image Sequence. Attributes
of the source image that still hold for the capture (the figure is the source image at full resolution, not
flipped or rotated, with the legend below it) are carried over when valid: Body Part Examined, Patient
Orientation (Type 2C: empty when unknown) and the laterality, as Image Laterality. Image Laterality is always
sent, empty when the source gives none, so the General Series condition on Laterality (required for a paired
body part unless Image Laterality is sent) holds for every body part without guessing which ones are paired.
Before it is written it is checked: every element's value against its VR (the same checks as the source
values), the file meta information with ``validate_file_meta``, a write with ``enforce_file_format=True``,
and a read-back; the tests run ``dciodvfy`` (dicom3tools) on the output and require zero errors.
"""

from __future__ import annotations

import datetime as _dt
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset, validate_file_meta
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    ExplicitVRLittleEndian,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from carzero_viewer import APP_NAME, __version__
from carzero_viewer.errors import CarzeroError, ImageLoadError
from carzero_viewer.export.dicom_source import (
    IS_RANGE,
    OUTPUT_ENCODING,
    TEXT_VRS,
    SourceAttributes,
    SourceNote,
    value_texts,
    values_problem,
)
from carzero_viewer.files import write_bytes_atomic
from carzero_viewer.imaging.detect import FileKind, detect
from carzero_viewer.imaging.dicom import read_dataset
from carzero_viewer.untrusted import require_regular_file

NOT_FOR_DIAGNOSTIC_USE = "Not for diagnostic use. Research software: AI attention overlay, not a finding."
SERIES_NUMBER_OFFSET = 1000
DERIVATION_DESCRIPTION_BYTES = 1024  # ST
SERIES_DESCRIPTION_BYTES = 64  # LO

# Patient module, Patient Study module (subset) and General Study module, copied when valid.
PATIENT_STUDY_KEYWORDS = (
    "PatientName",
    "PatientID",
    "IssuerOfPatientID",
    "PatientBirthDate",
    "PatientSex",
    "OtherPatientIDsSequence",
    "PatientAge",
    "PatientSize",
    "PatientWeight",
    "StudyDate",
    "StudyTime",
    "ReferringPhysicianName",
    "StudyID",
    "AccessionNumber",
    "StudyDescription",
)
# Type 2 attributes of those modules: present, empty when the source has no valid value.
TYPE_2_KEYWORDS = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "ReferringPhysicianName",
    "StudyDate",
    "StudyTime",
    "StudyID",
    "AccessionNumber",
)


class DicomExportError(CarzeroError):
    """The source cannot serve as the study for a Secondary Capture, or the result failed validation."""


@dataclass(frozen=True)
class SecondaryCapture:
    """A Secondary Capture dataset and the notes on the source attributes that were fixed or dropped."""

    dataset: Dataset
    notes: tuple[SourceNote, ...]


def read_source(source_path: Path) -> Dataset:
    """The source dataset, read the way the viewer opens DICOM (by content, with or without preamble)."""
    require_regular_file(source_path, DicomExportError, "source DICOM")
    try:
        kind = detect(source_path)
        if kind is not FileKind.DICOM:
            raise DicomExportError(f"the source is {kind}, not DICOM", source_path)
        return read_dataset(source_path)
    except ImageLoadError as exc:
        raise DicomExportError(f"cannot read the source DICOM: {exc.reason}", source_path) from exc


def clip_text(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` UTF-8 bytes, never inside a character (DICOM limits count bytes)."""
    return text.encode(OUTPUT_ENCODING)[:max_bytes].decode(OUTPUT_ENCODING, errors="ignore")


def secondary_capture(
    source_path: str | Path,
    rgb: npt.NDArray[np.uint8],
    description: str,
    series_description: str = f"{APP_NAME} overlay (not for diagnostic use)",
    now: _dt.datetime | None = None,
) -> SecondaryCapture:
    """Build the Secondary Capture for ``rgb`` (``(H, W, 3)`` uint8) in the study of ``source_path``.

    Args:
        source_path: the DICOM file the figure was made from.
        rgb: the rendered figure.
        description: Derivation Description: what the figure shows (prompt, map, model), cut to 1024 bytes.
        series_description: Series Description of the new series, cut to 64 bytes.
        now: creation time (tests); default: the current local time.
    """
    source_path = Path(source_path)
    image = np.ascontiguousarray(rgb, dtype=np.uint8)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected (H, W, 3) uint8, got {image.shape}")
    attributes = SourceAttributes(read_source(source_path))
    stamp = now or _dt.datetime.now()

    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    copy_patient_and_study(attributes, ds)
    sop_uid = generate_uid()
    _set_series_and_capture(
        attributes, ds, sop_uid, clip_text(series_description, SERIES_DESCRIPTION_BYTES), stamp
    )
    ds.DerivationDescription = clip_text(description, DERIVATION_DESCRIPTION_BYTES)
    _set_pixels(ds, image)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = f"CARZERO_{__version__}"[:16]
    ds.file_meta = meta
    return SecondaryCapture(ds, tuple(attributes.notes))


def copy_patient_and_study(attributes: SourceAttributes, ds: Dataset) -> None:
    """Patient and General Study modules from the source; Type 2 attributes present, empty when unknown."""
    attributes.copy_to(ds, PATIENT_STUDY_KEYWORDS)
    for keyword in TYPE_2_KEYWORDS:
        if keyword not in ds:
            setattr(ds, keyword, "")
    study_uid = attributes.get("StudyInstanceUID")
    if not study_uid:
        study_uid = generate_uid()
        reason = "missing or invalid in the source: a new study UID was generated"
        attributes.note("StudyInstanceUID", "replaced", reason)
    ds.StudyInstanceUID = study_uid


def series_number(attributes: SourceAttributes, offset: int = SERIES_NUMBER_OFFSET) -> int:
    """The source's series number plus ``offset`` (just the offset when that overflows IS).

    Each kind of derived object has its own offset, so its series sorts apart from the source's.
    """
    source = attributes.get("SeriesNumber")
    number = (int(source) if source else 0) + offset
    return number if IS_RANGE[0] <= number <= IS_RANGE[1] else offset


def _set_series_and_capture(
    attributes: SourceAttributes, ds: Dataset, sop_uid: str, series_description: str, stamp: _dt.datetime
) -> None:
    """General Series, SC Equipment, General/SC Image and SOP Common attributes of the new object."""
    date, time = stamp.strftime("%Y%m%d"), stamp.strftime("%H%M%S")
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.Modality = attributes.get("Modality") or "OT"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = series_number(attributes)
    ds.SeriesDescription = series_description
    ds.SeriesDate, ds.SeriesTime = date, time
    attributes.copy_to(ds, ("BodyPartExamined",))
    ds.InstanceNumber = 1
    ds.ContentDate, ds.ContentTime = date, time
    ds.InstanceCreationDate, ds.InstanceCreationTime = date, time
    ds.PatientOrientation = attributes.get("PatientOrientation") or ""
    ds.ImageLaterality = attributes.get("ImageLaterality") or attributes.get("Laterality") or ""
    ds.ConversionType = "WSD"
    ds.DateOfSecondaryCapture, ds.TimeOfSecondaryCapture = date, time
    ds.SecondaryCaptureDeviceManufacturer = APP_NAME[:64]
    ds.SecondaryCaptureDeviceManufacturerModelName = APP_NAME[:64]
    ds.SecondaryCaptureDeviceSoftwareVersions = __version__
    ds.Manufacturer = APP_NAME[:64]
    ds.ImageType = ["DERIVED", "SECONDARY"]
    ds.ImageComments = NOT_FOR_DIAGNOSTIC_USE
    ds.BurnedInAnnotation = "YES"
    ds.RecognizableVisualFeatures = "NO"
    if attributes.get("LossyImageCompression") == "01":
        ds.LossyImageCompression = "01"
    sop_class, sop_instance = attributes.get("SOPClassUID"), attributes.get("SOPInstanceUID")
    if sop_class and sop_instance:
        reference = Dataset()
        reference.ReferencedSOPClassUID = sop_class
        reference.ReferencedSOPInstanceUID = sop_instance
        ds.SourceImageSequence = DicomSequence([reference])


def _set_pixels(ds: Dataset, image: npt.NDArray[np.uint8]) -> None:
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 0
    ds.Rows, ds.Columns = int(image.shape[0]), int(image.shape[1])
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    ds.PixelRepresentation = 0
    ds.PixelData = image.tobytes()


def validate(ds: Dataset) -> None:
    """Check the file meta information and every element's value with the source-value checks.

    Raises:
        DicomExportError: naming the attribute (never its value, which may be patient identity).
    """
    try:
        validate_file_meta(ds.file_meta, enforce_standard=True)
    except (ValueError, AttributeError) as exc:
        raise DicomExportError(f"invalid file meta information ({exc})") from exc
    for element in ds.iterall():
        if element.VR not in TEXT_VRS:  # sequences are walked by iterall; binary values are ours
            continue
        problem = values_problem(element.keyword, element.VR, value_texts(element.value))
        if problem is not None:
            raise DicomExportError(
                f"invalid value for {element.keyword or element.tag} ({element.VR}): {problem}"
            )


def dicom_bytes(ds: Dataset) -> bytes:
    """Validate, encode with ``enforce_file_format=True`` and read back; the encoded file."""
    validate(ds)
    buffer = io.BytesIO()
    try:
        pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
        data = buffer.getvalue()
        check = pydicom.dcmread(io.BytesIO(data))
        if check.SOPInstanceUID != ds.SOPInstanceUID or len(check.PixelData) != len(ds.PixelData):
            raise DicomExportError("the written object does not read back identically")
    except (ValueError, AttributeError, TypeError, pydicom.errors.InvalidDicomError) as exc:
        raise DicomExportError(f"cannot encode the Secondary Capture ({type(exc).__name__})") from exc
    return data


def write_secondary_capture(path: str | Path, ds: Dataset, force: bool = False) -> Path:
    """Validate and write ``ds`` atomically as a DICOM file (never overwrites without ``force``)."""
    return write_bytes_atomic(path, dicom_bytes(ds), force)
