"""Ground truth for the shown image: annotation files found next to opened images or opened by hand.

Box files give boxes; an NIH ``Data_Entry_2017.csv`` gives image-level labels (the same file ``eval --labels``
reads), matched by file name like boxes.

Opening a folder (or a file in it) also looks for annotation files beside it, with the policy of
:mod:`carzero_viewer.annotations.discovery`: files of no known format are silently ignored, a broken
annotation file is reported; a file the user opens explicitly reports any problem. Boxes
are matched by file name / stem and scaled to the opened image (the note says so). Colours, line styles and
the source tag follow :mod:`carzero_viewer.annotations.display`: the classes of one image get distinct colours,
each source on the image its own line style, and labels name their source when several are shown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from carzero_viewer.annotations import AnnotationError, AnnotationSet, ImageLabels, read_boxes
from carzero_viewer.annotations.discovery import candidates, read_if_annotations, read_if_image_labels
from carzero_viewer.annotations.display import caption, style_boxes
from carzero_viewer.annotations.labels import LabelMap
from carzero_viewer.imaging import ImageRecord

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class BoxSpec:
    """A box to draw, in original-image pixels (x = column, y = row; x2/y2 are the far edges).

    Plain data shared by the ground-truth model, the box layer that draws it and the metrics. ``source`` names
    where the box comes from ("NIH"), ``line_style`` is one of
    :data:`carzero_viewer.annotations.display.LINE_STYLES` and ``tag`` is extra text drawn after the label (the
    source, when boxes of several sources are shown).
    """

    x1: float
    y1: float
    x2: float
    y2: float
    label: str
    color: tuple[int, int, int]
    source: str = ""
    line_style: str = "solid"
    tag: str = ""

    @property
    def caption(self) -> str:
        """The text drawn with the box."""
        return caption(self.label, self.tag)


class GroundTruth:
    """The annotation files of this session and the boxes they give each image."""

    def __init__(self) -> None:
        self._files: list[Path] = []
        self._reported: set[Path] = set()  # broken files found beside images: reported once per session
        self._set = AnnotationSet()
        self._image_labels: list[ImageLabels] = []
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
            labels = read_if_image_labels(resolved)
            boxes = None
            if labels is None:
                boxes = read_if_annotations(resolved) if discovered else read_boxes(resolved)
        except AnnotationError as exc:
            LOG.info("annotation file not used: %s", exc.message)
            self._reported.add(resolved)
            return exc.message
        if labels is not None:
            self._image_labels.append(labels)
        elif boxes is not None:
            self._set = AnnotationSet((*self._set.boxes, *boxes), [*self._set.files, resolved])
        else:
            return ""
        self._files.append(resolved)
        return ""

    def labels_for(self, record: ImageRecord) -> tuple[list[str], str]:
        """Image-level labels of ``record`` (sorted) and the names of the files that gave them."""
        found: set[str] = set()
        sources: list[str] = []
        for table in self._image_labels:
            labels = table.for_image(record.path)
            if labels is not None:
                found |= labels
                sources.append(table.source.name)
        return sorted(found, key=str.casefold), ", ".join(sources)

    def boxes_for(self, record: ImageRecord) -> tuple[list[BoxSpec], str]:
        """Boxes of ``record`` in its pixel frame, styled per class and source, and a note when rescaled."""
        matched = self._set.boxes_for(record.path, record.shape[:2])
        specs = [
            BoxSpec(
                styled.box.x1,
                styled.box.y1,
                styled.box.x2,
                styled.box.y2,
                styled.box.label,
                styled.colour,
                source=styled.source,
                line_style=styled.line_style,
                tag=styled.tag,
            )
            for styled in style_boxes(matched.boxes, self._labels)
        ]
        return specs, matched.note if matched.scaled else ""
