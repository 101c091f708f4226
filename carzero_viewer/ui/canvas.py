"""The image canvas: a pyqtgraph ``ImageItem`` in a ``ViewBox`` with a heatmap overlay on top.

Interaction (what a radiologist expects): wheel zooms about the cursor, left-drag pans, right-drag changes
window (horizontal) and level (vertical), double-click resets the view and the window. Window/level only
changes the display levels of the base item -- the model input is fixed by the file's default VOI, so nothing
here ever re-runs the model.

The base image is the record's normalised display rendering (:meth:`ImageRecord.display`, in [0, 1], with
MONOCHROME1 inversion already applied), so the default window is levels ``(0, 1)`` and dragging narrows or
shifts that range. The overlay is a second ``ImageItem``: the map (original-image pixels, NaN outside the
model's field of view) is min-max normalised over its finite values to indices 0..254 of a 256-entry
matplotlib colormap LUT whose last entry (255) is fully transparent and reserved for NaN ("no data", not "low
attention"). The LUT's alpha ramps up with the value (10 % at the minimum, opaque from 75 % of the range) so
low-attention regions tint the radiograph instead of washing it out; the opacity slider scales the whole item.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from matplotlib import colormaps
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QImage, QPixmap

NO_DATA = 255
MIN_WIDTH = 1.0 / 512.0
DEFAULT_OPACITY = 0.6
COLORMAP = "jet"


def colormap_lut(name: str = "jet") -> np.ndarray:
    """(256, 4) uint8 RGBA: 255 colormap entries, then one transparent entry for NaN."""
    ramp = np.linspace(0.0, 1.0, NO_DATA)
    rgba = colormaps[name](ramp)
    rgba[:, 3] = np.clip(0.1 + 1.2 * ramp, 0.0, 1.0)
    lut = (rgba * 255.0).round().astype(np.uint8)
    return np.vstack([lut, np.zeros((1, 4), dtype=np.uint8)])


def lut_pixmap(lut: np.ndarray, width: int = 120, height: int = 14) -> QPixmap:
    """A horizontal colour bar (low -> high) of the LUT's opaque colours, for the toolbar legend."""
    index = np.linspace(0, NO_DATA - 1, width).round().astype(int)
    row = np.ascontiguousarray(lut[index, :3])
    rgb = np.ascontiguousarray(np.repeat(row[None], height, axis=0))
    image = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy())


def overlay_indices(values: np.ndarray) -> np.ndarray:
    """(H, W) float map -> (H, W) uint8 LUT indices; NaN -> :data:`NO_DATA`, finite values -> 0..254."""
    finite = np.isfinite(values)
    out = np.full(values.shape, NO_DATA, dtype=np.uint8)
    if not finite.any():
        return out
    low = float(values[finite].min())
    high = float(values[finite].max())
    span = high - low
    scaled = (values[finite] - low) / span if span > 0 else np.zeros(int(finite.sum()))
    out[finite] = np.clip(np.round(scaled * (NO_DATA - 1)), 0, NO_DATA - 1).astype(np.uint8)
    return out


class _WindowLevelViewBox(pg.ViewBox):
    """A ViewBox whose right-drag reports window/level deltas instead of zooming."""

    def __init__(self, canvas: ImageCanvas) -> None:
        super().__init__(lockAspect=True, invertY=True, enableMenu=False)
        self._canvas = canvas

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 (pyqtgraph API name)
        if ev.button() == Qt.MouseButton.RightButton:
            ev.accept()
            delta = ev.screenPos() - ev.lastScreenPos()
            self._canvas.adjust_window(delta.x(), delta.y())
            return
        super().mouseDragEvent(ev, axis)

    def mouseDoubleClickEvent(self, ev):  # noqa: N802 (Qt API name)
        self._canvas.reset_view()
        self._canvas.reset_window()
        ev.accept()


