"""Safe file output for every command and the viewer: atomic writes, no silent overwrite, clean names, one-line errors.

Every file the application writes goes through this module (reports, arrays, images, DICOM, JSON, CSV), so the
guarantees below hold everywhere.

Every file is first written completely to a temporary file in the destination folder, flushed to disk, then
moved into place in one step, so a crash, a full disk or a read-only folder never leaves a half-written file
and never damages a file that was already there. Without ``force`` an existing file is never replaced: the
final step links the temporary file to the target name (which fails if the name exists, with no race window);
on file systems without hard links it falls back to check-then-rename.

Failures become :class:`WriteError` naming the file and the reason in one line; :attr:`WriteError.kind`
lets the GUI tell "already exists" (ask the user) from other failures (show the message).

Content rules for the text formats: JSON never holds ``NaN``/``Infinity`` (not JSON; strict parsers refuse
them): non-finite numbers are written as ``null``. CSV text cells that a spreadsheet would run as a formula
(first character ``=``, ``+``, ``-``, ``@``, tab or carriage return, per the OWASP CSV-injection guidance)
get a leading ``'``; numbers stay numbers (``-0.5`` written from a float is not a formula: left alone).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import numpy.typing as npt
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from carzero_viewer.errors import CarzeroError

ErrorKind = Literal["exists", "permission", "no_space", "read_only", "os"]

_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}
)
MAX_NAME_LENGTH = 120


class WriteError(CarzeroError):
    """A file could not be written; the existing file (if any) is untouched and no partial file is left.

    Attributes:
        kind: ``"exists"`` (not overwritten: pass ``force`` / ask the user), ``"permission"``, ``"no_space"``,
            ``"read_only"`` or ``"os"`` (anything else).
    """

    def __init__(self, reason: str, path: str | Path | None = None, kind: ErrorKind = "os") -> None:
        self.kind: ErrorKind = kind
        super().__init__(reason, path)


def exists_error(path: Path) -> WriteError:
    return WriteError("already exists; not overwritten (use --force to replace it)", path, "exists")


def os_error(exc: OSError, path: Path) -> WriteError:
    """Translate an OSError into a one-line :class:`WriteError` for ``path``."""
    if isinstance(exc, FileExistsError):
        return exists_error(path)
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return WriteError("cannot write here: permission denied (read-only folder?)", path, "permission")
    if exc.errno == errno.EROFS:
        return WriteError("cannot write here: the file system is read-only", path, "read_only")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return WriteError(
            "the disk is full; nothing was written (free some space and retry)", path, "no_space"
        )
    detail = exc.strerror or str(exc)
    return WriteError(f"cannot write: {detail}", path, "os")


def sanitise_filename(text: str, max_length: int = MAX_NAME_LENGTH) -> str:
    """A portable file name from any text (prompt, image stem, word): no folders, no surprises.

    Accents are folded to ASCII, anything but letters, digits, ``.``, ``_``, ``-`` and ``+`` becomes ``_``
    (runs collapsed), leading dots and trailing dots/underscores are removed (no hidden files, valid on
    Windows), Windows device names (``CON``, ``NUL``...) get a ``_`` prefix, the result is at most
    ``max_length`` characters and never empty (``"unnamed"``).
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^A-Za-z0-9._+-]+", "_", folded)
    name = re.sub(r"_+", "_", name).lstrip("._-").rstrip("._ ")
    name = name[:max_length].rstrip("._ ")
    if not name:
        return "unnamed"
    if name.split(".")[0].lower() in _RESERVED:
        name = f"_{name}"[:max_length]
    return name


def slug(text: str, max_length: int = 48) -> str:
    """A short lower-case name part from a prompt: ``"There is cardiomegaly."`` -> ``"there-is-cardiomegaly"``."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    return sanitise_filename(words[:max_length].rstrip("-"), max_length) if words else "unnamed"


def ensure_directory(path: str | Path) -> Path:
    """Create ``path`` (and parents) if needed; :class:`WriteError` when it cannot be created."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise WriteError("exists and is not a folder", folder, "os") from exc
    except OSError as exc:
        raise os_error(exc, folder) from exc
    if not folder.is_dir():
        raise WriteError("exists and is not a folder", folder, "os")
    return folder


