"""Grounding metrics on hand-built maps; every expected value is worked out by hand in the comments."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from carzero_viewer.metrics import box_mask, cnr, energy_in_box, iou_at, miou, pixel_auroc, pointing_game


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
