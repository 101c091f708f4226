"""Boxes from one or more annotation files, grouped by image, matched to an opened image and scaled to it.

Matching, first hit wins: the DICOM SOP Instance UID (when the caller passes one), the file name, then the
file stem (so ``00000344_003.png`` boxes find ``00000344_003.dcm`` and VinDr/RSNA ids find ``<id>.dicom``).
Comparison ignores case and any folder in the annotation's image name.

Boxes are scaled from the size they were drawn on to the opened image's size, and :attr:`MatchedBoxes.note`
says so in one line the UI and reports can show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from carzero_viewer.annotations.boxes import Box
from carzero_viewer.annotations.detect import read_boxes


def _name_key(image_key: str) -> str:
    return PurePosixPath(image_key.replace("\\", "/")).name.lower()


def _stem_key(name: str) -> str:
    stem = name.rsplit(".", 1)[0] if "." in name and not _looks_like_uid(name) else name
    return stem.lower()


def _looks_like_uid(text: str) -> bool:
    """A DICOM UID (digits and dots only, several components): its dots are not an extension."""
    return text.count(".") >= 2 and text.replace(".", "").isdigit()


@dataclass(frozen=True)
class MatchedBoxes:
    """The boxes of one opened image, in its pixel frame.

    Attributes:
        boxes: scaled to the opened image (``image_size`` = its shape).
        scaled: True when at least one box was rescaled.
        note: one line for the user about how the boxes were matched and scaled ("" when nothing to say).
        matched_by: ``"sop_uid"``, ``"file name"``, ``"stem"`` or ``""`` (no boxes).
    """

    boxes: tuple[Box, ...]
    scaled: bool
    note: str
    matched_by: str = ""


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _scale_note(box: Box, shape: tuple[int, int]) -> tuple[str, bool]:
    height, width = shape
    if box.image_size is None:
        return "no image size recorded; boxes used as drawn, in the opened image's pixels", False
    h0, w0 = box.image_size
    assumed = " (assumed: the file records no size)" if box.size_assumed else ""
    if (h0, w0) == (height, width):
        return (f"boxes were drawn on a {w0}x{h0} image{assumed}" if assumed else ""), False
    sx, sy = width / w0, height / h0
    factor = f"x{_fmt(sx)}" if abs(sx - sy) < 5e-3 else f"x{_fmt(sx)} horizontally, x{_fmt(sy)} vertically"
    return f"boxes were drawn on a {w0}x{h0} image{assumed}; scaled {factor} to {width}x{height}", True


class AnnotationSet:
    """All boxes of one or more annotation files, indexed by image."""

    def __init__(self, boxes: Iterable[Box] = (), files: Sequence[Path] = ()) -> None:
        self.boxes: tuple[Box, ...] = tuple(boxes)
        self.files: tuple[Path, ...] = tuple(files)
        self._by_name: dict[str, list[Box]] = {}
        self._by_stem: dict[str, list[Box]] = {}
        for box in self.boxes:
            name = _name_key(box.image_key)
            self._by_name.setdefault(name, []).append(box)
            self._by_stem.setdefault(_stem_key(name), []).append(box)

    @classmethod
    def load(cls, paths: Iterable[str | Path]) -> AnnotationSet:
        """Read every file (format detected by content) into one set."""
        files = [Path(p) for p in paths]
        boxes: list[Box] = []
        for path in files:
            boxes.extend(read_boxes(path))
        return cls(boxes, files)

    def __len__(self) -> int:
        return len(self.boxes)

    def labels(self) -> list[str]:
        """The distinct labels as spelled in the files."""
        return sorted({box.label for box in self.boxes})

    def sources(self) -> list[str]:
        return sorted({box.source for box in self.boxes})

    def lookup(self, path: Path, sop_uid: str | None = None) -> tuple[list[Box], str]:
        """The boxes of an image (unscaled) and how they were found."""
        if sop_uid:
            found = self._by_name.get(sop_uid.lower())
            if found:
                return found, "sop_uid"
        name = path.name.lower()
        if name in self._by_name:
            return self._by_name[name], "file name"
        stem = _stem_key(name)
        if stem in self._by_stem:
            return self._by_stem[stem], "stem"
        return [], ""

    def boxes_for(self, path: Path, image_shape: tuple[int, int], sop_uid: str | None = None) -> MatchedBoxes:
        """The boxes of the image at ``path`` whose pixel array is ``image_shape = (height, width)``."""
        found, how = self.lookup(Path(path), sop_uid)
        if not found:
            return MatchedBoxes((), False, "", "")
        notes: list[str] = []
        scaled = False
        for box in found:
            note, rescaled = _scale_note(box, image_shape)
            scaled |= rescaled
            if note and note not in notes:
                notes.append(note)
        boxes = tuple(box.scaled_to(*image_shape) for box in found)
        return MatchedBoxes(boxes, scaled, "; ".join(notes), how)
