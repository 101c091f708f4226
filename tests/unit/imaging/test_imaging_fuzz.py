"""Property: whatever bytes a file holds, ``load_image`` returns a record or raises ImageLoadError, quickly.

Seeds are real small samples (multi-frame MR, 8-bit JPEG-baseline chest, a PNG, JPEG-LS and JPEG 2000 MR
from the pydicom wheel) plus a synthetic RLE file and small JPEG, TIFF, BMP and 16-bit PNG/TIFF files made
from a chest PNG; mutations are bit flips, truncation, chunk overwrites, structural edits through pydicom
(deleted tags, absurd dimensions, wrong VR) and the header mutations of ``benchmarks/imaging_seeds.py``
(SIZ/SOF/SOF55 fields, segment and JP2 box lengths, PNG IHDR, TIFF IFD, BMP header), which
``benchmarks/fuzz_imaging.py`` runs on thousands of inputs in subprocesses with a timeout and a memory cap.
"""

from __future__ import annotations

import io
import struct
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.imaging_seeds import header_mutation, pydicom_seeds, raster_seeds
from carzero_viewer.errors import ImageLoadError
from carzero_viewer.imaging import load_image

DATA = Path(__file__).resolve().parents[2] / "data"
SIIM = "SIIM_1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm"
STRUCTURAL_TAGS = [
    "Rows",
    "Columns",
    "BitsAllocated",
    "BitsStored",
    "HighBit",
    "PixelRepresentation",
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "NumberOfFrames",
    "WindowCenter",
    "WindowWidth",
    "RescaleSlope",
    "PixelData",
]


def _rle_seed() -> bytes:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import RLELossless

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    ds.Rows, ds.Columns, ds.SamplesPerPixel = 32, 24, 1
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.WindowCenter, ds.WindowWidth = "1000", "800"
    ds.PixelData = (np.arange(32 * 24, dtype=np.uint16) * 5).tobytes()
    ds.compress(RLELossless)
    ds.preamble = b"\0" * 128
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


SEEDS: list[bytes] = [
    (DATA / "dicom" / "emri_small.dcm").read_bytes(),
    (DATA / "dicom" / SIIM).read_bytes(),
    (DATA / "cxr" / "00000001_000.png").read_bytes(),
    _rle_seed(),
    *(data for _, data in pydicom_seeds()),
    *(data for _, data in raster_seeds(size=64)),
]


def _structural(seed: bytes, tag: str, action: str, value: int) -> bytes:
    ds = pydicom.dcmread(io.BytesIO(seed), force=True)
    if tag not in ds:
        return seed
    elem = ds[tag]
    if action == "delete":
        del ds[tag]
    elif action == "absurd":
        if elem.VR in ("US", "SS"):
            elem.value = value % 65536 if elem.VR == "US" else value % 32768 - (value >> 20) % 2 * 32768
        elif elem.VR in ("IS", "DS"):
            elem.value = str(value)
        elif elem.VR in ("OB", "OW"):
            elem.value = bytes(value % 97)
        else:
            elem.value = "X" * (value % 7)
    else:  # wrong VR: the same value bytes written under another VR
        elem.VR = ["US", "SS", "DS", "LO", "OB", "FL"][value % 6]
    buffer = io.BytesIO()
    try:
        ds.save_as(buffer)
    except Exception:  # the mutation cannot even be written: fall back to a raw overwrite of the seed
        return seed[:200] + bytes(8) + seed[208:]
    return buffer.getvalue()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    seed = SEEDS[draw(st.integers(0, len(SEEDS) - 1))]
    kind = draw(st.sampled_from(["flip", "truncate", "overwrite", "structural", "header"]))
    data = bytearray(seed)
    if kind == "flip":
        for _ in range(draw(st.integers(1, 16))):
            # Half of the flips land in the first 2 KB, where the header and tags live.
            limit = 2048 if draw(st.booleans()) else len(data)
            position = draw(st.integers(0, min(limit, len(data)) - 1))
            data[position] ^= 1 << draw(st.integers(0, 7))
        return bytes(data)
    if kind == "truncate":
        return bytes(data[: draw(st.integers(0, len(data) - 1))])
    if kind == "overwrite":
        position = draw(st.integers(0, min(len(data), 4096) - 4))
        word = draw(st.sampled_from([0, 0xFFFFFFFF, 0x7FFFFFFF, 0x10000, 1]))
        data[position : position + 4] = struct.pack("<I", word)
        return bytes(data)
    if kind == "header":
        mutated = header_mutation(seed, draw(st.randoms(use_true_random=False)))
        return mutated[1] if mutated is not None else seed
    if seed[128:132] != b"DICM":
        return bytes(data)
    tag = draw(st.sampled_from(STRUCTURAL_TAGS))
    action = draw(st.sampled_from(["delete", "absurd", "wrong_vr"]))
    return _structural(seed, tag, action, draw(st.integers(0, 2**31 - 1)))


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "fuzzed"


# Under CI=true Hypothesis prints a reproduction blob, which makes it repr the drawn file (hundreds of kB for
# the 16-bit TIFF seeds) and warn about the cost; the warning concerns Hypothesis's report, not the code tested.
@pytest.mark.filterwarnings("ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning")
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(data=mutated())
def test_mutated_files_load_or_raise_image_load_error(scratch: Path, data: bytes) -> None:
    scratch.write_bytes(data)
    started = time.perf_counter()
    try:
        record = load_image(scratch)
    except ImageLoadError as exc:
        assert exc.path == scratch
        assert "\n" not in exc.message
    else:
        assert record.model_input.shape == record.pixels.shape[:2]
        assert record.model_input.dtype == np.uint8
    assert time.perf_counter() - started < 5.0
