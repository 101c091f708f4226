"""Regenerate docs/screenshots/download_dialog.png: the download dialog mid-transfer, against a throttled local
mirror built from the tiny fixture (no network). Run under a real X display:

    xvfb-run -a -s "-screen 0 1280x800x24" env QT_QPA_PLATFORM=xcb PYTHONPATH=. \\
        .venv/bin/python scripts/screenshot_download_dialog.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
STOP_AT = 420  # of 1000: an obviously unfinished bar


def main() -> None:
    import pytest
    from PySide6.QtWidgets import QApplication

    from carzero_viewer.ui.download_dialog import DownloadDialog
    from tests.weights_server import serve_mirror

    scratch = Path(tempfile.mkdtemp(prefix="carzero-shot-"))
    os.environ.setdefault("CARZERO_DATA_DIR", str(scratch / "data"))
    app = QApplication([])
    with pytest.MonkeyPatch.context() as patch, serve_mirror(patch, scratch) as mirror:
        mirror.script.files["/files/CARZero_best_model.ckpt"] = mirror.checkpoint * 40  # big enough to watch
        mirror.script.pause_s = 0.02
        dialog = DownloadDialog(destination=scratch / "weights", checkpoint_url=mirror.checkpoint_url)
        dialog.show()
        dialog.start()
        deadline = time.monotonic() + 60
        while dialog.bar.value() < STOP_AT and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        out = ROOT / "docs" / "screenshots" / "download_dialog.png"
        dialog.grab().save(str(out))
        print(f"wrote {out} at {dialog.bar.value() / 10:.0f}%: {dialog.status.text()}")
        dialog.reject()


if __name__ == "__main__":
    main()
