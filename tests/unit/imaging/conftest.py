"""Shared fixtures for the imaging tests: paths of the real sample files and a synthetic DICOM writer.

Synthetic files are written with pydicom so each pipeline rule (rescale, presets, functions, inversion,
colour, transfer syntaxes) can be checked against a value computed by hand; the real files check that the
rules hold on what scanners actually produce.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
DICOM_DIR = DATA / "dicom"
CXR_DIR = DATA / "cxr"
SECRET_PATIENT_ID = "SECRET-ID-0042"
SECRET_PATIENT_NAME = "Doe^Jane"

MakeDicom = Callable[..., Path]
T = TypeVar("T")


def run_with_timeout(call: Callable[[], T], fifo: Path, seconds: float = 5.0) -> T:
    """``call()`` in a thread; fail (instead of hanging the suite) when it blocks longer than ``seconds``.

    A reader blocked on ``fifo`` is released afterwards by opening the FIFO's write end, so the thread ends.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(seconds)
        pytest.fail(f"blocked for more than {seconds} s on the FIFO {fifo}")
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


def write_dicom(
    path: Path,
    pixels: np.ndarray,
    *,
    syntax: str = "1.2.840.10008.1.2.1",
    preamble: bool = True,
    photometric: str | None = None,
    bits_stored: int | None = None,
    frames: int | None = None,
    **attributes: Any,
) -> Path:
    """Write a minimal but valid DX image (frames along axis 0 when ``frames`` is given)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import RLELossless, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1" if syntax == RLELossless else syntax
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "DX"
    ds.PatientName = SECRET_PATIENT_NAME
    ds.PatientID = SECRET_PATIENT_ID
    ds.PatientBirthDate = "19700101"
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    colour = pixels.ndim == (4 if frames else 3)
    ds.Rows, ds.Columns = pixels.shape[-3:-1] if colour else pixels.shape[-2:]
    if frames:
        ds.NumberOfFrames = frames
    ds.SamplesPerPixel = 3 if colour else 1
    ds.PhotometricInterpretation = photometric or ("RGB" if colour else "MONOCHROME2")
    if colour:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = pixels.dtype.itemsize * 8
    ds.BitsStored = bits_stored or ds.BitsAllocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if pixels.dtype.kind == "i" else 0
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    if syntax == RLELossless:
        ds.compress(RLELossless)
    if preamble:
        ds.preamble = b"\0" * 128
        ds.save_as(path, enforce_file_format=True)
    else:
        del ds.file_meta
        ds.save_as(path, implicit_vr=True, little_endian=True)
    return path


def write_float_dicom(path: Path, values: np.ndarray, **attributes: Any) -> Path:
    """A Float Pixel Data (7FE0,0008) image: no Bits Stored / Pixel Representation, as the standard has it."""
    import pydicom

    write_dicom(path, np.ascontiguousarray(values, dtype=np.float32).view(np.uint32), **attributes)
    ds = pydicom.dcmread(path)
    del ds.PixelData, ds.BitsStored, ds.HighBit, ds.PixelRepresentation
    ds.FloatPixelData = np.ascontiguousarray(values, dtype=np.float32).tobytes()
    ds.save_as(path)
    return path


@pytest.fixture
def make_dicom(tmp_path: Path) -> MakeDicom:
    """``make_dicom(pixels, name="x.dcm", **kw)`` writes a synthetic DICOM into ``tmp_path``."""

    def _make(pixels: np.ndarray, name: str = "synthetic.dcm", **kwargs: Any) -> Path:
        return write_dicom(tmp_path / name, pixels, **kwargs)

    return _make


# What a frontal chest radiograph says about itself: the starting point the applicability tests change one
# attribute of at a time.
FRONTAL_CHEST: dict[str, Any] = {
    "Modality": "DX",
    "BodyPartExamined": "CHEST",
    "ViewPosition": "PA",
    "PatientOrientation": ["L", "F"],
}


@pytest.fixture
def make_chest_dicom(make_dicom: MakeDicom) -> MakeDicom:
    """``make_chest_dicom(shape=(256, 256), **attributes)``: a frontal chest DX with ``attributes`` overriding it.

    ``shape`` is (rows, columns) or (rows, columns, 3) for colour; an attribute given as None is removed.
    """

    def _make(shape: tuple[int, ...] = (256, 256), name: str = "chest.dcm", **attributes: Any) -> Path:
        merged = {**FRONTAL_CHEST, **attributes}
        pixels = np.arange(int(np.prod(shape)), dtype=np.uint64).reshape(shape) % 251
        path = make_dicom(pixels.astype(np.uint8), name, **{k: v for k, v in merged.items() if v is not None})
        if any(v is None for v in merged.values()):
            import pydicom

            ds = pydicom.dcmread(path)
            for keyword in (k for k, v in merged.items() if v is None and k in ds):
                delattr(ds, keyword)
            ds.save_as(path)
        return path

    return _make
