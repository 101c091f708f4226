"""Calibration labels: NIH Data_Entry (reusing the annotations reader) and the plain image,finding,label CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from carzero_viewer.annotations import AnnotationError
from carzero_viewer.calibration import read_calibration_labels

ROOT = Path(__file__).resolve().parents[3]
NIH = ROOT / "tests" / "data" / "annotations" / "Data_Entry_2017.csv"


def test_nih_labels_every_listed_image_for_every_class() -> None:
    labels = read_calibration_labels(NIH)
    assert labels.truth(Path("x/00000344_003.png"), "Effusion") is True
    assert labels.truth(Path("00000344_003.png"), "Pleural effusion") is True  # a LabelMap spelling
    assert labels.truth(Path("00000344_003.PNG"), "Infiltrate") is True  # stem match, NIH box spelling
    assert labels.truth(Path("00000865_006.png"), "Effusion") is False
    assert labels.truth(Path("99999999_000.png"), "Effusion") is None  # not listed
    assert labels.truth(Path("00000344_003.png"), "Support Devices") is None  # not an NIH class
    assert "Effusion" in labels.findings()


def test_finding_names_and_prompts_select_their_label() -> None:
    labels = read_calibration_labels(NIH)
    assert labels.label_for("Infiltrate") == "Infiltration"
    assert labels.label_for("There is pleural effusion.") == "Effusion"
    assert labels.label_for("There is a fracture.") is None  # not an NIH class
    assert labels.label_for("There is a lung nodule or lung mass.") is None  # Nodule and Mass: ambiguous


def test_plain_labels_cover_only_their_rows(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(
        "label,image,finding,reader\n1,a.png,Pleural_Thickening,r1\n0,b.png,Pleural Thickening,r1\n"
        "0,a.png,Effusion,r2\n\n",
        encoding="utf-8",
    )
    labels = read_calibration_labels(path)
    assert labels.truth(Path("a.png"), "Pleural Thickening") is True
    assert labels.truth(Path("b.png"), "pleural_thickening") is False
    assert labels.truth(Path("a.png"), "Effusion") is False
    assert labels.truth(Path("b.png"), "Effusion") is None
    assert labels.findings() == ["Effusion", "Pleural Thickening"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("image,finding,label\na.png,Effusion,2\n", r"line 2: label: '2' is not one of '0', '1'"),
        (
            "image,finding,label\na.png,Effusion,1\na.png,effusion,0\n",
            "line 3: 'a.png' 'Effusion' is labelled 1",
        ),
        ("image,finding,label\na.png,,1\n", "line 2: finding: is empty"),
        ("name,value\na,1\n", "expected an NIH header"),
    ],
)
def test_bad_label_files_are_one_line_errors(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AnnotationError, match=reason) as info:
        read_calibration_labels(path)
    assert "\n" not in str(info.value)
