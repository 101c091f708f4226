"""Which boxes a prompt's map is graded against, and the numbers, on a hand-built 100x100 map (no Qt)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from carzero_viewer.annotations import Box, LabelMap
from carzero_viewer.metrics import score_grounding
from carzero_viewer.viewer_model.grounding import GroundingMetrics, compute_grounding, matching_boxes


def box(x1: float, y1: float, x2: float, y2: float, label: str) -> Box:
    return Box(x1, y1, x2, y2, label, "test:boxes.csv", "image.png")


EFFUSION = box(55, 35, 75, 55, "Effusion")  # 20x20 = 400 pixels: rows 35..54, columns 55..74
HEART = box(10, 70, 40, 95, "Cardiomegaly")  # another class: never part of an effusion prompt's truth


def hot_map() -> np.ndarray:
    """Background 0.1, a hot 10x10 square (value 1.0, rows 40..49, columns 60..69) inside the Effusion box,
    and columns 0..9 NaN (outside the model's field of view: 1000 pixels that must not count)."""
    values = np.full((100, 100), 0.1)
    values[40:50, 60:70] = 1.0
    values[:, :10] = np.nan
    return values


def test_matching_prompt_is_graded_against_its_own_boxes_only() -> None:
    metrics = compute_grounding(hot_map(), [EFFUSION, HEART], "There is pleural effusion.")
    assert isinstance(metrics, GroundingMetrics)
    assert metrics.label == "Effusion"
    assert metrics.boxes == 1
    assert metrics.pointing_hit is True
    # valid pixels: 10000 - 1000 NaN = 9000; total mass 100 x 1.0 + 8900 x 0.1 = 990;
    # inside the box: the hot square (100) + its 300 background pixels (30) = 130
    assert metrics.energy_in_box == pytest.approx(130 / 990)
    # inside (400 px): 100 at 1.0 and 300 at 0.1 -> mean 0.325, var 103/400 - 0.325^2 = 0.151875;
    # outside (8600 valid px, the heart box included): all 0.1 -> mean 0.1, var 0
    assert metrics.cnr == pytest.approx(0.225 / math.sqrt(0.151875))
    # normalised map is 1 on the hot square and 0 elsewhere: every threshold predicts the 100 hot pixels
    assert metrics.miou == pytest.approx(100 / 400)
    # positives 100 x 1.0 beat every negative, 300 x 0.1 tie with all 8600 negatives (count 1/2)
    assert metrics.pixel_auroc == pytest.approx((100 + 300 * 0.5) / 400)


def test_several_boxes_of_the_label_follow_the_published_units() -> None:
    # tolerance: pytest.approx's default (relative 1e-6); float64 sums over 10^4 pixels err by ~1e-13
    # a second Effusion box, 10x10 of background 0.1 (rows 60..69, columns 20..29), and the heart box of
    # another class (750 pixels of 0.1) that must not count
    second = box(20, 60, 30, 70, "Effusion")
    metrics = compute_grounding(hot_map(), [EFFUSION, HEART, second], "There is pleural effusion.")
    assert metrics is not None
    assert (metrics.label, metrics.boxes) == ("Effusion", 2)
    # union: 500 pixels, 100 of them hot. Every threshold predicts the 100 hot pixels: IoU 100/500 (with the
    # heart box counted: 100/1250)
    assert metrics.miou == pytest.approx(100 / 500)
    # the 100 hot positives beat all 8500 negatives; the 400 others tie with them (1/2)
    assert metrics.pixel_auroc == pytest.approx((100 + 400 * 0.5) / 500)
    assert metrics.energy_in_box == pytest.approx((100 + 400 * 0.1) / 990)  # hot square + 400 x 0.1
    # CNR per box, then averaged. First box: 0.225 / sqrt(0.151875) = 1/sqrt(3) as above (outside all 0.1).
    # Second box: inside all 0.1 (var 0); outside 8900 valid pixels, 100 at 1.0: mean 980/8900, E[v^2]
    # 188/8900. The union would give |0.28 - 0.1| / sqrt(0.1296) = 0.5 instead.
    mean_out = 980 / 8900
    second_cnr = (mean_out - 0.1) / math.sqrt(188 / 8900 - mean_out**2)
    assert metrics.cnr == pytest.approx((1 / math.sqrt(3) + second_cnr) / 2)


def test_the_viewer_and_eval_share_one_definition() -> None:
    # the panel's numbers are score_grounding's on the matching boxes: the function eval uses
    second = box(20, 60, 30, 70, "Effusion")
    metrics = compute_grounding(hot_map(), [EFFUSION, HEART, second], "There is pleural effusion.")
    scores = score_grounding(hot_map(), [EFFUSION, second])
    assert metrics is not None
    assert (metrics.pointing_hit, metrics.energy_in_box, metrics.cnr, metrics.miou, metrics.pixel_auroc) == (
        scores.pointing_hit,
        scores.energy_in_box,
        scores.cnr,
        scores.miou,
        scores.pixel_auroc,
    )


def test_large_maps_use_a_subgrid_with_the_boxes_moved_exactly() -> None:
    # stride 2: sampled rows/columns are the even ones; the box keeps rows 36..54 and columns 56..74 (10 x 10
    # = 100 sampled pixels, 25 of them hot), so mIoU 25/100 and AUROC (25 + 75/2)/100 match the full map.
    full = compute_grounding(hot_map(), [EFFUSION], "There is pleural effusion.")
    sub = compute_grounding(hot_map(), [EFFUSION], "There is pleural effusion.", max_pixels=2500)
    assert full is not None and sub is not None
    assert (full.stride, sub.stride) == (1, 2)
    assert sub.miou == pytest.approx(full.miou)
    assert sub.pixel_auroc == pytest.approx(full.pixel_auroc)
    assert (sub.pointing_hit, sub.energy_in_box, sub.cnr) == (full.pointing_hit, full.energy_in_box, full.cnr)


def test_peak_outside_the_matching_box_is_a_miss() -> None:
    values = hot_map()
    values[80, 20] = 5.0  # inside the heart box, not the effusion box
    metrics = compute_grounding(values, [EFFUSION, HEART], "There is pleural effusion.")
    assert metrics is not None
    assert metrics.pointing_hit is False


def test_spellings_of_one_class_are_pooled_under_the_canonical_label() -> None:
    other = box(80, 80, 90, 90, "Pleural Effusion")
    metrics = compute_grounding(hot_map(), [EFFUSION, other], "There is pleural effusion.")
    assert metrics is not None
    assert (metrics.label, metrics.boxes) == ("Effusion", 2)
    # a bare label works as the prompt text too
    assert matching_boxes([EFFUSION, other, HEART], "effusion") == [EFFUSION, other]


def test_no_box_of_the_prompt_label_gives_none() -> None:
    assert compute_grounding(hot_map(), [EFFUSION, HEART], "There is pneumothorax.") is None
    assert compute_grounding(hot_map(), [], "There is pleural effusion.") is None


def test_a_user_label_map_decides_the_match() -> None:
    table = LabelMap.load(None)
    table.update({"Effusion": "fluid in the pleural space"})
    assert compute_grounding(hot_map(), [EFFUSION], "There is fluid in the pleural space.", table) is not None
    assert compute_grounding(hot_map(), [EFFUSION], "There is pleural effusion.", table) is None


def test_module_imports_without_qt(repo_root: Path) -> None:
    probe = (
        "import json, sys, carzero_viewer.viewer_model.grounding; "
        "print(json.dumps([m for m in ('PySide6', 'pyqtgraph', 'superqt', 'torch') if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo_root, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