def check_target(path: str | Path, force: bool) -> Path:
    """Raise the "already exists" error early (before any work) when ``path`` exists and ``force`` is off."""
    target = Path(path)
    if not force and (target.exists() or target.is_symlink()):
        raise exists_error(target)
    return target


def prepare_targets(paths: Iterable[str | Path | None], force: bool) -> list[Path]:
    """Check a command's output files before it does any work, so "already exists" comes first, not last.

    Folders are created; a file named for two outputs is refused; an existing one is refused unless ``force``.

    Returns:
        The paths given (None entries, i.e. outputs not requested, dropped).
    """
    targets: list[Path] = []
    for path in paths:
        if path is None:
            continue
        target = Path(path)
        if any(target.resolve() == seen.resolve() for seen in targets):
            raise WriteError("named for two outputs; give each output its own file", target, "os")
        ensure_directory(target.parent)
        check_target(target, force)
        targets.append(target)
    return targets


def _place(temp: Path, target: Path, force: bool) -> None:
    if force:
        temp.replace(target)
        return
    try:
        target.hardlink_to(temp)  # fails with FileExistsError if the name is taken, atomically
    except FileExistsError:
        raise
    except OSError:
        # No hard links here (FAT, some network shares): check then rename (a tiny race window remains).
        if target.exists() or target.is_symlink():
            raise FileExistsError(errno.EEXIST, "File exists", str(target)) from None
        temp.replace(target)
        return
    temp.unlink()


def write_atomic_with(
    path: str | Path, write: Callable[[IO[bytes]], object], force: bool = False, mode: int = 0o644
) -> Path:
    """Write ``path`` atomically through ``write``, given an open binary temporary file; no silent overwrite.

    For writers that stream into a file object (``np.savez``), so large outputs need no second copy in memory.
    ``mode`` is the file's permission bits, set before it gets its name (``0o600`` for owner-only data such as
    the PACS cache), so the file is never visible under its name with wider permissions.

    Returns:
        The path written.

    Raises:
        WriteError: the file exists (and ``force`` is off), the folder is read-only, the disk is full...
            The destination is then unchanged and no temporary file is left behind.
    """
    target = Path(path)
    check_target(target, force)
    temp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        temp = Path(name)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(mode)
        _place(temp, target, force)
        temp = None
    except OSError as exc:
        raise os_error(exc, target) from exc
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                temp.unlink()
    return target


def move_into_place(source: str | Path, path: str | Path, force: bool = False) -> Path:
    """Give a complete file written elsewhere in the target's folder (a finished download) its final name.

    The same policy as the writers: one atomic step, never replacing an existing file without ``force``, and
    failures as :class:`WriteError`; ``source`` is left where it was when the move fails.

    Returns:
        The path written.
    """
    target = Path(path)
    check_target(target, force)
    try:
        _place(Path(source), target, force)
    except OSError as exc:
        raise os_error(exc, target) from exc
    return target


def append_bytes(path: str | Path, data: bytes) -> Path:
    """Append ``data`` to ``path`` (created if missing) and flush it to disk before returning.

    For outputs that grow during a long run (a batch's CSV rows, its errors file), where rewriting the whole
    file per chunk would cost O(n^2): each call is one ``write`` followed by ``fsync``, so after a crash the
    file holds every chunk that returned, plus at most a torn tail of the last one (readers of such files
    drop an incomplete last line).

    Raises:
        WriteError: the folder is read-only, the disk is full...
    """
    target = Path(path)
    try:
        with target.open("ab") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise os_error(exc, target) from exc
    return target


