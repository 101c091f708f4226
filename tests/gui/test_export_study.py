"""Export study: the CLI runs in a QProcess, continues past a failing image, and the viewer names it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from carzero_viewer.settings import Settings
from carzero_viewer.ui import file_dialogs
from carzero_viewer.ui.canvas import ImageCanvas
from carzero_viewer.ui.export_actions import ExportActions
from carzero_viewer.ui.notifications import NotificationArea
from carzero_viewer.viewer_model import ModelState, ViewerModel

pytestmark = [pytest.mark.gui, pytest.mark.slow]
TIMEOUT_MS = 120_000


class _Window(QWidget):
    """A parent with notifications and the settings the export dialogs remember their folders in."""

    def __init__(self) -> None:
        super().__init__()
        self.notifications = NotificationArea(self)
        self.settings = Settings()

    def save_settings(self) -> None:
        """Nothing to persist in this test."""


def test_export_study_completes_and_names_the_failed_image(
    qtbot, test_data_dir: Path, tmp_path: Path
) -> None:
    window = _Window()
    qtbot.addWidget(window)
    actions = ExportActions(ViewerModel(), ImageCanvas(window), list, window.notifications, window, window)
    good = test_data_dir / "dicom" / "mlut_18.dcm"
    broken = tmp_path / "broken.dcm"
    broken.write_bytes(good.read_bytes()[:2000])
    out = tmp_path / "out"
    arguments = [
        "-m", "carzero_viewer", "export", str(broken), str(good),
        "--weights", str(test_data_dir / "carzero-tiny"), "--prompt", "effusion",
        "--out", str(out), "--format", "png,dcm,csv", "--device", "cpu",
    ]  # fmt: skip
    actions._start_study_export(arguments, 2)
    assert actions._process is not None and actions._process.program() == sys.executable
    qtbot.waitUntil(lambda: actions._process is None, timeout=TIMEOUT_MS)

    assert sorted(p.name for p in out.iterdir()) == [
        "mlut_18__effusion.dcm",
        "mlut_18__effusion.png",
        "scores.csv",
    ]
    [message] = window.notifications.messages()
    lines = message.splitlines()
    assert lines[0] == "study exported with failures: 3 files written; 1 failed:"
    assert lines[1].startswith(f"{broken}: read: ")


def test_export_study_as_dicom_writes_report_map_and_capture_and_offers_them_for_sending(
    qtbot, test_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """File > Export study as DICOM: SR, map Segmentation and Secondary Capture, then handed to the PACS offer."""
    window = _Window()
    qtbot.addWidget(window)
    offered: list[list[Path]] = []
    model = ViewerModel()
    source = test_data_dir / "dicom" / "mlut_18.dcm"
    model.add_files([source])
    model.prompts.set_prompts(["effusion"])
    weights = str(test_data_dir / "carzero-tiny")
    model.results.set_model(ModelState("checkpoint.ckpt", "0", "untrained", "", "cpu", True, weights))
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(file_dialogs, "existing_directory", lambda *_args: out)
    actions = ExportActions(
        model, ImageCanvas(window), list, window.notifications, window, window, exported=offered.append
    )
    actions.export_study_dicom()
    assert actions._process is not None
    qtbot.waitUntil(lambda: actions._process is None, timeout=TIMEOUT_MS)

    written = sorted(p.name for p in out.iterdir())
    assert written == ["mlut_18__effusion.dcm", "mlut_18__effusion__map.dcm", "mlut_18__sr.dcm"]
    assert len(offered) == 1
    assert sorted(p.name for p in offered[0] if p.suffix == ".dcm") == written
