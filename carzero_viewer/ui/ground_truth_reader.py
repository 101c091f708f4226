"""Read annotation files off the GUI thread, one request after another, and index each in the view model.

Opening a folder used to read every table beside and above it in the GUI thread: the 112,120-row NIH
``Data_Entry_2017.csv`` froze the window for over a second. Here :func:`read_truth` runs in superqt's thread
pool and its plain-data result comes back to a method of this GUI-thread object, which indexes it
(:meth:`ViewerModel.annotations_read`, fast). Unlike :class:`~carzero_viewer.ui.latest_job.LatestJob`, no
result is dropped for a newer one: ground truth is additive, so an older folder's labels still count. Requests
run one at a time, in order, and each is made when it starts, so a table that an earlier request indexed is
not read again (opening ``images_002`` after ``images_001`` does not re-read the NIH tables two levels up).
A read of a closed study is dropped by the model itself (its epoch).
"""

from __future__ import annotations

import logging
from collections import deque
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot
from superqt.utils import create_worker

from carzero_viewer.viewer_model import ViewerModel
from carzero_viewer.viewer_model.ground_truth import TruthRead, read_truth

LOG = logging.getLogger(__name__)


class GroundTruthReader(QObject):
    """``read(folders, files)`` -> the model indexes the result; ``problem(message)`` per broken file."""

    problem = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, model: ViewerModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._queue: deque[tuple[list[Path], list[Path]]] = deque()
        self._running = False

    @property
    def busy(self) -> bool:
        """A read is running or waiting."""
        return self._running

    def read(self, folders: list[Path], files: list[Path]) -> None:
        """Read the annotation files in and above ``folders`` and the user's ``files``, after earlier reads."""
        if not folders and not files:
            return
        self._queue.append((list(folders), list(files)))
        if not self._running:
            self._running = True
            self.busy_changed.emit(True)
            self._start_next()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Forget waiting reads and wait for the running one (call before the app quits)."""
        self._queue.clear()
        QThreadPool.globalInstance().waitForDone(timeout_ms)

    def _start_next(self) -> None:
        if not self._queue:
            self._running = False
            self.busy_changed.emit(False)
            return
        folders, files = self._queue.popleft()
        worker = create_worker(
            read_truth, self._model.ground_truth.request(folders, files), _start_thread=False
        )
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self._on_errored)
        worker.start()  # superqt keeps the worker alive until it finishes

    @Slot(object)
    def _on_returned(self, read: TruthRead) -> None:
        for message in self._model.annotations_read(read):
            self.problem.emit(message)
        self._start_next()

    @Slot(object)
    def _on_errored(self, exc: BaseException) -> None:
        LOG.error("unexpected error while reading annotation files", exc_info=exc)
        self.problem.emit(f"unexpected error while reading annotation files: {exc}")
        self._start_next()
