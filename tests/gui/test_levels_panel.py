"""The levels panel: histogram, window region that requests without echoing, presets, invert switch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from carzero_viewer.imaging import VoiFunction, Window, load_image
from carzero_viewer.ui.canvas import ImageCanvas
from carzero_viewer.ui.grey_levels import chest_presets
from carzero_viewer.ui.levels_panel import LevelsPanel
from tests.unit.imaging.conftest import write_float_dicom

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot) -> LevelsPanel:
    widget = LevelsPanel()
    qtbot.addWidget(widget)
    widget.resize(300, 200)
    return widget


def test_histogram_is_drawn_over_the_edges(panel) -> None:
    edges = np.linspace(-1000.0, 3000.0, 9)
    counts = np.array([0, 5, 100, 20, 0, 0, 7, 1])
    panel.set_histogram(edges, counts)
    x, y = panel.histogram()
    np.testing.assert_allclose(x, edges)
    np.testing.assert_allclose(y, np.log1p(counts))
    x_range = panel.plot.getViewBox().viewRange()[0]
    assert x_range[0] <= -1000.0 and x_range[1] >= 3000.0


def test_set_window_moves_the_region_without_emitting(panel, qtbot) -> None:
    with qtbot.assertNotEmitted(panel.window_requested):
        panel.set_window(1000.0, 400.0)
    assert panel.region.getRegion() == pytest.approx((800.0, 1200.0))
    assert panel.current_window() == pytest.approx((1000.0, 400.0))
    assert "C 1000 / W 400" in panel.window_label.text()


def test_dragging_the_region_requests_a_window(panel, qtbot) -> None:
    panel.set_window(1000.0, 400.0)
    with qtbot.waitSignal(panel.window_requested) as blocker:
        panel.region.setRegion((900.0, 1500.0))  # what a drag of the region's edges does
    assert blocker.args == pytest.approx([1200.0, 600.0])


def test_presets_are_listed_by_name_and_requested_on_activation(panel, qtbot, test_data_dir: Path) -> None:
    record = load_image(test_data_dir / "dicom" / "966_fixed.dcm")
    presets = [*record.presets, *chest_presets(record)]
    panel.set_presets(presets)
    names = [panel.preset_combo.itemText(i) for i in range(panel.preset_combo.count())]
    assert names[-3:] == ["Lung", "Mediastinum", "Bone"]
    assert names[0] == "Window 1"
    assert panel.presets() == presets
    with qtbot.waitSignal(panel.preset_requested) as blocker:
        panel.preset_combo.activated.emit(len(presets) - 1)
    assert blocker.args[0] is presets[-1]
    unnamed = Window(40.0, 80.0, VoiFunction.LINEAR)
    panel.set_presets([unnamed])
    assert panel.preset_combo.itemText(0) == "C 40 / W 80"


def test_invert_checkbox_emits_and_set_inverted_is_silent(panel, qtbot) -> None:
    with qtbot.waitSignal(panel.invert_toggled) as blocker:
        panel.invert_check.click()
    assert blocker.args == [True]
    with qtbot.assertNotEmitted(panel.invert_toggled):
        panel.set_inverted(False)
    assert not panel.invert_check.isChecked()


def test_panel_and_canvas_round_trip_without_feedback_loops(panel, qtbot, test_data_dir: Path) -> None:
    canvas = ImageCanvas()
    qtbot.addWidget(canvas)
    record = load_image(test_data_dir / "carzero-tiny" / "image.png")
    panel.window_requested.connect(canvas.set_window)
    canvas.window_changed.connect(panel.set_window)
    panel.invert_toggled.connect(canvas.set_inverted)
    canvas.set_record(record)
    panel.set_histogram(*canvas.levels_histogram())
    assert panel.current_window() == pytest.approx(canvas.window())
    emitted: list[tuple[float, float]] = []
    canvas.window_changed.connect(lambda c, w: emitted.append((c, w)))
    panel.region.setRegion((50.0, 150.0))
    assert canvas.window() == pytest.approx((100.0, 100.0))
    assert len(emitted) == 1
    canvas.drag_window(20.0, 0.0)
    assert panel.current_window() == pytest.approx(canvas.window())
    panel.invert_check.click()
    assert canvas.inverted()


def test_float_image_with_nan_never_shows_nan_in_the_levels_panel(panel, qtbot, tmp_path: Path) -> None:
    # What the main window does on a loaded record (_on_record_loaded), on a small float image with NaN that
    # used to read "C nan / W nan".
    values = np.array([[np.nan, 1.0, 2.0, 3.0], [4.0, 5.0, np.inf, -np.inf]], dtype=np.float32)
    record = load_image(write_float_dicom(tmp_path / "float.dcm", values))
    canvas = ImageCanvas()
    qtbot.addWidget(canvas)
    canvas.set_record(record)
    panel.set_histogram(*canvas.levels_histogram())
    panel.set_presets([*record.presets, *chest_presets(record)])
    panel.set_window(*canvas.window())
    canvas.drag_window(15.0, -5.0)
    panel.set_window(*canvas.window())
    texts = [panel.window_label.text()]
    for i in range(panel.preset_combo.count()):
        texts += [panel.preset_combo.itemText(i), panel.preset_combo.itemData(i, Qt.ItemDataRole.ToolTipRole)]
    assert not [t for t in texts if "nan" in t.lower() or "inf" in t.lower()], texts
    assert np.isfinite(panel.histogram()[0]).all()
    assert np.isfinite(canvas.window()).all()
