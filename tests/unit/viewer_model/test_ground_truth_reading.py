"""Reading annotation files is split from indexing them so the viewer reads off the GUI thread: the read is
plain data made from a request, a read of a closed study is dropped, and a table indexed by an earlier read
is not read again by a later request."""

from __future__ import annotations

import shutil
from pathlib import Path

from carzero_viewer.viewer_model import ViewerModel
from carzero_viewer.viewer_model.ground_truth import GroundTruth, read_truth

DATA = Path(__file__).resolve().parents[2] / "data" / "annotations"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "study"
    folder.mkdir(parents=True)
    shutil.copy(DATA / "Data_Entry_2017.csv", folder / "Data_Entry_2017.csv")
    shutil.copy(DATA / "BBox_List_2017.csv", folder / "BBox_List_2017.csv")
    return folder


def test_a_read_requested_before_the_study_closed_is_dropped(tmp_path: Path) -> None:
    model = ViewerModel()
    changes: list[None] = []
    model.ground_truth_changed.connect(lambda: changes.append(None))
    read = read_truth(model.ground_truth.request([_folder(tmp_path)], []))
    assert {found.path.name for found in read.found} == {"Data_Entry_2017.csv", "BBox_List_2017.csv"}
    model.close_study()
    assert model.annotations_read(read) == []
    assert model.ground_truth.files == [] and changes == []
    fresh = read_truth(model.ground_truth.request([_folder(tmp_path / "again")], []))
    assert model.annotations_read(fresh) == [] and len(model.ground_truth.files) == 2 and changes == [None]


def test_a_table_indexed_before_the_request_is_not_read_again(tmp_path: Path) -> None:
    truth = GroundTruth()
    folder = _folder(tmp_path)
    first = truth.request([folder], [])
    assert truth.index(read_truth(first)) == ([], True)
    second = read_truth(truth.request([folder], [folder / "Data_Entry_2017.csv"]))
    assert second.found == () and second.broken == ()
    assert truth.index(read_truth(first)) == ([], False)  # the same files twice: indexed once
    assert len(truth.files) == 2
