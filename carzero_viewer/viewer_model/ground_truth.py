"""Ground truth for the shown image: annotation files found next to opened images or opened by hand.

Box files give boxes; an NIH ``Data_Entry_2017.csv`` gives image-level labels (the same file ``eval --labels``
reads), matched by file name like boxes.

Opening a folder (or a file in it) also looks for annotation files beside it and up to two levels above it,
with the policy of :mod:`carzero_viewer.annotations.discovery`: files of no known format are silently
ignored, a broken annotation file is reported; a file the user opens explicitly reports any problem.

Reading is split from indexing so that the viewer reads off the GUI thread: :meth:`GroundTruth.request`
(fast) says what to read, :func:`read_truth` (slow, pure: an 8 MB NIH table takes about a second) reads it
into plain data in any thread, and :meth:`GroundTruth.index` (fast) adds the result. Reads are additive, so a
request made before :meth:`GroundTruth.clear` is the only kind whose result is dropped. Boxes
are matched by file name / stem and scaled to the opened image (the note says so). Colours, line styles and
the source tag follow :mod:`carzero_viewer.annotations.display`: the classes of one image get distinct colours,
each source on the image its own line style, and labels name their source when several are shown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from carzero_viewer.annotations import AnnotationError, AnnotationSet, ImageLabels
from carzero_viewer.annotations.discovery import (
    AnnotationFile,
    candidates,
    read_annotation_file,
    search_folders,
)
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


@dataclass(frozen=True)
class TruthRequest:
    """What to read: the annotation files in ``folders`` (discovered) and ``files`` (named by the user).

    ``indexed`` and ``reported`` are the files already indexed and the broken ones already reported this
    session when the request was made: discovery skips both, a file named by the user only the first.
    ``epoch`` ties the request to the session (:meth:`GroundTruth.clear` starts a new one).
    """

    folders: tuple[Path, ...]
    files: tuple[Path, ...]
    indexed: frozenset[Path]
    reported: frozenset[Path]
    epoch: int


@dataclass(frozen=True)
class BrokenFile:
    """An annotation file that could not be read: ``message`` names it and says why."""

    path: Path
    message: str
    discovered: bool


@dataclass(frozen=True)
class TruthRead:
    """What a :class:`TruthRequest` gave: the files read and the broken ones."""

    epoch: int
    found: tuple[AnnotationFile, ...]
    broken: tuple[BrokenFile, ...]


def read_truth(request: TruthRequest) -> TruthRead:
    """Read the request's files (slow; pure, so any thread may run it). Files are resolved, each read once."""
    wanted = [(c, True) for folder in request.folders for c in candidates(folder)]
    wanted += [(path, False) for path in request.files]
    seen: set[Path] = set()
    found: list[AnnotationFile] = []
    broken: list[BrokenFile] = []
    for path, discovered in wanted:
        resolved = path.resolve()
        skip = request.indexed | request.reported if discovered else request.indexed
        if resolved in seen or resolved in skip:
            continue
        seen.add(resolved)
        try:
            read = read_annotation_file(resolved, discovered)
        except AnnotationError as exc:
            LOG.info("annotation file not used: %s", exc.message)
            broken.append(BrokenFile(resolved, exc.message, discovered))
            continue
        if read is not None:
            found.append(read)
    return TruthRead(request.epoch, tuple(found), tuple(broken))


class GroundTruth:
    """The annotation files of this session and the boxes they give each image."""

    def __init__(self) -> None:
        self._epoch = 0
        self.clear()

    def clear(self) -> None:
        """Forget every file; reads requested before are dropped when they arrive."""
        self._epoch += 1
        self._files: list[Path] = []
        self._reported: set[Path] = set()  # broken files: reported once per session when discovered
        self._set = AnnotationSet()
        self._image_labels: list[ImageLabels] = []
        self._labels = LabelMap.load(None)

    @property
    def files(self) -> list[Path]:
        return list(self._files)

    def request(self, folders: list[Path], files: list[Path]) -> TruthRequest:
        """Read the annotation files in and above ``folders`` (see the module docstring) and ``files``."""
        return TruthRequest(
            tuple(search_folders(folders)),
            tuple(files),
            frozenset(self._files),
            frozenset(self._reported),
            self._epoch,
        )

    def index(self, read: TruthRead) -> tuple[list[str], bool]:
        """Add what ``read`` found; returns one message per broken file and whether anything was added."""
        if read.epoch != self._epoch:
            return [], False
        messages = [b.message for b in read.broken if not (b.discovered and b.path in self._reported)]
        self._reported.update(b.path for b in read.broken)
        new = [found for found in read.found if found.path not in self._files]
        boxes = [found for found in new if found.labels is None]
        if boxes:
            files = [*self._set.files, *(found.path for found in boxes)]
            self._set = AnnotationSet((*self._set.boxes, *(b for found in boxes for b in found.boxes)), files)
        self._image_labels.extend(found.labels for found in new if found.labels is not None)
        self._files.extend(found.path for found in new)
        return messages, bool(new)

    def add_folder(self, folder: Path) -> list[str]:
        """Read and index at once the annotation files in and above ``folder``; one message per broken file."""
        return self.index(read_truth(self.request([folder], [])))[0]

    def add_files(self, paths: list[Path]) -> list[str]:
        """Read and index at once files the user chose; one message per file that could not be read."""
        return self.index(read_truth(self.request([], paths)))[0]

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
