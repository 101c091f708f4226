"""Annotation files found beside images, for ``export`` and the viewer's folder opening.

Every ``*.csv`` / ``*.json`` directly inside the folder is a candidate, because annotation files have no
telling name. The policy, in one place:

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
from dataclasses import dataclass
from pathlib import Path

from carzero_viewer.annotations.boxes import AnnotationError, Box, UnknownFormat
from carzero_viewer.annotations.detect import read_boxes
from carzero_viewer.annotations.image_labels import ImageLabels, read_image_labels
from carzero_viewer.annotations.index import AnnotationSet

LOG = logging.getLogger(__name__)
CANDIDATE_SUFFIXES = (".csv", ".json")


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
    """The ``.csv`` / ``.json`` entries directly inside ``folder`` (any case), sorted; none if unreadable."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    return sorted(p for p in entries if p.suffix.lower() in CANDIDATE_SUFFIXES)


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
