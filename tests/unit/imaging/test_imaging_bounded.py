"""Bounded decoding: what a file declares is checked against the one pixel budget before any decoder runs.

Lying files are built from real ones by patching one header field, so everything else about them is what a
scanner wrote. Each test also proves the decoder was never called (a recording stand-in replaces it) and
that the Python heap stayed small: the original fault was a 1760x1760 JPEG 2000 DICOM whose SIZ said
1,050,336 rows, and OpenJPEG allocated > 10 GB for it.
"""

from __future__ import annotations

import os
import struct
import tracemalloc
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.encaps import encapsulate, generate_fragmented_frames
from pydicom.uid import DeflatedExplicitVRLittleEndian

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.imaging import MAX_PIXELS, budget, load_image, scan_folder
from carzero_viewer.imaging import dicom as dicom_module
from carzero_viewer.imaging import raster as raster_module
from carzero_viewer.imaging.budget import MAX_TOTAL_PIXELS
from tests.unit.imaging.conftest import CXR_DIR, DICOM_DIR, MakeDicom, run_with_timeout

# The lying files are < 1 MB; parsing them costs a few MB of Python heap. 64 MB is far below what any
# decode of the declared sizes would need (>= 200 MB) and far above the parsing cost.
HEAP_LIMIT = 64 * 2**20
SIIM = DICOM_DIR / "SIIM_1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm"


@pytest.fixture
def decoder_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Record (instead of run) every call of the DICOM and raster decoders."""
    calls: list[str] = []

    def record(name: str) -> Any:
        def stand_in(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"{name} must not be called")

        return stand_in

    monkeypatch.setattr(dicom_module, "pixel_array", record("pydicom pixel_array"))
    monkeypatch.setattr(raster_module, "_decode", record("OpenCV imdecode"))
    monkeypatch.setattr(raster_module, "decode_grayscale", record("OpenCV grayscale decode"))
    yield calls


def _refused(path: Path, match: str) -> ImageLoadError:
    """Load ``path`` expecting a refusal, measuring the Python heap on the way."""
    tracemalloc.start()
    try:
        with pytest.raises(ImageLoadError, match=match) as info:
            load_image(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.path == path
    assert "\n" not in info.value.message
    assert peak < HEAP_LIMIT, f"{peak / 2**20:.0f} MB of heap for a refused file"
    return info.value


def _patched(source: Path, marker: bytes, offset: int, fmt: str, value: int, out: Path) -> Path:
    """A copy of ``source`` with ``value`` packed at ``offset`` bytes after the first ``marker``."""
    data = bytearray(source.read_bytes())
    struct.pack_into(fmt, data, data.index(marker) + offset, value)
    out.write_bytes(bytes(data))
    return out


def test_real_compressed_files_still_load(decoder_calls: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks must not refuse honest files: each reaches the decoder (which the fixture stands in for)."""
    for name in ("RG1_J2KI.dcm", "RG2_JPLL.dcm", "RG2_JPLY_fixed.dcm", "RG3_J2KR.dcm", SIIM.name):
        with pytest.raises(ImageLoadError, match="must not be called"):
            load_image(DICOM_DIR / name)
    assert len(decoder_calls) == 5


def test_j2k_siz_lying_about_rows_is_refused_before_decoding(
    tmp_path: Path, decoder_calls: list[str]
) -> None:
    # SIZ: FF4F FF51, Lsiz (2), Rsiz (2), Xsiz (4), then Ysiz at byte 12.
    path = _patched(
        DICOM_DIR / "RG3_J2KR.dcm", b"\xff\x4f\xff\x51", 12, ">I", 1_050_336, tmp_path / "lie.dcm"
    )
    error = _refused(path, "JPEG 2000 codestream declares 1760x1050336")
    assert "Rows/Columns/Samples per Pixel say 1760x1760" in error.reason
    assert decoder_calls == []


def test_jpeg_sof_lying_about_rows_is_refused(tmp_path: Path, decoder_calls: list[str]) -> None:
    # SOF1: FFC1, Lf (2), P (1), then Y at byte 5 after the marker, 7 after SOI.
    path = _patched(
        DICOM_DIR / "RG2_JPLY_fixed.dcm", b"\xff\xd8\xff\xc1", 7, ">H", 60_000, tmp_path / "lie.dcm"
    )
    _refused(path, "JPEG codestream declares 1760x60000")
    assert decoder_calls == []


def test_jpeg_ls_sof55_lying_about_columns_is_refused(tmp_path: Path, decoder_calls: list[str]) -> None:
    source = Path(str(get_testdata_file("MR_small_jpeg_ls_lossless.dcm")))
    path = _patched(source, b"\xff\xd8\xff\xf7", 9, ">H", 65_535, tmp_path / "lie.dcm")
    _refused(path, "JPEG-LS codestream declares 65535x64")
    assert decoder_calls == []


def test_unreadable_codestream_header_is_refused(tmp_path: Path, decoder_calls: list[str]) -> None:
    path = _patched(DICOM_DIR / "RG1_J2KI.dcm", b"\xff\x4f\xff\x51", 2, ">H", 0xFF90, tmp_path / "bad.dcm")
    _refused(path, "codestream header cannot be read")
    assert decoder_calls == []


