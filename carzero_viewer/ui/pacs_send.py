"""Send results to PACS: the exported DICOM files stored in a chosen PACS node, in the background.

Like ``carzero-viewer send``: C-ECHO first (a wrong address or title is one line before anything is sent),
then one C-STORE per file on one association, each file's row showing ``stored`` or the reason it was not,
with a progress bar over the files. The bounded timeouts of :mod:`carzero_viewer.pacs.dimse` mean a silent
PACS ends in a message, never a frozen dialog; the dialog can be closed at any time (a send under way
finishes in the background and reports to nobody).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from carzero_viewer.errors import CarzeroError
from carzero_viewer.pacs.dimse import StoreResult, echo, store
from carzero_viewer.pacs.saved_nodes import SavedNode, load_nodes
from carzero_viewer.ui.file_dialogs import EXPORT_STUDY, SettingsOwner, open_file_names
from carzero_viewer.ui.pacs_task import PacsTask

FAILED_COLOUR = QColor(200, 40, 40)


def _send(saved: SavedNode, files: list[Path], task: PacsTask) -> list[StoreResult]:
    echo(saved.node, saved.calling_aet)
    return store(saved.node, files, saved.calling_aet, on_result=task.report)


class PacsSendDialog(QDialog):
    """Sends ``files`` to the chosen node; :attr:`sent` gives (stored, failed) counts when done."""

    sent = Signal(int, int)

    def __init__(self, files: list[Path], nodes: list[SavedNode], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Send results to PACS")
        self.resize(760, 360)
        self._files = list(files)
        self._nodes = list(nodes)
        self.node_combo = QComboBox()
        for saved in self._nodes:
            self.node_combo.addItem(f"{saved.name} ({saved.node})")
        top = QHBoxLayout()
        top.addWidget(QLabel(f"Send {len(files)} file(s) to"))
        top.addWidget(self.node_combo, 1)

        self.table = QTableWidget(len(files), 2)
        self.table.setHorizontalHeaderLabels(("File", "Result"))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self._results = [QTableWidgetItem("waiting") for _ in files]
        for row, path in enumerate(files):
            name = QTableWidgetItem(path.name)
            name.setToolTip(str(path))
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, self._results[row])

        self.progress = QProgressBar()
        self.progress.setRange(0, max(len(files), 1))
        self.progress.setValue(0)
        self.progress.setFormat("%v of %m file(s)")
        self.status = QLabel("" if nodes else "No PACS node: add one in Settings > PACS nodes.")
        self.status.setWordWrap(True)
        self.send_button = QPushButton("Send")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.send)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.send_button)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(bottom)

        self.task = PacsTask(self)
        self.task.step.connect(self._on_step)
        self.task.done.connect(self._on_done)
        self.task.busy_changed.connect(self._on_busy)
        self._on_busy(False)

    @Slot()
    def send(self) -> None:
        """Echo the chosen node, then store every file (in the background)."""
        if not self._nodes or self.task.running:
            return
        saved = self._nodes[self.node_combo.currentIndex()]
        for item in self._results:
            item.setText("waiting")
            item.setForeground(self.palette().text())
        self.progress.setValue(0)
        self.status.setText(f"Echo {saved.node}…")
        self.task.start(_send, saved, self._files, self.task)

    @Slot(int, object)
    def _on_step(self, row: int, result: object) -> None:
        assert isinstance(result, StoreResult)
        item = self._results[row]
        item.setText(result.detail if result.ok else f"FAILED: {result.detail}")
        if not result.ok:
            item.setForeground(FAILED_COLOUR)
        self.progress.setValue(self.progress.value() + 1)
        self.status.setText(f"Sending… {self.progress.value()} of {len(self._files)}")

    @Slot(object)
    def _on_done(self, result: object) -> None:
        if isinstance(result, CarzeroError):
            self.status.setText(f"Nothing sent: {result.message}")
            return
        assert isinstance(result, list)
        failed = sum(not r.ok for r in result)
        stored = len(result) - failed
        self.status.setText(
            f"{stored} of {len(result)} file(s) stored" + (f", {failed} failed" if failed else "")
        )
        self.sent.emit(stored, failed)

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        self.send_button.setEnabled(not busy and bool(self._nodes))
        self.node_combo.setEnabled(not busy)


def send_to_pacs(owner: SettingsOwner, files: list[Path], parent: QWidget | None = None) -> PacsSendDialog:
    """Open the send dialog (window-modal, not blocking) for ``files``; it deletes itself when closed."""
    nodes, _problems = load_nodes(owner.settings)  # Settings > PACS nodes shows the problems
    dialog = PacsSendDialog(files, nodes, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def choose_and_send_to_pacs(owner: SettingsOwner, parent: QWidget) -> PacsSendDialog | None:
    """File > Send results to PACS…: choose DICOM files (starting where studies were last exported), then
    :func:`send_to_pacs`; None when no file was chosen."""
    caption = "Send DICOM results to PACS"
    files = open_file_names(owner, parent, EXPORT_STUDY, caption, "DICOM files (*.dcm);;All files (*)")
    return send_to_pacs(owner, files, parent) if files else None
