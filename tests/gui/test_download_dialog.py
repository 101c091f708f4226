"""The download dialog against the local Hub + mirror: progress advances, Cancel keeps the ``.part`` file,
Resume continues it with a Range request, and ``downloaded`` carries the folder the lookup then finds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from carzero_viewer.paths import find_weights
from carzero_viewer.ui.download_dialog import PROGRESS_STEPS, DownloadDialog
from tests.weights_server import FIXTURE, Mirror, serve_mirror

pytestmark = pytest.mark.gui


@pytest.fixture
def mirror(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Mirror]:
    with serve_mirror(monkeypatch, tmp_path) as served:
        yield served


@pytest.fixture
def dialog(qtbot, mirror: Mirror, tmp_path: Path) -> DownloadDialog:
    widget = DownloadDialog(destination=tmp_path / "w", checkpoint_url=mirror.checkpoint_url)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_progress_cancel_resume_and_downloaded(
    qtbot,
    dialog: DownloadDialog,
    mirror: Mirror,
    tmp_path: Path,
) -> None:
    mirror.script.pause_s = 0.05  # ~5 MB/s: slow enough to see progress and cancel mid-way
    values: list[int] = []
    dialog.bar.valueChanged.connect(values.append)
    dialog.start_button.click()
    qtbot.waitUntil(lambda: 0 < dialog.bar.value() < PROGRESS_STEPS, timeout=10_000)
    assert "Downloading the checkpoint" in dialog.status.text() and "2.4 MB" in dialog.size_label.text()
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: not dialog.running, timeout=10_000)
    part = tmp_path / "w" / "CARZero_best_model.ckpt.part"
    assert part.stat().st_size > 0 and not (tmp_path / "w" / "CARZero_best_model.ckpt").exists()
    assert dialog.start_button.text() == "Resume" and "partial file is kept" in dialog.status.text()
    kept = part.stat().st_size
    assert values == sorted(values) and values[-1] > 0  # advanced, never backwards

    mirror.script.pause_s = 0.0
    with qtbot.waitSignal(dialog.downloaded, timeout=30_000) as done:
        dialog.start_button.click()
    assert done.args == [tmp_path / "w"]
    assert mirror.script.requests[-1][2] == f"bytes={kept}-"
    assert find_weights(tmp_path / "w").checkpoint.read_bytes() == mirror.checkpoint
    assert values[-1] == PROGRESS_STEPS
    assert "SHA-256" in dialog.status.text() and not dialog.running


def test_failure_is_one_sentence_and_offers_resume(
    qtbot,
    dialog: DownloadDialog,
    mirror: Mirror,
) -> None:
    mirror.script.status["/files/CARZero_best_model.ckpt"] = 404
    dialog.start_button.click()
    qtbot.waitUntil(lambda: not dialog.running, timeout=10_000)
    assert "HTTP 404" in dialog.status.text() and "\n" not in dialog.status.text()
    assert dialog.start_button.text() == "Resume" and dialog.start_button.isEnabled()
    assert dialog.focusWidget() is dialog.mirror  # where the fix goes: another mirror


def test_a_saved_copy_is_checked_and_installed(qtbot, dialog: DownloadDialog, tmp_path: Path) -> None:
    saved = tmp_path / "Downloads" / "CARZero_best_model.ckpt"  # what a browser saved when Drive refused
    saved.parent.mkdir()
    saved.write_bytes((FIXTURE / "checkpoint.ckpt").read_bytes())
    dialog.mirror.setText(str(saved))
    with qtbot.waitSignal(dialog.downloaded, timeout=30_000):
        dialog.start_button.click()
    assert find_weights(tmp_path / "w").checkpoint.read_bytes() == saved.read_bytes()
