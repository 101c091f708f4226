"""Small previews of a study's images, rendered off the GUI thread so a large folder never freezes the window.

Files are queued and decoded one after another by a single generator worker in superqt's thread pool (so
the image the user clicks still gets a thread); every preview comes back through the worker's ``yielded``
signal into the GUI thread. A preview is the file's default display (its own VOI and inversion, as the canvas
first shows it), subsampled to about twice the icon size and then smoothed to it; a file that cannot be
decoded gives its one-line reason instead. :meth:`Thumbnailer.cancel` empties the queue (the study was
closed): results already on their way are ignored.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QImage
from superqt.utils import GeneratorWorker, create_worker

from carzero_viewer.ui.image_loader import load_outcome

THUMBNAIL_PX = 48  # longest side of a preview, in screen pixels: legible in a study list row


@dataclass(frozen=True)
class Thumbnail:
    """The preview of ``path`` (longest side :data:`THUMBNAIL_PX`), or why the file could not be decoded."""

    path: Path
    image: QImage | None
    error: str = ""


def render_thumbnail(path: Path, size: int = THUMBNAIL_PX) -> Thumbnail:
    """Decode ``path`` and render its first frame's default display at ``size`` px (any thread: QImage only)."""
    outcome = load_outcome(path, 0)
    if outcome.error:
        return Thumbnail(path, None, outcome.error)
    rendered = outcome.record.render()
    step = max(1, math.floor(max(rendered.shape[:2]) / (2 * size)))  # cheap subsample, then smooth below
    pixels = np.ascontiguousarray(rendered[::step, ::step])
    height, width = pixels.shape[:2]
    fmt = QImage.Format.Format_RGB888 if pixels.ndim == 3 else QImage.Format.Format_Grayscale8
    image = QImage(pixels.data, width, height, pixels.strides[0], fmt).scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
    return Thumbnail(path, image)


def _render_queue(generation: int, queue: deque[Path]) -> Generator[tuple[int, Thumbnail], None, None]:
    """Render the files of ``queue`` until it is empty (the GUI thread may append meanwhile: deque is atomic)."""
    while queue:
        yield generation, render_thumbnail(queue.popleft())


class Thumbnailer(QObject):
    """``render(paths)`` -> one ``rendered(Thumbnail)`` per file, in order, unless cancelled.

    One worker at a time drains the queue, so previews take at most one pool thread and the image the user
    opens is never queued behind them.
    """

    rendered = Signal(object)  # Thumbnail

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        self._queue: deque[Path] = deque()
        self._worker: GeneratorWorker[tuple[int, Thumbnail], None, None] | None = None

    def render(self, paths: list[Path]) -> None:
        """Queue the previews of ``paths``; they are rendered in the background."""
        self._queue.extend(paths)
        if self._worker is None and self._queue:
            worker = create_worker(_render_queue, self._generation, self._queue, _start_thread=False)
            worker.yielded.connect(self._on_yielded)
            worker.finished.connect(self._on_finished)
            self._worker = worker
            worker.start()  # superqt keeps the worker alive until it finishes

    def cancel(self) -> None:
        """Forget every queued file; the running worker stops after its current file, its result dropped."""
        self._generation += 1
        self._queue.clear()
        self._queue = deque()  # the stopping worker keeps the old (empty) queue, a new one gets this
        if self._worker is not None:
            self._worker.quit()

    @Slot(object)
    def _on_yielded(self, tagged: tuple[int, Thumbnail]) -> None:
        generation, thumbnail = tagged
        if generation == self._generation:
            self.rendered.emit(thumbnail)

    @Slot()
    def _on_finished(self, *_: object) -> None:
        """The worker stopped; files queued since it drained (or was cancelled) get a new one."""
        self._worker = None
        self.render([])
