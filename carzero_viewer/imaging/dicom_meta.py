"""Reading the grey-level pipeline parameters, the spacing and the PHI-free metadata from a DICOM dataset.

Kept apart from pixel decoding so each rule (which attribute wins, which values are degenerate) is small and
testable. Real files are messy: multi-valued or malformed Window Center strings, a zero Pixel Spacing, LUT
descriptors whose "first mapped" value is stored unsigned for signed data, enhanced multi-frame objects that
keep rescale/window/spacing in functional groups. Every helper here returns "absent" for a value it cannot use
instead of raising, and the caller records what it ignored in the pipeline notes.

PHI: :func:`phi_free_metadata` reads only the whitelisted attributes. :func:`full_tag_dump` is the only
function that reads everything, and it exists for an explicit user request ("show all tags").
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from carzero_viewer.imaging.voi import VoiFunction, VoiLut, Window

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

PER_FRAME = "PerFrameFunctionalGroupsSequence"
SHARED = "SharedFunctionalGroupsSequence"


def _group_items(ds: Dataset, frame: int) -> Iterator[Dataset]:
    """Functional-group macro items for ``frame``: per-frame first, then shared."""
    for keyword, index in ((PER_FRAME, frame), (SHARED, 0)):
        seq = ds.get(keyword)
        if not seq or index >= len(seq):
            continue
        group = seq[index]
        for elem in group:
            if elem.VR == "SQ" and elem.value:
                yield elem.value[0]


def lookup(ds: Dataset, keyword: str, frame: int = 0) -> Any:
    """Value of ``keyword`` for ``frame``: functional groups win over the top level (enhanced objects)."""
    for item in _group_items(ds, frame):
        if keyword in item:
            return item[keyword].value
    if keyword in ds:
        return ds[keyword].value
    return None


def floats(value: Any) -> list[float]:
    """All finite numbers in a DS/IS/FD value (single, multi-valued or backslash string); bad parts skipped."""
    if value is None:
        return []
    items: list[Any]
    if isinstance(value, str | bytes):
        text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
        items = list(text.split("\\"))
    elif isinstance(value, list | tuple) or hasattr(value, "__iter__"):
        items = list(value)
    else:
        items = [value]
    out: list[float] = []
    for item in items:
        try:
            number = float(item)
        except (TypeError, ValueError, OverflowError):
            continue
        if math.isfinite(number):
            out.append(number)
    return out


def first_float(value: Any, default: float) -> float:
    """The first usable number of a value, else ``default``."""
    numbers = floats(value)
    return numbers[0] if numbers else default


def text(value: Any) -> str:
    """A short display string for a value (multi-values joined by backslash)."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("ascii", "replace").strip()
    if isinstance(value, str):
        return value.strip()
    if hasattr(value, "__iter__"):
        return "\\".join(str(v).strip() for v in value)
    return str(value).strip()


def windows(ds: Dataset, frame: int, notes: list[str]) -> list[Window]:
    """Every Window Center/Width pair (multi-valued attributes give several presets)."""
    centers = floats(lookup(ds, "WindowCenter", frame))
    widths = floats(lookup(ds, "WindowWidth", frame))
    if not centers or not widths:
        return []
    function_text = text(lookup(ds, "VOILUTFunction", frame)).upper() or "LINEAR"
    try:
        function = VoiFunction(function_text)
    except ValueError:
        notes.append(f"VOI LUT Function {function_text!r} unknown, LINEAR used")
        function = VoiFunction.LINEAR
    explanation = lookup(ds, "WindowCenterWidthExplanation", frame)
    names = text(explanation).split("\\") if explanation is not None else []
    out: list[Window] = []
    for i, (center, width) in enumerate(zip(centers, widths, strict=False)):
        if width <= 0 or (function is VoiFunction.LINEAR and width < 1):
            notes.append(f"Window Width {width:g} is not valid, preset ignored")
            continue
        name = names[i].strip() if i < len(names) and names[i].strip() else f"Window {i + 1}"
        out.append(Window(center=center, width=width, function=function, name=name))
    return out


def _lut_from_item(item: Dataset, signed_input: bool, little_endian: bool) -> tuple[int, np.ndarray, int]:
    """(first mapped value, table, bits) of a Modality/VOI LUT item; raises ValueError when unusable."""
    descriptor = [int(v) for v in floats(item.get("LUTDescriptor"))]
    if len(descriptor) != 3:
        raise ValueError("LUT Descriptor does not have 3 values")
    entries, first, bits = descriptor
    entries = 65536 if entries == 0 else entries
    if signed_input and first > 32767:
        first -= 65536
    if "LUTData" not in item:
        raise ValueError("LUT has no LUT Data")
    raw = item["LUTData"].value
    if isinstance(raw, bytes):
        if bits <= 8 and len(raw) == entries:
            table = np.frombuffer(raw, dtype=np.uint8)
        else:
            table = np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<u2" if little_endian else ">u2")
    else:
        table = np.asarray(floats(raw), dtype=np.float64)
    if table.size == 0:
        raise ValueError("LUT Data is empty")
    if table.size > entries:
        table = table[:entries]
    if not 1 <= bits <= 16:
        bits = 16
    return first, table.astype(np.float32), bits


