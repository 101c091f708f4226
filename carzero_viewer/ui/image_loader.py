"""Loading images off the GUI thread: a slow old file never replaces a newer choice.

Decoding a large JPEG 2000 DICOM takes most of a second; doing it in the GUI thread would freeze window/level
and typing. Loads run through :class:`~carzero_viewer.ui.latest_job.LatestJob`; a bad file becomes a plain
message (``ImageLoadError.message``), never an exception in the GUI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from carzero_viewer.ui.latest_job import LatestJob


@dataclass(frozen=True)
class LoadOutcome:
    """What a load produced: a record, or the reason it failed."""

    path: Path
    frame: int
    record: Any = None
    error: str = ""


def load_outcome(path: Path, frame: int) -> LoadOutcome:
    """Decode frame ``frame`` of ``path``; a file that cannot be opened gives its message, never an exception."""
    from carzero_viewer.errors import ImageLoadError
    from carzero_viewer.imaging import load_image

    try:
        return LoadOutcome(path, frame, record=load_image(path, frame=frame))
    except ImageLoadError as exc:
        return LoadOutcome(path, frame, error=exc.message)
    except MemoryError:
        return LoadOutcome(path, frame, error=f"{path}: not enough memory to open this image")


class ImageLoader(QObject):
    """``load`` -> ``loaded(record)`` or ``failed(message)`` for the latest request only."""

    loaded = Signal(object)  # ImageRecord
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job = LatestJob("loading the image", self)
        self._job.finished.connect(self._on_finished)
        self._job.failed.connect(self.failed)

    def load(self, path: Path, frame: int = 0) -> int:
        """Start loading ``path`` (frame ``frame``); returns the request id."""
        return self._job.start(load_outcome, Path(path), frame)

    def cancel(self) -> None:
        """Drop the running load: its image (or failure) will not be shown."""
        self._job.invalidate()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        self._job.shutdown(timeout_ms)

    @Slot(object)
    def _on_finished(self, outcome: LoadOutcome) -> None:
        if outcome.error:
            self.failed.emit(outcome.error)
        else:
            self.loaded.emit(outcome.record)
