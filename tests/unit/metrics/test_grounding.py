"""Grounding metrics on hand-built maps; every expected value is worked out by hand in the comments."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from carzero_viewer.metrics import (
    box_cnrs,
    box_mask,
    cnr,
    energy_in_box,
    iou_at,
    miou,
    nanmean,
    pixel_auroc,
    pointing_game,
    score_grounding,
)


@dataclass(frozen=True)
class B:
    x1: float
    y1: float
    x2: float
    y2: float


def test_box_mask_pixel_centre_convention() -> None:
    # box x in [0.5, 2.5): centres 0.5, 1.5 are inside, 2.5 is not -> columns 0 and 1; y in [0, 1): row 0.
    mask = box_mask((3, 4), [B(0.5, 0, 2.5, 1)])
    assert mask.tolist() == [[True, True, False, False], [False] * 4, [False] * 4]
    # a box narrower than a pixel that holds no centre is empty; boxes past the edge are clipped
    assert not box_mask((3, 4), [B(1.6, 0, 2.4, 3)]).any()
    assert box_mask((3, 4), [B(-5, -5, 50, 50)]).all()


def _map() -> np.ndarray:
    # 4x4; box B(0, 0, 2, 2) covers the top-left 2x2 block; one NaN pixel outside the field of view
    return np.array(
        [
            [4.0, 2.0, 1.0, 1.0],
            [2.0, 0.0, 1.0, 1.0],
            [1.0, 1.0, 1.0, 1.0],
            [1.0, 1.0, 1.0, np.nan],
        ]
    )


BOX = [B(0, 0, 2, 2)]


def test_pointing_game() -> None:
    assert pointing_game(_map(), BOX)  # max 4 at (0, 0), inside
    assert not pointing_game(_map(), [B(2, 2, 4, 4)])
    nan_peak = _map()
    nan_peak[3, 3] = np.nan  # NaN never wins
    assert pointing_game(nan_peak, BOX)
    assert not pointing_game(np.ones((4, 4)), BOX)  # a constant map points nowhere
    assert not pointing_game(_map(), [])


def test_energy_in_box() -> None:
    # inside: 4 + 2 + 2 + 0 = 8; valid total: 8 + (1 * 11 valid outside pixels) = 19 (the NaN is excluded)
    assert energy_in_box(_map(), BOX) == pytest.approx(8 / 19)
    assert math.isnan(energy_in_box(np.zeros((4, 4)), BOX))


def test_cnr() -> None:
    # inside {4, 2, 2, 0}: mean 2, var ((4+0+0+4)/4) = 2; outside: eleven 1s, mean 1, var 0
    # CNR = |2 - 1| / sqrt(2 + 0) = 0.70710678
    assert cnr(_map(), BOX) == pytest.approx(1 / math.sqrt(2))
    assert math.isnan(cnr(_map(), [B(-1, -1, 10, 10)]))  # no outside pixel
    assert math.isnan(cnr(np.ones((4, 4)), BOX))  # both variances 0


def test_iou_and_miou() -> None:
    # min-max normalised: (v - 0) / 4 -> inside {1, .5, .5, 0}, outside all .25
    # t = 0.1, 0.2: predicted = 3 inside + 11 outside = 14 pixels, gt = 4 -> IoU 3 / 15
    # t = 0.3, 0.4: predicted = 3 inside pixels -> IoU 3 / 4
    # t = 0.5: predicted = {1.0} only (0.5 is not > 0.5) -> IoU 1 / 4
    assert iou_at(_map(), BOX, 0.1) == pytest.approx(3 / 15)
    assert iou_at(_map(), BOX, 0.5) == pytest.approx(1 / 4)
    expected = (3 / 15 + 3 / 15 + 3 / 4 + 3 / 4 + 1 / 4) / 5
    assert miou(_map(), BOX) == pytest.approx(expected)
    # a constant map normalises to 0: nothing predicted, IoU 0 at every threshold
    assert miou(np.ones((4, 4)), BOX) == 0.0


def test_pixel_auroc() -> None:
    # positives {4, 2, 2, 0} vs 11 negatives all 1: 4 > 1 and 2 > 1 twice -> 3 * 11 wins; 0 loses
    # AUROC = 33 / (4 * 11) = 0.75
    assert pixel_auroc(_map(), BOX) == pytest.approx(0.75)
    assert math.isnan(pixel_auroc(_map(), []))


def test_nan_is_excluded_not_zero() -> None:
    # with the NaN pixel replaced by 0 the outside mean/variance and the AUROC would change
    zeros = np.nan_to_num(_map(), nan=0.0)
    assert cnr(zeros, BOX) != pytest.approx(cnr(_map(), BOX))
    assert pixel_auroc(zeros, BOX) != pytest.approx(0.75)


def test_rejects_non_2d() -> None:
    with pytest.raises(ValueError, match="expected an"):
        cnr(np.zeros(4), BOX)


# --- one (image, class) with several boxes: union for mIoU / pointing / energy / pixel AUROC, CNR per box ---
# 4 rows x 6 columns. Earlier versions scored each box alone (the class's other boxes counting as outside)
# and, in the viewer, CNR against the union; the hand-computed "per box" values are given for contrast.
# Tolerance: pytest.approx's default (relative 1e-6); float64 over 24 pixels is exact up to ~1e-15 anywhere.

OVERLAP = [B(0, 0, 3, 2), B(1, 0, 4, 2)]  # columns 0..2 and 1..3 of rows 0..1: union = columns 0..3 (8 px)
DISJOINT = [B(0, 0, 2, 2), B(4, 2, 6, 4)]  # top-left 2x2 and bottom-right 2x2 (4 px each)


def _overlap_map() -> np.ndarray:
    values = np.zeros((4, 6))
    values[0:2, 0:4] = 1.0  # exactly the union
    return values


def _disjoint_map() -> np.ndarray:
    values = np.zeros((4, 6))
    values[0:2, 0:2] = 2.0  # first box
    values[2:4, 4:6] = 1.0  # second box; the 16 other pixels are 0
    return values


def test_overlapping_boxes_are_one_union() -> None:
    scores = score_grounding(_overlap_map(), OVERLAP)
    # the map is 1 on the 8 union pixels, 0 on the other 16: every threshold predicts exactly the union
    # (per box: IoU 6/8 at every threshold -> 0.75)
    assert scores.miou == pytest.approx(1.0)
    # all 8 positives beat the 16 negatives (per box: 6 positives vs 18 negatives of which 2 are 1s -> 102/108)
    assert scores.pixel_auroc == pytest.approx(1.0)
    assert scores.energy_in_box == pytest.approx(1.0)  # 8 / 8 (per box: 6 / 8)
    assert scores.pointing_hit and scores.boxes == 2
    # CNR per box: inside 6 ones (mean 1, var 0); outside 2 ones + 16 zeros: mean 1/9, var 1/9 - 1/81 = 8/81
    # -> (8/9) / sqrt(8/81) = sqrt(8) for both boxes. Against the union it would be undefined (both
    # variances 0).
    assert scores.box_cnr == pytest.approx((math.sqrt(8), math.sqrt(8)))
    assert scores.cnr == pytest.approx(math.sqrt(8))
    assert cnr(_overlap_map(), OVERLAP) == pytest.approx(math.sqrt(8))


def test_disjoint_boxes_are_one_union() -> None:
    values = _disjoint_map()
    scores = score_grounding(values, DISJOINT)
    # normalised: 1 on the first box, 0.5 on the second. t = 0.1 ... 0.4 predict both boxes = the union
    # (IoU 1); t = 0.5 predicts the first box only (0.5 is not > 0.5): IoU 4/8. mIoU = (4 + 0.5) / 5 = 0.9
    # (per box: first (4 x 4/8 + 1) / 5 = 0.6, second (4 x 4/8 + 0) / 5 = 0.4)
    assert scores.miou == pytest.approx(0.9)
    assert miou(values, DISJOINT) == pytest.approx(0.9)
    # the 8 union pixels (2s and 1s) all beat the 16 zeros (second box alone: its 1s lose to the other 2s: 0.8)
    assert scores.pixel_auroc == pytest.approx(1.0)
    assert scores.energy_in_box == pytest.approx(1.0)  # (8 + 4) / 12 (per box: 2/3 and 1/3)
    assert scores.pointing_hit  # the maximum (2) is in the first box
    # CNR per box. First: inside four 2s (mean 2, var 0), outside four 1s + sixteen 0s (mean 0.2, var
    # 0.2 - 0.04 = 0.16): 1.8 / 0.4 = 4.5. Second: inside four 1s (mean 1, var 0), outside four 2s + sixteen
    # 0s (mean 0.4, var 0.8 - 0.16 = 0.64): 0.6 / 0.8 = 0.75. Mean 2.625; the union would give
    # |1.5 - 0| / sqrt(0.25 + 0) = 3.0.
    assert scores.box_cnr == pytest.approx((4.5, 0.75))
    assert scores.cnr == pytest.approx(2.625)
    assert box_cnrs(values, DISJOINT) == pytest.approx([4.5, 0.75])
    assert cnr(values, DISJOINT) == pytest.approx(2.625)


def test_box_cnr_nans_are_ignored_in_the_mean() -> None:
    # a box holding every pixel has no outside: its CNR is NaN and the mean is the other box's
    values = _disjoint_map()
    assert cnr(values, [DISJOINT[0], B(-1, -1, 10, 10)]) == pytest.approx(4.5)
    assert math.isnan(cnr(values, [B(-1, -1, 10, 10)]))
    assert math.isnan(nanmean([])) and nanmean([1.0, math.nan, 2.0]) == pytest.approx(1.5)


def test_subgrid_samples_the_union_mask_exactly() -> None:
    # 40x60 map made of 10x10 blocks of the disjoint map: exact and 2-strided results coincide (each block
    # is sampled 5x5), and only mIoU / pixel AUROC are sampled
    values = np.kron(_disjoint_map(), np.ones((10, 10)))
    boxes = [B(0, 0, 20, 20), B(40, 20, 60, 40)]
    exact = score_grounding(values, boxes)
    sampled = score_grounding(values, boxes, max_pixels=600)
    assert (exact.stride, sampled.stride) == (1, 2)
    assert sampled.miou == pytest.approx(exact.miou) and exact.miou == pytest.approx(0.9)
    assert sampled.pixel_auroc == pytest.approx(exact.pixel_auroc)
    assert sampled.box_cnr == exact.box_cnr


def test_score_grounding_needs_boxes() -> None:
    with pytest.raises(ValueError, match="no ground-truth box"):
        score_grounding(_disjoint_map(), [])
    with pytest.raises(ValueError, match="max_pixels"):
        score_grounding(_disjoint_map(), DISJOINT, max_pixels=0)
