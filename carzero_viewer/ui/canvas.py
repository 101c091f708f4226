"""The image canvas: one radiograph at full resolution with window/level, a heatmap overlay, boxes and a ruler.

Layers (z order, bottom to top) inside one pyqtgraph ``ViewBox`` (locked aspect, y pointing down as in the
image): the grey image, the heatmap (an RGBA ``ImageItem`` coloured by the shared
:func:`~carzero_viewer.export.heatmap_style.heatmap_rgba`, so screen and exports agree), isolines, the field
of view outline, boxes with labels (:class:`~carzero_viewer.ui.box_layer.BoxLayer`), the argmax marker and
the measurement line. The model-input view swaps all of that for the 224x224 crop the network saw, with the
same heatmap style.

Why window/level is instant: a grey record is converted ONCE to a uint16 *index image* (``idx = pixels - min``
when the pixels are integers spanning at most 65536 values, which covers every stored bit depth up to 16 bits;
otherwise ``idx = round((pixels - min) / step)`` with ``step = (max - min) / 65535``). Each value ``i`` of the
index stands for the modality value ``min + i * step``, so any VOI preset -- LINEAR, LINEAR_EXACT, SIGMOID
and VOI LUTs alike -- becomes a 65536-entry uint8 grey table computed with the very same
:func:`~carzero_viewer.imaging.voi.apply_voi` the record uses, with the MONOCHROME1 / user inversion folded
in. A window change rebuilds only that table (65536 values, well under a millisecond) and pyqtgraph does one
table lookup per frame instead of a float rescale of millions of pixels. For integer pixels the result is
bit-identical to ``record.render(preset)``; for scaled indices it is within one grey level.

Colour (RGB) records are shown as stored; window/level is a linear stretch of every channel (``ImageItem``
levels, ``low..high`` in 0..255 units, whatever the preset's function) and inversion flips the channels.

Inversion: :meth:`ImageCanvas.inverted` is the *user's* inversion relative to the file's own rule, so a
MONOCHROME1 file is displayed correctly (bone white) with ``inverted() == False``; the effective inversion is
``record.invert != inverted()``. Every change of it emits :attr:`ImageCanvas.inverted_changed`, so the Invert
checkbox follows the I key and Reset.

Mouse: :mod:`carzero_viewer.ui.canvas_viewbox`. Flips/rotations (display only): every layer is a child of one
frame item in original-image pixels whose transform is the current
:class:`~carzero_viewer.imaging.display_orientation.DisplayOrientation`, so map, boxes, marker and ruler follow
the image and positions stay in image pixels. Corner overlays: :mod:`carzero_viewer.ui.corner_overlay`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QTransform
from PySide6.QtWidgets import QGraphicsRectItem, QVBoxLayout, QWidget

from carzero_viewer.export.heatmap_style import HeatmapStyle, heatmap_rgba, normalise
from carzero_viewer.imaging.display_orientation import DisplayOrientation
from carzero_viewer.imaging.record import ImageRecord
from carzero_viewer.imaging.voi import VoiFunction, VoiPreset, Window
from carzero_viewer.ui.box_layer import BoxLayer, cosmetic_pen, detach
from carzero_viewer.ui.canvas_viewbox import CanvasViewBox
from carzero_viewer.ui.corner_overlay import CornerOverlay
from carzero_viewer.ui.grey_levels import (
    LUT_SIZE,
    MAX_SAMPLES,
    IndexedImage,
    index_image,
    voi_table,
    window_of,
)
from carzero_viewer.viewer_model.ground_truth import BoxSpec

pg.setConfigOptions(imageAxisOrder="row-major")

HISTOGRAM_BINS = 256
# Right-drag: one screen pixel changes the width / centre by this fraction of the current width.
WIDTH_PER_PIXEL = 1.0 / 200.0
CENTER_PER_PIXEL = 1.0 / 400.0
# Isolines are traced on a map subsampled to at most this many pixels per side (the maps are smooth).
ISOLINE_GRID = 256
MODEL_INPUT_SIZE = 224


@dataclass(frozen=True)
class Measurement:
    """A ruler between two points (x, y) in original-image pixels; ``length_mm`` is None without spacing."""

    start: tuple[float, float]
    end: tuple[float, float]
    length_px: float
    length_mm: float | None


class ImageCanvas(QWidget):
    """Shows one image record with window/level, heatmap, boxes, marker and ruler (see module docstring)."""

    cursor_moved = Signal(int, int)  # (row, column) in original pixels; (-1, -1) outside the image
    window_changed = Signal(float, float)  # (center, width) in the record's modality units
    inverted_changed = Signal(bool)  # the user inversion, whatever changed it (key, menu, reset, new record)
    orientation_changed = Signal(object)  # DisplayOrientation, after a flip, rotation, reset or new record
    measurement_changed = Signal(object)  # Measurement | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(imageAxisOrder="row-major")
        self.graphics = pg.GraphicsView(self, background="k")
        self.view = CanvasViewBox(self)
        self.graphics.setCentralItem(self.view)
        # Every layer is a child of this frame, whose coordinates are original-image pixels; its transform is
        # the display flip/rotation, so image, map, boxes, marker and ruler turn together.
        self.frame = pg.ItemGroup()
        self.view.addItem(self.frame)
        self._orientation = DisplayOrientation()
        self.box_layer = BoxLayer(self.view, self.frame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)

        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.heatmap_item = pg.ImageItem(axisOrder="row-major")
        self.heatmap_item.setZValue(10)
        self.model_item = pg.ImageItem(axisOrder="row-major")
        self.model_heatmap_item = pg.ImageItem(axisOrder="row-major")
        self.model_heatmap_item.setZValue(10)
        self.fov_item = QGraphicsRectItem()
        self.fov_item.setPen(cosmetic_pen(QColor(255, 255, 255, 200), 1.5, Qt.PenStyle.DashLine))
        self.fov_item.setZValue(20)
        self.marker_item = pg.ScatterPlotItem(
            symbol="+", size=22, pen=pg.mkPen("w", width=2), brush=pg.mkBrush(None)
        )
        self.marker_item.setZValue(40)
        self.ruler_item = pg.PlotCurveItem(pen=pg.mkPen((255, 220, 0), width=2))
        self.ruler_item.setZValue(50)
        self.ruler_label = pg.TextItem(color=(255, 220, 0), anchor=(0, 1), fill=pg.mkBrush(0, 0, 0, 160))
        self.ruler_label.setZValue(50)
        for item in (
            self.image_item,
            self.heatmap_item,
            self.model_item,
            self.model_heatmap_item,
            self.fov_item,
            self.marker_item,
            self.ruler_item,
            self.ruler_label,
        ):
            item.setParentItem(self.frame)
        for item in (self.heatmap_item, self.model_item, self.model_heatmap_item, self.fov_item):
            item.setVisible(False)
        self.ruler_label.setVisible(False)

        self._record: ImageRecord | None = None
        self._indexed: IndexedImage | None = None
        self._rgb: npt.NDArray[np.uint8] | None = None
        self._preset: VoiPreset | None = None
        self._inverted = False
        self._histogram: tuple[np.ndarray, np.ndarray] | None = None
        self._style = HeatmapStyle()
        self._heat_values: npt.NDArray[np.float32] | None = None
        self._isolines: list[pg.IsocurveItem] = []
        self._model_isolines: list[pg.IsocurveItem] = []
        self._fov: tuple[float, float, float, float] | None = None
        self._marker: tuple[float, float] | None = None
        self._model_crop: npt.NDArray[np.uint8] | None = None
        self._model_heat: npt.NDArray[np.float32] | None = None
        self._measure_mode = False
        self._measurement: Measurement | None = None
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.corners = CornerOverlay(self)

    # --- record and VOI ----------------------------------------------------------------------------------
    def record(self) -> ImageRecord | None:
        return self._record

    def set_record(self, record: ImageRecord) -> None:
        """Show ``record`` at full resolution with its default VOI and inversion, fitted to the view."""
        self._record = record
        self._histogram = None
        was_inverted, self._inverted = self._inverted, False
        self._preset = record.default_voi
        self._clear_layers()
        self.set_orientation(DisplayOrientation())
        if record.is_color:
            self._indexed = None
            self._rgb = np.clip(np.rint(record.pixels), 0, 255).astype(np.uint8)
        else:
            self._rgb = None
            self._indexed = index_image(record.pixels)
            self.image_item.setImage(
                self._indexed.index, autoLevels=False, levels=(0, LUT_SIZE), lut=self._current_table()
            )
        self._render_base()
        self.fit()
        self.window_changed.emit(*self.window())
        if was_inverted:
            self.inverted_changed.emit(False)

    def _clear_layers(self) -> None:
        """Remove everything drawn over the image (each belongs to the previous image)."""
        self.show_model_input(None)
        self.set_heatmap(None, self._style)
        self.set_field_of_view(None)
        self.set_boxes([])
        self.set_marker(None)
        self.clear_measurement()

    def clear_record(self) -> None:
        """Show no image (the study was closed): every layer drawn over the image goes with it."""
        self._clear_layers()
        self._record = self._indexed = self._rgb = self._preset = self._histogram = None
        self.image_item.clear()

    def _current_table(self) -> npt.NDArray[np.uint8]:
        assert self._indexed is not None and self._record is not None and self._preset is not None
        return voi_table(self._indexed, self._preset, self._record.invert != self._inverted)

    def _render_base(self) -> None:
        """Push the current preset/inversion to the base item (a table swap for grey images)."""
        if self._record is None or self._preset is None:
            return
        if self._indexed is not None:
            self.image_item.setLookupTable(self._current_table())
            return
        assert self._rgb is not None
        low, high = self.window()[0] - self.window()[1] / 2.0, self.window()[0] + self.window()[1] / 2.0
        rgb = 255 - self._rgb if self._inverted else self._rgb
        self.image_item.setImage(rgb, autoLevels=False, levels=(low, max(high, low + 1e-3)), lut=None)

    def set_preset(self, preset: VoiPreset) -> None:
        """Apply a VOI preset (a DICOM window or VOI LUT, or one of :func:`chest_presets`)."""
        if self._record is None:
            return
        self._preset = preset
        self._render_base()
        self.window_changed.emit(*self.window())

    def preset(self) -> VoiPreset | None:
        return self._preset

    def window(self) -> tuple[float, float]:  # type: ignore[override]  # the lead's API name
        """(center, width) of the current window in modality units ((0, 0) without a record)."""
        return window_of(self._preset) if self._preset is not None else (0.0, 0.0)

    def _min_width(self) -> float:
        if isinstance(self._preset, Window) and self._preset.function is VoiFunction.LINEAR:
            return 1.0
        if self._indexed is not None:
            return max(self._indexed.step, 1e-6)
        return 1e-3

    def set_window(self, center: float, width: float) -> None:
        """Set a window by center/width, keeping the current window's VOI function (LUTs become LINEAR)."""
        if self._record is None:
            return
        function = self._preset.function if isinstance(self._preset, Window) else VoiFunction.LINEAR
        width = max(float(width), self._min_width())
        self.set_preset(Window(float(center), width, function, "Custom"))

    def drag_window(self, dx: float, dy: float) -> None:
        """The right-drag code path: ``dx`` screen pixels scale the width, ``dy`` shift the centre."""
        center, width = self.window()
        new_width = width * math.exp(dx * WIDTH_PER_PIXEL)
        self.set_window(center + dy * width * CENTER_PER_PIXEL, new_width)

    def set_inverted(self, inverted: bool) -> None:
        """User inversion relative to the file's own rule (MONOCHROME1 is already shown bone-white)."""
        if bool(inverted) == self._inverted:
            return
        self._inverted = bool(inverted)
        self._render_base()
        self.inverted_changed.emit(self._inverted)

    def inverted(self) -> bool:
        return self._inverted

    def toggle_invert(self) -> None:
        self.set_inverted(not self._inverted)

    def reset(self) -> None:
        """Default window, no user inversion, no flip or rotation, fitted view."""
        if self._record is None:
            return
        was_inverted, self._inverted = self._inverted, False
        self.set_preset(self._record.default_voi)
        self.set_orientation(DisplayOrientation())
        if was_inverted:
            self.inverted_changed.emit(False)

    def levels_histogram(self) -> tuple[np.ndarray, np.ndarray]:
        """(bin edges (257,), counts (256,)) of the modality values on a <= 1M-pixel strided subsample."""
        if self._histogram is None:
            if self._record is None:
                return np.linspace(0.0, 1.0, HISTOGRAM_BINS + 1), np.zeros(HISTOGRAM_BINS, dtype=np.int64)
            pixels = self._record.pixels
            h, w = pixels.shape[:2]
            step = max(1, math.ceil(math.sqrt(h * w / MAX_SAMPLES)))
            sample = pixels[::step, ::step].ravel()
            low, high = float(sample.min()), float(sample.max())
            counts, edges = np.histogram(sample, bins=HISTOGRAM_BINS, range=(low, max(high, low + 1.0)))
            self._histogram = (edges, counts)
        return self._histogram

    # --- view --------------------------------------------------------------------------------------------
    def _content_size(self) -> tuple[int, int] | None:
        if self._model_crop is not None:
            return self._model_crop.shape[0], self._model_crop.shape[1]
        return self._record.shape if self._record is not None else None

    def content_rect(self) -> QRectF | None:
        """The image (or model input) as displayed, flipped/rotated, in view coordinates; None when empty."""
        size = self._content_size()
        return self.frame.mapRectToParent(QRectF(0, 0, size[1], size[0])) if size is not None else None

    def fit(self) -> None:
        """Show the whole image (or model input) as large as the view allows, as flipped/rotated."""
        rect = self.content_rect()
        if rect is not None:
            self.view.setRange(rect=rect, padding=0.0)

    def orientation(self) -> DisplayOrientation:
        return self._orientation

    def set_orientation(self, orientation: DisplayOrientation) -> None:
        """Flip/rotate the display (pixels, maps and coordinates stay in image space), then fit."""
        a, b, c, d = orientation.matrix
        self.frame.setTransform(
            QTransform(a, c, b, d, 0.0, 0.0)
        )  # Qt: x' = m11*x + m21*y, y' = m12*x + m22*y
        changed, self._orientation = orientation != self._orientation, orientation
        self.fit()
        if changed:
            self.orientation_changed.emit(orientation)

    def actual_size(self) -> None:
        """One screen pixel = one image pixel, keeping the current view centre."""
        if self._content_size() is None:
            return
        rect = self.view.viewRect()
        px = max(self.view.width(), 1.0)
        py = max(self.view.height(), 1.0)
        centre = rect.center()
        self.view.setRange(
            xRange=(centre.x() - px / 2.0, centre.x() + px / 2.0),
            yRange=(centre.y() - py / 2.0, centre.y() + py / 2.0),
            padding=0.0,
        )

    # --- heatmap -----------------------------------------------------------------------------------------
    def set_heatmap(self, values: np.ndarray | None, style: HeatmapStyle) -> None:
        """Overlay ``values`` ((H, W) float, original pixels, NaN = not seen by the model); None clears.

        The values are drawn as given: ``style.interpolation`` is applied by whoever maps the grid to the
        image (``map_to_original(mode=...)``), the canvas has no geometry to redo it.
        """
        self._style = style
        if values is not None:
            if self._record is None or values.shape != self._record.shape:
                shape = None if self._record is None else self._record.shape
                raise ValueError(f"heatmap shape {values.shape} does not match the image {shape}")
            self._heat_values = np.asarray(values, dtype=np.float32)
        else:
            self._heat_values = None
        self._render_heatmap()

    def set_heatmap_style(self, style: HeatmapStyle) -> None:
        """Re-render the current map (and the model-input map) with a new style."""
        self._style = style
        self._render_heatmap()
        self._render_model_heatmap()
        self._update_fov()

    def heatmap_style(self) -> HeatmapStyle:
        return self._style

    def heatmap_visible(self) -> bool:
        return self._heat_values is not None and self._model_crop is None

    def _render_heatmap(self) -> None:
        values = self._heat_values
        if values is None:
            self.heatmap_item.clear()
            self.heatmap_item.setVisible(False)
            self._isolines = self._set_isolines(self._isolines, None)
        else:
            self.heatmap_item.setImage(heatmap_rgba(values, self._style), autoLevels=False, levels=None)
            self.heatmap_item.setVisible(self._model_crop is None)
            self._isolines = self._set_isolines(self._isolines, values)
            for item in self._isolines:
                item.setVisible(self._model_crop is None)
        self._update_fov()

    def _set_isolines(self, old: list[pg.IsocurveItem], values: np.ndarray | None) -> list[pg.IsocurveItem]:
        """Replace isoline items: ``style.isolines`` evenly spaced levels of the normalised map."""
        for item in old:
            detach(item)
        if values is None or self._style.isolines <= 0:
            return []
        norm = normalise(values, self._style)
        step = max(1, math.ceil(max(norm.shape) / ISOLINE_GRID))
        # NaN (not seen) counts as below every level, so contours close at the field-of-view border.
        sample = np.nan_to_num(norm[::step, ::step], nan=-1.0)
        transform = QTransform()
        transform.translate(0.5, 0.5)
        transform.scale(step, step)
        items = []
        count = self._style.isolines
        for k in range(1, count + 1):
            item = pg.IsocurveItem(
                data=sample, level=k / (count + 1), pen=pg.mkPen(255, 255, 255, 170), axisOrder="row-major"
            )
            item.setTransform(transform)
            item.setZValue(15)
            item.setParentItem(self.frame)
            items.append(item)
        return items

    def set_field_of_view(self, rect: tuple[float, float, float, float] | None) -> None:
        """Dashed outline (x0, y0, x1, y1) of the part the model saw; shown when style.show_field_of_view."""
        self._fov = rect
        self._update_fov()

    def _update_fov(self) -> None:
        if self._fov is not None:
            x0, y0, x1, y1 = self._fov
            self.fov_item.setRect(QRectF(QPointF(x0, y0), QPointF(x1, y1)).normalized())
        self.fov_item.setVisible(
            self._fov is not None and self._style.show_field_of_view and self._model_crop is None
        )

    # --- boxes and marker --------------------------------------------------------------------------------
    def set_boxes(self, boxes: Sequence[BoxSpec]) -> None:
        """Draw non-movable labelled rectangles (original pixels); an empty sequence clears them."""
        self.box_layer.set_boxes(boxes, visible=self._model_crop is None)

    def boxes(self) -> list[tuple[QGraphicsRectItem, pg.TextItem]]:
        return self.box_layer.pairs()

    def set_marker(self, point: tuple[float, float] | None) -> None:
        """A cross at (x, y) in original pixels (e.g. the map's argmax); None hides it."""
        self._marker = point
        if point is None:
            self.marker_item.setData([], [])
        else:
            self.marker_item.setData([point[0]], [point[1]])
        self.marker_item.setVisible(point is not None and self._model_crop is None)

    # --- model input view --------------------------------------------------------------------------------
    def show_model_input(self, crop: np.ndarray | None, heatmap_224: np.ndarray | None = None) -> None:
        """Show exactly the (224, 224) uint8 crop the model saw (plus its map); None returns to the record."""
        was_showing = self._model_crop is not None
        if crop is None:
            self._model_crop = None
            self._model_heat = None
            self.model_item.clear()
        else:
            if crop.ndim != 2:
                raise ValueError(f"expected a 2-D crop, got shape {crop.shape}")
            self._model_crop = np.ascontiguousarray(crop, dtype=np.uint8)
            self._model_heat = None if heatmap_224 is None else np.asarray(heatmap_224, dtype=np.float32)
            if self._model_heat is not None and self._model_heat.shape != self._model_crop.shape:
                raise ValueError(f"heatmap shape {self._model_heat.shape} does not match {crop.shape}")
            self.model_item.setImage(self._model_crop, autoLevels=False, levels=(0, 255), lut=None)
        showing = self._model_crop is not None
        self.model_item.setVisible(showing)
        self._render_model_heatmap()
        for item in self._record_items():
            item.setVisible(not showing)
        self.heatmap_item.setVisible(not showing and self._heat_values is not None)
        self.marker_item.setVisible(not showing and self._marker is not None)
        self.ruler_label.setVisible(not showing and self._measurement is not None)
        self._update_fov()
        if showing or was_showing:
            self.fit()

    def _record_items(self) -> list:
        items: list = [self.image_item, self.ruler_item, *self._isolines]
        for rect_item, text_item in self.box_layer.pairs():
            items += [rect_item, text_item]
        return items

    def _render_model_heatmap(self) -> None:
        heat = self._model_heat if self._model_crop is not None else None
        if heat is None:
            self.model_heatmap_item.clear()
            self.model_heatmap_item.setVisible(False)
            self._model_isolines = self._set_isolines(self._model_isolines, None)
            return
        self.model_heatmap_item.setImage(heatmap_rgba(heat, self._style), autoLevels=False, levels=None)
        self.model_heatmap_item.setVisible(True)
        self._model_isolines = self._set_isolines(self._model_isolines, heat)

    def showing_model_input(self) -> bool:
        return self._model_crop is not None

    # --- measurement -------------------------------------------------------------------------------------
    def set_measure_mode(self, enabled: bool) -> None:
        """In measure mode left-drag draws a ruler instead of panning."""
        self._measure_mode = bool(enabled)

    def measure_mode(self) -> bool:
        return self._measure_mode

    def measurement(self) -> Measurement | None:
        return self._measurement

    def clear_measurement(self) -> None:
        had = self._measurement is not None
        self._measurement = None
        self.ruler_item.setData([], [])
        self.ruler_label.setVisible(False)
        if had:
            self.measurement_changed.emit(None)

    def set_ruler(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        """Draw the ruler start -> end (original pixels) and emit its length (mm uses row/column spacing)."""
        if self._record is None or self._model_crop is not None:
            return
        dx, dy = end[0] - start[0], end[1] - start[1]
        length_mm = None
        if self._record.spacing_mm is not None:
            row_mm, col_mm = self._record.spacing_mm
            length_mm = math.hypot(dx * col_mm, dy * row_mm)
        self._measurement = Measurement(start, end, math.hypot(dx, dy), length_mm)
        self.ruler_item.setData([start[0], end[0]], [start[1], end[1]])
        text = f"{length_mm:.1f} mm" if length_mm is not None else f"{self._measurement.length_px:.1f} px"
        self.ruler_label.setText(text)
        self.ruler_label.setPos(end[0], end[1])
        self.ruler_label.setVisible(True)
        self.measurement_changed.emit(self._measurement)

    # --- cursor ------------------------------------------------------------------------------------------
    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        size = self._content_size()
        if size is None or self._model_crop is not None:
            return
        point = self.frame.mapFromScene(scene_pos)
        row, col = math.floor(point.y()), math.floor(point.x())
        if 0 <= row < size[0] and 0 <= col < size[1]:
            self.cursor_moved.emit(row, col)
        else:
            self.cursor_moved.emit(-1, -1)
