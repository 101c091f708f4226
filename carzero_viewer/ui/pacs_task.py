"""Background work of the PACS dialogs (retrieve a study, send files): one task at a time per dialog.

A task runs in superqt's thread pool. Its expected failures (:class:`~carzero_viewer.errors.CarzeroError`:
PACS unreachable, rejected, timed out, cancelled) come back as the *result*, so the dialog shows the one-line
reason in place; anything else is unexpected and goes through ``errored`` to the log. Progress is reported
with :attr:`PacsTask.step`, emitted from the worker thread: the task object lives in the GUI thread, so Qt
queues the signal there and connected slots never run in the worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from superqt.utils import create_worker

from carzero_viewer.errors import CarzeroError

LOG = logging.getLogger(__name__)


def _catching(function: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any]:
    """``(result,)`` or ``(error,)``: wrapped, because superqt re-raises an exception a function returns."""
    try:
        return (function(*args),)
    except CarzeroError as exc:
        return (exc,)


class PacsTask(QObject):
    """Runs ``function(*args)`` off the GUI thread.

    Signals:
        step(int, object): progress from the task (an index and what it finished), in the GUI thread.
        done(object): the function's result, or the :class:`CarzeroError` it raised.
        busy_changed(bool): a task started or ended.
    """

    step = Signal(int, object)
    done = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cancel_requested = threading.Event()
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    def report(self, index: int, item: object = None) -> None:
        """Called by the task in its thread: emits :attr:`step` (queued to the GUI thread)."""
        self.step.emit(index, item)

    def start(self, function: Callable[..., Any], *args: Any) -> None:
        if self._running:
            return
        self.cancel_requested.clear()
        self._running = True
        worker = create_worker(_catching, function, args, _start_thread=False)
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self._on_errored)
        self.busy_changed.emit(True)
        worker.start()  # superqt keeps the worker alive until it finishes

    def cancel(self) -> None:
        """Ask the task to stop at its next check (it polls :attr:`cancel_requested`)."""
        self.cancel_requested.set()

    @Slot(object)
    def _on_returned(self, wrapped: tuple[object]) -> None:
        self._running = False
        self.busy_changed.emit(False)
        self.done.emit(wrapped[0])

    @Slot(object)
    def _on_errored(self, exc: BaseException) -> None:
        LOG.error("unexpected error in a PACS task", exc_info=exc)
        self._running = False
        self.busy_changed.emit(False)
        self.done.emit(CarzeroError(f"unexpected {type(exc).__name__} (see the log file)"))
