"""Annotation tables found above the images in the layouts the data sets ship (issue 12 follow-up): NIH keeps
``Data_Entry_2017.csv`` and ``BBox_List_2017.csv`` two levels above ``images_001/images/*.png``, ChestX-Det10
its JSON beside the ``train`` folder. The climb stops at the home directory and the filesystem root, and a
folder with more candidates than a data set's root holds is not read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from carzero_viewer.annotations.discovery import MAX_CANDIDATES, candidates, search_folders
from carzero_viewer.imaging import load_image
from carzero_viewer.viewer_model import ViewerModel

DATA = Path(__file__).resolve().parents[2] / "data" / "annotations"
IMAGE = "00000344_003.png"  # NIH: an Effusion box; labels Atelectasis|Effusion|Infiltration


def _nih_tree(root: Path) -> Path:
    images = root / "images_001" / "images"
    images.mkdir(parents=True)
    shutil.copy(DATA / "images" / IMAGE, images / IMAGE)
    for table in ("Data_Entry_2017.csv", "BBox_List_2017.csv"):
        shutil.copy(DATA / table, root / table)
    return images


def test_nih_tables_two_levels_above_the_images_give_boxes_and_labels(tmp_path: Path) -> None:
    images = _nih_tree(tmp_path / "nih")
    model = ViewerModel()
    assert model.open_paths([images]) == []
    model.record_loaded(load_image(images / IMAGE))
    assert [box.label for box in model.boxes()[0]] == ["Effusion"]
    assert model.image_labels() == (["Atelectasis", "Effusion", "Infiltration"], "Data_Entry_2017.csv")
    root = (tmp_path / "nih").resolve()
    assert sorted(path.parent for path in model.ground_truth.files) == [root, root]


def test_chestx_det10_json_beside_the_train_folder(tmp_path: Path) -> None:
    train = tmp_path / "det10" / "train"
    train.mkdir(parents=True)
    shutil.copy(DATA / "images" / IMAGE, train / IMAGE)
    shutil.copy(DATA / "train.json", tmp_path / "det10" / "train.json")
    model = ViewerModel()
    assert model.open_paths([train / IMAGE]) == []
    model.record_loaded(load_image(train / IMAGE))
    assert {box.source for box in model.boxes()[0]} == {"ChestX-Det10"}


def test_the_climb_is_two_levels_and_stops_at_home_and_root(tmp_path: Path, monkeypatch) -> None:
    deep = tmp_path / "a" / "b" / "c" / "d"
    deep.mkdir(parents=True)
    root = tmp_path.resolve()
    assert search_folders([deep]) == [root / "a/b/c/d", root / "a/b/c", root / "a/b"]
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: root / "a" / "b"))
    assert search_folders([deep]) == [root / "a/b/c/d", root / "a/b/c"]  # home itself is never searched
    assert search_folders([root / "a" / "b" / "c"]) == [root / "a/b/c"]
    assert search_folders([root / "a"]) == [root / "a"]  # above home: no climb either
    top = Path(root.anchor)
    assert search_folders([top]) == [top]  # the root is searched only when opened itself
    child = next((p for p in top.iterdir() if p.is_dir() and p.resolve() == p), None)
    if child is not None:
        assert search_folders([child]) == [child]


@pytest.mark.parametrize(("count", "read"), [(MAX_CANDIDATES, MAX_CANDIDATES), (MAX_CANDIDATES + 1, 0)])
def test_a_folder_with_too_many_candidates_is_not_read(tmp_path: Path, count: int, read: int) -> None:
    for i in range(count):
        (tmp_path / f"results_{i:03d}.csv").write_text("image,score\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a candidate", encoding="utf-8")
    assert len(candidates(tmp_path)) == read
