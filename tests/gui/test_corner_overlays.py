"""Corner overlays and display flips/rotations on the canvas: text shown, the O key, layers moving together."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from carzero_viewer.export.heatmap_style import HeatmapStyle
from carzero_viewer.imaging import ImageRecord, load_image
from carzero_viewer.imaging.display_orientation import DisplayOrientation
from carzero_viewer.imaging.voi import window_text
from carzero_viewer.ui.app import configure_pyqtgraph
from carzero_viewer.ui.canvas import ImageCanvas
from carzero_viewer.viewer_model.ground_truth import BoxSpec
from tests.gui.test_canvas import drag

pytestmark = pytest.mark.gui
DICOM = Path(__file__).resolve().parents[1] / "data" / "dicom" / "966_fixed.dcm"
SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "00000344_003.png"
# Scene positions of the same image point through different items: the items share one parent transform, so
# they agree to float rounding; 1e-6 scene pixels is far below anything visible.
SCENE_TOL = 1e-6


@pytest.fixture
def canvas(qtbot) -> ImageCanvas:
    configure_pyqtgraph()
    widget = ImageCanvas()
    qtbot.addWidget(widget)
    widget.resize(600, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture(scope="module")
def dicom() -> ImageRecord:
    return load_image(DICOM)


def test_dicom_corner_texts_and_orientation_letters(canvas, dicom) -> None:
    canvas.set_record(dicom)
    texts = canvas.corners.texts()
    assert texts["top_left"] == "DX CHEST PA\nSeries: pa"
    assert texts["top_right"] == "Frame 1/1\n2000 x 2128 px"
    window_line, zoom_line = texts["bottom_left"].split("\n")
    assert window_line == window_text(*canvas.window(), dicom.integer_data)
    zoom = 100.0 / canvas.view.viewPixelSize()[0]
    assert zoom_line == f"Zoom {zoom:.0f}%" and 5 < zoom < 50  # a 2000-px image fitted in ~600 px
    assert texts["bottom_right"] == "Spacing: 0.16 x 0.16 mm (Pixel Spacing)"
    # PatientOrientation L\F: columns run to the patient's left, rows to the feet.
    assert {k: texts[k] for k in ("left", "right", "top", "bottom")} == {
        "left": "R",
        "right": "L",
        "top": "H",
        "bottom": "F",
    }


def test_corner_texts_follow_window_zoom_and_rotation(canvas, dicom) -> None:
    canvas.set_record(dicom)
    canvas.set_window(1000.0, 500.0)
    assert canvas.corners.texts()["bottom_left"].startswith("C 1000 / W 500\n")
    canvas.actual_size()
    assert canvas.corners.texts()["bottom_left"].endswith("Zoom 100%")
    canvas.set_orientation(canvas.orientation().rotated_clockwise())
    assert canvas.corners.texts()["bottom"] == "L"
    canvas.reset()
    assert canvas.corners.texts()["bottom"] == "F"


def test_png_has_no_orientation_letters(canvas) -> None:
    canvas.set_record(load_image(SAMPLE))
    texts = canvas.corners.texts()
    assert texts["top_left"] == "PNG" and texts["bottom_right"] == "Spacing: unknown (lengths in px)"
    assert not {"left", "right", "top", "bottom"} & set(texts)


def test_o_key_toggles_the_corner_overlays(open_window, qtbot) -> None:
    window = open_window()
    window.open_paths([SAMPLE])
    qtbot.waitUntil(lambda: window.record is not None, timeout=30_000)
    assert window.canvas.corners.isVisible()
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_O)
    assert not window.canvas.corners.isVisible()
    qtbot.keyClick(window.canvas, Qt.Key.Key_O)
    assert window.canvas.corners.isVisible()
    window.close()


def _scene(canvas: ImageCanvas, item, x: float, y: float) -> tuple[float, float]:
    canvas.view.childTransform()  # pyqtgraph applies a new view range lazily; this brings it up to date
    point = item.mapToScene(QPointF(x, y))
    return point.x(), point.y()


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("flipped_horizontally", (-1, 0, 0, 1)),
        ("flipped_vertically", (1, 0, 0, -1)),
        ("rotated_clockwise", (0, -1, 1, 0)),
    ],
)
def test_image_map_box_and_marker_move_together(canvas, dicom, qtbot, action, expected) -> None:
    canvas.set_record(dicom)
    h, w = dicom.shape
    canvas.set_heatmap(np.zeros((h, w), dtype=np.float32), HeatmapStyle())
    canvas.set_boxes([BoxSpec(300.0, 400.0, 900.0, 1200.0, "GT", (0, 255, 0))])
    canvas.set_marker((300.0, 400.0))
    rect_item, _label = canvas.boxes()[0]
    before = _scene(canvas, canvas.image_item, 300.0, 400.0)
    with qtbot.waitSignal(canvas.orientation_changed):
        canvas.set_orientation(getattr(canvas.orientation(), action)())
    assert canvas.orientation().matrix == expected
    point = _scene(canvas, canvas.image_item, 300.0, 400.0)
    assert point != pytest.approx(before, abs=1.0), "the display changed"
    for item in (canvas.heatmap_item, rect_item, canvas.marker_item):
        assert _scene(canvas, item, 300.0, 400.0) == pytest.approx(point, abs=SCENE_TOL)
    # The whole transformed image is still fitted in the view.
    shown = canvas.view.viewRect()
    bounds = canvas.frame.mapRectToParent(canvas.image_item.boundingRect())
    assert shown.contains(bounds.adjusted(1, 1, -1, -1))
    canvas.reset()
    assert canvas.orientation() == DisplayOrientation()
    assert _scene(canvas, canvas.image_item, 300.0, 400.0) == pytest.approx(before, abs=SCENE_TOL)


def test_horizontal_flip_mirrors_the_point_on_screen(canvas, dicom) -> None:
    canvas.set_record(dicom)
    w = dicom.shape[1]
    mirrored_before = _scene(canvas, canvas.image_item, w - 300.0, 400.0)
    canvas.set_orientation(canvas.orientation().flipped_horizontally())
    assert _scene(canvas, canvas.image_item, 300.0, 400.0) == pytest.approx(mirrored_before, abs=1e-3)


def test_cursor_and_ruler_stay_in_image_pixels_after_rotation(canvas, dicom, qtbot) -> None:
    canvas.set_record(dicom)
    canvas.set_orientation(canvas.orientation().rotated_clockwise())
    scene = canvas.image_item.mapToScene(QPointF(500.5, 700.5))
    with qtbot.waitSignal(canvas.cursor_moved) as blocker:
        canvas.graphics.scene().sigMouseMoved.emit(scene)
    assert blocker.args == [700, 500]
    canvas.set_measure_mode(True)
    drag(qtbot, canvas, Qt.MouseButton.LeftButton, QPointF(150, 150), QPointF(300, 250))
    result = canvas.measurement()
    assert result is not None
    pressed = canvas.frame.mapFromScene(canvas.graphics.mapToScene(150, 150))
    # One screen pixel spans 1/zoom image pixels; the press lands within one of them.
    assert result.start == pytest.approx((pressed.x(), pressed.y()), abs=canvas.view.viewPixelSize()[0] * 1.5)
    # Turned clockwise, screen-right is image-up and screen-down is image-right.
    assert result.end[1] < result.start[1] - 100 and result.end[0] > result.start[0] + 100
