"""The results on screen: the scores of the wanted prompts on the shown image, the drawn map, the model.

The :class:`~carzero_viewer.viewer_model.score_book.ScoreBook` keeps every result of the (image, template)
pair; this object holds what the views draw from it now, and the loaded model's state, whose untrained flag
every caption, banner and export must carry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from psygnal import Signal

from carzero_viewer.viewer_model.responses import ModelState, ScoreResponse

if TYPE_CHECKING:
    from carzero_viewer.viewer_model.map_view import MapView


class Results:
    """The current response, the map drawn from it and the loaded model (None: none yet)."""

    response_changed = Signal(object)  # ScoreResponse | None
    map_changed = Signal(object)  # MapView | None
    model_changed = Signal(object)  # ModelState | None

    def __init__(self) -> None:
        self._response: ScoreResponse | None = None
        self._map: MapView | None = None
        self._model: ModelState | None = None

    @property
    def response(self) -> ScoreResponse | None:
        return self._response

    @property
    def map_view(self) -> MapView | None:
        return self._map

    @property
    def model(self) -> ModelState | None:
        return self._model

    @property
    def untrained(self) -> bool:
        """The loaded weights are the untrained demo: every output must say its scores mean nothing."""
        return self._model is not None and self._model.is_untrained

    def set_response(self, response: ScoreResponse | None) -> None:
        """Show ``response`` (None: nothing scored); the map drawn from the previous one is void."""
        self._response = response
        self.set_map(None)
        self.response_changed.emit(response)

    def set_map(self, view: MapView | None) -> None:
        if view is not self._map:
            self._map = view
            self.map_changed.emit(view)

    def set_model(self, state: ModelState | None) -> None:
        self._model = state
        self.model_changed.emit(state)
