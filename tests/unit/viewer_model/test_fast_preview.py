"""The fast mode's progressive preview in the view model (issue 17), headless: an approximate (bf16) answer is
shown and labelled, still counts as missing, and the exact fp32 answer of the same request replaces it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from carzero_viewer.imaging import load_image
from carzero_viewer.viewer_model import ScoreResponse, ViewerModel
from tests.unit.viewer_model.test_viewer_model import BOXED, result

PROMPTS = ["Cardiomegaly", "Atelectasis"]


def _model() -> ViewerModel:
    model = ViewerModel(template="There is {}.")
    model.prompts.set_prompts(PROMPTS, disabled=[])
    model.record_loaded(load_image(Path(BOXED)))
    model.scoring_need()  # binds the book to the image, as the window does before submitting
    return model


def _response(model: ViewerModel, precision: str, offset: float) -> ScoreResponse:
    assert model.record is not None
    return ScoreResponse(
        [
            replace(result(model.record, typed, 0.5 + i + offset), precision=precision)
            for i, typed in enumerate(PROMPTS)
        ]
    )


def test_the_exact_answer_replaces_the_approximate_one() -> None:
    model = _model()
    model.results_arrived(_response(model, "bf16", 1e-4))
    shown = model.results.response
    assert shown is not None and shown.approximate and shown.precision == "bf16"
    view = model.show_map("Cardiomegaly")
    assert view is not None and "approximate (bf16)" in view.caption
    need = model.scoring_need()  # a new request (the user typed) still asks for exact results
    assert need is not None and need.positive == tuple(PROMPTS)

    model.results_arrived(_response(model, "fp32", 0.0))
    shown = model.results.response
    assert shown is not None and not shown.approximate and shown.precision == "fp32"
    assert [r.score for r in shown.results] == [0.5, 1.5]
    view = model.show_map("Cardiomegaly")
    assert view is not None and "approximate" not in view.caption
    need = model.scoring_need()
    assert need is not None and need.complete


def test_results_are_exact_fp32_by_default() -> None:
    model = _model()
    model.results_arrived(_response(model, "fp32", 0.0))
    shown = model.results.response
    assert shown is not None and not shown.approximate
    assert all(r.precision == "fp32" for r in shown.results)
