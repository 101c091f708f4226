"""Exports never carry the fast mode's approximate result (issue 17): an export asked for while the bf16
preview is shown waits for the exact fp32 result of the same request, then runs on it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from carzero_viewer.imaging import load_image
from carzero_viewer.settings import Settings
from carzero_viewer.ui.canvas import ImageCanvas
from carzero_viewer.ui.export_actions import ExportActions
from carzero_viewer.ui.notifications import NotificationArea
from carzero_viewer.viewer_model import ScoreResponse, ViewerModel
from tests.unit.viewer_model.test_viewer_model import BOXED, result

pytestmark = [pytest.mark.gui]


class _Window(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.notifications = NotificationArea(self)
        self.settings = Settings()

    def save_settings(self) -> None:
        """Nothing to persist in this test."""


def _response(model: ViewerModel, precision: str) -> ScoreResponse:
    assert model.record is not None
    return ScoreResponse([replace(result(model.record, "Effusion", 0.5), precision=precision)])


def test_an_export_of_the_preview_waits_for_the_exact_result(qtbot) -> None:
    window = _Window()
    qtbot.addWidget(window)
    model = ViewerModel(template="There is {}.")
    model.prompts.set_prompts(["Effusion"], disabled=[])
    model.record_loaded(load_image(Path(BOXED)))
    model.scoring_need()
    actions = ExportActions(model, ImageCanvas(window), list, window.notifications, window, window)
    exported: list[str] = []

    def export() -> None:
        if actions._exact_now(export):
            response = model.results.response
            assert response is not None
            exported.append(response.precision)

    model.results_arrived(_response(model, "bf16"))
    export()
    assert (
        exported == []
        and "exporting once the exact fp32 result arrives" in window.notifications.messages()[0]
    )
    model.results_arrived(_response(model, "bf16"))  # another preview: still waiting
    qtbot.wait(20)
    assert exported == []
    model.results_arrived(_response(model, "fp32"))
    qtbot.waitUntil(lambda: exported == ["fp32"], timeout=2000)
    export()  # exact results shown: at once
    assert exported == ["fp32", "fp32"]


def test_a_waiting_export_is_dropped_when_the_results_are_cleared(qtbot) -> None:
    window = _Window()
    qtbot.addWidget(window)
    model = ViewerModel(template="There is {}.")
    model.prompts.set_prompts(["Effusion"], disabled=[])
    model.record_loaded(load_image(Path(BOXED)))
    model.scoring_need()
    actions = ExportActions(model, ImageCanvas(window), list, window.notifications, window, window)
    ran: list[bool] = []
    model.results_arrived(_response(model, "bf16"))
    assert not actions._exact_now(lambda: ran.append(True))
    model.clear_results()
    model.results_arrived(_response(model, "fp32"))
    qtbot.wait(20)
    assert ran == []