class ImageCanvas(pg.GraphicsView):
    """Shows one image record, an optional heatmap overlay, and reports the pixel under the cursor."""

    cursor_moved = Signal(int, int)  # (row, column) in original-image pixels; (-1, -1) when outside
    window_changed = Signal(float, float)  # (low, high) display levels in [0, 1] units

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setBackground("k")
        self.view = _WindowLevelViewBox(self)
        self.setCentralItem(self.view)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.overlay_item = pg.ImageItem(axisOrder="row-major")
        self.overlay_item.setLookupTable(colormap_lut(COLORMAP))
        self.overlay_item.setZValue(10)
        self.overlay_item.setOpacity(DEFAULT_OPACITY)
        self.overlay_item.setVisible(False)
        self.view.addItem(self.image_item)
        self.view.addItem(self.overlay_item)
        self._levels = (0.0, 1.0)
        self._shape: tuple[int, int] | None = None
        self._overlay_enabled = True
        self._has_overlay = False
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

    # --- image -------------------------------------------------------------------------------------------
    def set_image(self, display: np.ndarray) -> None:
        """Show a display rendering: (H, W) or (H, W, 3) float in [0, 1]; resets view and window."""
        self._shape = (int(display.shape[0]), int(display.shape[1]))
        self.clear_overlay()
        self.image_item.setImage(np.ascontiguousarray(display), autoLevels=False, levels=(0.0, 1.0))
        self.reset_window()
        self.reset_view()

    def clear(self) -> None:
        self._shape = None
        self.clear_overlay()
        self.image_item.clear()

    @property
    def has_image(self) -> bool:
        return self._shape is not None

    def reset_view(self) -> None:
        if self._shape is not None:
            h, w = self._shape
            self.view.setRange(xRange=(0, w), yRange=(0, h), padding=0.02)

    # --- window / level ----------------------------------------------------------------------------------
    @property
    def levels(self) -> tuple[float, float]:
        return self._levels

    def set_levels(self, low: float, high: float) -> None:
        """Display levels of the base image only (the model input never changes)."""
        if high - low < MIN_WIDTH:
            high = low + MIN_WIDTH
        self._levels = (float(low), float(high))
        self.image_item.setLevels(self._levels)
        self.window_changed.emit(*self._levels)

    def reset_window(self) -> None:
        self.set_levels(0.0, 1.0)

    def adjust_window(self, dx: float, dy: float) -> None:
        """Right-drag: dx widens/narrows the window, dy moves the level (1 px = 1/500 of the range)."""
        low, high = self._levels
        width = max(MIN_WIDTH, (high - low) * (1.0 + dx / 250.0))
        center = (low + high) / 2.0 - dy / 500.0
        self.set_levels(center - width / 2.0, center + width / 2.0)

    # --- overlay -----------------------------------------------------------------------------------------
    def set_overlay(self, values: np.ndarray) -> None:
        """Show a (H, W) map in original-image pixels (NaN = no data) over the image."""
        if self._shape is None or values.shape != self._shape:
            raise ValueError(f"overlay shape {values.shape} does not match the image {self._shape}")
        self.overlay_item.setImage(overlay_indices(values), autoLevels=False, levels=(0, 255))
        self._has_overlay = True
        self.overlay_item.setVisible(self._overlay_enabled)

    def clear_overlay(self) -> None:
        self._has_overlay = False
        self.overlay_item.setVisible(False)
        self.overlay_item.clear()

    def set_overlay_enabled(self, enabled: bool) -> None:
        self._overlay_enabled = bool(enabled)
        self.overlay_item.setVisible(self._overlay_enabled and self._has_overlay)

    def set_overlay_opacity(self, opacity: float) -> None:
        self.overlay_item.setOpacity(float(np.clip(opacity, 0.0, 1.0)))

    def set_colormap(self, name: str) -> None:
        self.overlay_item.setLookupTable(colormap_lut(name))

    @property
    def overlay_visible(self) -> bool:
        return self._has_overlay and self.overlay_item.isVisible()

    # --- cursor ------------------------------------------------------------------------------------------
    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        if self._shape is None:
            return
        point = self.view.mapSceneToView(scene_pos)
        row, col = int(np.floor(point.y())), int(np.floor(point.x()))
        h, w = self._shape
        if 0 <= row < h and 0 <= col < w:
            self.cursor_moved.emit(row, col)
        else:
            self.cursor_moved.emit(-1, -1)
