"""The size a compressed image *declares*, read from its codestream header without decoding anything.

Why: a decoder allocates what the codestream says, not what the DICOM Rows/Columns say. A JPEG 2000 frame
whose SIZ marker claims a million rows makes OpenJPEG reserve gigabytes even though the container says
1760x1760, so the declared size must be read and checked *before* any decoder runs. This module is pure
Python (no numpy, no decoder) and reads only marker segments at the start of the stream.

Formats (offsets and fields from the ISO/ITU specifications):

- JPEG 2000 codestream (ISO/IEC 15444-1 Annex A.5.1): ``FF4F`` (SOC) then ``FF51`` (SIZ) with
  Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz, XTsiz, YTsiz, XTOsiz, YTOsiz, Csiz and 3 bytes per component.
  The image is ``(Xsiz - XOsiz) x (Ysiz - YOsiz)``. HTJ2K (15444-15) uses the same SIZ.
- JP2 file format (15444-1 Annex I): boxes ``LBox TBox [XLBox]``; the codestream is the ``jp2c`` box.
- JPEG (ITU T.81 B.2.2): ``FFD8`` then segments; the frame header is any SOFn (``FFC0``-``FFCF`` except
  ``C4`` DHT, ``C8`` JPG and ``CC`` DAC): Lf, P, Y, X, Nf.
- JPEG-LS (ITU T.87 C.2.2): the same layout under ``FFF7`` (SOF55).

Bounds derived from the formats: JPEG 2000 allows at most 65,535 tiles (the tile index Isot is 16 bits) and
16,384 components; a header scan stops after :data:`MAX_SEGMENTS` segments or boxes, so a stream made of
empty segments cannot keep the parser busy.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

MAX_SEGMENTS = 4096
MAX_J2K_TILES = 65_535
MAX_J2K_COMPONENTS = 16_384

_JPEG_LS_SOF = 0xF7
# Markers that start a frame header: SOF0-SOF15 without DHT, JPG and DAC, and JPEG-LS SOF55.
FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC} | {_JPEG_LS_SOF}
_JPEG_SOS = 0xDA
_JPEG_EOI = 0xD9
# Markers without a length field (T.81 B.1.1.3): TEM, RST0-7, SOI, EOI.
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xDA)})
_J2K_SOC_SIZ = b"\xff\x4f\xff\x51"
_JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
_JP2_CODESTREAM_BOX = int.from_bytes(b"jp2c", "big")


class CodestreamError(ValueError):
    """The header is missing, truncated or inconsistent; the reason is one plain sentence."""


@dataclass(frozen=True)
class CodestreamHeader:
    """What a compressed image declares about itself.

    Attributes:
        kind: "JPEG 2000", "JPEG" or "JPEG-LS".
        rows / columns: image height and width in pixels.
        components: number of colour components (samples per pixel).
        bits: sample precision in bits (the first component's for JPEG 2000).
    """

    kind: str
    rows: int
    columns: int
    components: int
    bits: int


def read_header(data: bytes) -> CodestreamHeader:
    """The declared size of the JPEG, JPEG-LS, JPEG 2000 codestream or JP2 file that starts ``data``.

    ``data`` needs to hold only the start of the stream (the headers before the first scan or tile).

    Raises:
        CodestreamError: the stream is not one of these formats or its header cannot be read.
    """
    if data.startswith(_J2K_SOC_SIZ):
        return _j2k_siz(data, 4)
    if data.startswith(_JP2_SIGNATURE):
        return _j2k_siz(data, _jp2_codestream(data))
    if data.startswith(b"\xff\xd8"):
        return _jpeg_frame(data)
    raise CodestreamError(f"unknown codestream (starts with {data[:4].hex() or 'nothing'})")


def _unpack(fmt: str, data: bytes, offset: int, what: str) -> tuple[int, ...]:
    end = offset + struct.calcsize(fmt)
    if end > len(data):
        raise CodestreamError(f"{what} is truncated")
    return struct.unpack_from(fmt, data, offset)


def _j2k_siz(data: bytes, offset: int) -> CodestreamHeader:
    """Parse a SIZ segment whose length field starts at ``offset`` (just after ``FF4F FF51``)."""
    if data[offset - 4 : offset] != _J2K_SOC_SIZ:
        raise CodestreamError("JPEG 2000 codestream does not start with SOC and SIZ markers")
    length, _, xsiz, ysiz, xosiz, yosiz, xtsiz, ytsiz, xtosiz, ytosiz, csiz = _unpack(
        ">HHIIIIIIIIH", data, offset, "JPEG 2000 SIZ segment"
    )
    if not 1 <= csiz <= MAX_J2K_COMPONENTS or length != 38 + 3 * csiz:
        raise CodestreamError(f"JPEG 2000 SIZ segment is inconsistent (Lsiz {length}, Csiz {csiz})")
    if xsiz <= xosiz or ysiz <= yosiz or xtsiz == 0 or ytsiz == 0:
        raise CodestreamError(
            f"JPEG 2000 SIZ declares an empty image or tile (Xsiz {xsiz}, XOsiz {xosiz}, "
            f"Ysiz {ysiz}, YOsiz {yosiz}, tile {xtsiz}x{ytsiz})"
        )
    if xtosiz > xosiz or ytosiz > yosiz or xtosiz + xtsiz <= xosiz or ytosiz + ytsiz <= yosiz:
        raise CodestreamError("JPEG 2000 SIZ tile offsets do not cover the image origin")
    tiles = -(-(xsiz - xtosiz) // xtsiz) * -(-(ysiz - ytosiz) // ytsiz)
    if tiles > MAX_J2K_TILES:
        raise CodestreamError(
            f"JPEG 2000 SIZ declares {tiles:,} tiles (the standard allows {MAX_J2K_TILES:,})"
        )
    (ssiz, *_) = _unpack(f">{3 * csiz}B", data, offset + 38, "JPEG 2000 SIZ component list")
    return CodestreamHeader("JPEG 2000", ysiz - yosiz, xsiz - xosiz, csiz, (ssiz & 0x7F) + 1)


def _jp2_codestream(data: bytes) -> int:
    """Offset of the SIZ length field inside the ``jp2c`` box of a JP2 file."""
    offset = 0
    for _ in range(MAX_SEGMENTS):
        length, box = _unpack(">II", data, offset, "JP2 box header")
        header = 8
        if length == 1:
            (length,) = _unpack(">Q", data, offset + 8, "JP2 box header")
            header = 16
        if box == _JP2_CODESTREAM_BOX:
            return offset + header + 4
        if length == 0:
            break
        if length < header:
            raise CodestreamError(f"JP2 box {box.to_bytes(4, 'big')!r} has an invalid length {length}")
        offset += length
    raise CodestreamError("JP2 file has no codestream box (jp2c) in its first boxes")


def jpeg_segments(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(offset of the length field, marker, length) of each JPEG / JPEG-LS segment after SOI, in order.

    Standalone markers (RST, TEM) have no length and are skipped; the walk ends at SOS or EOI (not yielded)
    and after :data:`MAX_SEGMENTS` segments.

    Raises:
        CodestreamError: a marker is missing where one must be, or a length is truncated or below 2.
    """
    offset = 2
    for _ in range(MAX_SEGMENTS):
        (prefix,) = _unpack(">B", data, offset, "JPEG marker")
        if prefix != 0xFF:
            raise CodestreamError(f"JPEG marker expected at byte {offset}, found {prefix:#04x}")
        while data[offset + 1 : offset + 2] == b"\xff":
            offset += 1  # fill bytes before a marker (T.81 B.1.1.2)
        (marker,) = _unpack(">B", data, offset + 1, "JPEG marker")
        offset += 2
        if marker in (_JPEG_SOS, _JPEG_EOI):
            return
        if marker in _JPEG_STANDALONE:
            continue
        (length,) = _unpack(">H", data, offset, f"JPEG segment {marker:#04x}")
        if length < 2:
            raise CodestreamError(f"JPEG segment {marker:#04x} has an invalid length {length}")
        yield offset, marker, length
        offset += length


def _jpeg_frame(data: bytes) -> CodestreamHeader:
    """The first frame header (SOFn or SOF55) among the segments before the first scan."""
    for offset, marker, length in jpeg_segments(data):
        if marker in FRAME_MARKERS:
            kind = "JPEG-LS" if marker == _JPEG_LS_SOF else "JPEG"
            bits, rows, columns, components = _unpack(">BHHB", data, offset + 2, f"{kind} frame header")
            if length != 8 + 3 * components:
                raise CodestreamError(f"{kind} frame header is inconsistent (Lf {length}, Nf {components})")
            if rows == 0 or columns == 0 or components == 0:
                # Y = 0 defers the height to a DNL marker after the first scan: not checkable up front.
                raise CodestreamError(f"{kind} frame header declares size {columns}x{rows}x{components}")
            return CodestreamHeader(kind, rows, columns, components, bits)
    raise CodestreamError("JPEG stream has no frame header (SOF) before its first scan")