def test_every_frame_of_a_multiframe_file_is_checked(tmp_path: Path, decoder_calls: list[str]) -> None:
    ds = pydicom.dcmread(SIIM)
    honest = next(generate_fragmented_frames(ds.PixelData, number_of_frames=1))[0]
    lying = bytearray(honest)
    sof = lying.index(b"\xff\xc0")
    struct.pack_into(">H", lying, sof + 5, 4096)
    ds.PixelData = encapsulate([honest, bytes(lying)])
    ds.NumberOfFrames = 2
    path = tmp_path / "two_frames.dcm"
    ds.save_as(path)
    _refused(path, "frame 2: JPEG codestream declares 1024x4096")
    ds.PixelData = encapsulate([honest, honest])
    ds.NumberOfFrames = 3
    ds.save_as(path)
    with pytest.raises(ImageLoadError, match="frame 3 is missing: the encapsulated pixel data holds 2 of 3"):
        load_image(path, frame=2)
    assert decoder_calls == []


def test_total_over_all_frames_is_bounded(make_dicom: MakeDicom, decoder_calls: list[str]) -> None:
    frames = MAX_TOTAL_PIXELS // (64 * 64) + 1
    path = make_dicom(np.zeros((64, 64), dtype=np.uint16), NumberOfFrames=str(frames))
    _refused(path, f"{frames:,} frames of 64x64 exceed the 1,024-megapixel limit for all frames")
    assert decoder_calls == []


def test_deflate_bomb_is_refused_before_pydicom_inflates_it(
    make_dicom: MakeDicom, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deflated dataset is measured by streaming before pydicom inflates it whole (bound scaled down 1,000x)."""
    bomb = make_dicom(np.zeros((1024, 1024), dtype=np.uint16), syntax=DeflatedExplicitVRLittleEndian)
    assert bomb.stat().st_size < 20_000  # 2 MB of pixels deflate to a few KB
    monkeypatch.setattr(budget, "MAX_INFLATED_BYTES", 1_000_000)
    inflated: list[Path] = []
    monkeypatch.setattr(dicom_module.pydicom, "dcmread", lambda *a, **k: inflated.append(bomb))
    _refused(bomb, "deflated dataset inflates to more than 1,000,000 bytes; refused before reading")
    assert inflated == []
    folder = tmp_path / "study"
    folder.mkdir()
    bomb.rename(folder / "IM1")
    assert scan_folder(folder) == []
    assert inflated == []


def test_an_honest_deflated_file_still_loads() -> None:
    record = load_image(Path(str(get_testdata_file("image_dfl.dcm"))))
    assert record.pixels.shape == (512, 512)


def _png_declaring(width: int, height: int, path: Path) -> Path:
    """A real PNG whose IHDR (with a valid CRC) declares ``width`` x ``height``."""
    data = (CXR_DIR / "00000001_000.png").read_bytes()
    ihdr = bytearray(data[12:29])  # b"IHDR" + 13 bytes
    ihdr[4:12] = struct.pack(">II", width, height)
    path.write_bytes(data[:12] + bytes(ihdr) + struct.pack(">I", zlib.crc32(ihdr)) + data[33:])
    return path


def _tiff16(width: int, height: int, path: Path) -> Path:
    """A baseline little-endian 16-bit greyscale TIFF declaring ``width`` x ``height`` (32 bytes of data)."""
    entries = [
        (256, 4, width),  # ImageWidth, LONG
        (257, 4, height),  # ImageLength
        (258, 3, 16),  # BitsPerSample, SHORT
        (259, 3, 1),  # Compression: none
        (262, 3, 1),  # PhotometricInterpretation: BlackIsZero
        (273, 4, 8 + 2 + 12 * 9 + 4),  # StripOffsets: right after the IFD
        (277, 3, 1),  # SamplesPerPixel
        (278, 4, height),  # RowsPerStrip
        (279, 4, 32),  # StripByteCounts
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, value in entries:
        ifd += struct.pack("<HHI", tag, kind, 1) + struct.pack(
            "<HH" if kind == 3 else "<I", *((value, 0) if kind == 3 else (value,))
        )
    path.write_bytes(b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + bytes(range(32)))
    return path


def test_the_hand_built_headers_are_valid_when_small(tmp_path: Path) -> None:
    """So the refusals below are about the size, not about a broken file."""
    assert load_image(_tiff16(4, 4, tmp_path / "small.tif")).metadata["bits_stored"] == "16"
    assert load_image(_png_declaring(512, 512, tmp_path / "same.png")).pixels.shape == (512, 512)


@pytest.mark.parametrize(
    ("build", "width", "height", "reason"),
    [
        (_png_declaring, 9000, 9000, r"9000x9000 \(81 megapixels\), above the 64-megapixel limit"),
        (_png_declaring, 100_000, 100_000, "PNG header declares an image above twice the 64-megapixel limit"),
        (_tiff16, 20_000, 5_000, r"20000x5000 \(100 megapixels\), above the 64-megapixel limit"),
        (_tiff16, 2**20, 2**20, "TIFF header declares an image above twice the 64-megapixel limit"),
    ],
)
def test_raster_header_above_the_budget_is_a_typed_error(
    tmp_path: Path, decoder_calls: list[str], build: Any, width: int, height: int, reason: str
) -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")  # Pillow's DecompressionBombWarning must not escape either
        _refused(build(width, height, tmp_path / "huge"), reason)
    assert [str(w.message) for w in seen] == []
    assert decoder_calls == []


def test_pillow_guard_uses_the_same_budget() -> None:
    from PIL import Image

    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS


def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "image.dcm"
    os.mkfifo(fifo)
    with pytest.raises(ImageLoadError, match="not a regular file"):
        run_with_timeout(lambda: load_image(fifo), fifo, seconds=1.0)
