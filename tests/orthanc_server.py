"""A real Orthanc PACS for the tests: ``/usr/sbin/Orthanc`` with a temporary configuration, never the system
service.

The configuration is written to a temporary folder: free HTTP and DICOM ports (asked of the kernel just
before the start), storage and index in that folder, the DICOMweb plugin from ``/usr/share/orthanc/plugins``,
HTTP on localhost only (``RemoteAccessAllowed`` false) without authentication. It is strict about who may talk
to it, so the refusal paths can be tested against the real server:

- ``DicomCheckCalledAet`` true: an association for another called AE title than :data:`ORTHANC_AET` is
  rejected ("Called AE title not recognised"); Orthanc accepts any called title otherwise.
- every ``DicomAlwaysAllow*`` false and one known modality, :data:`CALLING_AET`: Orthanc accepts associations
  from any calling title unless all of these are false, and then only from the titles in ``DicomModalities``
  ("Calling AE title not recognised" for any other).

The server is started once per session (a start takes about a second) and stopped at teardown; tests use
their own study UIDs so they do not depend on each other. Without ``/usr/sbin/Orthanc`` the tests skip with
the reason, except on CI (``CI=true``), where ``make sysdeps`` installs it and a skip would hide the tests.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ORTHANC = Path("/usr/sbin/Orthanc")
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
ORTHANC_AET = "CARZEROTEST"
CALLING_AET = "CARZERO"
START_TIMEOUT_S = 30.0


def free_port() -> int:
    """A TCP port nobody listens on now (the kernel's choice; a tiny race with other processes remains)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Orthanc:
    """A running test Orthanc.

    Attributes:
        http_port / dicom_port: its ports on 127.0.0.1.
        aet: its AE title; ``calling_aet`` is the only calling title it accepts.
        log: its log file (read it when a test fails).
    """

    http_port: int
    dicom_port: int
    aet: str
    calling_aet: str
    log: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb(self) -> str:
        """The DICOMweb service root."""
        return f"{self.http}/dicom-web"

    @property
    def node(self) -> str:
        """``AET@HOST:PORT`` for ``send --to``."""
        return f"{self.aet}@127.0.0.1:{self.dicom_port}"

    def rest(self, path: str) -> Any:
        """GET a REST resource (``/studies``...) as JSON."""
        with urllib.request.urlopen(self.http + path, timeout=10) as answer:
            return json.loads(answer.read())

    def upload(self, path: Path) -> dict[str, Any]:
        """POST a DICOM file to ``/instances`` (as a user uploads a study); returns Orthanc's answer."""
        request = urllib.request.Request(self.http + "/instances", data=path.read_bytes(), method="POST")
        with urllib.request.urlopen(request, timeout=30) as answer:
            result: dict[str, Any] = json.loads(answer.read())
            return result


def _configuration(folder: Path, http_port: int, dicom_port: int) -> dict[str, Any]:
    storage = folder / "storage"
    return {
        "Name": "carzero-tests",
        "StorageDirectory": str(storage),
        "IndexDirectory": str(storage),
        "HttpPort": http_port,
        "DicomPort": dicom_port,
        "DicomAet": ORTHANC_AET,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "Plugins": [str(DICOMWEB_PLUGIN)],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
        "DicomCheckCalledAet": True,
        "DicomAlwaysAllowEcho": False,
        "DicomAlwaysAllowStore": False,
        "DicomAlwaysAllowFind": False,
        "DicomAlwaysAllowGet": False,
        "DicomAlwaysAllowMove": False,
        "DicomModalities": {"carzero": [CALLING_AET, "127.0.0.1", 104]},
        "HttpThreadsCount": 4,
        "ConcurrentJobs": 1,
        "SaveJobs": False,
    }


def _wait_until_up(process: subprocess.Popen[bytes], server: Orthanc) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Orthanc exited with {process.returncode}; see {server.log}")
        try:
            server.rest("/system")
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise RuntimeError(f"Orthanc did not answer /system within {START_TIMEOUT_S:g} s; see {server.log}")


def start_orthanc(folder: Path) -> tuple[Orthanc, subprocess.Popen[bytes]]:
    """Start Orthanc with its configuration, storage and log in ``folder``; returns once /system answers."""
    http_port, dicom_port = free_port(), free_port()
    config = folder / "orthanc.json"
    config.write_text(json.dumps(_configuration(folder, http_port, dicom_port), indent=2))
    server = Orthanc(http_port, dicom_port, ORTHANC_AET, CALLING_AET, folder / "orthanc.log")
    with server.log.open("wb") as log:
        process = subprocess.Popen([str(ORTHANC), str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(process, server)
    except BaseException:
        stop_orthanc(process)
        raise
    return server, process


def stop_orthanc(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orthanc]:
    """A real Orthanc with DICOMweb on free ports, stopped at the end of the session."""
    if not ORTHANC.is_file() or not DICOMWEB_PLUGIN.is_file():
        message = f"Orthanc is not installed ({ORTHANC}, {DICOMWEB_PLUGIN}); run `make sysdeps`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    server, process = start_orthanc(tmp_path_factory.mktemp("orthanc"))
    try:
        yield server
    finally:
        stop_orthanc(process)
