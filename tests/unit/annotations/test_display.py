"""Qt-free box display rules: distinct class colours, a line style per source, labels that do not overlap."""

from __future__ import annotations

import itertools

from carzero_viewer.annotations.display import (
    CLASS_PALETTE,
    class_colours,
    source_legend,
    source_name,
    source_styles,
    stack_labels,
)
from carzero_viewer.annotations.labels import LabelMap

ORDER = list(LabelMap.builtin().findings)
NIH = "nih:BBox_List_2017.csv"
DET10 = "chestx_det10:test.json"


def test_effusion_and_fibrosis_get_different_colours() -> None:
    colours = class_colours(["Effusion", "Fibrosis"], ORDER)
    assert colours["Effusion"] != colours["Fibrosis"]


def test_classes_present_always_get_distinct_colours_up_to_the_palette_size() -> None:
    for count in range(2, len(CLASS_PALETTE) + 1):
        for classes in itertools.islice(
            itertools.combinations([*ORDER, "Unknown A", "unknown b"], count), 200
        ):
            colours = class_colours(classes, ORDER)
            assert len(set(colours.values())) == count, classes


def test_a_class_keeps_its_preferred_colour_when_free_and_colours_are_deterministic() -> None:
    alone = class_colours(["Effusion"], ORDER)["Effusion"]
    assert class_colours(["Effusion", "Mass"], ORDER)["Effusion"] == alone
    assert class_colours(["Mass", "Effusion", "Mass"], ORDER) == class_colours(["Effusion", "Mass"], ORDER)
    many = class_colours([*ORDER, "x"], ORDER)
    assert len(many) == len(ORDER) + 1 and set(many.values()) <= set(CLASS_PALETTE)


def test_two_sources_get_two_line_styles_in_a_stable_order() -> None:
    styles = source_styles([DET10, NIH, NIH])
    assert styles == {NIH: "solid", DET10: "dash"}
    assert source_styles([NIH]) == {NIH: "solid"}
    assert (source_name(NIH), source_name(DET10), source_name("odd:file"), source_name("")) == (
        "NIH",
        "ChestX-Det10",
        "odd",
        "unknown",
    )
    assert source_legend([("NIH", "solid"), ("ChestX-Det10", "dash"), ("NIH", "solid")]) == (
        "NIH: solid lines · ChestX-Det10: dashed lines"
    )


def test_overlapping_labels_are_stacked_apart() -> None:
    rects = [(100.0, 200.0, 60.0, 14.0), (110.0, 205.0, 70.0, 14.0), (300.0, 200.0, 50.0, 14.0)]
    shifts = stack_labels(rects)
    placed = [(x, y + s, w, h) for (x, y, w, h), s in zip(rects, shifts, strict=True)]
    for (ax, ay, aw, ah), (bx, by, bw, bh) in itertools.combinations(placed, 2):
        assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah)
    assert shifts[1] == 0.0  # the lowest label stays on its box
    assert shifts[0] < 0.0  # the one above moves up
    assert shifts[2] == 0.0  # a distant label does not move


def test_a_pile_of_identical_labels_forms_a_column() -> None:
    shifts = stack_labels([(0.0, 100.0, 40.0, 10.0)] * 5)
    assert sorted(shifts) == [-40.0, -30.0, -20.0, -10.0, 0.0]
