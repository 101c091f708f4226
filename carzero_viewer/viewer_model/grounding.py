"""Grounding metrics of the shown map against the image's boxes of the matching label (Qt-free, numpy only).

Part of the view model because it works on what the viewer shows (a
:class:`~carzero_viewer.viewer_model.ground_truth.BoxSpec` list and a
:class:`~carzero_viewer.viewer_model.map_view.MapView`), not on a file as ``eval`` does. This module only
decides *which* boxes are the ground truth: those whose label names the same class as the prompt
(:meth:`LabelMap.labels_match`, e.g. box ``Effusion`` and prompt "There is pleural effusion."). Boxes of other
classes are not part of it (they count as "outside"): the question is "does this prompt's map point at its own
finding?". The numbers come from :func:`carzero_viewer.metrics.score_grounding`, the function ``eval`` uses,
so they follow the same published definitions: pointing game, energy-in-box, mIoU and pixel AUROC against the
union of the matching boxes, CNR per box and averaged over them.

Speed: pointing game, energy-in-box and CNR are exact at full resolution (tens of milliseconds on a
3000x2500 radiograph). mIoU and pixel AUROC (a sort of every pixel: seconds at that size, on the GUI thread)
are computed on a regular sub-grid (every ``stride``-th row and column) once the map exceeds ``max_pixels``,
a uniform pixel sample of the same quantity, reported in :attr:`GroundingMetrics.stride`. The heatmaps are
upsampled 14x14 grids, so the sample loses nothing visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from carzero_viewer.annotations.labels import LabelMap
from carzero_viewer.metrics import score_grounding
from carzero_viewer.metrics.grounding import BoxLike

_DEFAULT_LABELS = LabelMap.builtin()
MAX_EXACT_PIXELS = 500_000  # mIoU / pixel AUROC above this many map pixels use a regular sub-grid


class LabelledBox(BoxLike, Protocol):
    """A box with a class label in original-image pixels (``BoxSpec`` and ``annotations.Box`` both fit)."""

    @property
    def label(self) -> str: ...


@dataclass(frozen=True)
class GroundingMetrics:
    """How well one map points at the boxes of its prompt's label.

    Attributes:
        label: the matched canonical label(s), comma-separated when a prompt names several classes.
        boxes: how many boxes were used (their union is the ground-truth region).
        pointing_hit: a pixel attaining the map's maximum lies inside the union of the boxes.
        energy_in_box: share of the (non-negative) map mass inside the union, 0..1; NaN for a zero map.
        cnr: contrast-to-noise ratio ``|mean_in - mean_out| / sqrt(var_in + var_out)`` of each box alone,
            averaged over the boxes (NaNs ignored); NaN if undefined for every box.
        miou: mean IoU of the min-max normalised map thresholded at 0.1..0.5 with the union of the boxes.
        pixel_auroc: ROC-AUC of the map values as a classifier of "pixel inside the union".
        stride: 1 when mIoU and AUROC used every pixel, else the sub-grid step in rows and columns.
    """

    label: str
    boxes: int
    pointing_hit: bool
    energy_in_box: float
    cnr: float
    miou: float
    pixel_auroc: float
    stride: int = 1


def matching_boxes(
    boxes: Sequence[LabelledBox], prompt_text: str, label_map: LabelMap | None = None
) -> list[LabelledBox]:
    """The boxes whose label names the class the prompt (or a bare label) is about, in input order."""
    table = label_map if label_map is not None else _DEFAULT_LABELS
    return [box for box in boxes if table.labels_match(box.label, prompt_text)]


def compute_grounding(
    values: npt.NDArray[np.floating],
    boxes: Sequence[LabelledBox],
    prompt_text: str,
    label_map: LabelMap | None = None,
    max_pixels: int = MAX_EXACT_PIXELS,
) -> GroundingMetrics | None:
    """Grounding metrics of ``values`` against the boxes matching ``prompt_text``.

    Args:
        values: ``(H, W)`` the map exactly as shown (``MapView.values``): original-image pixels, row = y,
            column = x, NaN where the model saw nothing. NaN pixels are excluded from every metric.
        boxes: the image's boxes in the same pixel frame (all of them: hiding a class on screen does not
            change the ground truth).
        prompt_text: the text of the prompt whose map this is (for a word map too: the word belongs to that
            prompt), e.g. ``"There is pleural effusion."``.
        label_map: label spellings and findings; the built-in table when None.
        max_pixels: above this many map pixels, mIoU and pixel AUROC use a regular sub-grid (module
            docstring).

    Returns:
        The metrics, or None when no box label matches the prompt (nothing to compare with).
    """
    table = label_map if label_map is not None else _DEFAULT_LABELS
    matched = matching_boxes(boxes, prompt_text, table)
    if not matched:
        return None
    labels = ", ".join(dict.fromkeys(table.canonical(box.label) for box in matched))
    scores = score_grounding(values, matched, max_pixels)
    return GroundingMetrics(
        label=labels,
        boxes=scores.boxes,
        pointing_hit=scores.pointing_hit,
        energy_in_box=scores.energy_in_box,
        cnr=scores.cnr,
        miou=scores.miou,
        pixel_auroc=scores.pixel_auroc,
        stride=scores.stride,
    )
