"""Annotation files found beside images, for ``export`` and the viewer's folder opening.

Every ``*.csv`` / ``*.json`` directly inside the folder is a candidate, because annotation files have no
telling name. The viewer also looks in the folder's parent and grandparent (:func:`search_folders`): NIH
ChestX-ray14 ships ``images_001/images/*.png`` with ``Data_Entry_2017.csv`` and ``BBox_List_2017.csv`` two
levels up, ChestX-Det10 its ``train.json``/``test.json`` beside the ``train``/``test`` folders. The search is
bounded: never the filesystem root, the home directory or a folder above it (they hold users' files, not a
data set's), and a folder with more than :data:`MAX_CANDIDATES` candidates is a results or export folder,
not a data set's, and is not read at all (reading the first few would be an arbitrary choice). The policy
for each candidate, in one place:

- a file that is not recognisably annotations (:class:`~carzero_viewer.annotations.boxes.UnknownFormat`: a
  ``prompts.json``, a results table, a binary file or a pipe named ``.csv``, JSON nested too deep) is skipped
  silently (logged at debug level);
- a recognised annotation file with a bad row or value is reported (its one-line
  :class:`~carzero_viewer.annotations.boxes.AnnotationError`) and skipped;
- the other files' boxes are used, so one bad file never stops an export or hides the rest.

A file the user names explicitly (``eval --annotations``, *Open ground-truth boxes*) is read with
:func:`~carzero_viewer.annotations.detect.read_boxes` instead and reports any problem.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from carzero_viewer.annotations.boxes import AnnotationError, Box, UnknownFormat
from carzero_viewer.annotations.detect import read_boxes
from carzero_viewer.annotations.image_labels import ImageLabels, read_image_labels
from carzero_viewer.annotations.index import AnnotationSet

LOG = logging.getLogger(__name__)
CANDIDATE_SUFFIXES = (".csv", ".json")
MAX_CANDIDATES = 32  # NIH, VinDr-CXR and ChestX-Det10 roots hold 2-6 tables; 32 leaves room for a user's own
ANCESTOR_LEVELS = 2  # the NIH layout puts its tables two levels above the images


@dataclass(frozen=True)
class FolderAnnotations:
    """What a folder's annotation files gave.

    Attributes:
        annotations: the boxes of every file that was read, with those files.
        problems: one error per recognised annotation file that could not be read (message names the file).
    """

    annotations: AnnotationSet
    problems: tuple[AnnotationError, ...]


def candidates(folder: Path) -> list[Path]:
    """The ``.csv`` / ``.json`` entries directly inside ``folder`` (any case), sorted.

    None when the folder is unreadable or holds more than :data:`MAX_CANDIDATES` of them (the listing stops
    there, so a huge folder is not listed to the end).
    """
    found: list[Path] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if Path(entry.name).suffix.lower() not in CANDIDATE_SUFFIXES:
                    continue
                if len(found) == MAX_CANDIDATES:
                    LOG.info(
                        "%s: more than %d .csv/.json files, none read as annotations", folder, MAX_CANDIDATES
                    )
                    return []
                found.append(folder / entry.name)
    except OSError:
        return []
    return sorted(found)


def search_folders(folders: Iterable[Path]) -> list[Path]:
    """Each folder (resolved) then its parent and grandparent, once each, in that order.

    An ancestor that is the filesystem root, the home directory or above it ends the climb.
    """
    try:
        home = Path.home().resolve()
        stops = {home, *home.parents}
    except (RuntimeError, OSError):  # no home directory known
        stops = set()
    found: dict[Path, None] = {}
    for folder in folders:
        resolved = folder.resolve()
        found[resolved] = None
        for ancestor in resolved.parents[:ANCESTOR_LEVELS]:
            if ancestor == ancestor.parent or ancestor in stops:
                break
            found[ancestor] = None
    return list(found)


def read_if_annotations(path: Path) -> list[Box] | None:
    """The boxes of ``path``, or ``None`` when it is not recognisably an annotation file.

    Raises:
        AnnotationError: a recognised annotation file with a bad row or value.
    """
    try:
        return read_boxes(path)
    except UnknownFormat as exc:
        LOG.debug("not an annotation file, skipped: %s", exc.message)
        return None


def read_if_image_labels(path: Path) -> ImageLabels | None:
    """The image-level labels of ``path`` (NIH ``Data_Entry_2017.csv``), or ``None`` when it has another layout.

    Raises:
        AnnotationError: a labels file with a bad row or value.
    """
    if path.suffix.lower() != ".csv":
        return None
    try:
        return read_image_labels(path)
    except UnknownFormat as exc:
        LOG.debug("not an image-labels file: %s", exc.message)
        return None


def discover(folder: Path) -> FolderAnnotations:
    """Every annotation file directly inside ``folder``, following the policy of this module."""
    boxes: list[Box] = []
    files: list[Path] = []
    problems: list[AnnotationError] = []
    for path in candidates(folder):
        try:
            found = read_if_annotations(path)
        except AnnotationError as exc:
            problems.append(exc)
            continue
        if found is not None:
            boxes.extend(found)
            files.append(path)
    return FolderAnnotations(AnnotationSet(boxes, files), tuple(problems))


@dataclass(frozen=True)
class AnnotationFile:
    """What one annotation file gave: boxes, or image-level labels (an NIH ``Data_Entry_2017.csv``)."""

    path: Path
    boxes: tuple[Box, ...] = ()
    labels: ImageLabels | None = None


def read_annotation_file(path: Path, discovered: bool) -> AnnotationFile | None:
    """Image-level labels or boxes of ``path``; a ``discovered`` file of no known format gives ``None``.

    Raises:
        AnnotationError: a recognised file with a bad row or value; any problem when not ``discovered`` (the
            user named the file, so "not an annotation file" is news to them).
    """
    labels = read_if_image_labels(path)
    if labels is not None:
        return AnnotationFile(path, labels=labels)
    boxes = read_if_annotations(path) if discovered else read_boxes(path)
    return AnnotationFile(path, boxes=tuple(boxes)) if boxes is not None else None
