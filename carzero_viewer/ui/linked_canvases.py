"""Image canvases that follow each other's zoom/pan and, optionally, window/level.

Shared by compare prompts (tiles that all show one image) and compare images (two images, possibly of
different sizes). Zoom and pan are linked *in fractions of the displayed image*: the visible rectangle is
expressed relative to the image's rectangle in the view (as flipped/rotated, see
:meth:`~carzero_viewer.ui.canvas.ImageCanvas.content_rect`) and applied to each other canvas's image
rectangle. For tiles of one image that is the very same rectangle; for a 512 px prior next to a 1024 px
current image the same part of the chest (say the right upper zone) stays in view on both. Each view box keeps
its aspect ratio locked, so when the images' aspect ratios differ a follower may show a little more along
one axis; the centre stays matched.

Window/level and inversion are copied only while ``link_levels`` is on: a :class:`~carzero_viewer.imaging.voi.Window`
is copied as is (the same modality units), while a VOI LUT belongs to its file and reaches a canvas showing
another image as its linear (centre, width) equivalent. A guard stops the echo: setting a follower's range or
window emits its own change signal, which must not be sent back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from PySide6.QtCore import QRectF

from carzero_viewer.imaging.voi import Window
from carzero_viewer.ui.canvas import ImageCanvas


def relative_rect(rect: QRectF, image: QRectF) -> tuple[float, float, float, float]:
    """``rect`` as (x, y, width, height) fractions of ``image`` (0..1 inside it; outside is allowed)."""
    width, height = max(image.width(), 1e-9), max(image.height(), 1e-9)
    return (
        (rect.x() - image.x()) / width,
        (rect.y() - image.y()) / height,
        rect.width() / width,
        rect.height() / height,
    )


def absolute_rect(fractions: tuple[float, float, float, float], image: QRectF) -> QRectF:
    """The rectangle that is ``fractions`` (as from :func:`relative_rect`) of ``image``."""
    fx, fy, fw, fh = fractions
    return QRectF(
        image.x() + fx * image.width(),
        image.y() + fy * image.height(),
        fw * image.width(),
        fh * image.height(),
    )


class LinkedCanvases:
    """Keeps the view (and, with ``link_levels``, the window/level) of its canvases together.

    Args:
        link_levels: whether window/level and inversion follow too (they can be switched later).
    """

    def __init__(self, link_levels: bool = True) -> None:
        self._canvases: list[ImageCanvas] = []
        self._link_levels = link_levels
        self._syncing = False

    def add(self, canvas: ImageCanvas) -> None:
        """Link ``canvas`` (it starts with its own view; call :meth:`follow` to align it)."""
        self._canvases.append(canvas)
        canvas.view.sigRangeChanged.connect(lambda *_args: self._on_view_changed(canvas))
        canvas.window_changed.connect(lambda *_args: self._on_levels_changed(canvas))
        canvas.inverted_changed.connect(lambda *_args: self._on_levels_changed(canvas))

    def remove(self, canvas: ImageCanvas) -> None:
        """Unlink ``canvas`` (its signals are then ignored; it is usually about to be deleted)."""
        if canvas in self._canvases:
            self._canvases.remove(canvas)

    def canvases(self) -> list[ImageCanvas]:
        return list(self._canvases)

    def link_levels(self) -> bool:
        return self._link_levels

    def set_link_levels(self, enabled: bool) -> None:
        self._link_levels = bool(enabled)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No linking inside the block (e.g. while each canvas gets a new record and fits it)."""
        was, self._syncing = self._syncing, True
        try:
            yield
        finally:
            self._syncing = was

    def follow(self, source: ImageCanvas) -> None:
        """Align every other canvas to ``source``: its view, and its levels while they are linked."""
        self._on_view_changed(source)
        if self._link_levels:
            self._on_levels_changed(source)

    def copy_levels(self, source: ImageCanvas, targets: Iterable[ImageCanvas] | None = None) -> None:
        """Give ``targets`` (default: every linked canvas) the window/level and inversion of ``source``.

        ``source`` may be a canvas outside the link (the main window's, when a compare view opens).
        """
        with self.paused():
            for target in self._canvases if targets is None else targets:
                if target is not source:
                    _copy_levels(source, target)

    # --- signal handlers ---------------------------------------------------------------------------------
    def _on_view_changed(self, source: ImageCanvas) -> None:
        image = source.content_rect()
        if self._syncing or image is None or source not in self._canvases:
            return
        fractions = relative_rect(QRectF(source.view.viewRect()), image)
        with self.paused():
            for target in self._canvases:
                target_image = target.content_rect()
                if target is not source and target_image is not None:
                    target.view.setRange(absolute_rect(fractions, target_image), padding=0.0)

    def _on_levels_changed(self, source: ImageCanvas) -> None:
        if self._syncing or not self._link_levels or source not in self._canvases:
            return
        self.copy_levels(source)


def _copy_levels(source: ImageCanvas, target: ImageCanvas) -> None:
    """A window as is; a VOI LUT only to the same image, else as its linear (centre, width) equivalent."""
    preset = source.preset()
    if preset is None or target.record() is None:
        return
    if isinstance(preset, Window) or target.record() is source.record():
        target.set_preset(preset)
    else:
        target.set_window(*source.window())
    target.set_inverted(source.inverted())
