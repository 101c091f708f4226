"""DICOM output: the rendered figure as a Secondary Capture image in a new series of the source's study.

The Secondary Capture (SOP class 1.2.840.10008.5.1.4.1.1.7, RGB, explicit VR little endian) gets new Series
and SOP Instance UIDs, while the Patient and General Study modules are copied from the source so a PACS files
it with the original study. Patient identity is copied because the archive needs it to match the study; it is
never logged, printed or put in an error message by this module.

The object is marked as derived and non-diagnostic: Image Type ``DERIVED\\SECONDARY``, Derivation Description,
Image Comments "Not for diagnostic use", Burned In Annotation ``YES`` (the legend is burned in), Conversion
Type ``WSD`` (workstation). It references the source image in Source Image Sequence. Before it is written it
is checked with pydicom: every element's value against its VR, the file meta information with
``validate_file_meta``, a write with ``enforce_file_format=True``, and a read-back.
"""

from __future__ import annotations

import datetime as _dt
import io
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
from pydicom.valuerep import validate_value

from carzero_viewer import APP_NAME, __version__
from carzero_viewer.errors import CarzeroError
from carzero_viewer.files import write_bytes_atomic

NOT_FOR_DIAGNOSTIC_USE = "Not for diagnostic use. Research software: AI attention overlay, not a finding."
SERIES_NUMBER_OFFSET = 1000

# Patient module, Patient Study module (subset) and General Study module: copied as they are.
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
    "StudyInstanceUID",
    "StudyDate",
    "StudyTime",
    "ReferringPhysicianName",
    "StudyID",
    "AccessionNumber",
    "StudyDescription",
)


class DicomExportError(CarzeroError):
    """The source cannot serve as the study for a Secondary Capture, or the result failed validation."""


def _read_source(source_path: Path) -> Dataset:
    try:
        return pydicom.dcmread(source_path, stop_before_pixels=True)
    except (OSError, pydicom.errors.InvalidDicomError) as exc:
        raise DicomExportError(f"cannot read the source DICOM ({type(exc).__name__})", source_path) from exc


def secondary_capture(
    source_path: str | Path,
    rgb: npt.NDArray[np.uint8],
    description: str,
    series_description: str = f"{APP_NAME} overlay (not for diagnostic use)",
    now: _dt.datetime | None = None,
) -> Dataset:
    """Build the Secondary Capture dataset for ``rgb`` (``(H, W, 3)`` uint8) in the study of ``source_path``.

    Args:
        source_path: the DICOM file the figure was made from.
        rgb: the rendered figure.
        description: Derivation Description: what the figure shows (prompt, map, model), max 1024 chars.
        series_description: Series Description of the new series.
        now: creation time (tests); default: the current local time.
    """
    source_path = Path(source_path)
    image = np.ascontiguousarray(rgb, dtype=np.uint8)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected (H, W, 3) uint8, got {image.shape}")
    source = _read_source(source_path)
    if "StudyInstanceUID" not in source:
        raise DicomExportError("the source has no Study Instance UID", source_path)
    stamp = now or _dt.datetime.now()

    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    _copy_patient_and_study(source, ds)
    sop_uid = generate_uid()
    _set_series_and_capture(source, ds, sop_uid, series_description, stamp)
    ds.DerivationDescription = description[:1024]
    _set_pixels(ds, image)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = f"CARZERO_{__version__}"[:16]
    ds.file_meta = meta
    return ds


def _copy_patient_and_study(source: Dataset, ds: Dataset) -> None:
    """Patient and General Study modules from the source; missing type-2 attributes present but empty."""
    for keyword in PATIENT_STUDY_KEYWORDS:
        if keyword in source:
            ds[keyword] = source[keyword]
    for keyword in (
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "PatientSex",
        "ReferringPhysicianName",
        "StudyDate",
        "StudyTime",
        "StudyID",
        "AccessionNumber",
    ):
        if keyword not in ds:
            setattr(ds, keyword, "")


def _set_series_and_capture(
    source: Dataset, ds: Dataset, sop_uid: str, series_description: str, stamp: _dt.datetime
) -> None:
    """General Series, SC Equipment, General/SC Image and SOP Common attributes of the new object."""
    date, time = stamp.strftime("%Y%m%d"), stamp.strftime("%H%M%S")
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.Modality = str(source.get("Modality", "OT")) or "OT"
    ds.SeriesInstanceUID = generate_uid()
    try:
        source_series = int(source.get("SeriesNumber", 0) or 0)
    except (TypeError, ValueError):
        source_series = 0
    ds.SeriesNumber = source_series + SERIES_NUMBER_OFFSET
    ds.SeriesDescription = series_description[:64]
    ds.SeriesDate, ds.SeriesTime = date, time
    ds.InstanceNumber = 1
    ds.ContentDate, ds.ContentTime = date, time
    ds.InstanceCreationDate, ds.InstanceCreationTime = date, time
    ds.PatientOrientation = ""
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
    if str(source.get("LossyImageCompression", "")) == "01":
        ds.LossyImageCompression = "01"
    if "SOPClassUID" in source and "SOPInstanceUID" in source:
        reference = Dataset()
        reference.ReferencedSOPClassUID = source.SOPClassUID
        reference.ReferencedSOPInstanceUID = source.SOPInstanceUID
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
    """Check every element value against its VR and the file meta information; raises on the first error.

    Raises:
        DicomExportError: naming the attribute (never its value, which may be patient identity).
    """
    try:
        validate_file_meta(ds.file_meta, enforce_standard=True)
    except (ValueError, AttributeError) as exc:
        raise DicomExportError(f"invalid file meta information ({exc})") from exc
    for element in ds.iterall():
        if element.VR in ("SQ", "OB", "OW", "UN") or element.value is None:
            continue
        values = element.value if element.VM > 1 else [element.value]
        for value in values:
            # pydicom's validators check the text form of IS/DS/PN (what is written to the file).
            text = str(value) if element.VR in ("IS", "DS", "PN") else value
            try:
                validate_value(element.VR, text, pydicom.config.RAISE)
            except ValueError as exc:
                raise DicomExportError(
                    f"invalid value for {element.keyword or element.tag} ({element.VR})"
                ) from exc


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
