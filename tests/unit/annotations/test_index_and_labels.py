"""Matching boxes to opened images (name, stem, SOP UID), scaling notes, and the label <-> prompt table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carzero_viewer.annotations import (
    AnnotationError,
    AnnotationSet,
    LabelMap,
    canonical,
    labels_match,
    prompt_for,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "annotations"


@pytest.fixture(scope="module")
def nih_and_det10() -> AnnotationSet:
    return AnnotationSet.load([DATA / "BBox_List_2017.csv", DATA / "train.json", DATA / "test.json"])


def test_same_size_is_not_scaled_but_the_assumption_is_said(nih_and_det10: AnnotationSet) -> None:
    matched = nih_and_det10.boxes_for(Path("/x/00002578_000.png"), (1024, 1024))
    assert matched.matched_by == "file name"
    assert not matched.scaled
    assert {b.source for b in matched.boxes} == {"nih:BBox_List_2017.csv", "chestx_det10:test.json"}
    assert "1024x1024" in matched.note and "assumed" in matched.note


def test_dicom_at_full_size_is_matched_by_stem_and_scaled(nih_and_det10: AnnotationSet) -> None:
    matched = nih_and_det10.boxes_for(Path("00002578_000.dcm"), (2500, 2500))
    assert matched.matched_by == "stem" and matched.scaled
    assert "boxes were drawn on a 1024x1024 image" in matched.note
    assert "scaled x2.44 to 2500x2500" in matched.note
    nodule = next(b for b in matched.boxes if b.source.startswith("chestx") and b.x1 > 1000)
    assert nodule.x1 == pytest.approx(816 * 2500 / 1024)
    assert nodule.image_size == (2500, 2500)


def test_anisotropic_scaling_note(nih_and_det10: AnnotationSet) -> None:
    matched = nih_and_det10.boxes_for(Path("00002578_000.png"), (512, 1024))
    assert "x1 horizontally, x0.5 vertically to 1024x512" in matched.note


def test_sop_uid_match_and_unknown_image() -> None:
    boxes = AnnotationSet.load([DATA / "sample_plain.json"])
    matched = boxes.boxes_for(Path("IM0001"), (256, 512), sop_uid="1.2.840.113619.2.55.3.604688119")
    assert matched.matched_by == "sop_uid" and len(matched.boxes) == 1 and not matched.scaled
    assert boxes.boxes_for(Path("other.png"), (10, 10)).boxes == ()


def test_box_without_size_is_used_as_drawn() -> None:
    boxes = AnnotationSet.load([DATA / "sample_vindr.csv"])
    matched = boxes.boxes_for(Path("9a5094b2563a1ef3ff50dc5c7ff71345.dicom"), (2000, 2500))
    assert len(matched.boxes) == 3 and not matched.scaled
    assert matched.boxes[0].x1 == 691
    assert "no image size recorded" in matched.note


def test_builtin_synonyms() -> None:
    assert canonical("Infiltrate") == canonical("Infiltration") == "Infiltration"
    assert canonical("pleural_thickening") == "Pleural Thickening"
    assert prompt_for("Effusion") == "There is pleural effusion."
    assert prompt_for("Nodule") == "There is lung nodule."
    assert prompt_for("Mass", "Findings suggest {}.") == "Findings suggest lung mass."
    assert prompt_for("Unheard Of_Thing") == "There is unheard of thing."
    assert labels_match("Effusion", "There is pleural effusion.")
    assert labels_match("Infiltrate", "Infiltration")
    assert not labels_match("Nodule", "There is lung mass.")


def test_user_label_map_extends_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    path.write_text(
        json.dumps({"Infiltrate": "pulmonary infiltrate", "Bleb": "apical bleb"}), encoding="utf-8"
    )
    table = LabelMap.load(path)
    assert table.prompt_for("Infiltration") == "There is pulmonary infiltrate."
    assert table.prompt_for("bleb") == "There is apical bleb."
    path.write_text(json.dumps({"Bleb": 3}), encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"label map\['Bleb'\]: finding: must be a string"):
        LabelMap.load(path)
