"""The study list: folders expand to their images, clicking a file reports it, duplicates are skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from carzero_viewer.ui.study_panel import StudyPanel
from carzero_viewer.viewer_model.study import expand_paths

pytestmark = pytest.mark.gui


def test_expand_paths_lists_folder_images_and_reports_problems(repo_root: Path, tmp_path: Path) -> None:
    files, problems = expand_paths([repo_root / "resources" / "samples", tmp_path / "missing.png"])
    assert len(files) == 3
    assert all(f.suffix == ".png" for f in files)
    assert len(problems) == 1
    assert "does not exist" in problems[0]


def test_selecting_a_file_emits_its_path(qtbot, test_data_dir: Path) -> None:
    panel = StudyPanel()
    qtbot.addWidget(panel)
    image = test_data_dir / "carzero-tiny" / "image.png"
    assert panel.add_files([image, image]) == 1
    assert panel.current_file() is None
    with qtbot.waitSignal(panel.file_selected) as blocker:
        panel.select_file(image)
    assert blocker.args == [image.resolve()]
    assert panel.current_file() == image.resolve()


def test_a_file_that_failed_to_open_is_marked_until_it_opens(qtbot, test_data_dir: Path) -> None:
    panel = StudyPanel()
    qtbot.addWidget(panel)
    image = test_data_dir / "carzero-tiny" / "image.png"
    panel.add_files([image])
    item = panel.list_widget.item(0)
    panel.mark_failed(image, "truncated PNG")
    assert panel.failure(image) == "truncated PNG"
    assert not item.icon().isNull() and "could not be opened: truncated PNG" in item.toolTip()
    panel.mark_opened(image)
    assert panel.failure(image) == "" and item.icon().isNull() and item.toolTip() == str(image.resolve())


def test_files_added_while_thumbnails_render_get_theirs(qtbot, test_data_dir: Path) -> None:
    panel = StudyPanel()
    qtbot.addWidget(panel)
    first, _ = expand_paths([test_data_dir / "cxr"])
    second, _ = expand_paths([test_data_dir / "annotations" / "images"])
    panel.add_files(first)
    panel.add_files(second)  # queued behind the running worker, not a second thread
    qtbot.waitUntil(lambda: all(panel.thumbnail(p) is not None for p in panel.files()), timeout=30_000)
    assert len(panel.files()) == len(first) + len(second)


def test_remove_file_announces_the_next_one_and_clear_announces_nothing(qtbot, test_data_dir: Path) -> None:
    panel = StudyPanel()
    qtbot.addWidget(panel)
    files, _ = expand_paths([test_data_dir / "cxr"])
    panel.add_files(files)
    panel.select_file(files[1])
    with qtbot.waitSignal(panel.file_selected) as blocker:
        panel.remove_file(files[1])
    assert blocker.args == [files[2].resolve()]
    with qtbot.assertNotEmitted(panel.file_selected):
        panel.clear()
    assert panel.files() == [] and panel.current_file() is None
