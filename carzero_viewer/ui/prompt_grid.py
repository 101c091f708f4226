"""Compare prompts: the maps of every enabled, scored prompt on the current image, side by side.

A non-modal dialog rather than a mode of the central area: it leaves the main window's layout, state and
shortcuts untouched (nothing to save and restore when leaving the mode), it can sit on a second screen next
to the main image, and closing it is the only way out. It owns no data: it is a view of the
:class:`~carzero_viewer.viewer_model.ViewerModel`, and each refresh reads the model's record, the results of
its response for the enabled prompts, the heatmap style and whether the weights are untrained, and draws each
map on a :class:`~carzero_viewer.ui.map_tile.MapTile`, so colours and registration match the main canvas and
every export.

Zoom, pan and window/level are synchronised by :class:`~carzero_viewer.ui.linked_canvases.LinkedCanvases`.
A click on a tile calls ``select`` (the main window's scores panel selects that prompt and shows its map).
Refreshes are deferred to the event loop (``QTimer.singleShot(0)``) so they run after the window has updated
its own state, and coalesce when several signals arrive together; a hidden dialog does no work.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QDialog, QGridLayout, QLabel, QVBoxLayout, QWidget

from carzero_viewer.ui.linked_canvases import LinkedCanvases
from carzero_viewer.ui.map_tile import UNTRAINED_HTML, UNTRAINED_MARK, MapTile, open_beside, score_text
from carzero_viewer.ui.tile_grid import grid_shape

if TYPE_CHECKING:
    from carzero_viewer.types import PromptResult
    from carzero_viewer.ui.canvas import ImageCanvas
    from carzero_viewer.viewer_model import ViewerModel

SELECTED_STYLE = "#promptTile { border: 3px solid #42a5f5; }"
UNSELECTED_STYLE = "#promptTile { border: 3px solid transparent; }"
# At most this many tiles: each holds the image, its map and the coloured overlay at full resolution (about
# 65 MB and 0.3 s to draw on a 2128x2000 radiograph, measured), and beyond 12 a tile at 1600x1000 is under
# 300 px wide, too small to compare maps on.
MAX_TILES = 12


class PromptTile(MapTile):
    """One prompt's map on the shared image, captioned with the prompt, its score and the UNTRAINED mark."""

    clicked = Signal(str)  # the tile's typed prompt

    def __init__(self, typed: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptTile")
        self.typed = typed
        self.canvas.graphics.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self.set_selected(False)

    def set_caption(self, result: PromptResult, untrained: bool) -> None:
        score = score_text(result.score)
        mark = UNTRAINED_HTML if untrained else ""
        self.write_caption(
            f"<b>{score}</b>&nbsp; {html.escape(self.typed)}{mark}",
            f"{score}  {self.typed}" + (f" {UNTRAINED_MARK}" if untrained else ""),
            f"{self.typed}\nmodel text: {result.prompt.text}\nscore {score}",
        )

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
        open_beside(self, parent, "Compare prompts")
        self._model = model
        self._canvas = canvas
        self._select = select
        self._tiles: dict[str, PromptTile] = {}
        self._order: list[str] = []
        self._shown_record: object = None
        self._shape = (0, 0)
        self._link = LinkedCanvases()
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
        """Rebuild the tiles from what the model holds now."""
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
            with self._link.paused():
                for tile in self.tiles():
                    tile.set_record(record)
            self._shown_record = record
            self._link.copy_levels(
                self._canvas
            )  # start from the main canvas's; then the tiles follow each other
        style, untrained = model.display.style, model.results.untrained
        for result in results:
            tile = self._tiles[result.prompt.typed]
            if record is not None and tile.show_map(result, -1, style, untrained):
                tile.set_caption(result, untrained)
        self._mark_selected(model.selection.shown[0])
        self._relayout()

    # --- tiles -------------------------------------------------------------------------------------------
    def _sync_tiles(self, wanted: list[str]) -> None:
        """Keep one tile per wanted prompt (reusing existing ones), in the prompt list's order."""
        for typed in [t for t in self._tiles if t not in wanted]:
            tile = self._tiles.pop(typed)
            self._link.remove(tile.canvas)
            self._grid.removeWidget(tile)
            tile.deleteLater()
        record = self._model.record
        for typed in wanted:
            if typed in self._tiles:
                continue
            tile = PromptTile(typed, self._area)
            tile.clicked.connect(self._select)
            self._tiles[typed] = tile
            if record is not None and self._shown_record is record:
                tile.set_record(record)
                self._link.copy_levels(self._canvas, [tile.canvas])
            self._link.add(tile.canvas)
        if wanted != self._order:
            self._order = list(wanted)
            self._shape = (-1, -1)  # other tiles: place them again

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
        if self._order:
            self._link.follow(self.tiles()[0].canvas)

    def _mark_selected(self, typed: str | None, _slot: int = -1) -> None:
        for name, tile in self._tiles.items():
            tile.set_selected(name == typed)

    # --- Qt events ---------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt API name)
        super().showEvent(event)
        self.refresh()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt API name)
        super().resizeEvent(event)
        if self._order:
            self._relayout()
