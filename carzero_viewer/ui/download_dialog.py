""" "Download the CARZero weights…": a dialog that runs ``weights download`` in the background.

The transfer (minutes to hours for 2.6 GB) runs in a QThread through the same Qt-free pipeline as the CLI
(:func:`carzero_viewer.weights_download.pipeline.download_weights`), so resume, free-space check, structural
check and checksum recording behave identically. Following the bridge rules, the worker only emits signals,
connected to methods of the dialog (a GUI-thread object), and Cancel sets a ``threading.Event`` the pipeline
checks between chunks: the ``.part`` file stays, and Resume continues it with a Range request.

When the weights are in place the dialog emits :attr:`DownloadDialog.downloaded` with the folder, so the window
can load the model. (Not named ``finished``: QDialog already has ``finished(int)`` for its result code.)
Failures are one sentence with what to do, as in the CLI.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from carzero_viewer.errors import Cancelled, CarzeroError
from carzero_viewer.paths import WeightsLocation
from carzero_viewer.weights_download.errors import DownloadError
from carzero_viewer.weights_download.pipeline import (
    NO_PUBLISHED_CHECKSUM,
    DownloadRequest,
    DownloadResult,
    StructuralCheck,
    default_destination,
    download_weights,
)
from carzero_viewer.weights_download.sources import RELEASE_SIZE_ESTIMATE
from carzero_viewer.weights_download.space import human_size

LOG = logging.getLogger(__name__)
STAGE_TEXT = {
    "bert": "BERT files from Hugging Face",
    "checkpoint": "checkpoint",
    "check": "checking every tensor of the checkpoint…",
}
PROGRESS_STEPS = 1000


def load_and_check(location: WeightsLocation) -> bool:
    """The structural check of ``weights verify``: a strict load; returns whether the weights are trained."""
    from carzero_viewer.model.loader import load_model

    return not load_model(location).info.is_untrained


class DownloadWorker(QObject):
    """Runs one download in the worker thread; reports through signals only."""

    progress = Signal(str, object, object)  # stage, bytes done, bytes total or None (Python ints: > 2**31)
    succeeded = Signal(object)  # DownloadResult
    failed = Signal(str, str)  # one sentence with what to do, DownloadError.kind ("other" for the rest)
    cancelled = Signal()

    def __init__(self, request: DownloadRequest, check: StructuralCheck) -> None:
        super().__init__()
        self._request = request
        self._check = check
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Thread-safe: the pipeline sees the event between chunks and stops, keeping the ``.part`` file."""
        self._cancel.set()

    @Slot()
    def run(self) -> None:
        try:
            result = download_weights(self._request, self._check, self._report, self._cancel)
        except Cancelled:
            self.cancelled.emit()
        except CarzeroError as exc:
            self.failed.emit(exc.message, exc.kind if isinstance(exc, DownloadError) else "other")
        except Exception as exc:  # never let a worker die silently: the dialog shows it, the log has it
            LOG.exception("weights download failed")
            self.failed.emit(f"unexpected {type(exc).__name__}: {exc} (details in the log file)", "other")
        else:
            self.succeeded.emit(result)

    def _report(self, stage: str, done: int, total: int | None) -> None:
        self.progress.emit(stage, done, total)