def write_bytes_atomic(path: str | Path, data: bytes, force: bool = False, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` atomically (:func:`write_atomic_with`); no overwrite without ``force``."""
    return write_atomic_with(path, lambda handle: handle.write(data), force, mode)


def write_text_atomic(path: str | Path, text: str, force: bool = False) -> Path:
    """:func:`write_bytes_atomic` for UTF-8 text."""
    return write_bytes_atomic(path, text.encode("utf-8"), force)


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None and numpy scalars/arrays made plain Python.

    Mappings become dicts and tuples lists (what ``json.dumps`` would make of them anyway); anything else is
    returned unchanged, so an unsupported type still fails loudly in ``json.dumps``.
    """
    if isinstance(value, np.ndarray | np.generic):
        value = value.tolist()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def json_text(document: Any) -> str:
    """Indented JSON text of ``document`` with NaN/Infinity written as ``null`` (always valid JSON)."""
    return json.dumps(json_safe(document), indent=2, allow_nan=False) + "\n"


def write_json_atomic(path: str | Path, document: Any, force: bool = False) -> Path:
    """Write :func:`json_text` of ``document`` atomically; never overwrites without ``force``."""
    return write_text_atomic(path, json_text(document), force)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object, float_format: Callable[[float], str] = repr) -> str:
    """One CSV cell: numbers as numbers, text neutralised against formula injection.

    None and non-finite floats become an empty cell (not available); booleans ``1``/``0``; ints and floats
    (numpy ones too) are formatted as numbers and never prefixed. Any other value is text: when it starts
    with one of :data:`FORMULA_PREFIXES` it gets a leading ``'`` so a spreadsheet shows it instead of
    running it (so a text cell ``"-0.5"`` reads ``'-0.5``: only typed numbers are trusted to be numbers).
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_format(value) if math.isfinite(value) else ""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def csv_text(
    header: Sequence[str], rows: Iterable[Sequence[object]], float_format: Callable[[float], str] = repr
) -> str:
    """A CSV document (``\\n`` line ends): the header, then one line per row of :func:`csv_cell` cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([csv_cell(name) for name in header])
    writer.writerows([csv_cell(value, float_format) for value in row] for row in rows)
    return buffer.getvalue()


def save_npz(path: str | Path, arrays: Mapping[str, npt.NDArray[Any]], force: bool = False) -> Path:
    """Write numeric arrays as an uncompressed ``.npz`` atomically; object arrays are refused (no pickles)."""
    for name, array in arrays.items():
        if array.dtype.hasobject:
            raise ValueError(f"array {name!r} holds Python objects; only numeric arrays are written")
    named: dict[str, Any] = dict(arrays)
    return write_atomic_with(path, lambda handle: np.savez(handle, **named), force)


def _pil_image(rgb: npt.NDArray[np.uint8]) -> Image.Image:
    array = np.ascontiguousarray(rgb, dtype=np.uint8)
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValueError(f"expected (H, W), (H, W, 3) or (H, W, 4) uint8, got {array.shape}")
    return Image.fromarray(array)


def encode_image(rgb: npt.NDArray[np.uint8], fmt: str, text: Mapping[str, str] | None = None) -> bytes:
    """Encode an ``(H, W, 3)`` uint8 image as PNG (with ``text`` chunks), JPEG (quality 95) or TIFF."""
    image = _pil_image(rgb)
    buffer = io.BytesIO()
    fmt = fmt.upper()
    if fmt == "PNG":
        info = PngInfo()
        for key, value in (text or {}).items():
            info.add_itxt(key, value)
        image.save(buffer, format="PNG", pnginfo=info)
    elif fmt in ("JPEG", "JPG"):
        image.convert("RGB").save(buffer, format="JPEG", quality=95)
    elif fmt in ("TIFF", "TIF"):
        image.save(buffer, format="TIFF", compression="tiff_deflate")
    else:
        raise ValueError(f"unsupported image format {fmt!r}")
    return buffer.getvalue()


def save_png(
    path: str | Path, rgb: npt.NDArray[np.uint8], force: bool = False, text: Mapping[str, str] | None = None
) -> Path:
    """Write a PNG atomically; ``text`` goes into iTXt chunks (provenance: software, model, disclaimer)."""
    return write_bytes_atomic(path, encode_image(rgb, "PNG", text), force)


def save_jpeg(path: str | Path, rgb: npt.NDArray[np.uint8], force: bool = False) -> Path:
    return write_bytes_atomic(path, encode_image(rgb, "JPEG"), force)


def save_tiff(path: str | Path, rgb: npt.NDArray[np.uint8], force: bool = False) -> Path:
    return write_bytes_atomic(path, encode_image(rgb, "TIFF"), force)
