"""The Google Drive glue offline (URL building, gdown's failures mapped to advice), and cancel / Ctrl+C."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import gdown
import pytest
import requests
from gdown.exceptions import DownloadCancelled, FileURLRetrievalError
from gdown.exceptions import DownloadError as GdownError

from carzero_viewer.errors import Cancelled
from carzero_viewer.weights_download.drive import download_from_drive
from carzero_viewer.weights_download.errors import DownloadError
from carzero_viewer.weights_download.http_transfer import RetryPolicy, download_resumable
from carzero_viewer.weights_download.pipeline import DownloadRequest, download_weights
from carzero_viewer.weights_download.sources import DRIVE_FILE_ID, drive_download_url, drive_view_url
from tests.weights_server import Mirror


def test_drive_urls() -> None:
    assert (
        drive_download_url(DRIVE_FILE_ID)
        == "https://drive.google.com/uc?id=1kYF-k5otW5DHwz1En5d_ScV3zu2E27Ch"
    )
    assert drive_view_url(DRIVE_FILE_ID).endswith("/file/d/1kYF-k5otW5DHwz1En5d_ScV3zu2E27Ch/view")
    with pytest.raises(ValueError, match="not a Google Drive file id"):
        drive_download_url("../../etc?x=1")


def _http_error(status: int) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    return requests.HTTPError(f"{status} error", response=response)


@pytest.mark.parametrize(
    ("raised", "kind", "words"),
    [
        (
            FileURLRetrievalError("Too many users have viewed or downloaded this file recently"),
            "refused",
            "--checkpoint-file",
        ),
        (requests.ConnectionError("Name or service not known"), "network", "network connection"),
        (GdownError("Response body ended early\nmore"), "network", "resume"),
        (_http_error(403), "http", "HTTP 403"),
    ],
)
def test_gdown_failures_become_one_line_advice(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, raised: Exception, kind: str, words: str
) -> None:
    seen: dict[str, Any] = {}

    def fake_download(**kwargs: Any) -> str:
        seen.update(kwargs)
        raise raised

    monkeypatch.setattr(gdown, "download", fake_download)
    with pytest.raises(DownloadError) as caught:
        download_from_drive(DRIVE_FILE_ID, tmp_path / "x.ckpt.download")
    assert caught.value.kind == kind and words in caught.value.message
    assert "\n" not in caught.value.message and drive_view_url(DRIVE_FILE_ID) in caught.value.message
    assert seen["url"] == drive_download_url(DRIVE_FILE_ID) and seen["resume"] is True


def test_gdown_cancel_is_a_cancel(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def fake_download(**kwargs: Any) -> str:
        raise DownloadCancelled("stop")

    monkeypatch.setattr(gdown, "download", fake_download)
    with pytest.raises(Cancelled):
        download_from_drive(DRIVE_FILE_ID, tmp_path / "x.ckpt.download")


def test_drive_path_publishes_the_checked_file(
    mirror: Mirror, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def fake_download(*, output: str, progress: Any, **kwargs: Any) -> str:
        progress(len(mirror.checkpoint), len(mirror.checkpoint))
        Path(output).write_bytes(mirror.checkpoint)
        return output

    monkeypatch.setattr(gdown, "download", fake_download)
    checked: list[Path] = []
    result = download_weights(
        DownloadRequest(tmp_path / "w"), lambda location: checked.append(location.checkpoint) is not None
    )
    assert checked == [tmp_path / "w" / "CARZero_best_model.ckpt.download"]
    assert result.location.checkpoint.read_bytes() == mirror.checkpoint
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == ["CARZero_best_model.ckpt", "bert"]
    assert result.source == f"Google Drive file {DRIVE_FILE_ID}"


def test_cancel_keeps_the_part_file_for_a_resume(mirror: Mirror, tmp_path: Path) -> None:
    cancel = threading.Event()
    part = tmp_path / "c.ckpt.part"
    mirror.script.files["/files/CARZero_best_model.ckpt"] = mirror.checkpoint * 3  # several chunks

    def cancel_after_first_chunk(done: int, total: int | None) -> None:
        cancel.set()

    with pytest.raises(Cancelled):
        download_resumable(mirror.checkpoint_url, part, cancel_after_first_chunk, cancel)
    assert 0 < part.stat().st_size < 3 * len(mirror.checkpoint)


def test_ctrl_c_keeps_the_part_file_and_no_final_file(mirror: Mirror, tmp_path: Path) -> None:
    def interrupt(stage: str, done: int, total: int | None) -> None:
        if stage == "checkpoint":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download_weights(
            DownloadRequest(tmp_path, checkpoint_url=mirror.checkpoint_url, retry=RetryPolicy(0)),
            lambda location: True,
            interrupt,
        )
    assert (tmp_path / "CARZero_best_model.ckpt.part").stat().st_size > 0
    assert not (tmp_path / "CARZero_best_model.ckpt").exists()


def test_the_download_itself_imports_neither_torch_nor_qt(mirror: Mirror, tmp_path: Path) -> None:
    """Only the structural check (handed in) may load torch; here it is a stub, in a fresh interpreter."""
    probe = (
        "import pathlib, sys\n"
        "from carzero_viewer.weights_download.pipeline import DownloadRequest, download_weights\n"
        "download_weights(DownloadRequest(pathlib.Path(sys.argv[1]), checkpoint_url=sys.argv[2]), bool)\n"
        "print(sorted(m for m in ('torch', 'PySide6', 'transformers') if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env["HF_HOME"] = str(tmp_path / "hf-home")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "w"), mirror.checkpoint_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "w" / "CARZero_best_model.ckpt").read_bytes() == mirror.checkpoint
