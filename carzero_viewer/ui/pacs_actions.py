"""The PACS entries of the window's menus: open a study from a PACS, send results to one, edit the nodes.

Kept out of :mod:`.main_chrome` so the chrome only places the entries; each slot opens one of the PACS dialogs
(:mod:`.pacs_open_dialog`, :mod:`.pacs_send`, :mod:`.pacs_settings`), which do their network work in the
background and report in their own window.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QWidget

from carzero_viewer.pacs.saved_nodes import load_nodes
from carzero_viewer.ui.file_dialogs import SettingsOwner
from carzero_viewer.ui.pacs_open_dialog import open_from_pacs
from carzero_viewer.ui.pacs_send import choose_and_send_to_pacs, send_to_pacs
from carzero_viewer.ui.pacs_settings import edit_pacs_nodes


class PacsActions(QObject):
    """Slots for File > Open from PACS…, File > Send results to PACS… and Settings > PACS nodes….

    Args:
        owner: holds the settings (the saved PACS nodes, the last export folder).
        open_paths: opens retrieved files in the viewer, like files chosen on disk.
        parent: the main window (the dialogs' parent).
    """

    def __init__(
        self, owner: SettingsOwner, open_paths: Callable[[list[Path]], None], parent: QWidget
    ) -> None:
        super().__init__(parent)
        self._owner = owner
        self._open_paths = open_paths
        self._parent = parent

    @Slot()
    def open_from_pacs(self) -> None:
        open_from_pacs(self._owner, self._open_paths, self._parent)

    @Slot()
    def send_results(self) -> None:
        choose_and_send_to_pacs(self._owner, self._parent)

    @Slot()
    def edit_nodes(self) -> None:
        edit_pacs_nodes(self._owner, self._parent)

    def offer_to_send(self, files: list[Path]) -> None:
        """After an export wrote DICOM objects: the send dialog, filled in, when a PACS node is saved.

        The user still chooses the node and clicks Send; nothing leaves the machine unasked.
        """
        dicoms = [path for path in files if path.suffix.lower() == ".dcm"]
        if dicoms and load_nodes(self._owner.settings)[0]:
            send_to_pacs(self._owner, dicoms, self._parent)
