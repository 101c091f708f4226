"""Moving through a study in the real window: closing an image or the whole study, the study's thumbnail
strip, and image-level labels (NIH ``Data_Entry_2017.csv``) shown and used for the starting prompt."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from carzero_viewer.ui.shortcuts import SHORTCUTS, ShortcutsDialog
from carzero_viewer.ui.thumbnails import THUMBNAIL_PX
from tests.e2e import test_main_window as base

pytestmark = [pytest.mark.e2e, pytest.mark.gui, pytest.mark.slow]
window = base.window
ready = base.ready
TIMEOUT_MS = base.TIMEOUT_MS
ATELECTASIS_PROMPT = "There is atelectasis."


def test_close_image_moves_to_the_next_file_then_empties(ready, qtbot, test_data_dir: Path) -> None:
    base.open_and_wait(ready, qtbot, test_data_dir / "cxr")
    files = ready.study_panel.files()
    ready.study_panel.select_file(files[-2])
    qtbot.waitUntil(lambda: ready.record is not None and ready.record.path == files[-2], timeout=TIMEOUT_MS)
    ready.close_image()
    assert ready.study_panel.files() == [*files[:-2], files[-1]]
    qtbot.waitUntil(lambda: ready.record.path == files[-1] and ready.response is not None, timeout=TIMEOUT_MS)
    for _ in files[:-1]:
        ready.close_image()
    assert ready.study_panel.files() == []
    qtbot.wait(200)  # a load started before the last close must not bring an image back
    assert ready.record is None and ready.canvas.record() is None
    assert ready.scores_panel.shown_prompts() == []


def test_close_study_cancels_the_running_load_and_empties_everything(
    ready, qtbot, test_data_dir: Path
) -> None:
    annotations = test_data_dir / "annotations"
    base.open_annotations_and_wait(ready, qtbot, [annotations / "BBox_List_2017.csv"])
    base.open_and_wait(ready, qtbot, annotations / "images" / "00000344_003.png")
    assert ready.ground_truth_panel.boxes()
    ready.open_paths([test_data_dir / "cxr"])  # its first image starts loading
    ready.close_study()
    qtbot.wait(1500)  # the cancelled load and scoring finish in the background and are dropped
    assert ready.study_panel.files() == []
    assert ready.record is None and ready.canvas.record() is None
    assert ready.scores_panel.shown_prompts() == []
    assert ready.ground_truth_panel.boxes() == [] and ready.model.ground_truth.files == []
    assert not ready.canvas.heatmap_visible()


def test_close_actions_are_in_the_file_menu_and_the_f1_list(window) -> None:
    shown = {
        a.text(): a.shortcut().toString()
        for a in window.findChildren(type(window.chrome.recent_menu.menuAction()))
    }
    assert shown["Close image"] == SHORTCUTS["close_image"][0] == "Ctrl+W"
    assert shown["Close study"] == SHORTCUTS["close_study"][0] == "Ctrl+Shift+W"
    table = ShortcutsDialog(window).table
    keys = {table.item(row, 0).text() for row in range(table.rowCount())}
    assert {"Ctrl+W", "Ctrl+Shift+W"} <= keys


def _study_with_labels(test_data_dir: Path, folder: Path, image: str) -> Path:
    annotations = test_data_dir / "annotations"
    for source in (annotations / "images" / image, annotations / "Data_Entry_2017.csv"):
        shutil.copyfile(source, folder / source.name)
    return folder / image


def test_image_labels_found_beside_the_image_are_shown_and_choose_the_prompt(
    ready, qtbot, test_data_dir: Path, tmp_path: Path
) -> None:
    image = _study_with_labels(test_data_dir, tmp_path, "00000865_006.png")
    base.open_and_wait(ready, qtbot, tmp_path)
    panel = ready.ground_truth_panel
    assert panel.image_labels() == ["Atelectasis"]
    assert panel.boxes() == []  # labels only: no box file here
    assert panel.image_labels_label.isVisible() and "Atelectasis" in panel.image_labels_label.text()
    assert ready.record.path == image.resolve()
    assert ready.scores_panel.shown_prompts()[0] != ATELECTASIS_PROMPT  # the top score is another prompt
    assert ready.scores_panel.selected_prompt() == ATELECTASIS_PROMPT


def test_image_labels_opened_by_hand_are_shown(ready, qtbot, test_data_dir: Path, tmp_path: Path) -> None:
    image = shutil.copy(test_data_dir / "annotations" / "images" / "00002578_000.png", tmp_path)
    base.open_and_wait(ready, qtbot, Path(image))  # away from the tables one level above the test images
    assert not ready.ground_truth_panel.image_labels_label.isVisible()
    base.open_annotations_and_wait(ready, qtbot, [test_data_dir / "annotations" / "Data_Entry_2017.csv"])
    assert ready.ground_truth_panel.image_labels() == ["Nodule"]
    assert not ready.notifications.messages()


def test_thumbnails_arrive_after_the_list_and_a_bad_file_is_marked(
    window, qtbot, test_data_dir: Path, tmp_path: Path
) -> None:
    for source in sorted((test_data_dir / "cxr").glob("*.png")):
        shutil.copyfile(source, tmp_path / source.name)
    broken = tmp_path / "bad" / "broken.png"  # named explicitly: a folder scan skips what is not an image
    broken.parent.mkdir()
    broken.write_bytes(b"not a png")
    window.open_paths([tmp_path, broken])
    panel = window.study_panel
    files = panel.files()
    assert len(files) == 6
    assert all(panel.thumbnail(path) is None for path in files)  # listed at once, rendered later
    good = files[:-1]
    qtbot.waitUntil(lambda: all(panel.thumbnail(path) is not None for path in good), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: bool(panel.failure(files[-1])), timeout=TIMEOUT_MS)
    icon = panel.list_widget.item(0).icon()
    size = icon.availableSizes()[0]
    assert max(size.width(), size.height()) == THUMBNAIL_PX
    assert panel.thumbnail(files[-1]) is None
    entry = window.model.study.entry(broken)  # the study model knows it too (exports, other views)
    assert entry is not None and entry.status == "failed" and entry.reason == panel.failure(files[-1])


def test_closing_the_study_drops_thumbnails_still_rendering(window, qtbot, test_data_dir: Path) -> None:
    window.open_paths([test_data_dir / "cxr"])
    closed = window.study_panel.files()
    window.close_study()
    window.open_paths([test_data_dir / "annotations" / "images"])
    panel = window.study_panel
    qtbot.waitUntil(lambda: all(panel.thumbnail(p) is not None for p in panel.files()), timeout=TIMEOUT_MS)
    qtbot.wait(1000)  # the closed study's batch would have delivered by now
    assert all(panel.thumbnail(path) is None for path in closed)
