"""Ground-truth boxes for the shown image: annotation files found next to opened images or opened by hand.

Opening a folder (or a file in it) also looks for annotation files beside it: every ``.csv`` / ``.json``
whose *content* is a known box format (NIH, ChestX-Det10, COCO, MS-CXR, VinDr, RSNA, plain) is indexed;
anything else is silently ignored there, while a file the user opens explicitly reports its problem. Boxes
are matched by file name / stem and scaled to the opened image (the note says so). Each label keeps one
colour for the whole session.
"""

from __future__ import annotations

import logging
from pathlib import Path

from carzero_viewer.annotations import AnnotationSet
from carzero_viewer.annotations.labels import LabelMap
from carzero_viewer.errors import CarzeroError
from carzero_viewer.imaging import ImageRecord
from carzero_viewer.ui.canvas import BoxSpec

LOG = logging.getLogger(__name__)
ANNOTATION_SUFFIXES = (".csv", ".json")
MAX_AUTO_FILE_BYTES = 50_000_000
PALETTE = (
    (255, 214, 0),
    (0, 229, 255),
    (118, 255, 3),
    (255, 64, 129),
    (255, 145, 0),
    (213, 0, 249),
    (29, 233, 182),
    (255, 255, 255),
)


class GroundTruth:
    """The annotation files of this session and the boxes they give each image."""

    def __init__(self) -> None:
        self._files: list[Path] = []
        self._set = AnnotationSet()
        self._colours: dict[str, tuple[int, int, int]] = {}
        self._labels = LabelMap.load(None)

    @property
    def files(self) -> list[Path]:
        return list(self._files)

    def add_folder(self, folder: Path) -> None:
        """Index the annotation files directly inside ``folder`` (unrecognised files are skipped)."""
        if not folder.is_dir():
            return
        for path in sorted(folder.iterdir()):
            is_candidate = path.suffix.lower() in ANNOTATION_SUFFIXES and path.is_file()
            if is_candidate and path.stat().st_size <= MAX_AUTO_FILE_BYTES:
                self._add(path, quiet=True)

    def add_files(self, paths: list[Path]) -> list[str]:
        """Index files the user chose; returns one message per file that could not be read."""
        return [message for path in paths if (message := self._add(path, quiet=False))]

    def _add(self, path: Path, quiet: bool) -> str:
        resolved = path.resolve()
        if resolved in self._files:
            return ""
        try:
            loaded = AnnotationSet.load([resolved])
        except (CarzeroError, OSError) as exc:
            message = getattr(exc, "message", str(exc))
            LOG.info("not an annotation file: %s", message)
            return "" if quiet else message
        self._files.append(resolved)
        self._set = AnnotationSet((*self._set.boxes, *loaded.boxes), self._files)
        return ""

    def boxes_for(self, record: ImageRecord) -> tuple[list[BoxSpec], str]:
        """Boxes of ``record`` in its pixel frame, coloured per label, and a note when they were rescaled."""
        matched = self._set.boxes_for(record.path, record.shape[:2])
        specs = [
            BoxSpec(box.x1, box.y1, box.x2, box.y2, box.label, self._colour(box.label))
            for box in matched.boxes
        ]
        return specs, matched.note if matched.scaled else ""

    def _colour(self, label: str) -> tuple[int, int, int]:
        key = self._labels.canonical(label)
        if key not in self._colours:
            self._colours[key] = PALETTE[len(self._colours) % len(PALETTE)]
        return self._colours[key]
