"""Settings > PACS nodes, File > Open from PACS and Send results to PACS, offscreen, on a real Orthanc."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from PySide6.QtWidgets import QDialog

from carzero_viewer.pacs import PacsNode
from carzero_viewer.pacs.saved_nodes import SavedNode, load_nodes, store_nodes
from carzero_viewer.settings import Settings, load_settings, save_settings
from carzero_viewer.ui.pacs_open_dialog import COLUMNS, PacsOpenDialog, open_from_pacs
from carzero_viewer.ui.pacs_send import PacsSendDialog, send_to_pacs
from carzero_viewer.ui.pacs_settings import PacsSettingsDialog, edit_pacs_nodes
from tests.orthanc_server import Orthanc, free_port

pytestmark = pytest.mark.gui

DICOM = Path(__file__).resolve().parents[2] / "data" / "dicom" / "RG2_JPLL.dcm"
TIMEOUT_MS = 20_000


def _saved(orthanc: Orthanc, port: int | None = None, aet: str | None = None) -> SavedNode:
    node = PacsNode(aet or orthanc.aet, "127.0.0.1", port or orthanc.dicom_port)
    return SavedNode("Test Orthanc", node, orthanc.calling_aet, orthanc.dicomweb)


def test_a_node_added_in_settings_answers_echo(qtbot, orthanc: Orthanc) -> None:
    dialog = PacsSettingsDialog([], [])
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("Test Orthanc")
    dialog.aet_edit.setText(orthanc.aet)
    dialog.port_spin.setValue(orthanc.dicom_port)
    dialog.calling_edit.setText(orthanc.calling_aet)
    dialog.dicomweb_edit.setText(orthanc.dicomweb + "/")
    dialog.add_button.click()
    assert dialog.nodes() == [_saved(orthanc)]
    assert dialog.echo_button.isEnabled()
    dialog.echo_button.click()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Echo OK"), timeout=TIMEOUT_MS)
    qtbot.waitUntil(dialog.echo_button.isEnabled)


def test_echo_of_a_wrong_port_shows_the_reason_and_remove_forgets_the_node(qtbot, orthanc: Orthanc) -> None:
    dialog = PacsSettingsDialog([_saved(orthanc, port=free_port())], [])
    qtbot.addWidget(dialog)
    dialog.table.selectRow(0)
    dialog.echo_button.click()
    qtbot.waitUntil(lambda: "connection refused" in dialog.status.text(), timeout=TIMEOUT_MS)
    assert dialog.status.text().startswith("Echo failed: ")
    qtbot.waitUntil(dialog.echo_button.isEnabled)
    dialog.remove_button.click()
    assert dialog.nodes() == []


def test_a_form_error_is_shown_and_adds_nothing(qtbot) -> None:
    dialog = PacsSettingsDialog([], ["settings.json: pacs_nodes[0].port: must be an integer, not a string"])
    qtbot.addWidget(dialog)
    assert "Left out: settings.json: pacs_nodes[0].port" in dialog.status.text()
    dialog.aet_edit.setText("MUCH_TOO_LONG_A_TITLE")
    dialog.add_button.click()
    assert dialog.nodes() == []
    assert "longer than 16 characters" in dialog.status.text()


def test_open_from_pacs_lists_the_study_and_retrieves_it(qtbot, orthanc: Orthanc) -> None:
    orthanc.upload(DICOM)
    source = pydicom.dcmread(DICOM, stop_before_pixels=True)
    dialog = PacsOpenDialog([_saved(orthanc)])
    qtbot.addWidget(dialog)
    qtbot.waitUntil(
        lambda: any(s.study_uid == source.StudyInstanceUID for s in dialog.studies()), timeout=TIMEOUT_MS
    )
    row = next(i for i, s in enumerate(dialog.studies()) if s.study_uid == source.StudyInstanceUID)
    cells = {name: dialog.table.item(row, c).text() for c, name in enumerate(COLUMNS)}
    assert cells["Patient ID"] == source.PatientID
    assert cells["Study date"] == f"{source.StudyDate[:4]}-{source.StudyDate[4:6]}-{source.StudyDate[6:]}"
    assert cells["Modality"] == source.Modality
    assert int(cells["Images"]) >= 1
    dialog.table.selectRow(row)
    with qtbot.waitSignal(dialog.opened, timeout=TIMEOUT_MS) as opened:
        dialog.open_button.click()
    (retrieved,) = [p for p in opened.args[0] if pydicom.dcmread(p).SOPInstanceUID == source.SOPInstanceUID]
    assert retrieved.is_file()


def test_the_study_list_filters_by_patient_id_or_name(qtbot, orthanc: Orthanc) -> None:
    orthanc.upload(DICOM)
    source = pydicom.dcmread(DICOM, stop_before_pixels=True)
    dialog = PacsOpenDialog([_saved(orthanc)])
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.status.text().endswith(("study", "studies")), timeout=TIMEOUT_MS)
    for text, expected in ((source.PatientID[1:-1], 1), (str(source.PatientName)[:5], 1), ("NO SUCH", 0)):
        dialog.filter_edit.setText(text)
        dialog.search_button.click()
        qtbot.waitUntil(lambda: not dialog.search_task.running, timeout=TIMEOUT_MS)
        found = [s for s in dialog.studies() if s.study_uid == source.StudyInstanceUID]
        assert len(found) == expected, text


def test_open_from_pacs_shows_why_the_list_is_empty(qtbot, orthanc: Orthanc) -> None:
    unreachable = SavedNode(
        "Gone", PacsNode("X", "127.0.0.1", 104), "CARZERO", f"http://127.0.0.1:{free_port()}"
    )
    dialog = PacsOpenDialog([unreachable])
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "cannot connect" in dialog.status.text(), timeout=TIMEOUT_MS)
    assert dialog.table.rowCount() == 0


def test_send_reports_each_file_and_the_totals(qtbot, orthanc: Orthanc, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not DICOM")
    dialog = PacsSendDialog([DICOM, junk], [_saved(orthanc)])
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.sent, timeout=TIMEOUT_MS) as sent:
        dialog.send_button.click()
    assert sent.args == [1, 1]
    assert dialog.table.item(0, 1).text() == "stored"
    assert dialog.table.item(1, 1).text().startswith("FAILED: not a DICOM Part 10 file")
    assert dialog.progress.value() == 2
    assert dialog.status.text() == "1 of 2 file(s) stored, 1 failed"


def test_send_to_an_unknown_called_aet_sends_nothing_and_says_why(qtbot, orthanc: Orthanc) -> None:
    dialog = PacsSendDialog([DICOM], [_saved(orthanc, aet="WRONGAET")])
    qtbot.addWidget(dialog)
    dialog.send_button.click()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Nothing sent: "), timeout=TIMEOUT_MS)
    assert "Called AE title not recognised" in dialog.status.text()
    assert dialog.table.item(0, 1).text() == "waiting"
    qtbot.waitUntil(dialog.send_button.isEnabled)


class _Owner:
    """What the window gives the PACS menu entries: its settings and the save that reports failures."""

    def __init__(self) -> None:
        self.settings = Settings()
        self.saves = 0

    def save_settings(self) -> None:
        self.saves += 1
        save_settings(self.settings)


def test_the_settings_entry_stores_the_nodes_on_ok(
    qtbot, orthanc: Orthanc, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = _Owner()

    def accept_with_a_node(dialog: PacsSettingsDialog) -> int:
        qtbot.addWidget(dialog)
        dialog.aet_edit.setText(orthanc.aet)
        dialog.port_spin.setValue(orthanc.dicom_port)
        dialog.add_button.click()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(PacsSettingsDialog, "exec", accept_with_a_node)
    assert edit_pacs_nodes(owner)
    assert owner.saves == 1
    (saved,) = load_nodes(load_settings())[0]
    assert (saved.name, saved.node.aet, saved.node.port) == (orthanc.aet, orthanc.aet, orthanc.dicom_port)


def test_the_open_entry_hands_the_retrieved_files_to_the_window(qtbot, orthanc: Orthanc) -> None:
    orthanc.upload(DICOM)
    owner = _Owner()
    store_nodes(owner.settings, [_saved(orthanc)])
    opened: list[list[Path]] = []
    dialog = open_from_pacs(owner, opened.append)
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 0, timeout=TIMEOUT_MS)
    source = pydicom.dcmread(DICOM, stop_before_pixels=True)
    dialog.table.selectRow(
        next(i for i, s in enumerate(dialog.studies()) if s.study_uid == source.StudyInstanceUID)
    )
    dialog.open_button.click()
    qtbot.waitUntil(lambda: bool(opened), timeout=TIMEOUT_MS)
    assert all(path.is_file() for path in opened[0])


def test_the_send_entry_offers_the_saved_nodes(qtbot, orthanc: Orthanc) -> None:
    owner = _Owner()
    store_nodes(owner.settings, [_saved(orthanc)])
    dialog = send_to_pacs(owner, [DICOM])
    qtbot.addWidget(dialog)
    assert dialog.node_combo.currentText() == f"Test Orthanc ({orthanc.node})"
    with qtbot.waitSignal(dialog.sent, timeout=TIMEOUT_MS) as sent:
        dialog.send_button.click()
    assert sent.args == [1, 0]
