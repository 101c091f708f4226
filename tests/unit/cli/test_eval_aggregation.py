"""``eval``'s grounding units and averages on hand-built maps (no model): every expected value is worked out
by hand in the comments.

Two images, two classes on 4x6 maps. Earlier versions scored energy/mIoU/pixel AUROC per box (the class's
other boxes counting as outside) and averaged CNR over class means; the values they would give are noted.
Tolerance: pytest.approx's default (relative 1e-6) is ample: float64 sums over 24 pixels are exact up to
rounding (~1e-15) on any CPU.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from carzero_viewer.annotations import Box, LabelMap
from carzero_viewer.commands.eval import EvalResult, summarise
from carzero_viewer.commands.eval_grounding import group_boxes, record_grounding

LABELS = LabelMap.builtin()


def box(x1: float, y1: float, x2: float, y2: float, label: str, image: str = "a.png") -> Box:
    return Box(x1, y1, x2, y2, label, "test:boxes.csv", image)


# image a: two disjoint Effusion boxes (top-left 2x2, bottom-right 2x2) and a Cardiomegaly box between them
E1, E2 = box(0, 0, 2, 2, "Effusion"), box(4, 2, 6, 4, "Effusion")
HEART = box(2, 0, 4, 2, "Cardiomegaly")
# image b: one Effusion box, columns 0..2 of rows 0..1
E3 = box(0, 0, 3, 2, "Pleural Effusion", "b.png")


def effusion_map_a() -> np.ndarray:
    values = np.zeros((4, 6))
    values[0:2, 0:2] = 2.0
    values[2:4, 4:6] = 1.0
    return values


def heart_map_a() -> np.ndarray:
    values = np.zeros((4, 6))
    values[0:2, 2:4] = 3.0  # the Cardiomegaly box
    values[2:4, 4:6] = 1.0
    return values


def effusion_map_b() -> np.ndarray:
    values = np.zeros((4, 6))
    values[0:2, 0:4] = 1.0
    return values


def _result() -> EvalResult:
    result = EvalResult()
    maps = {("a.png", "Effusion"): effusion_map_a(), ("a.png", "Cardiomegaly"): heart_map_a()}
    maps[("b.png", "Effusion")] = effusion_map_b()
    for image, boxes in (("a.png", [E1, HEART, E2]), ("b.png", [E3])):
        for (source, canonical), group in group_boxes(boxes, LABELS).items():
            values = maps[(image, canonical)]
            record_grounding(
                result, image, source, canonical, f"There is {canonical}.", 0.0, values, group, False
            )
    return result


def test_boxes_are_grouped_by_dataset_and_canonical_class() -> None:
    groups = group_boxes([E1, HEART, E2, E3], LABELS)
    # "Pleural Effusion" and "Effusion" are one class; the Cardiomegaly box is never part of the Effusion truth
    assert groups == {("test", "Effusion"): [E1, E2, E3], ("test", "Cardiomegaly"): [HEART]}


def test_image_class_rows_use_the_union_of_the_class_boxes() -> None:
    rows = {(r["image"], r["class"]): r for r in _result().image_class_rows}
    assert len(rows) == 3
    a = rows[("a.png", "Effusion")]
    assert a["n_boxes"] == 2 and a["pointing_hit"] is True
    # normalised map: 1 on E1, 0.5 on E2, 0 elsewhere (the Cardiomegaly box too). t = 0.1 ... 0.4 predict
    # E1 + E2 = the union (IoU 1); t = 0.5 predicts E1: 4/8. mIoU (4 + 0.5) / 5 = 0.9 (per box: 0.6 and 0.4;
    # with the Cardiomegaly box wrongly in the union: (4 x 8/12 + 4/12) / 5 = 0.6)
    assert a["miou"] == pytest.approx(0.9)
    assert a["energy_in_box"] == pytest.approx(1.0)  # 12 / 12 (per box 2/3 and 1/3)
    assert a["pixel_auroc"] == pytest.approx(1.0)  # 8 positives above 16 zeros (second box alone: 0.8)
    # Cardiomegaly: normalised 1 on its box, 1/3 bottom right: t = 0.1 ... 0.3 -> 4/8, t = 0.4, 0.5 -> 1
    assert rows[("a.png", "Cardiomegaly")]["miou"] == pytest.approx((3 * 0.5 + 2 * 1.0) / 5)
    # b: one box holding 6 of the 8 pixels at 1: IoU 6/8 at every threshold
    assert rows[("b.png", "Effusion")]["miou"] == pytest.approx(0.75)


def test_box_rows_carry_each_box_own_cnr() -> None:
    cnrs = {(r["image"], r["x1"], r["y1"], r["class"]): r["cnr"] for r in _result().box_rows}
    # E1: inside four 2s; outside four 1s + sixteen 0s (mean 0.2, sd 0.4): 1.8 / 0.4 = 4.5
    # E2: inside four 1s; outside four 2s + sixteen 0s (mean 0.4, sd 0.8): 0.6 / 0.8 = 0.75
    # HEART: inside four 3s; outside four 1s + sixteen 0s: 2.8 / 0.4 = 7
    # E3: inside six 1s; outside two 1s + sixteen 0s (mean 1/9, var 8/81): (8/9) / sqrt(8/81) = sqrt(8)
    assert cnrs == pytest.approx(
        {
            ("a.png", 0, 0, "Effusion"): 4.5,
            ("a.png", 4, 2, "Effusion"): 0.75,
            ("a.png", 2, 0, "Cardiomegaly"): 7.0,
            ("b.png", 0, 0, "Effusion"): math.sqrt(8),
        }
    )


def test_summary_averages_each_metric_in_its_unit() -> None:
    rows = {r["class"]: r for r in summarise(_result(), LABELS, None, 0, 0)}
    assert list(rows) == ["Cardiomegaly", "Effusion", "mean"]
    effusion = rows["Effusion"]
    assert (effusion["n_boxes"], effusion["n_images"]) == (3, 2)
    # union metrics: mean over the 2 (image, class) rows, not the 3 box rows ((2 x 0.9 + 0.75) / 3 = 0.85)
    assert effusion["miou"] == pytest.approx((0.9 + 0.75) / 2)
    assert effusion["pointing_game"] == pytest.approx(1.0)
    # CNR: mean over the class's 3 boxes
    effusion_cnr = (4.5 + 0.75 + math.sqrt(8)) / 3
    assert effusion["cnr"] == pytest.approx(effusion_cnr)
    mean = rows["mean"]
    assert (mean["n_boxes"], mean["n_images"]) == (4, 2)
    # the mean row's CNR averages all 4 boxes; the mean of the class rows would be (effusion_cnr + 7) / 2
    assert mean["cnr"] == pytest.approx((4.5 + 0.75 + math.sqrt(8) + 7.0) / 4)
    assert mean["cnr"] != pytest.approx((effusion_cnr + 7.0) / 2)
    # the other metrics keep the mean of the class rows (as the published pointing-game mean)
    assert mean["miou"] == pytest.approx((0.7 + 0.825) / 2)
