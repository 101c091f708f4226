"""File dialogs that reopen where the user last was, per kind of dialog.

Qt's static dialogs start in the working folder unless told otherwise, so every export or open began in the
folder the app was launched from. Each kind (opening images, a study folder, box files; exporting an image or
a study) remembers its own last folder in :attr:`carzero_viewer.settings.Settings.last_folders`: figures and
studies usually live in different places. A remembered folder that no longer exists is ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtWidgets import QFileDialog, QWidget

from carzero_viewer.settings import Settings

OPEN_IMAGES = "open_images"
OPEN_FOLDER = "open_folder"
OPEN_ANNOTATIONS = "open_annotations"
EXPORT_IMAGE = "export_image"
EXPORT_STUDY = "export_study"


class SettingsOwner(Protocol):
    """The window whose settings hold the folders (the main window)."""

    settings: Settings

    def save_settings(self) -> None: ...


def start_folder(settings: Settings, kind: str) -> Path | None:
    """The folder the ``kind`` dialog was last used in, or None (never used, or since removed)."""
    folder = settings.last_folders.get(kind, "")
    return Path(folder) if folder and Path(folder).is_dir() else None


def remember(owner: SettingsOwner, kind: str, folder: Path) -> None:
    """Record ``folder`` for ``kind`` and save the settings (a failed save is reported by the owner)."""
    owner.settings.last_folders[kind] = str(folder)
    owner.save_settings()


def open_file_names(
    owner: SettingsOwner, parent: QWidget, kind: str, caption: str, filters: str = ""
) -> list[Path]:
    """Files chosen in an open dialog that starts in ``kind``'s last folder; [] when cancelled."""
    start = start_folder(owner.settings, kind)
    names, _ = QFileDialog.getOpenFileNames(parent, caption, str(start or ""), filters)
    paths = [Path(name) for name in names]
    if paths:
        remember(owner, kind, paths[0].parent)
    return paths


def existing_directory(owner: SettingsOwner, parent: QWidget, kind: str, caption: str) -> Path | None:
    """A folder chosen in a dialog that starts in ``kind``'s last folder; None when cancelled."""
    start = start_folder(owner.settings, kind)
    folder = QFileDialog.getExistingDirectory(parent, caption, str(start or ""))
    if not folder:
        return None
    remember(owner, kind, Path(folder).parent if kind == OPEN_FOLDER else Path(folder))
    return Path(folder)


def save_file_name(
    owner: SettingsOwner, parent: QWidget, kind: str, caption: str, file_name: str, filters: str
) -> Path | None:
    """A target chosen in a save dialog proposing ``file_name`` in ``kind``'s last folder; None when cancelled."""
    start = start_folder(owner.settings, kind) or Path.cwd()
    name, _ = QFileDialog.getSaveFileName(parent, caption, str(start / file_name), filters)
    if not name:
        return None
    remember(owner, kind, Path(name).parent)
    return Path(name)
