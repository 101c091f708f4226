"""Settings > PACS nodes: the archives results are sent to and studies opened from, with an Echo button.

The nodes are kept in the settings (:mod:`carzero_viewer.pacs.saved_nodes`, checked at the boundary when
read); this dialog edits a copy, stored on OK by :func:`edit_pacs_nodes` (the Settings menu's entry). Echo runs in the
background (:class:`~carzero_viewer.ui.latest_job.LatestJob`, so the dialog never freezes on a silent PACS:
the C-ECHO has bounded timeouts) and shows "Echo OK" or the one-line reason in the dialog.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from carzero_viewer.errors import CarzeroError
from carzero_viewer.pacs import DEFAULT_CALLING_AET, PacsError
from carzero_viewer.pacs.node import check_aet, make_node
from carzero_viewer.pacs.saved_nodes import SavedNode, check_service, load_nodes, store_nodes
from carzero_viewer.ui.file_dialogs import SettingsOwner
from carzero_viewer.ui.latest_job import LatestJob

COLUMNS = ("Name", "AE title", "Host", "Port", "Calling AE title", "DICOMweb address")


def echo_message(saved: SavedNode) -> str:
    """C-ECHO ``saved`` (run off the GUI thread): "Echo OK ..." or the one-line reason it failed."""
    from carzero_viewer.pacs.dimse import echo

    started = time.perf_counter()
    try:
        echo(saved.node, saved.calling_aet)
    except CarzeroError as exc:
        return f"Echo failed: {exc.message}"
    return f"Echo OK: {saved.node} answered in {1000 * (time.perf_counter() - started):.0f} ms"


class PacsSettingsDialog(QDialog):
    """Lists, adds and removes PACS nodes; :meth:`nodes` is the edited list."""

    def __init__(self, nodes: list[SavedNode], problems: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("PACS nodes")
        self.resize(820, 420)
        self._nodes = list(nodes)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.name_edit = QLineEdit()
        self.aet_edit = QLineEdit()
        self.host_edit = QLineEdit("127.0.0.1")
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(104)
        self.calling_edit = QLineEdit(DEFAULT_CALLING_AET)
        self.dicomweb_edit = QLineEdit()
        self.dicomweb_edit.setPlaceholderText("http://HOST:PORT/dicom-web (for Open from PACS; optional)")
        form = QFormLayout()
        for label, field in (
            ("Name", self.name_edit),
            ("Called AE title", self.aet_edit),
            ("Host", self.host_edit),
            ("Port", self.port_spin),
            ("Calling AE title", self.calling_edit),
            ("DICOMweb address", self.dicomweb_edit),
        ):
            form.addRow(label, field)

        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self._add)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._remove)
        self.echo_button = QPushButton("Echo")
        self.echo_button.setToolTip("C-ECHO the selected node: checks address, port and AE titles")
        self.echo_button.clicked.connect(self._echo)
        row = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.echo_button):
            row.addWidget(button)
        row.addStretch(1)

        self.status = QLabel("\n".join(f"Left out: {p}" for p in problems))
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(buttons)

        self._echo_job = LatestJob("echoing a PACS", self)
        self._echo_job.finished.connect(self._on_echo)
        self._echo_job.failed.connect(self._on_echo)
        self._echo_job.busy_changed.connect(self._on_echo_busy)
        self._refresh()

    def nodes(self) -> list[SavedNode]:
        return list(self._nodes)

    def _refresh(self) -> None:
        self.table.setRowCount(len(self._nodes))
        for row, saved in enumerate(self._nodes):
            values = (saved.name, saved.node.aet, saved.node.host, str(saved.node.port), saved.calling_aet)
            for column, text in enumerate((*values, saved.dicomweb)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self._update_buttons()

    def _selected(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    @Slot()
    def _update_buttons(self) -> None:
        selected = self._selected() is not None
        self.remove_button.setEnabled(selected)
        self.echo_button.setEnabled(selected)

    @Slot()
    def _add(self) -> None:
        try:
            name = self.name_edit.text().strip() or self.aet_edit.text().strip()
            node = make_node(self.aet_edit.text(), self.host_edit.text(), self.port_spin.value())
            saved = SavedNode(
                name,
                node,
                check_aet(self.calling_edit.text(), "calling AE title"),
                check_service(self.dicomweb_edit.text()),
            )
        except PacsError as exc:
            self.status.setText(f"Not added: {exc.message}")
            return
        self._nodes = [n for n in self._nodes if n.name != saved.name] + [saved]
        self.status.setText(f"Added {saved.name} ({saved.node})")
        self._refresh()
        self.table.selectRow(len(self._nodes) - 1)

    @Slot()
    def _remove(self) -> None:
        row = self._selected()
        if row is not None:
            removed = self._nodes.pop(row)
            self.status.setText(f"Removed {removed.name}")
            self._refresh()

    @Slot()
    def _echo(self) -> None:
        row = self._selected()
        if row is not None:
            self.status.setText(f"Echo {self._nodes[row].node}…")
            self._echo_job.start(echo_message, self._nodes[row])

    @Slot(object)
    def _on_echo(self, message: object) -> None:
        self.status.setText(str(message))

    @Slot(bool)
    def _on_echo_busy(self, busy: bool) -> None:
        self.echo_button.setEnabled(not busy and self._selected() is not None)

    def done(self, result: int) -> None:
        self._echo_job.invalidate()  # an Echo still running reports to nobody
        super().done(result)


def edit_pacs_nodes(owner: SettingsOwner, parent: QWidget | None = None) -> bool:
    """Settings > PACS nodes…: run the dialog; on OK store the nodes and save the settings (the owner reports
    a failed save).

    Returns:
        Whether the nodes were changed.
    """
    nodes, problems = load_nodes(owner.settings)
    dialog = PacsSettingsDialog(nodes, problems, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    store_nodes(owner.settings, dialog.nodes())
    owner.save_settings()
    return True
