"""Regenerate docs/screenshots/pacs_open.png and pacs_send.png on a real Orthanc (under a real X display).

    xvfb-run -s "-screen 0 1600x1000x24" env PYTHONPATH=$PWD QT_QPA_PLATFORM=xcb \\
        .venv/bin/python scripts/take_pacs_screenshots.py

Starts a throw-away Orthanc exactly as the tests do (tests/orthanc_server.py), uploads a sample study,
exports two Secondary Captures of it with the untrained demo model, then shows File > Open from PACS listing
the study and Send results to PACS after sending the captures, the original and a file that is not DICOM
(to show a failed row). Each shot is the dialog's area of the screen, as a person sees it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication, QDialog

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
SOURCE = ROOT / "tests" / "data" / "dicom" / "RG2_JPLL.dcm"


def wait(app: QApplication, condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the dialog did not reach the expected state")
        app.processEvents()
        time.sleep(0.02)
    for _ in range(30):
        app.processEvents()
        time.sleep(0.01)


def shoot(app: QApplication, dialog: QDialog, name: str) -> None:
    screen = app.primaryScreen()
    frame = dialog.frameGeometry()
    screen.grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height()).save(str(OUT / name))
    print(f"wrote {OUT / name}")


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="carzero-pacs-shots-"))
    os.environ["CARZERO_DATA_DIR"] = str(work / "data")  # the cache and logs stay in the throw-away folder
    os.environ["CARZERO_CONFIG_DIR"] = str(work / "config")
    from carzero_viewer.cli import main as cli
    from carzero_viewer.pacs import PacsNode
    from carzero_viewer.pacs.saved_nodes import SavedNode
    from carzero_viewer.paths import demo_model_dir
    from carzero_viewer.ui.app import create_application
    from carzero_viewer.ui.pacs_open_dialog import PacsOpenDialog
    from carzero_viewer.ui.pacs_send import PacsSendDialog
    from tests.orthanc_server import start_orthanc, stop_orthanc

    (work / "orthanc").mkdir()
    server, process = start_orthanc(work / "orthanc")
    try:
        server.upload(SOURCE)
        exports = work / "export"
        prompts = ["--prompt", "pleural effusion", "--prompt", "cardiomegaly"]
        args = ["export", str(SOURCE), "--weights", str(demo_model_dir()), *prompts, "--out", str(exports)]
        if cli([*args, "--format", "dcm", "--device", "cpu"]) != 0:
            return 1
        not_dicom = exports / "scores-notes.txt"
        not_dicom.write_text("not DICOM")
        node = SavedNode(
            "Radiology archive",
            PacsNode(server.aet, "127.0.0.1", server.dicom_port),
            server.calling_aet,
            server.dicomweb,
        )
        app = create_application()

        opener = PacsOpenDialog([node])
        opener.show()
        wait(app, lambda: opener.table.rowCount() > 0)
        opener.table.selectRow(0)
        wait(app, lambda: True)
        shoot(app, opener, "pacs_open.png")
        opener.close()

        files = [SOURCE, *sorted(exports.glob("*.dcm")), not_dicom]
        sender = PacsSendDialog(files, [node])
        sender.show()
        sender.send_button.click()
        wait(app, lambda: "stored" in sender.status.text() or "Nothing" in sender.status.text())
        shoot(app, sender, "pacs_send.png")
        sender.close()
    finally:
        stop_orthanc(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
