"""The image canvas on real files: grey levels under a window, inversion, mouse W/L, zoom, ruler, overlays."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import cv2
import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from carzero_viewer.export.heatmap_style import HeatmapStyle
from carzero_viewer.imaging import ImageRecord, VoiFunction, VoiLut, Window, load_image
from carzero_viewer.ui.app import configure_pyqtgraph
from carzero_viewer.ui.canvas import (
    CENTER_PER_PIXEL,
    WIDTH_PER_PIXEL,
    ImageCanvas,
    Measurement,
)
from carzero_viewer.ui.grey_levels import chest_presets, index_image
from carzero_viewer.viewer_model.ground_truth import BoxSpec
from tests.tolerances import GREY_LEVEL

pytestmark = pytest.mark.gui


@pytest.fixture
def canvas(qtbot) -> ImageCanvas:
    configure_pyqtgraph()
    widget = ImageCanvas()
    qtbot.addWidget(widget)
    widget.resize(500, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture(scope="module")
def mono1(test_data_dir: Path) -> ImageRecord:
    record = load_image(test_data_dir / "dicom" / "966_fixed.dcm")
    assert record.invert and record.spacing_mm == (0.16, 0.16)
    return record


@pytest.fixture(scope="module")
def small(test_data_dir: Path) -> ImageRecord:
    return load_image(test_data_dir / "carzero-tiny" / "image.png")


def rendered(item: pg.ImageItem) -> np.ndarray:
    """What the base item actually paints: its QImage as (H, W) or (H, W, 3) uint8."""
    item.render()
    qimage = item.qimage
    assert qimage is not None
    if qimage.format() in (QImage.Format.Format_Grayscale8, QImage.Format.Format_Indexed8):
        grey = qimage.convertToFormat(QImage.Format.Format_Grayscale8)
        return pg.functions.ndarray_from_qimage(grey).copy()
    rgb = qimage.convertToFormat(QImage.Format.Format_RGB888)
    return pg.functions.ndarray_from_qimage(rgb).copy()


def linear_grey(value: float, center: float, width: float, invert: bool) -> int:
    """PS3.3 C.11.2.1.2 LINEAR by hand, then inversion: the independent expectation for one pixel."""
    if value <= center - 0.5 - (width - 1) / 2:
        y = 0.0
    elif value > center - 0.5 + (width - 1) / 2:
        y = 1.0
    else:
        y = (value - (center - 0.5)) / (width - 1) + 0.5
    if invert:
        y = 1.0 - y
    return round(y * 255)


# --- grey levels -----------------------------------------------------------------------------------------
def test_set_record_shows_the_default_voi_with_monochrome1_inversion(canvas, qtbot, mono1) -> None:
    with qtbot.waitSignal(canvas.window_changed) as blocker:
        canvas.set_record(mono1)
    assert blocker.args == [2048.0, 4096.0]
    assert canvas.window() == (2048.0, 4096.0)
    assert not canvas.inverted()
    shown = rendered(canvas.image_item)
    assert shown.shape == mono1.shape
    np.testing.assert_array_equal(shown, mono1.render())
    # MONOCHROME1: the lowest value (air outside the patient, 0) is white.
    row, col = np.unravel_index(np.argmin(mono1.pixels), mono1.shape)
    assert shown[row, col] == 255


def test_window_renders_the_independently_computed_grey_level(canvas, mono1) -> None:
    canvas.set_record(mono1)
    center, width = 1500.0, 800.0
    canvas.set_window(center, width)
    assert canvas.window() == (center, width)
    shown = rendered(canvas.image_item)
    expected = mono1.render(Window(center, width, VoiFunction.LINEAR))
    assert np.abs(shown.astype(int) - expected.astype(int)).max() <= GREY_LEVEL
    # A few known pixels inside the window, against the formula written out by hand.
    values = mono1.pixels
    inside = np.argwhere((values > center - width / 2 + 5) & (values < center + width / 2 - 5))
    for row, col in inside[:: max(1, len(inside) // 7)][:7]:
        grey = linear_grey(float(values[row, col]), center, width, invert=True)
        assert abs(int(shown[row, col]) - grey) <= GREY_LEVEL
        assert 0 < grey < 255


def test_sigmoid_and_voi_lut_presets_match_the_record_pipeline(canvas, mono1, test_data_dir) -> None:
    canvas.set_record(mono1)
    sigmoid = Window(1800.0, 1200.0, VoiFunction.SIGMOID, "S")
    canvas.set_preset(sigmoid)
    assert (
        np.abs(rendered(canvas.image_item).astype(int) - mono1.render(sigmoid).astype(int)).max()
        <= GREY_LEVEL
    )

    lut_record = load_image(test_data_dir / "dicom" / "vlut_04.dcm")
    lut = next(p for p in lut_record.presets if isinstance(p, VoiLut))
    canvas.set_record(lut_record)
    canvas.set_preset(lut)
    assert (
        np.abs(rendered(canvas.image_item).astype(int) - lut_record.render(lut).astype(int)).max()
        <= GREY_LEVEL
    )


def test_non_integer_pixels_use_a_scaled_index_within_one_grey_level(canvas, small) -> None:
    wide = dataclasses.replace(small, pixels=(small.pixels * np.float32(731.3) - 9000.25).astype(np.float32))
    indexed = index_image(wide.pixels)
    assert indexed.step != 1.0
    canvas.set_record(wide)
    window = Window(float(np.median(wide.pixels)), 60000.0, VoiFunction.LINEAR_EXACT)
    canvas.set_preset(window)
    diff = np.abs(rendered(canvas.image_item).astype(int) - wide.render(window).astype(int))
    assert diff.max() <= GREY_LEVEL


def test_inversion_flips_the_grey_levels(canvas, small) -> None:
    canvas.set_record(small)
    normal = rendered(canvas.image_item).astype(int)
    canvas.set_inverted(True)
    assert canvas.inverted()
    flipped = rendered(canvas.image_item).astype(int)
    assert np.abs(flipped - (255 - normal)).max() <= GREY_LEVEL
    assert normal.std() > 10
    canvas.toggle_invert()
    assert not canvas.inverted()
    np.testing.assert_array_equal(rendered(canvas.image_item), normal)


def test_reset_restores_the_default_window_and_inversion(canvas, mono1) -> None:
    canvas.set_record(mono1)
    canvas.set_window(100.0, 50.0)
    canvas.set_inverted(True)
    canvas.view.setRange(xRange=(0, 10), yRange=(0, 10), padding=0)
    canvas.reset()
    assert canvas.window() == (2048.0, 4096.0)
    assert not canvas.inverted()
    x_range, _ = canvas.view.viewRange()
    assert x_range[1] - x_range[0] >= mono1.shape[1] - 1


def test_colour_images_show_as_stored_and_stretch_linearly(canvas, tmp_path) -> None:
    rgb = np.zeros((40, 60, 3), dtype=np.uint8)
    rgb[..., 0] = np.linspace(0, 255, 60, dtype=np.uint8)[None, :]
    rgb[..., 1] = 100
    rgb[..., 2] = 200
    path = tmp_path / "colour.png"
    cv2.imwrite(str(path), rgb[..., ::-1])
    record = load_image(path)
    assert record.is_color
    canvas.set_record(record)
    shown = rendered(canvas.image_item)
    assert np.abs(shown.astype(int) - rgb.astype(int)).max() <= GREY_LEVEL
    canvas.set_window(100.0, 100.0)  # 50..150 stretched to 0..255
    shown = rendered(canvas.image_item)
    assert shown[0, 0, 1] in (127, 128)  # 100 maps to 127.5, which may round either way
    assert shown[0, 0, 2] == 255
    assert chest_presets(record) == []


# --- window/level by mouse -------------------------------------------------------------------------------
def send_mouse(widget, kind, pos: QPointF, button, buttons) -> None:
    event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def drag(qtbot, canvas: ImageCanvas, button, start: QPointF, end: QPointF, steps: int = 6) -> None:
    viewport = canvas.graphics.viewport()
    none = Qt.MouseButton.NoButton
    send_mouse(viewport, QMouseEvent.Type.MouseButtonPress, start, button, button)
    for i in range(1, steps + 1):
        qtbot.wait(15)  # pyqtgraph drops mouse moves closer than its rate limit
        pos = start + (end - start) * (i / steps)
        send_mouse(viewport, QMouseEvent.Type.MouseMove, pos, none, button)
    send_mouse(viewport, QMouseEvent.Type.MouseButtonRelease, end, button, none)


def test_right_drag_changes_window_level_only(canvas, qtbot, mono1) -> None:
    canvas.set_record(mono1)
    index_before = canvas.image_item.image
    range_before = canvas.view.viewRange()
    windows: list[tuple[float, float]] = []
    measurements: list[object] = []
    canvas.window_changed.connect(lambda c, w: windows.append((c, w)))
    canvas.measurement_changed.connect(measurements.append)
    drag(qtbot, canvas, Qt.MouseButton.RightButton, QPointF(200, 150), QPointF(300, 200))
    center, width = canvas.window()
    assert windows, "right-drag must emit window_changed"
    assert windows[-1] == (center, width)
    assert width > 4096.0, "dragging right widens the window"
    assert center > 2048.0, "dragging down raises the centre"
    assert canvas.image_item.image is index_before, "W/L must not rebuild the image"
    assert canvas.view.viewRange() == range_before, "right-drag must not zoom or pan"
    assert measurements == []


def test_drag_window_sensitivity_is_proportional_to_the_width(canvas, small) -> None:
    canvas.set_record(small)
    canvas.set_window(100.0, 50.0)
    canvas.drag_window(100.0, 0.0)
    assert canvas.window()[1] == pytest.approx(50.0 * math.exp(100 * WIDTH_PER_PIXEL))
    canvas.set_window(100.0, 200.0)
    canvas.drag_window(0.0, 40.0)
    assert canvas.window() == pytest.approx((100.0 + 40 * 200.0 * CENTER_PER_PIXEL, 200.0))


def test_wheel_zooms_about_the_cursor(canvas, qtbot, small) -> None:
    canvas.set_record(small)
    viewport = canvas.graphics.viewport()
    pos = QPointF(150, 120)
    anchor_before = canvas.view.mapSceneToView(canvas.graphics.mapToScene(pos.toPoint()))
    width_before = np.diff(canvas.view.viewRange()[0])[0]
    event = QWheelEvent(
        pos,
        viewport.mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, event)
    width_after = np.diff(canvas.view.viewRange()[0])[0]
    anchor_after = canvas.view.mapSceneToView(canvas.graphics.mapToScene(pos.toPoint()))
    assert width_after < 0.9 * width_before
    # Geometric, not numeric: the anchor is mapped through integer screen pixels, so half an image pixel.
    assert anchor_after.x() == pytest.approx(anchor_before.x(), abs=0.5)
    assert anchor_after.y() == pytest.approx(anchor_before.y(), abs=0.5)


def test_left_drag_pans_and_double_click_fits(canvas, qtbot, small) -> None:
    canvas.set_record(small)
    canvas.view.setRange(xRange=(50, 150), yRange=(50, 150), padding=0)
    before = canvas.view.viewRange()
    drag(qtbot, canvas, Qt.MouseButton.LeftButton, QPointF(250, 200), QPointF(200, 200))
    after = canvas.view.viewRange()
    assert after[0][0] > before[0][0] + 5, "dragging left moves the view right"
    assert canvas.measurement() is None
    viewport, pos = canvas.graphics.viewport(), QPointF(200, 200)
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    send_mouse(viewport, QMouseEvent.Type.MouseButtonPress, pos, left, left)
    send_mouse(viewport, QMouseEvent.Type.MouseButtonRelease, pos, left, none)
    assert canvas.view.viewRange() == after, "a single click does not fit"
    send_mouse(viewport, QMouseEvent.Type.MouseButtonDblClick, pos, left, left)
    send_mouse(viewport, QMouseEvent.Type.MouseButtonRelease, pos, left, none)
    x_range, y_range = canvas.view.viewRange()
    assert x_range[0] <= 0.5 and x_range[1] >= small.shape[1] - 0.5
    assert y_range[0] <= 0.5 and y_range[1] >= small.shape[0] - 0.5


def test_measure_mode_left_drag_measures_in_millimetres(canvas, qtbot, mono1) -> None:
    canvas.set_record(mono1)
    canvas.set_measure_mode(True)
    range_before = canvas.view.viewRange()
    with qtbot.waitSignal(canvas.measurement_changed) as blocker:
        drag(qtbot, canvas, Qt.MouseButton.LeftButton, QPointF(100, 100), QPointF(300, 250))
    result = blocker.args[0]
    assert isinstance(result, Measurement)
    dx = result.end[0] - result.start[0]
    dy = result.end[1] - result.start[1]
    assert dx > 100 and dy > 100, "a 200x150 screen-pixel drag spans hundreds of image pixels"
    assert result.length_px == pytest.approx(math.hypot(dx, dy))
    assert result.length_mm == pytest.approx(math.hypot(dx * 0.16, dy * 0.16))
    start = canvas.view.mapSceneToView(canvas.graphics.mapToScene(QPoint(100, 100)))
    # The press lands on an integer screen pixel and a screen pixel spans several image pixels here.
    assert result.start == pytest.approx((start.x(), start.y()), abs=1.0)
    assert canvas.view.viewRange() == range_before, "measuring must not pan"
    with qtbot.waitSignal(canvas.measurement_changed) as blocker:
        canvas.clear_measurement()
    assert blocker.args == [None]


def test_measurement_without_spacing_has_no_millimetres(canvas, small) -> None:
    canvas.set_record(small)
    got: list[Measurement] = []
    canvas.measurement_changed.connect(got.append)
    canvas.set_ruler((10.0, 10.0), (13.0, 14.0))
    assert got[-1].length_px == pytest.approx(5.0)
    assert got[-1].length_mm is None


def test_cursor_moved_reports_row_and_column(canvas, qtbot, small) -> None:
    canvas.set_record(small)
    scene_pos = canvas.view.mapViewToScene(QPointF(12.5, 30.5))
    with qtbot.waitSignal(canvas.cursor_moved) as blocker:
        canvas._on_mouse_moved(scene_pos)
    assert blocker.args == [30, 12]
    with qtbot.waitSignal(canvas.cursor_moved) as blocker:
        canvas._on_mouse_moved(canvas.view.mapViewToScene(QPointF(-5.0, -5.0)))
    assert blocker.args == [-1, -1]


# --- overlays --------------------------------------------------------------------------------------------
def screen_pixel(canvas: ImageCanvas, x: float, y: float) -> tuple[int, int, int]:
    """Colour the canvas paints at image point (x, y)."""
    QApplication.processEvents()
    image = canvas.grab().toImage()
    view_pos = canvas.graphics.mapFromScene(canvas.view.mapViewToScene(QPointF(x, y)))
    widget_pos = canvas.graphics.mapTo(canvas, view_pos)
    dpr = image.devicePixelRatio()
    color = image.pixelColor(round(widget_pos.x() * dpr), round(widget_pos.y() * dpr))
    return color.red(), color.green(), color.blue()


def test_heatmap_nan_pixels_are_transparent(canvas, small) -> None:
    canvas.set_record(small)
    h, w = small.shape
    values = np.tile(np.linspace(0.0, 1.0, w, dtype=np.float32), (h, 1))
    values[:, : w // 3] = np.nan
    without = (screen_pixel(canvas, w / 6, h / 2), screen_pixel(canvas, w - 10, h / 2))
    canvas.set_heatmap(values, HeatmapStyle(colormap="jet", opacity=0.8))
    assert canvas.heatmap_visible()
    rgba = canvas.heatmap_item.image
    assert (rgba[:, : w // 3, 3] == 0).all()
    assert (rgba[:, w // 3 :, 3] > 0).all()
    assert screen_pixel(canvas, w / 6, h / 2) == without[0], "no-data pixels must not be tinted"
    assert screen_pixel(canvas, w - 10, h / 2) != without[1]
    with pytest.raises(ValueError, match="does not match"):
        canvas.set_heatmap(np.zeros((3, 3), dtype=np.float32), HeatmapStyle())
    canvas.set_heatmap(None, HeatmapStyle())
    assert not canvas.heatmap_visible()
    assert not canvas.heatmap_item.isVisible()


def test_style_change_recolours_and_draws_isolines(canvas, small) -> None:
    canvas.set_record(small)
    h, w = small.shape
    yy, xx = np.mgrid[0:h, 0:w]
    values = np.exp(-((yy - h / 2) ** 2 + (xx - w / 2) ** 2) / 2000.0).astype(np.float32)
    canvas.set_heatmap(values, HeatmapStyle(colormap="jet"))
    jet = canvas.heatmap_item.image.copy()
    assert canvas._isolines == []
    canvas.set_heatmap_style(HeatmapStyle(colormap="viridis", isolines=3))
    assert not np.array_equal(canvas.heatmap_item.image, jet)
    assert len(canvas._isolines) == 3
    # The 0.5 isoline of a Gaussian blob is a closed curve around the centre.
    bounds = canvas._isolines[1].mapRectToParent(canvas._isolines[1].boundingRect())
    # A contour traced on the pixel grid of a sampled blob: its centre is good to a few pixels, not to ulps.
    assert bounds.center().x() == pytest.approx(w / 2, abs=3)
    assert bounds.center().y() == pytest.approx(h / 2, abs=3)
    assert 10 < bounds.width() < w


def test_field_of_view_outline_follows_the_style(canvas, small) -> None:
    canvas.set_record(small)
    canvas.set_field_of_view((10.0, 20.0, 200.0, 280.0))
    assert canvas.fov_item.isVisible()
    assert canvas.fov_item.rect().getCoords() == (10.0, 20.0, 200.0, 280.0)
    canvas.set_heatmap_style(HeatmapStyle(show_field_of_view=False))
    assert not canvas.fov_item.isVisible()
    canvas.set_field_of_view(None)
    canvas.set_heatmap_style(HeatmapStyle(show_field_of_view=True))
    assert not canvas.fov_item.isVisible()


def test_boxes_are_drawn_at_their_image_coordinates(canvas, small) -> None:
    canvas.set_record(small)
    canvas.set_boxes(
        [
            BoxSpec(40.0, 50.0, 160.0, 200.0, "GT", (0, 255, 0)),
            BoxSpec(100.0, 120.0, 220.0, 260.0, "pred", (255, 0, 0)),
        ]
    )
    boxes = canvas.boxes()
    assert len(boxes) == 2
    assert boxes[0][0].rect().getCoords() == (40.0, 50.0, 160.0, 200.0)
    assert boxes[0][1].toPlainText() == "GT"
    assert (boxes[0][1].pos().x(), boxes[0][1].pos().y()) == (40.0, 50.0)
    # The green left edge is painted where the image's x = 40 is on screen, not elsewhere.
    edge = [screen_pixel(canvas, 40.0 + dx, 100.0) for dx in (-0.3, 0.0, 0.3)]
    assert any(g > 200 and r < 80 and b < 80 for r, g, b in edge), edge
    r, g, b = screen_pixel(canvas, 90.0, 100.0)
    assert not (g > 200 and r < 80 and b < 80)
    canvas.set_boxes([])
    assert canvas.boxes() == []
    assert all(item.scene() is None for pair in boxes for item in pair), "cleared boxes leave the scene"


def test_marker_is_placed_at_the_point(canvas, small) -> None:
    canvas.set_record(small)
    canvas.set_marker((30.5, 40.5))
    x, y = canvas.marker_item.getData()
    assert (x[0], y[0]) == (30.5, 40.5)
    assert canvas.marker_item.isVisible()
    canvas.set_marker(None)
    assert not canvas.marker_item.isVisible()


def test_model_input_view_shows_the_224_crop(canvas, mono1) -> None:
    canvas.set_record(mono1)
    canvas.set_boxes([BoxSpec(1.0, 1.0, 100.0, 100.0, "x", (0, 255, 0))])
    crop = (np.arange(224 * 224, dtype=np.int64).reshape(224, 224) % 251).astype(np.uint8)
    heat = np.full((224, 224), np.nan, dtype=np.float32)
    heat[100:150, 100:150] = 1.0
    canvas.show_model_input(crop, heat)
    assert canvas.showing_model_input()
    assert not canvas.image_item.isVisible()
    assert not canvas.boxes()[0][0].isVisible()
    assert canvas.model_item.isVisible()
    np.testing.assert_array_equal(rendered(canvas.model_item), crop)
    assert canvas.model_heatmap_item.image.shape == (224, 224, 4)
    assert canvas.model_heatmap_item.image[0, 0, 3] == 0
    x_range, y_range = canvas.view.viewRange()
    assert x_range[1] - x_range[0] == pytest.approx(
        224, rel=0.3
    )  # fitted to the widget's aspect, plus padding
    assert max(x_range[1], y_range[1]) < 400
    canvas.show_model_input(None)
    assert not canvas.showing_model_input()
    assert canvas.image_item.isVisible() and canvas.boxes()[0][0].isVisible()
    assert canvas.view.viewRange()[1][1] > 1000


# --- presets and histogram -------------------------------------------------------------------------------
def test_chest_presets_are_ordered_by_density_and_respect_monochrome1(mono1, small) -> None:
    for record in (small, mono1):
        presets = chest_presets(record)
        assert [p.name for p in presets] == ["Lung", "Mediastinum", "Bone"]
        assert all(p.width > 0 and p.function is VoiFunction.LINEAR_EXACT for p in presets)
        centers = [p.center for p in presets]
        if record.invert:  # MONOCHROME1: air is high, bone is low
            assert centers[0] > centers[1] > centers[2]
        else:
            assert centers[0] < centers[1] < centers[2]
        lo, hi = float(record.pixels.min()), float(record.pixels.max())
        assert all(lo <= p.low and p.high <= hi for p in presets)


def test_levels_histogram_counts_a_subsample_once(canvas, mono1) -> None:
    canvas.set_record(mono1)
    edges, counts = canvas.levels_histogram()
    assert edges.shape == (counts.size + 1,)
    assert edges[0] == pytest.approx(0.0) and edges[-1] == pytest.approx(4095.0)
    assert 0 < counts.sum() <= 1_100_000
    assert canvas.levels_histogram()[1] is counts


def test_actual_size_maps_one_screen_pixel_to_one_image_pixel(canvas, mono1) -> None:
    canvas.set_record(mono1)
    fitted = canvas.view.viewPixelSize()
    assert fitted[0] > 2.0, "a 2000-pixel image is shrunk to fit a 500-pixel canvas"
    canvas.actual_size()
    # The view's range is set in floating image units and the viewport is whole screen pixels: 2 %.
    assert canvas.view.viewPixelSize() == pytest.approx((1.0, 1.0), rel=0.02)
