"""Heatmap display controls: every field of :class:`HeatmapStyle`, a colour-bar legend and the model-input switch.

Any user change emits ``style_changed`` with a complete new :class:`HeatmapStyle` (the one shared definition
the canvas and the exporters draw with); :meth:`HeatmapControls.set_style` updates the widgets silently.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleSlider

from carzero_viewer.export.heatmap_style import COLORMAPS, HeatmapStyle, colormap_table

NORMALISATIONS = (("per-map min–max", "minmax"), ("fixed range", "fixed"))  # noqa: RUF001
INTERPOLATIONS = (("cells as computed", "nearest"), ("smooth", "bilinear"))


def colorbar_pixmap(colormap: str, width: int = 160, height: int = 12) -> QPixmap:
    """A horizontal colour bar, low (left) to high (right), of the colormap's opaque colours."""
    table = colormap_table(colormap)
    index = np.linspace(0, len(table) - 1, width).round().astype(np.intp)
    rgb = np.ascontiguousarray(np.repeat(table[index, :3][None], height, axis=0))
    image = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy())


def _slider(maximum: float = 1.0) -> QLabeledDoubleSlider:
    slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
    slider.setRange(0.0, maximum)
    slider.setDecimals(2)
    return slider


class HeatmapControls(QWidget):
    """Colormap, opacity, threshold, normalisation, interpolation, isolines, field of view, legend."""

    style_changed = Signal(object)  # HeatmapStyle
    model_input_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._alpha_ramp = True
        self.colormap_combo = QComboBox()
        self.colormap_combo.addItems(list(COLORMAPS))
        self.opacity_slider = _slider()
        self.threshold_slider = _slider()
        self.normalisation_combo = QComboBox()
        for text, _ in NORMALISATIONS:
            self.normalisation_combo.addItem(text)
        self.fixed_low = QDoubleSpinBox()
        self.fixed_high = QDoubleSpinBox()
        for spin in (self.fixed_low, self.fixed_high):
            spin.setDecimals(4)
            spin.setRange(-1000.0, 1000.0)
            spin.setSingleStep(0.001)
        self.interpolation_combo = QComboBox()
        for text, _ in INTERPOLATIONS:
            self.interpolation_combo.addItem(text)
        self.isolines_spin = QSpinBox()
        self.isolines_spin.setRange(0, 10)
        self.fov_check = QCheckBox("Field of view outline")
        self.model_input_check = QCheckBox("Show model input (224×224)")  # noqa: RUF001

        self.legend_bar = QLabel()
        self.legend_bar.setScaledContents(
            True
        )  # the bar spans the width, so the end labels sit under its ends
        self.legend_bar.setFixedHeight(14)
        self.legend_bar.setMinimumWidth(60)
        self.legend_low = QLabel("")
        self.legend_high = QLabel("")
        self.legend_high.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.legend_caption = QLabel("")
        self.legend_caption.setWordWrap(True)
        self._build_layout()
        self.set_style(HeatmapStyle())
        self._connect()

    def _build_layout(self) -> None:
        fixed_row = QHBoxLayout()
        fixed_row.addWidget(self.fixed_low)
        fixed_row.addWidget(QLabel("to"))
        fixed_row.addWidget(self.fixed_high)
        legend_labels = QHBoxLayout()
        legend_labels.addWidget(self.legend_low)
        legend_labels.addStretch(1)
        legend_labels.addWidget(self.legend_high)

        form = QFormLayout()
        form.addRow("Colormap", self.colormap_combo)
        form.addRow("Opacity", self.opacity_slider)
        form.addRow("Threshold", self.threshold_slider)
        form.addRow("Normalisation", self.normalisation_combo)
        form.addRow("Fixed range", fixed_row)
        form.addRow("Interpolation", self.interpolation_combo)
        form.addRow("Isolines", self.isolines_spin)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.fov_check)
        layout.addWidget(self.legend_bar)
        layout.addLayout(legend_labels)
        layout.addWidget(self.legend_caption)
        layout.addWidget(self.model_input_check)

    def _connect(self) -> None:
        self.colormap_combo.currentIndexChanged.connect(self._emit)
        self.opacity_slider.valueChanged.connect(self._emit)
        self.threshold_slider.valueChanged.connect(self._emit)
        self.normalisation_combo.currentIndexChanged.connect(self._emit)
        self.fixed_low.valueChanged.connect(self._emit)
        self.fixed_high.valueChanged.connect(self._emit)
        self.interpolation_combo.currentIndexChanged.connect(self._emit)
        self.isolines_spin.valueChanged.connect(self._emit)
        self.fov_check.toggled.connect(self._emit)
        self.model_input_check.toggled.connect(self.model_input_toggled)

    def style(self) -> HeatmapStyle:  # type: ignore[override]  # QWidget.style() is shadowed on purpose
        """The style the widgets currently describe."""
        low, high = self.fixed_low.value(), self.fixed_high.value()
        return HeatmapStyle(
            colormap=self.colormap_combo.currentText(),
            opacity=float(self.opacity_slider.value()),
            threshold=float(self.threshold_slider.value()),
            normalisation=NORMALISATIONS[max(0, self.normalisation_combo.currentIndex())][1],  # type: ignore[arg-type]
            fixed_range=(min(low, high), max(low, high)),
            interpolation=INTERPOLATIONS[max(0, self.interpolation_combo.currentIndex())][1],  # type: ignore[arg-type]
            isolines=int(self.isolines_spin.value()),
            show_field_of_view=self.fov_check.isChecked(),
            alpha_ramp=self._alpha_ramp,
        )

    def set_style(self, style: HeatmapStyle) -> None:
        """Show ``style`` in the widgets without emitting ``style_changed``."""
        widgets = (
            self.colormap_combo,
            self.opacity_slider,
            self.threshold_slider,
            self.normalisation_combo,
            self.fixed_low,
            self.fixed_high,
            self.interpolation_combo,
            self.isolines_spin,
            self.fov_check,
        )
        for widget in widgets:
            widget.blockSignals(True)
        try:
            if self.colormap_combo.findText(style.colormap) < 0:
                self.colormap_combo.addItem(style.colormap)
            self.colormap_combo.setCurrentText(style.colormap)
            self.opacity_slider.setValue(style.opacity)
            self.threshold_slider.setValue(style.threshold)
            self.normalisation_combo.setCurrentIndex(
                [v for _, v in NORMALISATIONS].index(style.normalisation)
            )
            self.fixed_low.setValue(style.fixed_range[0])
            self.fixed_high.setValue(style.fixed_range[1])
            self.interpolation_combo.setCurrentIndex(
                [v for _, v in INTERPOLATIONS].index(style.interpolation)
            )
            self.isolines_spin.setValue(style.isolines)
            self.fov_check.setChecked(style.show_field_of_view)
            self._alpha_ramp = style.alpha_ramp
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._sync_enabled()

    def set_model_input_checked(self, checked: bool) -> None:
        """Tick the model-input box without emitting ``model_input_toggled``."""
        self.model_input_check.blockSignals(True)
        try:
            self.model_input_check.setChecked(bool(checked))
        finally:
            self.model_input_check.blockSignals(False)

    def toggle_model_input(self) -> None:
        """Flip the model-input box as a click would (emits ``model_input_toggled``)."""
        self.model_input_check.toggle()

    def set_legend_range(self, low: float, high: float, caption: str) -> None:
        """Label the colour bar ends (what the lowest/highest colours mean) and say what the map shows."""
        self.legend_low.setText(f"{low:.4g}")
        self.legend_high.setText(f"{high:.4g}")
        self.legend_caption.setText(caption)

    def _sync_enabled(self) -> None:
        fixed = self.normalisation_combo.currentIndex() == 1
        self.fixed_low.setEnabled(fixed)
        self.fixed_high.setEnabled(fixed)
        self.legend_bar.setPixmap(colorbar_pixmap(self.colormap_combo.currentText()))

    def _emit(self, *_args: object) -> None:
        self._sync_enabled()
        self.style_changed.emit(self.style())