def voi_luts(ds: Dataset, notes: list[str]) -> list[VoiLut]:
    """VOI LUT Sequence items (C.11.2), in file order."""
    seq = ds.get("VOILUTSequence")
    if not seq:
        return []
    signed = int(first_float(ds.get("PixelRepresentation"), 0)) == 1
    out: list[VoiLut] = []
    for i, item in enumerate(seq):
        try:
            first, table, bits = _lut_from_item(item, signed, bool(getattr(ds, "is_little_endian", True)))
        except (ValueError, TypeError, KeyError) as exc:
            notes.append(f"VOI LUT {i + 1} ignored ({exc})")
            continue
        name = text(item.get("LUTExplanation")) or f"VOI LUT {i + 1}"
        out.append(VoiLut(first_mapped=first, table=table, bits=bits, name=name))
    return out


def modality_lut(ds: Dataset, notes: list[str]) -> tuple[int, np.ndarray] | None:
    """(first mapped, table) of the first Modality LUT Sequence item, or None (then rescale applies)."""
    seq = ds.get("ModalityLUTSequence")
    if not seq:
        return None
    signed = int(first_float(ds.get("PixelRepresentation"), 0)) == 1
    try:
        first, table, _bits = _lut_from_item(seq[0], signed, bool(getattr(ds, "is_little_endian", True)))
    except (ValueError, TypeError, KeyError) as exc:
        notes.append(f"Modality LUT Sequence ignored ({exc}); rescale used")
        return None
    return first, table


def pixel_spacing(ds: Dataset, frame: int, notes: list[str]) -> tuple[tuple[float, float] | None, str]:
    """(row, column) spacing in mm and its source: Pixel Spacing, else Imager Pixel Spacing.

    Zero, negative, non-finite or absurd (> 10 mm per pixel for a radiograph) values are degenerate: measuring
    with them would divide by zero or lie, so they are skipped with a note.
    """
    for keyword, label in (("PixelSpacing", "Pixel Spacing"), ("ImagerPixelSpacing", "Imager Pixel Spacing")):
        value = lookup(ds, keyword, frame)
        if value is None:
            continue
        numbers = floats(value)
        if len(numbers) >= 2 and all(0.0 < v <= 10.0 for v in numbers[:2]):
            return (numbers[0], numbers[1]), label
        notes.append(f"{label} '{text(value)}' is degenerate, ignored")
    return None, ""


def _study_date(value: Any) -> str:
    raw = text(value)
    if len(raw) == 8 and raw.isdigit():
        return f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
    return raw


def phi_free_metadata(ds: Dataset, rows: int, columns: int, frames: int, frame: int) -> dict[str, str]:
    """The whitelisted, PHI-free subset shown in the UI and by ``inspect`` (never patient identity).

    Patient Orientation is read for ``frame`` (enhanced objects keep it per frame): it tells a lateral from a
    frontal view when View Position is missing (see :mod:`carzero_viewer.imaging.applicability`). Series
    Description names the acquisition ("PA", "CHEST 2 VIEWS"), not the patient; the corner overlays show it.
    """
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    syntax_text = ""
    if syntax is not None:
        syntax_text = f"{getattr(syntax, 'name', '') or syntax} ({syntax})"
    return {
        "format": "DICOM",
        "modality": text(ds.get("Modality")),
        "view_position": text(ds.get("ViewPosition")),
        "patient_orientation": text(lookup(ds, "PatientOrientation", frame)),
        "body_part": text(ds.get("BodyPartExamined")),
        "series_description": text(ds.get("SeriesDescription")),
        "study_date": _study_date(ds.get("StudyDate")),
        "manufacturer": text(ds.get("Manufacturer")),
        "transfer_syntax": syntax_text,
        "bits_stored": text(ds.get("BitsStored")),
        "photometric_interpretation": text(ds.get("PhotometricInterpretation")),
        "size": f"{columns}x{rows}",
        "frames": str(frames),
    }


def full_tag_dump(path: str | Path) -> list[str]:
    """Every tag of a DICOM file as text lines, *including patient identity and private tags*.

    Only for an explicit user request ("show all tags"); never call it for logging or exports.
    """
    import pydicom

    from carzero_viewer.errors import ImageLoadError
    from carzero_viewer.untrusted import require_regular_file

    require_regular_file(path, ImageLoadError, "DICOM file")
    lines: list[str] = []
    try:
        with warnings.catch_warnings():
            # Real files break VR length rules; the dump shows them as they are.
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(io.BytesIO(Path(path).read_bytes()), force=True, stop_before_pixels=True)
            if getattr(ds, "file_meta", None) is not None:
                lines.extend(str(elem) for elem in ds.file_meta)
            lines.extend(str(elem) for elem in ds.iterall())
    except Exception as exc:
        raise ImageLoadError(f"cannot read DICOM tags ({type(exc).__name__})", path) from exc
    return lines
