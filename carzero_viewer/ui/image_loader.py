"""Loading images off the GUI thread, with request ids so a slow old file never replaces a newer choice.

Decoding a large JPEG 2000 DICOM takes most of a second; doing it in the GUI thread would freeze window/level
and typing. Each :meth:`ImageLoader.load` runs :func:`carzero_viewer.imaging.load_image` in the loader's own
thread pool; results come back through superqt's worker signals to methods of this GUI-thread object, and any
result whose id is not the latest is dropped. A bad file becomes a plain message (``ImageLoadError.message``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot
from superqt.utils import create_worker

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadOutcome:
    """What a load produced: a record, or the reason it failed."""

    request_id: int
    path: Path
    frame: int
    record: Any = None
    error: str = ""


def _load(request_id: int, path: Path, frame: int) -> LoadOutcome:
    from carzero_viewer.errors import ImageLoadError
    from carzero_viewer.imaging import load_image

    try:
        return LoadOutcome(request_id, path, frame, record=load_image(path, frame=frame))
    except ImageLoadError as exc:
        return LoadOutcome(request_id, path, frame, error=exc.message)
    except MemoryError:
        return LoadOutcome(request_id, path, frame, error=f"{path}: not enough memory to open this image")


class ImageLoader(QObject):
    """GUI-thread facade: ``load`` -> ``loaded(record)`` or ``failed(message)`` for the latest request only."""

    loaded = Signal(object)  # ImageRecord
    failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._latest = 0

    def load(self, path: Path, frame: int = 0) -> int:
        """Start loading ``path`` (frame ``frame``); returns the request id."""
        self._latest += 1
        worker = create_worker(_load, self._latest, Path(path), frame, _start_thread=False)
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self._on_errored)
        self.busy_changed.emit(True)
        worker.start()  # superqt keeps the worker alive until it finishes
        return self._latest

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Forget pending requests and wait for the pool to finish (call before the app quits)."""
        self._latest += 1
        QThreadPool.globalInstance().waitForDone(timeout_ms)

    @Slot(object)
    def _on_returned(self, outcome: LoadOutcome) -> None:
        if outcome.request_id != self._latest:
            return
        self.busy_changed.emit(False)
        if outcome.error:
            self.failed.emit(outcome.error)
        else:
            self.loaded.emit(outcome.record)

    @Slot(object)
    def _on_errored(self, exc: BaseException) -> None:
        LOG.error("unexpected error while loading an image", exc_info=exc)
        self.busy_changed.emit(False)
        self.failed.emit(f"unexpected error while loading the image: {exc}")
