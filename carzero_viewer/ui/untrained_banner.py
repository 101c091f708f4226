"""The red UNTRAINED banner above the canvas: a view of the view model's loaded-model state.

The demo weights are random, so nothing the viewer shows with them means anything; the banner says so for as
long as they are loaded, and wraps in a narrow window rather than being cut (or widening it).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from carzero_viewer.viewer_model import ModelState, ViewerModel

UNTRAINED_TEXT = "UNTRAINED DEMO MODEL — outputs are meaningless"
STYLE = "QLabel { background: #c62828; color: white; font-weight: bold; font-size: 13px; padding: 4px; }"


class UntrainedBanner(QLabel):
    """Shown while ``model`` has untrained weights loaded; hidden otherwise."""

    def __init__(self, model: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(UNTRAINED_TEXT, parent)
        self.setObjectName("untrainedBanner")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setToolTip(
            f"{UNTRAINED_TEXT}: the demo weights are random, so its scores and maps show how the viewer works "
            "and say nothing about the image."
        )
        self.setStyleSheet(STYLE)
        self.setVisible(False)
        model.results.model_changed.connect(self._on_model_changed)

    def _on_model_changed(self, state: ModelState | None) -> None:
        self.setVisible(state is not None and state.is_untrained)
