"""Seeds and format-aware header mutations shared by the imaging fuzzers.

Used by ``benchmarks/fuzz_imaging.py`` (thousands of inputs, isolated workers) and by the quick unit test
``tests/unit/imaging/test_imaging_fuzz.py`` (hypothesis drives the same functions through a seeded
``random.Random``). Byte flips rarely hit the few header fields a decoder sizes its buffers from, so these
mutations aim at them: JPEG 2000 SIZ fields, JPEG / JPEG-LS frame-header fields and segment lengths, JP2 box
lengths, the PNG IHDR, TIFF IFD entries and the BMP header.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
# Small JPEG-LS and JPEG 2000 files from the pydicom wheel (offline): tests/data holds no JPEG-LS file.
PYDICOM_SEEDS = ("MR_small_jpeg_ls_lossless.dcm", "JPEGLSNearLossless_08.dcm", "MR_small_jp2klossless.dcm")
ABSURD = [0, 1, 2, 3, 7, 255, 256, 4095, 32767, 32768, 65535, 65536, 2**31 - 1, 2**32 - 1]
# (offset from the start of the codestream, struct format) of each SIZ field (ISO/IEC 15444-1 A.5.1).
J2K_SIZ_FIELDS = {
    "Lsiz": (4, "H"),
    "Xsiz": (8, "I"),
    "Ysiz": (12, "I"),
    "XOsiz": (16, "I"),
    "YOsiz": (20, "I"),
    "XTsiz": (24, "I"),
    "YTsiz": (28, "I"),
    "XTOsiz": (32, "I"),
    "YTOsiz": (36, "I"),
    "Csiz": (40, "H"),
    "Ssiz": (42, "B"),
}
# Offsets from a frame header's length field (T.81 B.2.2 / T.87 C.2.2).
JPEG_SOF_FIELDS = {"Lf": (0, "H"), "P": (2, "B"), "Y": (3, "H"), "X": (5, "H"), "Nf": (7, "B")}
BMP_FIELDS = {
    "bfOffBits": (10, "I"),
    "biWidth": (18, "i"),
    "biHeight": (22, "i"),
    "biBitCount": (28, "H"),
    "biCompression": (30, "I"),
    "biSizeImage": (34, "I"),
    "biClrUsed": (46, "I"),
}
TIFF_SIZE_TAGS = (256, 257, 258, 259, 273, 277, 278, 279)  # width, length, bits, compression, strips...


def raster_seeds(size: int = 256) -> list[tuple[str, bytes]]:
    """JPEG (grey and colour), TIFF, BMP and 16-bit PNG/TIFF made from a real chest PNG, ``size`` pixels wide."""
    import cv2
    import numpy as np

    grey = cv2.imread(str(DATA / "cxr" / "00000001_000.png"), cv2.IMREAD_GRAYSCALE)
    small = cv2.resize(grey, (size, size), interpolation=cv2.INTER_AREA)
    deep = small.astype(np.uint16) * 16 + 7  # 12 bits stored in 16, as detector exports are
    colour = cv2.merge([small, small // 2, 255 - small])
    images = [
        ("seed.jpg", ".jpg", small),
        ("seed_colour.jpg", ".jpg", colour),
        ("seed.tif", ".tif", small),
        ("seed.bmp", ".bmp", colour),
        ("seed16.png", ".png", deep),
        ("seed16.tif", ".tif", deep),
    ]
    return [(name, cv2.imencode(ext, image)[1].tobytes()) for name, ext, image in images]


def pydicom_seeds() -> list[tuple[str, bytes]]:
    """The JPEG-LS / JPEG 2000 files of :data:`PYDICOM_SEEDS`."""
    from pydicom.data import get_testdata_file

    return [(name, Path(str(get_testdata_file(name))).read_bytes()) for name in PYDICOM_SEEDS]


def _poke(data: bytearray, offset: int, fmt: str, rng: random.Random, order: str = ">") -> None:
    """Replace the field at ``offset`` with an absurd or nearly-right value of the same width."""
    (current,) = struct.unpack_from(order + fmt, data, offset)
    full = 2 ** (struct.calcsize(fmt) * 8)
    value = (
        rng.choice([0, 1, current - 1, current + 1, current * 2, current * 600, full - 1, full // 2]) % full
    )
    if fmt.islower() and value >= full // 2:  # signed field (BMP width/height)
        value -= full
    struct.pack_into(order + fmt, data, offset, value)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", len(payload) + 8, kind) + payload


def _jp2(codestream: bytes, rng: random.Random) -> tuple[str, bytes]:
    """The codestream wrapped in a JP2 file, with one box length made wrong (or none)."""
    from carzero_viewer.imaging.codestream import CodestreamError, read_header

    try:
        header = read_header(codestream)
        rows, columns, components = header.rows, header.columns, header.components
    except CodestreamError:
        rows, columns, components = 1, 1, 1
    ihdr = struct.pack(">IIHBBBB", rows, columns, components, 7, 7, 0, 0)
    colr = b"\x01\x00\x00" + struct.pack(">I", 16 if components == 3 else 17)
    boxes = [
        _box(b"jP  ", b"\r\n\x87\n"),
        _box(b"ftyp", b"jp2 \0\0\0\0jp2 "),
        _box(b"jp2h", _box(b"ihdr", ihdr) + _box(b"colr", colr)),
        _box(b"jp2c", codestream),
    ]
    index = rng.randrange(len(boxes) + 1)
    if index == len(boxes):
        return "jp2-valid", b"".join(boxes)
    box = bytearray(boxes[index])
    (length,) = struct.unpack_from(">I", box)
    struct.pack_into(">I", box, 0, rng.choice([0, 1, 7, 8, length - 1, length + 1, 2**32 - 1]))
    boxes[index] = bytes(box)
    return f"jp2-box-length-{index}", b"".join(boxes)


def mutate_stream(stream: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One header mutation of a JPEG, JPEG-LS or JPEG 2000 codestream (the others come back unchanged)."""
    from carzero_viewer.imaging.codestream import FRAME_MARKERS, CodestreamError, jpeg_segments

    data = bytearray(stream)
    if stream.startswith(b"\xff\x4f\xff\x51") and len(stream) > 45:
        name = rng.choice(list(J2K_SIZ_FIELDS))
        if rng.random() < 0.7:
            _poke(data, *J2K_SIZ_FIELDS[name], rng)
        else:
            name = "unchanged"
        if rng.random() < 0.3:
            kind, wrapped = _jp2(bytes(data), rng)
            return f"{kind}+siz-{name}", wrapped
        return f"j2k-siz-{name}", bytes(data)
    if stream.startswith(b"\xff\xd8"):
        try:
            segments = list(jpeg_segments(stream))
        except CodestreamError:
            segments = []
        frames = [s for s in segments if s[1] in FRAME_MARKERS]
        family = "jpegls" if any(s[1] == 0xF7 for s in frames) else "jpeg"
        if frames and rng.random() < 0.6:
            name = rng.choice(list(JPEG_SOF_FIELDS))
            offset, fmt = JPEG_SOF_FIELDS[name]
            _poke(data, frames[0][0] + offset, fmt, rng)
            return f"{family}-sof-{name}", bytes(data)
        if segments:
            offset, marker, _ = rng.choice(segments)
            _poke(data, offset, "H", rng)
            return f"{family}-segment-length-{marker:02X}", bytes(data)
    return "stream-unchanged", stream


