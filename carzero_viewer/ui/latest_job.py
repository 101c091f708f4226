"""Run a function off the GUI thread where only the newest request's result matters.

Opening files and computing grounding metrics are both "latest wins": when the user has moved on, an older
result is useless and must not overwrite the newer one. Each :meth:`LatestJob.start` runs its function in
superqt's thread pool; the result comes back through the worker's signals to methods of this GUI-thread
object (so Qt delivers it in the GUI thread) and is dropped unless it belongs to the newest request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot
from superqt.utils import create_worker

LOG = logging.getLogger(__name__)


def _tagged(job_id: int, function: Callable[..., Any], args: tuple[Any, ...]) -> tuple[int, Any]:
    return job_id, function(*args)


class LatestJob(QObject):
    """``start(fn, *args)`` -> ``finished(result)`` / ``failed(message)``, for the newest job only."""

    finished = Signal(object)
    failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._latest = 0

    def start(self, function: Callable[..., Any], *args: Any) -> int:
        """Run ``function(*args)`` in the background; returns the job id."""
        self._latest += 1
        worker = create_worker(_tagged, self._latest, function, args, _start_thread=False)
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self._on_errored)
        self.busy_changed.emit(True)
        worker.start()  # superqt keeps the worker alive until it finishes
        return self._latest

    def invalidate(self) -> None:
        """Forget running jobs: their results will be dropped."""
        self._latest += 1
        self.busy_changed.emit(False)

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Drop pending results and wait for the pool (call before the app quits)."""
        self.invalidate()
        QThreadPool.globalInstance().waitForDone(timeout_ms)

    @Slot(object)
    def _on_returned(self, tagged: tuple[int, Any]) -> None:
        job_id, result = tagged
        if job_id == self._latest:
            self.busy_changed.emit(False)
            self.finished.emit(result)

    @Slot(object)
    def _on_errored(self, exc: BaseException) -> None:
        LOG.error("unexpected error in the %s job", self.name, exc_info=exc)
        self.busy_changed.emit(False)
        self.failed.emit(f"unexpected error while {self.name}: {exc}")
