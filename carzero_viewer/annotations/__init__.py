"""Ground-truth boxes: readers for NIH, ChestX-Det10, COCO, MS-CXR, VinDr-CXR, RSNA and a plain format.

Numpy only (no torch, no Qt, no inference/ui imports). Every reader produces :class:`Box` (``x1, y1, x2, y2``
float pixels of the image the box was drawn on, plus label, source and image key); :func:`read_boxes` detects
the format by content (rules in :mod:`carzero_viewer.annotations.detect`); :class:`AnnotationSet` groups
boxes by image and :meth:`AnnotationSet.boxes_for` returns them scaled to an opened image with a note for the
user; :class:`LabelMap` maps labels to prompt findings; :func:`read_image_labels` reads image-level labels
(NIH Data_Entry format) for classification metrics; :func:`discover` reads the annotation files found beside
images, skipping files of no known format and reporting broken ones. Every value read from a file passes
:mod:`carzero_viewer.untrusted`; the bounds are listed in :mod:`carzero_viewer.annotations.boxes`.
"""

from carzero_viewer.annotations.boxes import AnnotationError, Box, UnknownFormat
from carzero_viewer.annotations.detect import FORMATS, detect_format, read_boxes
from carzero_viewer.annotations.discovery import FolderAnnotations, discover
from carzero_viewer.annotations.image_labels import ImageLabels, read_image_labels
from carzero_viewer.annotations.index import AnnotationSet, MatchedBoxes
from carzero_viewer.annotations.labels import DEFAULT_TEMPLATE, LabelMap, canonical, labels_match, prompt_for

__all__ = [
    "DEFAULT_TEMPLATE",
    "FORMATS",
    "AnnotationError",
    "AnnotationSet",
    "Box",
    "FolderAnnotations",
    "ImageLabels",
    "LabelMap",
    "MatchedBoxes",
    "UnknownFormat",
    "canonical",
    "detect_format",
    "discover",
    "labels_match",
    "prompt_for",
    "read_boxes",
    "read_image_labels",
]