class DownloadDialog(QDialog):
    """Size, destination, optional mirror URL or local file, a progress bar, Cancel and Resume.

    The source field takes a URL (a mirror, resumable) or the path of a checkpoint the user already has (what
    they do when Google Drive refuses automated downloads: save it with a browser, then pick it here).
    """

    downloaded = Signal(Path)  # the weights folder, ready for the lookup

    def __init__(
        self,
        parent: QWidget | None = None,
        destination: Path | None = None,
        checkpoint_url: str = "",
        check: StructuralCheck = load_and_check,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Download the CARZero weights")
        self._check = check
        self._thread: QThread | None = None
        self._worker: DownloadWorker | None = None
        self.destination = QLineEdit(str(destination or default_destination()))
        self.mirror = QLineEdit(checkpoint_url)
        self.mirror.setPlaceholderText(
            "optional: a mirror URL or a saved copy of CARZero_best_model.ckpt (else Google Drive)"
        )
        self.size_label = QLabel(
            f"about {human_size(RELEASE_SIZE_ESTIMATE)} (checkpoint) + 2 small BERT files"
        )
        self.bar = QProgressBar()
        self.bar.setRange(0, PROGRESS_STEPS)
        self.status = QLabel("Not started.")
        self.status.setWordWrap(True)
        self.start_button = QPushButton("Download")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self._browse_folder = QPushButton("Choose…")
        self._browse_file = QPushButton("File…")
        self._build()

    def _build(self) -> None:
        browse = self._browse_folder
        browse.clicked.connect(self._choose_folder)
        where = QHBoxLayout()
        where.addWidget(self.destination, 1)
        where.addWidget(browse)
        form = QFormLayout()
        form.addRow("Size:", self.size_label)
        form.addRow("Destination:", where)
        pick = self._browse_file
        pick.clicked.connect(self._choose_file)
        source = QHBoxLayout()
        source.addWidget(self.mirror, 1)
        source.addWidget(pick)
        form.addRow("Mirror or file:", source)
        intro = QLabel(
            "The released CARZero checkpoint (Lai et al., CVPR 2024) from the authors' Google Drive, and the "
            "text model's config.json and vocab.txt from Hugging Face. An interrupted download resumes."
        )
        intro.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)

    @Slot()
    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Weights folder", self.destination.text())
        if chosen:
            self.destination.setText(chosen)

    @Slot()
    def _choose_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "CARZero checkpoint", "", "Checkpoints (*.ckpt *.safetensors);;All files (*)"
        )
        if chosen:
            self.mirror.setText(chosen)

    def _request(self) -> DownloadRequest:
        source = self.mirror.text().strip()
        is_url = "://" in source
        return DownloadRequest(
            destination=Path(self.destination.text()).expanduser(),
            checkpoint_url=source if is_url else None,
            checkpoint_file=Path(source).expanduser() if source and not is_url else None,
        )

    @property
    def running(self) -> bool:
        return self._thread is not None

    @Slot()
    def start(self) -> None:
        """Start (or resume: the pipeline continues any ``.part`` file) the download in a worker thread."""
        if self.running:
            return
        self._worker = DownloadWorker(self._request(), self._check)
        self._thread = QThread(self)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progress.connect(self._on_progress)
        self._worker.succeeded.connect(self._on_succeeded)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_cancelled)
        self._set_running(True)
        self.status.setText("Starting…")
        self._thread.start()

    @Slot()
    def cancel(self) -> None:
        if self._worker is not None:
            self.status.setText("Cancelling…")
            self._worker.cancel()

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for widget in (self.destination, self.mirror, self._browse_folder, self._browse_file):
            widget.setEnabled(not running)

    @Slot(str, object, object)
    def _on_progress(self, stage: str, done: int, total: int | None) -> None:
        if stage == "checkpoint" and total:
            self.size_label.setText(f"{human_size(total)} (checkpoint) + 2 small BERT files")
            self.bar.setValue(int(PROGRESS_STEPS * done / total))
            self.status.setText(f"Downloading the checkpoint: {human_size(done)} of {human_size(total)}")
        else:
            self.status.setText(STAGE_TEXT.get(stage, stage))
            if stage == "check":
                self.bar.setValue(PROGRESS_STEPS)

    @Slot(object)
    def _on_succeeded(self, result: DownloadResult) -> None:
        self._stop_thread()
        self.bar.setValue(PROGRESS_STEPS)
        self.start_button.setText("Download again")
        self.status.setText(
            f"Done: {result.location.checkpoint} (SHA-256 {result.sha256}). {NO_PUBLISHED_CHECKSUM}"
        )
        self.downloaded.emit(result.location.checkpoint.parent)

    @Slot(str, str)
    def _on_failed(self, message: str, kind: str) -> None:
        self._stop_thread()
        self.start_button.setText("Resume")
        self.status.setText(message)
        # Put the cursor where the fix goes: another folder for a full disk, a mirror when Drive refuses.
        if kind == "no_space":
            self.destination.setFocus()
            self.destination.selectAll()
        elif kind in ("refused", "http"):
            self.mirror.setFocus()

    @Slot()
    def _on_cancelled(self) -> None:
        self._stop_thread()
        self.start_button.setText("Resume")
        self.status.setText("Cancelled. The partial file is kept: Resume continues where it stopped.")

    def _stop_thread(self) -> None:
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
            self._thread.deleteLater()
        if self._worker is not None:
            self._worker.deleteLater()
        self._thread, self._worker = None, None
        self._set_running(False)

    def done(self, result: int) -> None:
        """Closing while a transfer runs cancels it first (the ``.part`` file stays for next time)."""
        if self._worker is not None:
            self._worker.cancel()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
        super().done(result)
