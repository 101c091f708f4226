"""The declared size of JPEG, JPEG-LS, JPEG 2000 and JP2 streams, read without decoding.

Real files check the parser against what scanners wrote (each frame header must agree with Rows/Columns);
hand-built headers check each field offset, the segment/box walking and every refusal.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.encaps import generate_fragmented_frames

from carzero_viewer.imaging.codestream import (
    MAX_SEGMENTS,
    CodestreamError,
    CodestreamHeader,
    jpeg_segments,
    read_header,
)

DICOM_DIR = Path(__file__).resolve().parents[2] / "data" / "dicom"
COMPRESSED = ["966_fixed.dcm", "RG1_J2KI.dcm", "RG2_JPLL.dcm", "RG2_JPLY_fixed.dcm", "RG3_J2KR.dcm"]
PYDICOM_COMPRESSED = ["MR_small_jpeg_ls_lossless.dcm", "SC_rgb_jls_lossy_line.dcm", "examples_jpeg2k.dcm"]


def _siz(
    width: int = 300,
    height: int = 200,
    origin: tuple[int, int] = (0, 0),
    tile: tuple[int, int] = (0, 0),
    components: int = 1,
    bits: int = 12,
    length: int | None = None,
) -> bytes:
    """SOC + SIZ (ISO/IEC 15444-1 A.5.1); a tile of (0, 0) means one tile covering the image."""
    tile_w, tile_h = tile if tile != (0, 0) else (width, height)
    body = struct.pack(">HIIIIIIIIH", 0, width, height, *origin, tile_w, tile_h, 0, 0, components)
    body += bytes([bits - 1, 1, 1]) * components
    return b"\xff\x4f\xff\x51" + struct.pack(">H", length or len(body) + 2) + body + b"\xff\x52"


def _box(kind: bytes, payload: bytes, extended: bool = False) -> bytes:
    if extended:
        return struct.pack(">I4sQ", 1, kind, len(payload) + 16) + payload
    return struct.pack(">I4s", len(payload) + 8, kind) + payload


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _frame(marker: int, rows: int, columns: int, components: int = 1, bits: int = 8) -> bytes:
    payload = struct.pack(">BHHB", bits, rows, columns, components) + b"\x01\x11\x00" * components
    return _segment(marker, payload)


@pytest.mark.parametrize("source", COMPRESSED + PYDICOM_COMPRESSED)
def test_real_frame_headers_match_the_dataset(source: str) -> None:
    path = DICOM_DIR / source if source in COMPRESSED else Path(str(get_testdata_file(source)))
    ds = pydicom.dcmread(path)
    fragments = next(generate_fragmented_frames(ds.PixelData, number_of_frames=1))
    header = read_header(fragments[0])
    assert (header.rows, header.columns, header.components) == (ds.Rows, ds.Columns, ds.SamplesPerPixel)


def test_j2k_siz_fields_and_image_offset() -> None:
    header = read_header(_siz(width=1000, height=700, origin=(10, 20), components=3, bits=16))
    assert header == CodestreamHeader("JPEG 2000", rows=680, columns=990, components=3, bits=16)


@pytest.mark.parametrize("extended", [False, True])
def test_jp2_boxes_lead_to_the_codestream(extended: bool) -> None:
    data = (
        _box(b"jP  ", b"\r\n\x87\n")
        + _box(b"ftyp", b"jp2 \0\0\0\0jp2 ")
        + _box(b"jp2h", _box(b"ihdr", bytes(14)), extended)
        + _box(b"jp2c", _siz(width=64, height=1_050_336, tile=(64, 1024)), extended)
    )
    assert read_header(data).rows == 1_050_336


def test_jpeg_segments_are_skipped_by_length_up_to_the_frame_header() -> None:
    data = (
        b"\xff\xd8"
        + _segment(0xE0, b"JFIF\0" + bytes(9))
        + _segment(0xC4, bytes(30))  # DHT shares the SOF range but is not a frame header
        + _segment(0xCC, bytes(2))  # DAC likewise
        + b"\xff\xff\xff"  # fill bytes before a marker
        + _frame(0xC1, rows=2140, columns=1760, bits=12)
        + _segment(0xDA, bytes(8))  # the scan ends the header walk
    )
    assert read_header(data) == CodestreamHeader("JPEG", rows=2140, columns=1760, components=1, bits=12)
    assert [marker for _, marker, _ in jpeg_segments(data)] == [0xE0, 0xC4, 0xCC, 0xC1]


def test_jpeg_ls_sof55() -> None:
    data = b"\xff\xd8" + _segment(0xF8, bytes(11)) + _frame(0xF7, rows=64, columns=48, components=3, bits=16)
    assert read_header(data) == CodestreamHeader("JPEG-LS", rows=64, columns=48, components=3, bits=16)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "unknown codestream"),
        (b"\x89PNG\r\n", "unknown codestream"),
        (_siz()[:20], "SIZ segment is truncated"),
        (_siz(components=3)[:-9], "component list is truncated"),
        (_siz(length=50), "SIZ segment is inconsistent"),
        (_siz(components=0), "SIZ segment is inconsistent"),
        (_siz(width=0), "empty image"),
        (_siz(width=100_000, height=100_000, tile=(1, 1)), "tiles"),
        (_box(b"jP  ", b"\r\n\x87\n") + _box(b"ftyp", bytes(12)), "truncated"),
        (_box(b"jP  ", b"\r\n\x87\n") + struct.pack(">I4s", 3, b"jp2h"), "invalid length"),
        (_box(b"jP  ", b"\r\n\x87\n") + _box(b"jp2c", b"\xff\x4f\xff\x90"), "SOC and SIZ"),
        (b"\xff\xd8" + _segment(0xDA, bytes(10)), "no frame header"),
        (b"\xff\xd8\xff\xd9", "no frame header"),
        (b"\xff\xd8\x00\x00", "marker expected"),
        (b"\xff\xd8\xff\xe0\x00\x01", "invalid length"),
        (b"\xff\xd8" + _frame(0xC0, rows=0, columns=64), "declares size 64x0"),
        (b"\xff\xd8" + _frame(0xC0, rows=64, columns=64)[:8], "frame header is truncated"),
        (b"\xff\xd8" + _segment(0xC3, struct.pack(">BHHB", 8, 4, 4, 3) + bytes(3)), "inconsistent"),
        (b"\xff\xd8" + _segment(0xFE, b"") * (MAX_SEGMENTS + 1), "no frame header"),
    ],
)
def test_unreadable_headers_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(CodestreamError, match=reason):
        read_header(data)
