"""File > Open from PACS: find a study in a PACS's list (QIDO-RS) and retrieve it (WADO-RS) to open it.

The list has the columns a radiologist finds a study by: patient name and ID as the PACS returns them, study
date, modalities, description and number of images, newest first, filtered by part of a patient name or ID
(:func:`_search`). Identity is shown here on screen only: rows carry
no identity in their ``repr`` and nothing of them is logged.

The list and the retrieval run in the background (:class:`~carzero_viewer.ui.pacs_task.PacsTask`): the
retrieval shows its progress against the number of images the list gave and can be cancelled, leaving an
earlier cached copy as it was. On success :attr:`PacsOpenDialog.opened` carries the retrieved image files,
which the window opens like local files, and the dialog closes. "Clear cache" deletes every retrieved study
(:func:`carzero_viewer.pacs.cache.clear_cache`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from carzero_viewer.errors import Cancelled, CarzeroError
from carzero_viewer.pacs.dicomweb import StudySummary, search_studies
from carzero_viewer.pacs.saved_nodes import SavedNode, load_nodes
from carzero_viewer.pacs.url import DicomWebRef
from carzero_viewer.ui.file_dialogs import SettingsOwner
from carzero_viewer.ui.pacs_task import PacsTask

COLUMNS = ("Patient name", "Patient ID", "Study date", "Modality", "Description", "Images")


def _date(value: str) -> str:
    """YYYYMMDD as YYYY-MM-DD (sortable and unambiguous); anything else as the PACS sent it."""
    return f"{value[:4]}-{value[4:6]}-{value[6:]}" if len(value) == 8 and value.isdigit() else value


def _search(service: str, text: str) -> list[StudySummary]:
    """The study list; with ``text``, the studies whose patient name or ID contains it (two queries, merged;
    the server decides on case, Orthanc ignores it for names)."""
    if not text:
        return search_studies(service)
    pattern = f"*{text}*"
    found = {s.study_uid: s for s in search_studies(service, {"PatientName": pattern})}
    found.update((s.study_uid, s) for s in search_studies(service, {"PatientID": pattern}))
    return sorted(found.values(), key=lambda s: s.study_date, reverse=True)


def _retrieve(ref: DicomWebRef, task: PacsTask) -> list[Path]:
    from carzero_viewer.imaging.source import source_files

    def on_instance(count: int) -> None:
        task.report(count)
        if task.cancel_requested.is_set():
            raise Cancelled("retrieval cancelled")

    return list(source_files(str(ref), on_instance).files)


class PacsOpenDialog(QDialog):
    """Study list of the nodes that have a DICOMweb address; emits :attr:`opened` with the retrieved files."""

    opened = Signal(list)

    def __init__(self, nodes: list[SavedNode], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open from PACS")
        self.resize(900, 480)
        self._nodes = [n for n in nodes if n.dicomweb]
        self._studies: list[StudySummary] = []
        self.search_task = PacsTask(self)
        self.search_task.done.connect(self._on_studies)
        self.retrieve_task = PacsTask(self)
        self.retrieve_task.step.connect(self._on_step)
        self.retrieve_task.done.connect(self._on_retrieved)
        for task in (self.search_task, self.retrieve_task):
            task.busy_changed.connect(self._update_buttons)
        self.table = self._study_table()
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel(
            "" if self._nodes else "No PACS node has a DICOMweb address: add one in Settings."
        )
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(self._search_row())
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(self._button_row())
        self._update_buttons()
        if self._nodes:
            self.refresh()

    def _search_row(self) -> QHBoxLayout:
        self.node_combo = QComboBox()
        for saved in self._nodes:
            self.node_combo.addItem(f"{saved.name} ({saved.dicomweb})")
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("patient name or ID")
        self.filter_edit.returnPressed.connect(self.refresh)
        self.search_button = QPushButton("Search")
        self.search_button.clicked.connect(self.refresh)
        row = QHBoxLayout()
        row.addWidget(QLabel("PACS"))
        row.addWidget(self.node_combo, 1)
        row.addWidget(self.filter_edit, 1)
        row.addWidget(self.search_button)
        return row

    def _study_table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS))
        table.setHorizontalHeaderLabels(COLUMNS)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Description"), QHeaderView.ResizeMode.Stretch)
        table.itemSelectionChanged.connect(self._update_buttons)
        table.doubleClicked.connect(self.open_selected)
        return table

    def _button_row(self) -> QHBoxLayout:
        self.open_button = QPushButton("Open")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self.open_selected)
        self.cancel_button = QPushButton("Cancel retrieval")
        self.cancel_button.clicked.connect(self.retrieve_task.cancel)
        self.clear_button = QPushButton("Clear cache")
        self.clear_button.setToolTip("Delete every study retrieved from a PACS from this computer")
        self.clear_button.clicked.connect(self._clear_cache)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.clear_button)
        row.addStretch(1)
        for button in (self.cancel_button, self.open_button, close):
            row.addWidget(button)
        return row

    def studies(self) -> list[StudySummary]:
        return list(self._studies)

    def _service(self) -> str:
        return self._nodes[self.node_combo.currentIndex()].dicomweb

    @Slot()
    def refresh(self) -> None:
        """Ask the selected PACS for its study list (in the background)."""
        if not self._nodes or self._busy():
            return
        self.status.setText("Searching…")
        self.search_task.start(_search, self._service(), self.filter_edit.text().strip())

    @Slot()
    def open_selected(self) -> None:
        """Retrieve the selected study (in the background, with progress)."""
        row = self._selected()
        if row is None or self._busy():
            return
        study = self._studies[row]
        self.progress.setRange(0, max(study.images, 0))  # 0..0: busy indicator when the count is unknown
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.status.setText(f"Retrieving {study.images if study.images >= 0 else 'the'} image(s)…")
        ref = DicomWebRef(self._service(), study.study_uid)
        self.retrieve_task.start(_retrieve, ref, self.retrieve_task)

    def _busy(self) -> bool:
        return self.search_task.running or self.retrieve_task.running

    def _selected(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    @Slot()
    def _update_buttons(self) -> None:
        busy = self._busy()
        self.open_button.setEnabled(not busy and self._selected() is not None)
        self.search_button.setEnabled(not busy and bool(self._nodes))
        self.cancel_button.setEnabled(self.retrieve_task.running)
        self.clear_button.setEnabled(not busy)

    @Slot(object)
    def _on_studies(self, result: object) -> None:
        if isinstance(result, CarzeroError):
            self.status.setText(result.message)
            return
        assert isinstance(result, list)
        self._studies = result
        self.table.setRowCount(len(result))
        for row, study in enumerate(result):
            images = str(study.images) if study.images >= 0 else ""
            values = (study.patient_name, study.patient_id, _date(study.study_date), study.modalities)
            for column, text in enumerate((*values, study.description, images)):
                item = QTableWidgetItem(text)
                if column == len(COLUMNS) - 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.status.setText(f"{len(result)} stud{'y' if len(result) == 1 else 'ies'}")
        self._update_buttons()

    @Slot(int, object)
    def _on_step(self, count: int, _item: object) -> None:
        if self.progress.maximum() and count > self.progress.maximum():
            self.progress.setMaximum(count)
        self.progress.setValue(count)

    @Slot(object)
    def _on_retrieved(self, result: object) -> None:
        self.progress.setVisible(False)
        if isinstance(result, CarzeroError):
            self.status.setText(result.message)
            return
        assert isinstance(result, list)
        self.status.setText(f"Retrieved {len(result)} image(s)")
        self.opened.emit(result)
        self.accept()

    @Slot()
    def _clear_cache(self) -> None:
        from carzero_viewer.pacs.cache import clear_cache

        answer = QMessageBox.question(
            self, "Clear the PACS cache", "Delete every study retrieved from a PACS from this computer?"
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self.status.setText(f"Cache cleared ({clear_cache()} retrieved studies deleted)")
        except CarzeroError as exc:
            self.status.setText(exc.message)

    def done(self, result: int) -> None:
        self.retrieve_task.cancel()  # a retrieval still running stops at its next instance
        super().done(result)


def open_from_pacs(
    owner: SettingsOwner, open_paths: Callable[[list[Path]], None], parent: QWidget | None = None
) -> PacsOpenDialog:
    """File > Open from PACS…: the dialog (window-modal, not blocking) for the saved nodes; the retrieved
    files go to ``open_paths`` (the window's method that opens files), and the dialog deletes itself when
    closed."""
    nodes, _problems = load_nodes(owner.settings)  # Settings > PACS nodes shows the problems
    dialog = PacsOpenDialog(nodes, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.opened.connect(open_paths)
    dialog.open()
    return dialog
