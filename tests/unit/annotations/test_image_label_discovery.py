"""Image-level labels files are found like box files: a Data_Entry CSV is read, other layouts are skipped
silently, a broken labels file is reported; images are matched by name, then by stem in any case."""

from __future__ import annotations

from pathlib import Path

import pytest

from carzero_viewer.annotations import AnnotationError
from carzero_viewer.annotations.discovery import read_if_image_labels

DATA = Path(__file__).resolve().parents[2] / "data" / "annotations"


def test_data_entry_is_read_and_matched_by_name_or_stem() -> None:
    labels = read_if_image_labels(DATA / "Data_Entry_2017.csv")
    assert labels is not None
    assert labels.for_image(Path("/any/00000344_003.png")) == {"Atelectasis", "Effusion", "Infiltration"}
    assert labels.for_image(Path("00000344_003.DCM")) == {"Atelectasis", "Effusion", "Infiltration"}
    assert labels.for_image(Path("unknown.png")) is None


@pytest.mark.parametrize("name", ["BBox_List_2017.csv", "sample_plain.json", "sample_coco.json"])
def test_other_annotation_files_are_not_labels(name: str) -> None:
    assert read_if_image_labels(DATA / name) is None


def test_a_broken_labels_file_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "Data_Entry_2017.csv"
    broken.write_text("Image Index,Finding Labels\nonly-a-name\n", encoding="utf-8")
    with pytest.raises(AnnotationError, match="line 2"):
        read_if_image_labels(broken)
