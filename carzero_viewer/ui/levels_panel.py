"""The levels panel: histogram of the modality values with the current window as a draggable region.

The panel only *requests* changes (``window_requested``, ``preset_requested``, ``invert_toggled``); the main
window applies them to the canvas and feeds the canvas's ``window_changed`` back through :meth:`set_window`,
which moves the region without re-emitting, so the two never ping-pong.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from carzero_viewer.imaging.voi import VoiPreset, window_text


def preset_name(preset: VoiPreset) -> str:
    """Menu text of a preset: its name, or its label when it has none."""
    return preset.name or preset.label()


class LevelsPanel(QWidget):
    """Histogram + window region + preset list + invert switch."""

    window_requested = Signal(float, float)  # (center, width) in modality units
    preset_requested = Signal(object)  # VoiPreset
    invert_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background=None)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.getAxis("left").hide()
        self.plot.setMinimumHeight(90)
        # log1p counts: the background/collimator peaks would otherwise flatten the anatomy's histogram.
        self.curve = pg.PlotCurveItem(
            x=[0.0, 1.0],
            y=[0.0],
            stepMode="center",
            fillLevel=0,
            brush=(120, 160, 220, 120),
            pen=pg.mkPen(150, 180, 230),
        )
        self.plot.addItem(self.curve)
        self.region = pg.LinearRegionItem(values=(0.0, 1.0), brush=(255, 200, 0, 50))
        self.region.setZValue(10)
        self.plot.addItem(self.region)
        self.region.sigRegionChanged.connect(self._on_region_changed)
        self._updating = False

        self.preset_combo = QComboBox()
        self.preset_combo.setToolTip("Window presets: the file's own, then chest presets")
        self.preset_combo.activated.connect(self._on_preset_activated)
        self.invert_check = QCheckBox("Invert")
        self.invert_check.toggled.connect(self.invert_toggled)
        self.window_label = QLabel("")

        row = QHBoxLayout()
        row.addWidget(self.preset_combo, 1)
        row.addWidget(self.invert_check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.window_label)
        layout.addLayout(row)
        self._presets: list[VoiPreset] = []
        self._integer_data = False

    def set_histogram(self, edges: np.ndarray, counts: np.ndarray) -> None:
        """Show ``counts`` (N,) over ``edges`` (N + 1,) modality values."""
        edges = np.asarray(edges, dtype=np.float64)
        counts = np.log1p(np.asarray(counts, dtype=np.float64))
        self.curve.setData(edges, counts)
        self.plot.setXRange(float(edges[0]), float(edges[-1]), padding=0.02)
        self.plot.setYRange(0.0, float(counts.max()) if counts.size else 1.0, padding=0.05)

    def histogram(self) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.curve.getData()
        return np.asarray(x), np.asarray(y)

    def set_window(self, center: float, width: float) -> None:
        """Move the region to center ± width/2 without emitting ``window_requested``."""
        self._updating = True
        try:
            self.region.setRegion((center - width / 2.0, center + width / 2.0))
        finally:
            self._updating = False
        self.window_label.setText(window_text(center, width, self._integer_data))

    def set_integer_data(self, integer_data: bool) -> None:
        """Show window values as integers (integer modality values) or with a few significant digits."""
        self._integer_data = bool(integer_data)
        self.window_label.setText(window_text(*self.current_window(), self._integer_data))

    def current_window(self) -> tuple[float, float]:
        low, high = self.region.getRegion()
        return (low + high) / 2.0, high - low

    def _on_region_changed(self) -> None:
        if self._updating:
            return
        center, width = self.current_window()
        self.window_label.setText(window_text(center, width, self._integer_data))
        self.window_requested.emit(center, width)

    def set_presets(self, presets: Sequence[VoiPreset]) -> None:
        """List presets by name (the record's DICOM presets, then :func:`chest_presets`)."""
        self._presets = list(presets)
        self.preset_combo.blockSignals(True)
        try:
            self.preset_combo.clear()
            for preset in self._presets:
                self.preset_combo.addItem(preset_name(preset))
                self.preset_combo.setItemData(
                    self.preset_combo.count() - 1, preset.label(), Qt.ItemDataRole.ToolTipRole
                )
        finally:
            self.preset_combo.blockSignals(False)

    def presets(self) -> list[VoiPreset]:
        return list(self._presets)

    def _on_preset_activated(self, index: int) -> None:
        if 0 <= index < len(self._presets):
            self.preset_requested.emit(self._presets[index])

    def set_inverted(self, inverted: bool) -> None:
        """Check/uncheck Invert without emitting ``invert_toggled``."""
        self.invert_check.blockSignals(True)
        try:
            self.invert_check.setChecked(bool(inverted))
        finally:
            self.invert_check.blockSignals(False)
