"""File dialogs reopen in the last folder of their kind, remembered in the settings across sessions."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QWidget

from carzero_viewer.settings import Settings, load_settings, save_settings
from carzero_viewer.ui import file_dialogs

pytestmark = pytest.mark.gui


class _Owner(QWidget):
    """The settings side of the main window."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.settings = load_settings(path)

    def save_settings(self) -> None:
        save_settings(self.settings, self.path)


def test_save_dialog_starts_in_the_last_export_folder_after_a_restart(qtbot, tmp_path, monkeypatch) -> None:
    starts: list[str] = []
    figures = tmp_path / "figures"
    figures.mkdir()
    monkeypatch.chdir(tmp_path)

    def fake_save(parent, caption, start, filters):
        starts.append(start)
        return str(figures / "chosen.png"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_save)
    owner = _Owner(tmp_path / "settings.json")
    qtbot.addWidget(owner)
    kind = file_dialogs.EXPORT_IMAGE
    assert file_dialogs.save_file_name(owner, owner, kind, "Export", "a.png", "") == figures / "chosen.png"
    again = _Owner(tmp_path / "settings.json")  # the next session reads the folder back
    qtbot.addWidget(again)
    file_dialogs.save_file_name(again, again, kind, "Export", "b.png", "")
    assert starts == [str(tmp_path / "a.png"), str(figures / "b.png")]


def test_each_kind_keeps_its_own_folder_and_a_removed_one_is_ignored(qtbot, tmp_path, monkeypatch) -> None:
    images, study = tmp_path / "images", tmp_path / "study"
    images.mkdir()
    study.mkdir()
    starts: list[tuple[str, str]] = []

    def fake_open(parent, caption, start, filters=""):
        starts.append(("open", start))
        return [str(images / "a.png")], ""

    def fake_directory(parent, caption, start):
        starts.append(("folder", start))
        return str(study)

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", fake_open)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", fake_directory)
    owner = _Owner(tmp_path / "settings.json")
    qtbot.addWidget(owner)
    assert file_dialogs.open_file_names(owner, owner, file_dialogs.OPEN_IMAGES, "Open") == [images / "a.png"]
    assert file_dialogs.existing_directory(owner, owner, file_dialogs.EXPORT_STUDY, "Export") == study
    file_dialogs.open_file_names(owner, owner, file_dialogs.OPEN_IMAGES, "Open")
    file_dialogs.existing_directory(owner, owner, file_dialogs.EXPORT_STUDY, "Export")
    assert starts == [("open", ""), ("folder", ""), ("open", str(images)), ("folder", str(study))]
    study.rmdir()
    assert file_dialogs.start_folder(owner.settings, file_dialogs.EXPORT_STUDY) is None
    assert file_dialogs.start_folder(Settings(), file_dialogs.OPEN_IMAGES) is None
