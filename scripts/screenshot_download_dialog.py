"""Regenerate docs/screenshots/download_dialog.png: the download dialog mid-transfer, against a throttled local
mirror built from the tiny fixture (no network). Run under a real X display:

    xvfb-run -a -s "-screen 0 1280x800x24" env QT_QPA_PLATFORM=xcb PYTHONPATH=. \\
        .venv/bin/python scripts/screenshot_download_dialog.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
STOP_AT = 420  # of 1000: an obviously unfinished bar


def main() -> None:
    from huggingface_hub import constants
    from PySide6.QtWidgets import QApplication

    from carzero_viewer.ui.download_dialog import DownloadDialog
    from tests.unit.weights_download.conftest import FIXTURE, Script, _Handler, _QuietServer

    scratch = Path(tempfile.mkdtemp(prefix="carzero-shot-"))
    os.environ.setdefault("CARZERO_DATA_DIR", str(scratch / "data"))
    files = {"/files/CARZero_best_model.ckpt": (FIXTURE / "checkpoint.ckpt").read_bytes() * 40}
    for name in ("config.json", "vocab.txt"):
        files[f"/Laihaoran/BioClinicalMPBERT/resolve/main/{name}"] = (FIXTURE / "bert" / name).read_bytes()
    server = _QuietServer(
        ("127.0.0.1", 0), type("Handler", (_Handler,), {"script": Script(files, pause_s=0.02)})
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    os.environ["HF_ENDPOINT"] = url
    constants.HF_HUB_OFFLINE = False
    constants.HF_HUB_CACHE = str(scratch / "hf-cache")

    app = QApplication([])
    dialog = DownloadDialog(
        destination=scratch / "weights", checkpoint_url=f"{url}/files/CARZero_best_model.ckpt"
    )
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