def _dicom_codestream(seed: bytes, rng: random.Random) -> tuple[str, bytes] | None:
    """A header mutation of one frame of an encapsulated DICOM, re-encapsulated so the items stay valid."""
    import pydicom
    from pydicom.encaps import encapsulate, generate_fragmented_frames

    try:
        ds = pydicom.dcmread(io.BytesIO(seed), force=True)
        if not ds.file_meta.TransferSyntaxUID.is_encapsulated:
            return None
        count = max(1, int(ds.get("NumberOfFrames") or 1))
        frames = [b"".join(f) for f in generate_fragmented_frames(ds.PixelData, number_of_frames=count)]
    except Exception:
        return None
    index = rng.randrange(len(frames))
    name, frames[index] = mutate_stream(frames[index], rng)
    ds.PixelData = encapsulate(frames)
    buffer = io.BytesIO()
    ds.save_as(buffer)
    return f"dicom-{name}", buffer.getvalue()


def _png_ihdr(seed: bytes, rng: random.Random) -> tuple[str, bytes]:
    width, height = rng.choice(ABSURD), rng.choice(ABSURD)
    ihdr = bytearray(seed[12:29])  # b"IHDR" + 13 bytes
    ihdr[4:12] = struct.pack(">II", width, height)
    if rng.random() < 0.3:
        ihdr[12] = rng.choice([1, 2, 4, 8, 16, 32])  # bit depth
    if rng.random() < 0.3:
        ihdr[13] = rng.choice([0, 2, 3, 4, 6, 7])  # colour type
    crc = struct.pack(">I", zlib.crc32(bytes(ihdr)) & 0xFFFFFFFF)
    return "png-ihdr", seed[:12] + bytes(ihdr) + crc + seed[33:]


def _tiff_ifd(seed: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One size-related entry of the first IFD (or the entry count) set to an absurd value."""
    order = "<" if seed.startswith(b"II") else ">"
    data = bytearray(seed)
    (ifd,) = struct.unpack_from(order + "I", data, 4)
    (count,) = struct.unpack_from(order + "H", data, ifd)
    entries = [ifd + 2 + 12 * i for i in range(count)]
    chosen = [e for e in entries if struct.unpack_from(order + "H", data, e)[0] in TIFF_SIZE_TAGS]
    if not chosen or rng.random() < 0.1:
        _poke(data, ifd, "H", rng, order)
        return "tiff-ifd-count", bytes(data)
    entry = rng.choice(chosen)
    tag, kind = struct.unpack_from(order + "HH", data, entry)
    _poke(data, entry + 8, "H" if kind == 3 else "I", rng, order)
    return f"tiff-tag-{tag}", bytes(data)


def _bmp_header(seed: bytes, rng: random.Random) -> tuple[str, bytes]:
    data = bytearray(seed)
    name = rng.choice(list(BMP_FIELDS))
    _poke(data, *BMP_FIELDS[name], rng, "<")
    return f"bmp-header-{name}", bytes(data)


def header_mutation(seed: bytes, rng: random.Random) -> tuple[str, bytes] | None:
    """A mutation of the fields a decoder sizes its buffers from, or None when the seed has none we know."""
    if seed.startswith(b"\x89PNG"):
        return _png_ihdr(seed, rng)
    if seed.startswith(b"\xff\xd8"):
        return mutate_stream(seed, rng)
    if seed.startswith((b"II*\x00", b"MM\x00*")):
        return _tiff_ifd(seed, rng)
    if seed.startswith(b"BM"):
        return _bmp_header(seed, rng)
    return _dicom_codestream(seed, rng)
