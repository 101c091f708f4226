"""Compare prompts: the maps of every enabled, scored prompt on the current image, side by side.

A non-modal dialog rather than a mode of the central area: it leaves the main window's layout, state and
shortcuts untouched (nothing to save and restore when leaving the mode), it can sit on a second screen next to
the main image, and closing it is the only way out. It owns no data: it is a view of the
:class:`~carzero_viewer.viewer_model.ViewerModel`, and each refresh reads the model's record, the results of
its response for the enabled prompts, the heatmap style and whether the weights are untrained, and draws each
map with the main view's :func:`~carzero_viewer.viewer_model.map_view.build_map_view` on an
:class:`~carzero_viewer.ui.canvas.ImageCanvas` per tile, so colours and registration match the main canvas and
every export.

Zoom, pan and window/level are synchronised: a change on one tile is copied to the others (a guard stops the
echo). A click on a tile calls ``select`` (the main window's scores panel selects that prompt and shows its map).
Refreshes are deferred to the event loop (``QTimer.singleShot(0)``) so they run after the window has updated
its own state, and coalesce when several signals arrive together; a hidden dialog does no work.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QDialog, QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from carzero_viewer.ui.canvas import ImageCanvas
from carzero_viewer.ui.tile_grid import grid_shape
from carzero_viewer.viewer_model.map_view import build_map_view

if TYPE_CHECKING:
    from carzero_viewer.export.heatmap_style import HeatmapStyle
    from carzero_viewer.imaging import ImageRecord
    from carzero_viewer.types import PromptResult
    from carzero_viewer.viewer_model import ViewerModel

SELECTED_STYLE = "#promptTile { border: 3px solid #42a5f5; }"
UNSELECTED_STYLE = "#promptTile { border: 3px solid transparent; }"
UNTRAINED_MARK = "UNTRAINED"
# At most this many tiles: each holds the image, its map and the coloured overlay at full resolution (about
# 65 MB and 0.3 s to draw on a 2128x2000 radiograph, measured), and beyond 12 a tile at 1600x1000 is under
# 300 px wide, too small to compare maps on.
MAX_TILES = 12


class PromptTile(QFrame):
    """One prompt's map on the shared image, captioned with the prompt, its score and the UNTRAINED mark."""

    clicked = Signal(str)  # the tile's typed prompt

    def __init__(self, typed: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptTile")
        self.typed = typed
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self._plain = ""
        self._drawn: tuple[object, object, HeatmapStyle, bool] | None = None
        self.canvas = ImageCanvas()
        self.canvas.corners.hide()  # one image, many maps: the main view's corner text would repeat per tile
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.canvas, 1)
        self.canvas.graphics.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self.set_selected(False)

    def set_caption(self, result: PromptResult, untrained: bool) -> None:
        score = f"{result.score:.3f}" if math.isfinite(result.score) else "—"
        mark = f' <span style="color:#ef5350; font-weight:bold">{UNTRAINED_MARK}</span>' if untrained else ""
        self.caption.setText(f"<b>{score}</b>&nbsp; {html.escape(self.typed)}{mark}")
        self._plain = f"{score}  {self.typed}" + (f" {UNTRAINED_MARK}" if untrained else "")
        self.caption.setToolTip(f"{self.typed}\nmodel text: {result.prompt.text}\nscore {score}")

    def is_drawn(
        self, result: PromptResult, record: ImageRecord, style: HeatmapStyle, untrained: bool
    ) -> bool:
        """Whether the tile already shows exactly this (a refresh then skips it: a map costs ~0.1 s)."""
        drawn = self._drawn
        return (
            drawn is not None
            and drawn[0] is result
            and drawn[1] is record
            and drawn[2:] == (style, untrained)
        )

    def set_record(self, record: ImageRecord) -> None:
        """Show another image (its map is drawn by the next refresh)."""
        self.canvas.set_record(record)
        self._drawn = None

    def mark_drawn(
        self, result: PromptResult, record: ImageRecord, style: HeatmapStyle, untrained: bool
    ) -> None:
        self._drawn = (result, record, style, untrained)

    def caption_text(self) -> str:
        """The caption as plain text (what the user reads)."""
        return self._plain

    def set_selected(self, selected: bool) -> None:
        self.setStyleSheet(SELECTED_STYLE if selected else UNSELECTED_STYLE)

    def _on_scene_clicked(self, event) -> None:
        # pyqtgraph reports a click only when the mouse did not drag, so panning never selects.
        if event.button() == Qt.MouseButton.LeftButton and not event.double():
            self.clicked.emit(self.typed)


