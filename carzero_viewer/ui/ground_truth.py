"""Ground-truth boxes for the shown image: annotation files found next to opened images or opened by hand.

Opening a folder (or a file in it) also looks for annotation files beside it, with the policy of
:mod:`carzero_viewer.annotations.discovery`: files of no known format are silently ignored, a broken
annotation file is reported; a file the user opens explicitly reports any problem. Boxes
are matched by file name / stem and scaled to the opened image (the note says so). Each label keeps one
colour for the whole session.
"""

from __future__ import annotations

import logging
from pathlib import Path

from carzero_viewer.annotations import AnnotationError, AnnotationSet, read_boxes
from carzero_viewer.annotations.discovery import candidates, read_if_annotations
from carzero_viewer.annotations.labels import LabelMap
from carzero_viewer.imaging import ImageRecord
from carzero_viewer.ui.canvas import BoxSpec

LOG = logging.getLogger(__name__)
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
        self._reported: set[Path] = set()  # broken files found beside images: reported once per session
        self._set = AnnotationSet()
        self._colours: dict[str, tuple[int, int, int]] = {}
        self._labels = LabelMap.load(None)

    @property
    def files(self) -> list[Path]:
        return list(self._files)

    def add_folder(self, folder: Path) -> list[str]:
        """Index the annotation files directly inside ``folder``; one message per broken annotation file."""
        return [message for path in candidates(folder) if (message := self._add(path, discovered=True))]

    def add_files(self, paths: list[Path]) -> list[str]:
        """Index files the user chose; returns one message per file that could not be read."""
        return [message for path in paths if (message := self._add(path, discovered=False))]

    def _add(self, path: Path, discovered: bool) -> str:
        resolved = path.resolve()
        if resolved in self._files or (discovered and resolved in self._reported):
            return ""
        try:
            boxes = read_if_annotations(resolved) if discovered else read_boxes(resolved)
        except AnnotationError as exc:
            LOG.info("annotation file not used: %s", exc.message)
            self._reported.add(resolved)
            return exc.message
        if boxes is None:
            return ""
        self._files.append(resolved)
        self._set = AnnotationSet((*self._set.boxes, *boxes), self._files)
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
