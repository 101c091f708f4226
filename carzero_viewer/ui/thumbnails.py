"""Small previews of a study's images, rendered off the GUI thread so a large folder never freezes the window.

Each batch of files is decoded one after another by a generator in superqt's thread pool (one file at a time,
so the image the user clicks still gets a worker); every preview comes back through the worker's ``yielded``
signal into the GUI thread. A preview is the file's default display (its own VOI and inversion, as the canvas
first shows it), subsampled to about twice the icon size and then smoothed to it; a file that cannot be
decoded gives its one-line reason instead. :meth:`Thumbnailer.cancel` drops every running batch (the study
was closed): results already on their way are ignored.
"""

from __future__ import annotations

import math
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


def _render_all(generation: int, paths: list[Path]) -> Generator[tuple[int, Thumbnail], None, None]:
    for path in paths:
        yield generation, render_thumbnail(path)


class Thumbnailer(QObject):
    """``render(paths)`` -> one ``rendered(Thumbnail)`` per file, in order, unless cancelled."""

    rendered = Signal(object)  # Thumbnail

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        self._workers: list[GeneratorWorker[tuple[int, Thumbnail], None, None]] = []

    def render(self, paths: list[Path]) -> None:
        """Start rendering the previews of ``paths`` in the background."""
        if not paths:
            return
        self._workers = [w for w in self._workers if w.is_running]
        worker = create_worker(_render_all, self._generation, list(paths), _start_thread=False)
        worker.yielded.connect(self._on_yielded)
        self._workers.append(worker)
        worker.start()  # superqt keeps the worker alive until it finishes

    def cancel(self) -> None:
        """Stop every running batch after its current file; nothing more is emitted for them."""
        self._generation += 1
        for worker in self._workers:
            worker.quit()
        self._workers = []

    @Slot(object)
    def _on_yielded(self, tagged: tuple[int, Thumbnail]) -> None:
        generation, thumbnail = tagged
        if generation == self._generation:
            self.rendered.emit(thumbnail)
