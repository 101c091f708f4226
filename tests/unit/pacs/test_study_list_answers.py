"""A PACS's study list answer passes the untrusted boundary: a hostile or broken server gives one line."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from carzero_viewer.pacs import PacsError, dicomweb


class _Server(http.server.ThreadingHTTPServer):
    body = b"[]"
    status = 200
    last_path = ""


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.last_path = self.path
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/dicom+json")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the test output is not the place for request lines."""


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _service(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/dicom-web"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100 + b"]" * 100, "nested deeper than"),
        (b'[{"0020000D": {"vr": "UI", "Value": [NaN]}}]', "not valid JSON"),
        (b'{"studies": []}', "the answer is not a list of studies"),
        (b"\xff\xfe[]", "the answer is not UTF-8 text"),
    ],
    ids=["deep", "nan", "object", "not-utf8"],
)
def test_a_malformed_answer_is_one_line(server: _Server, body: bytes, reason: str) -> None:
    server.body = body
    with pytest.raises(PacsError, match=reason) as caught:
        dicomweb.search_studies(_service(server))
    assert "\n" not in str(caught.value)


def test_an_oversized_answer_is_refused(server: _Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dicomweb, "MAX_ANSWER_BYTES", 1000)
    server.body = b"[" + b" " * 2000 + b"]"
    with pytest.raises(PacsError, match="the answer is larger than"):
        dicomweb.search_studies(_service(server))


def test_an_http_error_is_named(server: _Server) -> None:
    server.status = 500
    with pytest.raises(PacsError, match="the server answered HTTP 500"):
        dicomweb.search_studies(_service(server))


def test_wildcards_reach_the_server_unencoded(server: _Server) -> None:
    assert dicomweb.search_studies(_service(server), {"PatientName": "*DOE ^J?*"}) == []
    assert "PatientName=*DOE%20%5EJ?*" in server.last_path
    assert "limit=500" in server.last_path
