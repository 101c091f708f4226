"""One pixel budget for every decoder, enforced on what a file *declares* before anything is decoded.

The budget is :data:`~carzero_viewer.imaging.record.MAX_PIXELS` per frame (the reasons are written there);
this module applies it to every container:

- DICOM: Rows x Columns per frame, and :data:`MAX_TOTAL_PIXELS` over all frames. For JPEG, JPEG-LS and
  JPEG 2000 pixel data the codestream of every frame declares its own size (SIZ / SOFn / SOF55), and that is
  what the decoder allocates: it must equal Rows/Columns and Samples per Pixel, or the file is refused
  before the decoder runs (a lying SIZ once made OpenJPEG allocate > 10 GB for a "1760x1760" image).
- Deflated DICOM: the inflated size is measured (streaming, nothing kept) before pydicom inflates it whole.
- Raster files (PNG, TIFF, BMP, JPEG): the size in the header read by Pillow, before OpenCV decodes, and
  Pillow's own decompression-bomb guard set to the same budget (see :mod:`carzero_viewer.imaging.raster`).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.encaps import generate_fragmented_frames
from pydicom.uid import UID, JPEG2000TransferSyntaxes, JPEGLSTransferSyntaxes, JPEGTransferSyntaxes

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.imaging.codestream import CodestreamError, read_header
from carzero_viewer.imaging.record import MAX_PIXELS, check_pixel_count

# All frames of one file together: 16 full-size frames, e.g. 3,900 CT slices of 512x512 or 100 tomosynthesis
# frames of 3000x3000. Only one frame is decoded at a time, but a header claiming 2**31 frames of 64 MP
# asks every length computation (and any caller walking the frames) for terabytes; it is refused up front.
MAX_TOTAL_PIXELS = 16 * MAX_PIXELS
# A deflated dataset (PS3.5 A.5) is inflated whole by pydicom before any tag is read, and deflate expands up to
# ~1,000x: a 1 MB file could ask for 1 GB. 512 MiB holds 4 full-budget frames at 16 bits (deflate is used for
# small objects in practice); pydicom then holds the inflated bytes plus a copy of the pixel data, so the peak
# stays near 2 x 512 MiB plus one decoded frame, inside the 2.5 GB the application promises.
MAX_INFLATED_BYTES = 512 * 2**20
DEFLATED_SYNTAX = b"1.2.840.10008.1.2.1.99"
_INFLATE_STEP = 64 * 2**20
# The headers a size check needs lie at the start of a frame; fragments are joined up to this many bytes.
FRAME_HEADER_BYTES = 1024 * 1024
CODESTREAM_SYNTAXES = frozenset((*JPEGTransferSyntaxes, *JPEGLSTransferSyntaxes, *JPEG2000TransferSyntaxes))


def check_frames(rows: int, columns: int, frames: int, path: Path) -> None:
    """Per-frame and all-frames budget on the declared DICOM geometry.

    Raises:
        ImageLoadError: a degenerate size, a frame above :data:`MAX_PIXELS` or all frames above
            :data:`MAX_TOTAL_PIXELS`.
    """
    check_pixel_count(rows, columns, path)
    if frames * rows * columns > MAX_TOTAL_PIXELS:
        raise ImageLoadError(
            f"{frames:,} frames of {columns}x{rows} exceed the {MAX_TOTAL_PIXELS / 1e6:,.0f}-megapixel limit "
            "for all frames of one file",
            path,
        )


def check_codestreams(
    ds: Dataset, syntax: UID, path: Path, rows: int, columns: int, samples: int, frames: int, frame: int
) -> None:
    """Compare each frame's codestream header with Rows/Columns/Samples per Pixel before decoding.

    Does nothing for native pixel data and for RLE (whose decoder allocates from Rows/Columns, already
    checked by :func:`check_frames`).

    Raises:
        ImageLoadError: the encapsulation or a header cannot be parsed, a header disagrees with the dataset,
            or the requested ``frame`` is missing from the pixel data.
    """
    if syntax not in CODESTREAM_SYNTAXES:
        return
    try:
        extended = None
        if "ExtendedOffsetTable" in ds and "ExtendedOffsetTableLengths" in ds:
            extended = (ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths)
        found = 0
        for index, fragments in enumerate(
            generate_fragmented_frames(ds.PixelData, number_of_frames=frames, extended_offsets=extended)
        ):
            if index >= frames:
                break
            _check_frame_header(_prefix(fragments), path, index, frames, (rows, columns, samples))
            found += 1
    except ValueError as exc:
        raise ImageLoadError(f"encapsulated pixel data is damaged ({str(exc)[:120]})", path) from exc
    if frame >= found:
        raise ImageLoadError(
            f"frame {frame + 1} is missing: the encapsulated pixel data holds {found} of {frames} frame(s)",
            path,
        )


def _prefix(fragments: tuple[bytes, ...]) -> bytes:
    """The first :data:`FRAME_HEADER_BYTES` of a frame (its fragments joined only as far as needed)."""
    parts: list[bytes] = []
    size = 0
    for fragment in fragments:
        parts.append(fragment[: FRAME_HEADER_BYTES - size])
        size += len(parts[-1])
        if size >= FRAME_HEADER_BYTES:
            break
    return b"".join(parts)


def _check_frame_header(
    data: bytes, path: Path, index: int, frames: int, expected: tuple[int, int, int]
) -> None:
    where = f"frame {index + 1}: " if frames > 1 else ""
    try:
        header = read_header(data)
    except CodestreamError as exc:
        raise ImageLoadError(f"{where}codestream header cannot be read ({exc})", path) from exc
    declared = (header.rows, header.columns, header.components)
    if declared != expected:
        raise ImageLoadError(
            f"{where}{header.kind} codestream declares {header.columns}x{header.rows} with "
            f"{header.components} component(s) but Rows/Columns/Samples per Pixel say "
            f"{expected[1]}x{expected[0]} with {expected[2]}; refused before decoding",
            path,
        )


def check_deflated(data: bytes, path: Path) -> None:
    """Refuse a Deflated Explicit VR Little Endian file whose dataset inflates past :data:`MAX_INFLATED_BYTES`.

    Raises:
        ImageLoadError: the deflated dataset is too large once inflated, or is not valid deflate data.
    """
    start = _deflated_dataset_start(data)
    if start is None:
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pending = data[start:]
    size = 0
    try:
        while pending:
            size += len(inflater.decompress(pending, _INFLATE_STEP))
            if size > MAX_INFLATED_BYTES:
                raise ImageLoadError(
                    f"deflated dataset inflates to more than {MAX_INFLATED_BYTES:,} bytes; refused before reading",
                    path,
                )
            pending = inflater.unconsumed_tail
    except zlib.error as exc:
        raise ImageLoadError(f"deflated dataset is damaged ({exc})", path) from exc


def _deflated_dataset_start(data: bytes) -> int | None:
    """Offset of the dataset after the (explicit VR little endian) file meta group, when its syntax is deflate."""
    if data[128:132] != b"DICM":
        return None
    offset, syntax = 132, b""
    while offset + 8 <= len(data):
        group, element = struct.unpack_from("<HH", data, offset)
        if group != 2:
            break
        if data[offset + 4 : offset + 6] in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN"):
            header, length = (
                12,
                struct.unpack_from("<I", data, offset + 8)[0] if offset + 12 <= len(data) else 0,
            )
        else:
            header, length = 8, struct.unpack_from("<H", data, offset + 6)[0]
        if element == 0x0010:
            syntax = data[offset + header : offset + header + length]
        offset += header + length
    return offset if syntax.rstrip(b"\0 ") == DEFLATED_SYNTAX else None
