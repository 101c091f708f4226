"""A local stand-in for Hugging Face and a checkpoint mirror, built from the tiny fixture: no network needed.

The server speaks the Hub's file layout, ``/{repo}/resolve/{revision}/{file}``, with the headers
``huggingface_hub.get_hf_file_metadata`` reads (``X-Repo-Commit``, ``ETag``, ``Content-Length``), and serves
plain files under ``/files/`` with ``Range`` support. Misbehaviour is scripted per test: cut a response after
N bytes (the first ``drops`` times), or answer a fixed status.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parent / "data" / "carzero-tiny"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")


@dataclass
class Script:
    """What the server does: ``files`` by URL path, plus scripted failures."""

    files: dict[str, bytes] = field(default_factory=dict)
    cut_after: int | None = None
    drops: int = 0
    status: dict[str, int] = field(default_factory=dict)
    hub_headers: bool = True  # False: a static web server (no ETag / X-Repo-Commit), as some mirrors are
    pause_s: float = 0.0  # between 256 KiB pieces of a plain file: a transfer slow enough to watch or cancel
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    script: Script

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output stays readable."""

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        script = self.script
        wanted = self.headers.get("Range")
        script.requests.append((self.command, self.path, wanted))
        if self.path in script.status:
            self.send_response(script.status[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = script.files.get(self.path)
        if data is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start, status = 0, 200
        match = _RANGE.match(wanted or "")
        if match:
            start, status = int(match.group(1)), 206
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        part = data[start:]
        self.send_response(status)
        self.send_header("Content-Length", str(len(part)))
        if script.hub_headers:
            self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
            self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if not body:
            return
        if self.path.startswith("/files/") and script.cut_after is not None and script.drops > 0:
            script.drops -= 1
            self.wfile.write(part[: script.cut_after])
            self.wfile.flush()
            self.close_connection = True
            return
        piece = 256 * 1024 if script.pause_s else len(part) or 1
        for start in range(0, len(part), piece):
            self.wfile.write(part[start : start + piece])
            if script.pause_s:
                self.wfile.flush()
                time.sleep(script.pause_s)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up early (a refused download) is expected here, not a server fault."""


@dataclass
class Mirror:
    url: str
    script: Script
    checkpoint: bytes

    @property
    def checkpoint_url(self) -> str:
        return f"{self.url}/files/CARZero_best_model.ckpt"


@contextlib.contextmanager
def serve_mirror(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Mirror]:
    """The server on a free local port, ``HF_ENDPOINT`` pointing at it, the Hub online with its own cache."""
    from huggingface_hub import constants
    from huggingface_hub.utils import reset_sessions

    checkpoint = (FIXTURE / "checkpoint.ckpt").read_bytes()
    files = {"/files/CARZero_best_model.ckpt": checkpoint}
    for name in ("config.json", "vocab.txt"):
        files[f"/Laihaoran/BioClinicalMPBERT/resolve/main/{name}"] = (FIXTURE / "bert" / name).read_bytes()
    script = Script(files=files)
    handler = type("Handler", (_Handler,), {"script": script})
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(constants, "HUGGINGFACE_HUB_CACHE", str(tmp_path / "hf-cache"))
    reset_sessions()
    try:
        yield Mirror(url, script, checkpoint)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        monkeypatch.undo()
        reset_sessions()