class PromptGrid(QDialog):
    """The grid of prompt maps of ``model``'s current image (see the module docstring).

    Args:
        model: the viewer's state, whose events refresh the grid.
        canvas: the main canvas, whose window/level and inversion the tiles start from.
        select: called with a tile's typed prompt when the tile is clicked.
        parent: the main window.
    """

    def __init__(
        self, model: ViewerModel, canvas: ImageCanvas, select: Callable[[str], None], parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare prompts")
        self.setModal(False)
        screen = parent.screen().availableGeometry()  # fits a 1024x700 screen rather than overflowing it
        self.resize(min(1200, int(screen.width() * 0.9)), min(800, int(screen.height() * 0.9)))
        self._model = model
        self._canvas = canvas
        self._select = select
        self._tiles: dict[str, PromptTile] = {}
        self._order: list[str] = []
        self._shown_record: object = None
        self._shape = (0, 0)
        self._syncing = False
        self.status = QLabel()
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._area = QWidget()
        self._grid = QGridLayout(self._area)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(4)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self._area, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)
        model.scores_shown.connect(self.schedule_refresh)
        model.record_changed.connect(self.schedule_refresh)
        model.results.model_changed.connect(self.schedule_refresh)
        model.display.style_changed.connect(self.schedule_refresh)
        model.prompts.changed.connect(self.schedule_refresh)
        model.selection.shown_changed.connect(self._mark_selected)

    # --- public ------------------------------------------------------------------------------------------
    def tiles(self) -> list[PromptTile]:
        """The tiles in prompt-list order."""
        return [self._tiles[typed] for typed in self._order]

    def grid_shape(self) -> tuple[int, int]:
        return self._shape

    @Slot()
    def schedule_refresh(self, *_event: object) -> None:
        if self.isVisible():
            self._timer.start()

    @Slot()
    def refresh(self) -> None:
        """Rebuild the tiles from what the window shows now."""
        model = self._model
        record, response = model.record, model.results.response
        results: list[PromptResult] = []
        if record is not None and response is not None:
            known = {r.prompt.typed: r for r in response.results}
            results = [known[t] for t in model.prompts.enabled if t in known]
        if record is None:
            self.status.setText("No image open")
        elif not results:
            self.status.setText("No scored prompt yet")
        elif len(results) > MAX_TILES:
            self.status.setText(f"showing the first {MAX_TILES} of {len(results)} enabled prompts")
        self.status.setVisible(not results or len(results) > MAX_TILES)
        results = results[:MAX_TILES]
        self._sync_tiles([r.prompt.typed for r in results])
        if record is not None and record is not self._shown_record:
            for tile in self.tiles():
                tile.set_record(record)
            self._shown_record = record
            self._copy_display_from(self._canvas)
        style, untrained = model.display.style, model.results.untrained
        for result in results:
            tile = self._tiles[result.prompt.typed]
            if record is None or tile.is_drawn(result, record, style, untrained):
                continue
            view = build_map_view(result, -1, style, untrained)
            if view.values.shape != record.shape[:2]:
                continue
            tile.canvas.set_heatmap(view.values, style)
            tile.canvas.set_field_of_view(view.field_of_view if style.show_field_of_view else None)
            tile.canvas.set_marker(view.peak)
            tile.set_caption(result, untrained)
            tile.mark_drawn(result, record, style, untrained)
        self._mark_selected(model.selection.shown[0])
        self._relayout()

    # --- tiles -------------------------------------------------------------------------------------------
    def _sync_tiles(self, wanted: list[str]) -> None:
        """Keep one tile per wanted prompt (reusing existing ones), in the prompt list's order."""
        for typed in [t for t in self._tiles if t not in wanted]:
            tile = self._tiles.pop(typed)
            self._grid.removeWidget(tile)
            tile.deleteLater()
        record = self._model.record
        for typed in wanted:
            if typed in self._tiles:
                continue
            tile = PromptTile(typed, self._area)
            tile.clicked.connect(self._select)
            tile.canvas.view.sigRangeChanged.connect(lambda *_a, t=tile: self._on_range_changed(t))
            tile.canvas.window_changed.connect(lambda *_a, t=tile: self._on_window_changed(t))
            tile.canvas.inverted_changed.connect(lambda *_a, t=tile: self._on_window_changed(t))
            self._tiles[typed] = tile
            if record is not None and self._shown_record is record:
                tile.set_record(record)
                self._copy_display_from(self._canvas, only=tile)
        if wanted != self._order:
            self._order = list(wanted)
            self._shape = (-1, -1)  # other tiles: place them again

    def _copy_display_from(self, canvas: ImageCanvas, only: PromptTile | None = None) -> None:
        """Start from the main canvas's window/level and inversion (then the tiles follow each other)."""
        preset = canvas.preset()
        for tile in [only] if only is not None else self.tiles():
            self._syncing = True
            try:
                if preset is not None:
                    tile.canvas.set_preset(preset)
                tile.canvas.set_inverted(canvas.inverted())
            finally:
                self._syncing = False

    def _relayout(self) -> None:
        count = len(self._order)
        record = self._model.record
        aspect = record.shape[1] / record.shape[0] if record is not None and record.shape[0] else 1.0
        shape = grid_shape(count, self._area.width(), self._area.height(), aspect)
        if shape == self._shape:
            return
        self._shape = shape
        for tile in self.tiles():
            self._grid.removeWidget(tile)
        for index, tile in enumerate(self.tiles()):
            self._grid.addWidget(tile, index // shape[1], index % shape[1])
            tile.show()
        for tile in self.tiles():
            tile.canvas.fit()
        first = self.tiles()[0] if self._order else None
        if first is not None:
            self._on_range_changed(first)

    def _mark_selected(self, typed: str | None, _slot: int = -1) -> None:
        for name, tile in self._tiles.items():
            tile.set_selected(name == typed)

    # --- synchronisation ---------------------------------------------------------------------------------
    def _on_range_changed(self, source: PromptTile) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            rect = QRectF(source.canvas.view.viewRect())
            for tile in self.tiles():
                if tile is not source:
                    tile.canvas.view.setRange(rect, padding=0.0)
        finally:
            self._syncing = False

    def _on_window_changed(self, source: PromptTile) -> None:
        if self._syncing:
            return
        preset = source.canvas.preset()
        self._syncing = True
        try:
            for tile in self.tiles():
                if tile is not source and preset is not None:
                    tile.canvas.set_preset(preset)
                    tile.canvas.set_inverted(source.canvas.inverted())
        finally:
            self._syncing = False

    # --- Qt events ---------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt API name)
        super().showEvent(event)
        self.refresh()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt API name)
        super().resizeEvent(event)
        if self._order:
            self._relayout()
