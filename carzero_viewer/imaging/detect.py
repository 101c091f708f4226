"""File-type detection from content, never from the extension.

PACS exports are often extensionless (``IM000001``) or carry the wrong suffix, and a renamed PNG must not be
fed to the DICOM reader. Detection reads only the first bytes of the file: the magic numbers of the raster
formats, the ``DICM`` marker after the 128-byte preamble, and, for old preamble-less DICOM (ACR-NEMA style,
implicit VR), a plausible first data element in group 0x0002 or 0x0008.
"""

from __future__ import annotations

import struct
from enum import StrEnum
from pathlib import Path

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.untrusted import require_regular_file

HEADER_BYTES = 132

RASTER_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"})
DICOM_SUFFIXES = frozenset({".dcm", ".dicom", ".dic", ""})


class FileKind(StrEnum):
    """What a file is, by content."""

    DICOM = "DICOM"
    PNG = "PNG"
    JPEG = "JPEG"
    TIFF = "TIFF"
    BMP = "BMP"
    JPEG2000 = "JPEG 2000 (raw)"
    UNKNOWN = "unknown"


def _looks_like_bare_dicom(head: bytes) -> bool:
    """A preamble-less DICOM stream starts with a little-endian (group, element) in group 0002/0008.

    Explicit VR: two uppercase letters follow the tag. Implicit VR: a 4-byte length follows; require it to be
    small, so that random data starting with ``08 00`` is not taken for DICOM.
    """
    if len(head) < 8:
        return False
    group, element = struct.unpack("<HH", head[:4])
    if group not in (0x0002, 0x0008) or element > 0x0100:
        return False
    vr = head[4:6]
    if vr.isalpha() and vr.isupper():
        return True
    (length,) = struct.unpack("<I", head[4:8])
    return bool(length < 1024)


_MAGIC: tuple[tuple[tuple[bytes, ...], FileKind], ...] = (
    ((b"\x89PNG\r\n\x1a\n",), FileKind.PNG),
    ((b"\xff\xd8\xff",), FileKind.JPEG),
    ((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"), FileKind.TIFF),
    ((b"\x00\x00\x00\x0cjP  ", b"\xff\x4f\xff\x51"), FileKind.JPEG2000),
)


def sniff(head: bytes) -> FileKind:
    """Classify the first :data:`HEADER_BYTES` bytes of a file."""
    if len(head) >= 132 and head[128:132] == b"DICM":
        return FileKind.DICOM
    for prefixes, kind in _MAGIC:
        if head.startswith(prefixes):
            return kind
    if head.startswith(b"BM") and len(head) >= 26:
        return FileKind.BMP
    return FileKind.DICOM if _looks_like_bare_dicom(head) else FileKind.UNKNOWN


def read_head(path: Path) -> bytes:
    """The first bytes of ``path``; every image load starts here, so only regular files get further.

    A FIFO, socket or device is refused by its type before it is opened: opening a FIFO for reading blocks
    until a writer appears, and a device may never end.

    Raises:
        ImageLoadError: missing file, a folder, a special file, unreadable or empty file.
    """
    if path.is_dir():
        raise ImageLoadError("is a folder; open it as a study list", path)
    require_regular_file(path, ImageLoadError, "DICOM or raster image")
    try:
        with path.open("rb") as handle:
            head = handle.read(HEADER_BYTES)
    except OSError as exc:
        raise ImageLoadError(f"cannot read file ({exc.strerror or exc})", path) from exc
    if not head:
        raise ImageLoadError("file is empty (0 bytes)", path)
    return head


def detect(path: str | Path) -> FileKind:
    """Detect the kind of an existing file from its content.

    Raises:
        ImageLoadError: the file cannot be read or is empty.
    """
    return sniff(read_head(Path(path)))


def is_candidate_name(path: Path) -> bool:
    """Cheap pre-filter for folder scans: names worth sniffing (known suffixes or no suffix at all)."""
    if path.name.startswith("."):
        return False
    suffix = path.suffix.lower()
    return suffix in RASTER_SUFFIXES or suffix in DICOM_SUFFIXES or not suffix.isalpha() or len(suffix) > 6
