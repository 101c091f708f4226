"""The image canvas: LUT with a transparent no-data entry, overlay indices, window/level, cursor reports."""

from __future__ import annotations

import numpy as np
import pytest

from carzero_viewer.ui.app import configure_pyqtgraph
from carzero_viewer.ui.canvas import NO_DATA, ImageCanvas, colormap_lut, lut_pixmap, overlay_indices

pytestmark = pytest.mark.gui


@pytest.fixture
def canvas(qtbot):
    configure_pyqtgraph()
    widget = ImageCanvas()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    return widget


def test_colormap_lut_reserves_a_transparent_no_data_entry() -> None:
    lut = colormap_lut("jet")
    assert lut.shape == (256, 4)
    assert lut.dtype == np.uint8
    assert lut[NO_DATA, 3] == 0
    alpha = lut[:NO_DATA, 3].astype(int)
    assert (alpha > 0).all(), "the lowest value must still be distinguishable from no data"
    assert (np.diff(alpha) >= 0).all()
    assert alpha[0] < 64
    assert alpha[-1] == 255
    assert not np.array_equal(lut[0, :3], lut[NO_DATA - 1, :3])


def test_lut_pixmap_is_a_colour_bar(qapp) -> None:
    pixmap = lut_pixmap(colormap_lut("jet"), 100, 10)
    assert (pixmap.width(), pixmap.height()) == (100, 10)
    image = pixmap.toImage()
    assert image.pixelColor(0, 5) != image.pixelColor(99, 5)


def test_overlay_indices_map_nan_to_no_data_and_span_the_colormap() -> None:
    values = np.array([[np.nan, 0.0], [0.5, 2.0]], dtype=np.float32)
    idx = overlay_indices(values)
    assert idx.dtype == np.uint8
    assert idx[0, 0] == NO_DATA
    assert idx[0, 1] == 0
    assert idx[1, 1] == NO_DATA - 1
    assert 0 < idx[1, 0] < NO_DATA - 1
    assert (overlay_indices(np.full((2, 2), np.nan)) == NO_DATA).all()
    assert (overlay_indices(np.ones((2, 2))) == 0).all()


def test_window_level_changes_display_levels_only(canvas, qtbot) -> None:
    image = np.linspace(0, 1, 60 * 80, dtype=np.float32).reshape(60, 80)
    canvas.set_image(image)
    before = canvas.image_item.image.copy()
    assert canvas.levels == (0.0, 1.0)
    with qtbot.waitSignal(canvas.window_changed) as blocker:
        canvas.adjust_window(-100.0, 50.0)
    low, high = canvas.levels
    assert blocker.args == [low, high]
    assert high - low < 1.0
    assert (low + high) / 2 < 0.5
    assert np.array_equal(canvas.image_item.image, before)
    canvas.reset_window()
    assert canvas.levels == (0.0, 1.0)


def test_overlay_visibility_and_shape_check(canvas) -> None:
    canvas.set_image(np.zeros((40, 50), dtype=np.float32))
    assert not canvas.overlay_visible
    values = np.random.default_rng(0).random((40, 50)).astype(np.float32)
    values[:5] = np.nan
    canvas.set_overlay(values)
    assert canvas.overlay_visible
    assert (canvas.overlay_item.image[:5] == NO_DATA).all()
    canvas.set_overlay_enabled(False)
    assert not canvas.overlay_visible
    canvas.set_overlay_enabled(True)
    canvas.set_overlay_opacity(0.8)
    assert canvas.overlay_item.opacity() == pytest.approx(0.8)
    with pytest.raises(ValueError, match="does not match"):
        canvas.set_overlay(np.zeros((10, 10), dtype=np.float32))
    canvas.set_image(np.zeros((40, 50), dtype=np.float32))
    assert not canvas.overlay_visible


def test_cursor_moved_reports_row_and_column(canvas, qtbot) -> None:
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_image(np.zeros((40, 50), dtype=np.float32))
    scene_pos = canvas.view.mapViewToScene(pg_point(12.5, 30.5))
    with qtbot.waitSignal(canvas.cursor_moved) as blocker:
        canvas._on_mouse_moved(scene_pos)
    assert blocker.args == [30, 12]
    outside = canvas.view.mapViewToScene(pg_point(-5.0, -5.0))
    with qtbot.waitSignal(canvas.cursor_moved) as blocker:
        canvas._on_mouse_moved(outside)
    assert blocker.args == [-1, -1]


def pg_point(x: float, y: float):
    from PySide6.QtCore import QPointF

    return QPointF(x, y)
