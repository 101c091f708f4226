"""Is this image something the model can read? One check, used by every view, command and export.

CARZero was trained on frontal chest radiographs (MIMIC-CXR, 8-bit greyscale JPGs, spec section 8 item 26).
It scores anything it is given -- a 64x64 MR, a lateral view, a hip film -- with the same confidence, so the
viewer says plainly when an image is outside that domain. The check **never refuses**: it returns reasons to
warn, and scoring goes on. It reads only the opened :class:`~carzero_viewer.imaging.record.ImageRecord` (its
PHI-free metadata, size, colour and frame count), never the file again, so the canvas, the scores panel, the
CLI and the exports all show the same verdict for the same record.

The rules, in the order their reasons are listed:

1. **Modality** (DICOM only): CR, DX and DR are radiographs (DR is no DICOM defined term, but some digital
   radiography systems write it). Anything else is a reason: MR, CT, US and the
   like are not radiographs at all. OT (other) and SC (secondary capture) are a reason too, worded as
   "cannot confirm" rather than "not a radiograph": some chest films are archived that way (scanned films,
   screenshots, research exports), but so are test patterns and reports, and the file gives no way to tell.
   A DICOM without Modality (a required attribute) is a reason for the same reason.
2. **Body part examined** (DICOM, when present): a chest term (CHEST, THORAX, LUNG and their spellings, see
   :data:`CHEST_TERMS`, matched case-insensitively as part of the value, so "CHEST_ABDOMEN" counts) is fine;
   anything else (HIP, EXTREMITY, HEAD) is a reason. An absent or empty value gives no reason: many chest
   DICOMs leave it out, and a warning on every such file would teach users to ignore warnings.
3. **Lateral view** (DICOM): View Position LL, RL, LATERAL or LAT; or, when View Position does not say so, a
   Patient Orientation whose row and column directions are one anterior/posterior and one head/foot (the image
   plane is sagittal, which a frontal PA/AP film never is: its row direction is left/right). The model never
   saw a lateral in training.
4. **Colour**: a colour record (DICOM Photometric Interpretation RGB, YBR_* or PALETTE COLOR; a PNG/JPEG/TIFF
   whose channels actually differ -- grey-valued colour files are read as grey by the raster reader). The model
   reads a grey conversion of it and was trained on greyscale films only.
5. **Size**: either side below the model's 224-pixel crop (:data:`~carzero_viewer.model.preprocessing.
   CROP_SIZE`). Such an image is enlarged before the crop, so it holds less detail than any training image.
6. **Multi-frame**: more than one frame (cine, tomosynthesis, a stack). Only the selected frame is scored, and a
   radiograph is a single frame, so more frames say this is another kind of acquisition.

Non-DICOM files carry no modality, body part or view, so only rules 4 and 5 (and 6, trivially) apply.

Reasons are ASCII sentences (exports draw them with fonts that may lack other glyphs); a value quoted from the
file is put on one line and cut to :data:`MAX_QUOTED` characters, so a damaged or hostile attribute cannot
flood the canvas or an export.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from carzero_viewer.imaging.record import ImageRecord, SourceFormat
from carzero_viewer.model.preprocessing import CROP_SIZE

RADIOGRAPH_MODALITIES = frozenset({"CR", "DX", "DR"})
# Modalities under which chest films are sometimes archived: worded as "cannot confirm", not "is not".
UNCONFIRMED_MODALITIES: dict[str, str] = {"OT": "other", "SC": "secondary capture"}
MODALITY_NAMES: dict[str, str] = {
    "CT": "computed tomography",
    "MR": "magnetic resonance",
    "US": "ultrasound",
    "MG": "mammography",
    "NM": "nuclear medicine",
    "PT": "PET",
    "XA": "angiography",
    "RF": "fluoroscopy",
    "IO": "intra-oral dental",
    "PX": "panoramic dental",
}
CHEST_TERMS: tuple[str, ...] = ("CHEST", "THORAX", "TORAX", "THORAKS", "LUNG", "CXR")
LATERAL_VIEWS = frozenset({"LL", "RL", "LATERAL", "LAT"})
TRAINED_ON = "the model was trained on frontal chest radiographs only"
# A value quoted from the file is cut to this many characters: a reason is one line on a canvas or in an export.
MAX_QUOTED = 40


@dataclass(frozen=True)
class Applicability:
    """Whether an image is within what the model was trained on, and why not.

    Attributes:
        ok: True when no rule found a reason to warn.
        reasons: plain-language sentences, one per rule that fired, in rule order (see the module docstring).
    """

    ok: bool
    reasons: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.ok == bool(self.reasons):
            raise ValueError("Applicability is ok exactly when it has no reasons")

    def to_json(self) -> dict[str, object]:
        """``{"ok": bool, "reasons": [str, ...]}``: the shape ``inspect --json`` and the exports write."""
        return {"ok": self.ok, "reasons": list(self.reasons)}


def _quoted(value: str) -> str:
    """``value`` as one line (runs of whitespace, newlines included, become one space), cut to MAX_QUOTED."""
    line = " ".join(value.split())
    return line if len(line) <= MAX_QUOTED else line[: MAX_QUOTED - 3] + "..."


def _modality(record: ImageRecord) -> str | None:
    if record.source_format is not SourceFormat.DICOM:
        return None
    modality = record.metadata.get("modality", "").strip().upper()
    if modality in RADIOGRAPH_MODALITIES:
        return None
    if not modality:
        return f"the file does not give its Modality, so it cannot be confirmed as a radiograph; {TRAINED_ON}"
    if modality in UNCONFIRMED_MODALITIES:
        return (
            f"Modality is {modality} ({UNCONFIRMED_MODALITIES[modality]}), so it cannot be confirmed as a "
            f"radiograph (CR/DX); check it is a chest X-ray: {TRAINED_ON}"
        )
    name = f" ({MODALITY_NAMES[modality]})" if modality in MODALITY_NAMES else ""
    return f"Modality is {_quoted(modality)}{name}, not a radiograph (CR/DX): {TRAINED_ON}"


def _body_part(record: ImageRecord) -> str | None:
    body_part = record.metadata.get("body_part", "").strip()
    if not body_part or any(term in body_part.upper() for term in CHEST_TERMS):
        return None
    return f"body part examined is {_quoted(body_part)}, not the chest: {TRAINED_ON}"


def _sagittal(orientation: str) -> bool:
    """True when a Patient Orientation ("A\\F", "P\\H", ...) puts the image in a sagittal plane."""
    directions = [value.strip().upper() for value in orientation.split("\\")]
    if len(directions) != 2 or not all(directions):
        return False
    primary = {directions[0][0], directions[1][0]}
    return bool(primary & {"A", "P"}) and bool(primary & {"H", "F"})


def _lateral(record: ImageRecord) -> str | None:
    view = record.metadata.get("view_position", "").strip()
    if view.upper() in LATERAL_VIEWS:
        return f"view position is {view} (lateral): {TRAINED_ON}"
    orientation = record.metadata.get("patient_orientation", "")
    if _sagittal(orientation):
        return f"patient orientation {_quoted(orientation)} means a lateral view: {TRAINED_ON}"
    return None


def _colour(record: ImageRecord) -> str | None:
    if not record.is_color:
        return None
    photometric = record.metadata.get("photometric_interpretation", "") or "RGB"
    return (
        f"the image is in colour ({photometric}); the model reads a grey conversion of it and was trained on "
        "greyscale radiographs only"
    )


def _size(record: ImageRecord) -> str | None:
    height, width = record.shape
    if min(height, width) >= CROP_SIZE:
        return None
    return (
        f"the image is {width}x{height} pixels, smaller than the model's {CROP_SIZE}x{CROP_SIZE} input: it is "
        "enlarged before scoring and holds less detail than any training image"
    )


def _frames(record: ImageRecord) -> str | None:
    if record.frame_count <= 1:
        return None
    return (
        f"the file has {record.frame_count} frames (cine or multi-frame); a radiograph is one frame and only "
        f"frame {record.frame + 1} is scored"
    )


RULES: tuple[Callable[[ImageRecord], str | None], ...] = (
    _modality,
    _body_part,
    _lateral,
    _colour,
    _size,
    _frames,
)


def check_applicability(record: ImageRecord) -> Applicability:
    """Every reason the model may not be able to read ``record`` (see the module docstring); never raises."""
    reasons = tuple(reason for rule in RULES if (reason := rule(record)) is not None)
    return Applicability(ok=not reasons, reasons=reasons)
