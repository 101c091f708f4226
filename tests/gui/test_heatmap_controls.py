"""Heatmap controls: every widget maps to a HeatmapStyle field, set_style is silent, legend is drawn."""

from __future__ import annotations

import pytest

from carzero_viewer.export.heatmap_style import COLORMAPS, HeatmapStyle, colormap_table
from carzero_viewer.ui.heatmap_controls import HeatmapControls

pytestmark = pytest.mark.gui


@pytest.fixture
def controls(qtbot) -> HeatmapControls:
    widget = HeatmapControls()
    qtbot.addWidget(widget)
    return widget


def test_defaults_describe_the_default_style(controls) -> None:
    assert controls.style() == HeatmapStyle()
    assert [controls.colormap_combo.itemText(i) for i in range(controls.colormap_combo.count())] == list(
        COLORMAPS
    )
    assert not controls.fixed_low.isEnabled()


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        (lambda c: c.colormap_combo.setCurrentText("viridis"), "colormap", "viridis"),
        (lambda c: c.opacity_slider.setValue(0.8), "opacity", 0.8),
        (lambda c: c.threshold_slider.setValue(0.3), "threshold", 0.3),
        (lambda c: c.normalisation_combo.setCurrentIndex(1), "normalisation", "fixed"),
        (lambda c: c.interpolation_combo.setCurrentIndex(0), "interpolation", "nearest"),
        (lambda c: c.isolines_spin.setValue(4), "isolines", 4),
        (lambda c: c.fov_check.setChecked(False), "show_field_of_view", False),
        (lambda c: c.fixed_high.setValue(0.05), "fixed_range", (0.0, 0.05)),
    ],
)
def test_each_widget_emits_the_changed_style(controls, qtbot, change, field, expected) -> None:
    with qtbot.waitSignal(controls.style_changed) as blocker:
        change(controls)
    style = blocker.args[0]
    assert isinstance(style, HeatmapStyle)
    assert getattr(style, field) == (pytest.approx(expected) if isinstance(expected, float) else expected)
    assert style == controls.style()
    others = {k: v for k, v in vars(HeatmapStyle()).items() if k != field}
    assert {k: getattr(style, k) for k in others} == others


def test_fixed_range_spin_boxes_follow_the_normalisation(controls) -> None:
    controls.normalisation_combo.setCurrentIndex(1)
    assert controls.fixed_low.isEnabled() and controls.fixed_high.isEnabled()
    controls.fixed_low.setValue(0.5)
    controls.fixed_high.setValue(0.1)
    assert controls.style().fixed_range == (0.1, 0.5), "the range is always ordered"


def test_set_style_updates_widgets_silently(controls, qtbot) -> None:
    style = HeatmapStyle(
        colormap="inferno",
        opacity=0.3,
        threshold=0.2,
        normalisation="fixed",
        fixed_range=(0.01, 0.04),
        interpolation="nearest",
        isolines=5,
        show_field_of_view=False,
        alpha_ramp=False,
    )
    with qtbot.assertNotEmitted(controls.style_changed):
        controls.set_style(style)
    assert controls.style() == style
    assert controls.fixed_low.isEnabled()


def test_legend_shows_the_colormap_and_range(controls) -> None:
    controls.colormap_combo.setCurrentText("hot")
    image = controls.legend_bar.pixmap().toImage()
    table = colormap_table("hot")
    left, right = image.pixelColor(0, 5), image.pixelColor(image.width() - 1, 5)
    assert (left.red(), left.green(), left.blue()) == tuple(int(v) for v in table[0, :3])
    assert (right.red(), right.green(), right.blue()) == tuple(int(v) for v in table[-1, :3])
    controls.set_legend_range(0.0012, 0.0345, "attention, min to max of this map")
    assert controls.legend_low.text() == "0.0012"
    assert controls.legend_high.text() == "0.0345"
    assert controls.legend_caption.text() == "attention, min to max of this map"


def test_model_input_checkbox_emits(controls, qtbot) -> None:
    with qtbot.waitSignal(controls.model_input_toggled) as blocker:
        controls.model_input_check.click()
    assert blocker.args == [True]
    with qtbot.waitSignal(controls.model_input_toggled) as blocker:
        controls.toggle_model_input()
    assert blocker.args == [False]
    controls.model_input_check.setChecked(True)
    with qtbot.assertNotEmitted(controls.model_input_toggled):
        controls.set_model_input_checked(False)
    assert not controls.model_input_check.isChecked()
