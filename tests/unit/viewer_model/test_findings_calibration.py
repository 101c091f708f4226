"""Findings and calibration in the view model, headless: a finding row scores through its phrasings (each
once), shows their mean and mean map; a profile gives probabilities or is refused in one line."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from carzero_viewer.calibration import CalibrationError
from carzero_viewer.findings import Finding
from carzero_viewer.imaging import ImageRecord, load_image
from carzero_viewer.viewer_model import ModelState, ScoreResponse, ViewerModel
from carzero_viewer.viewer_model.calibration import rank_text
from carzero_viewer.viewer_model.findings import finding_key
from tests.profiles import SHA, write_test_profile
from tests.tolerances import bound
from tests.unit.viewer_model.test_viewer_model import BOXED, result

EFFUSION = Finding("Effusion", ("There is pleural effusion.", "There is fluid in the pleural space."))
SCORES = {
    "There is pleural effusion.": 1.5,
    "There is fluid in the pleural space.": 0.5,
    "Cardiomegaly": -1.0,
}


@pytest.fixture(scope="module")
def record() -> ImageRecord:
    return load_image(BOXED)


def _state(sha256: str = SHA) -> ModelState:
    return ModelState("w.pt", sha256[:12], "untrained", "", "cpu", True, sha256=sha256)


def _model(record: ImageRecord) -> tuple[ViewerModel, list[tuple[str, ...]]]:
    """A model with one typed prompt and the two-phrasing finding, answered as the bridge would; returns the
    model and every batch of texts it asked to score."""
    model = ViewerModel("There is {}.")
    model.model_loaded(_state())
    model.prompts.set_prompts(["Cardiomegaly"])
    key = model.prompts.add_finding(EFFUSION)
    model.prompts_edited(model.prompts.all, [])
    model.record_loaded(record)
    asked = []
    need = model.scoring_need()
    assert need is not None and need.wanted == ("Cardiomegaly", key)
    asked.append(need.positive)
    model.results_arrived(ScoreResponse([result(record, text, SCORES[text]) for text in need.positive]))
    return model, asked


def test_a_finding_is_one_row_scored_as_the_mean_of_its_phrasings(record: ImageRecord) -> None:
    model, asked = _model(record)
    key = finding_key("Effusion")
    assert asked == [("Cardiomegaly", *EFFUSION.phrasings)]  # each distinct text once
    response = model.results.response
    assert response is not None
    assert [r.prompt.typed for r in response.results] == ["Cardiomegaly", key]
    row = response.result_for(key)
    assert row is not None
    mean = (SCORES["There is pleural effusion."] + SCORES["There is fluid in the pleural space."]) / 2
    assert abs(row.score - mean) <= bound(mean)
    spread = response.findings[key].spread
    assert (spread.min, spread.max) == (0.5, 1.5)
    maps = [result(record, t, SCORES[t]).grounding_map for t in EFFUSION.phrasings]
    np.testing.assert_allclose(row.grounding_map, np.mean(maps, axis=0), rtol=0, atol=bound(maps))
    view = model.show_map(key)
    assert view is not None and view.prompt_text == "Effusion"  # grounding metrics match "Effusion" boxes
    assert model.scoring_need().complete  # type: ignore[union-attr]  # nothing scored twice


def test_a_phrasing_shared_with_a_typed_prompt_is_scored_once(record: ImageRecord) -> None:
    model = ViewerModel()
    model.prompts.set_prompts([EFFUSION.phrasings[0]])
    model.prompts.add_finding(EFFUSION)
    model.record_loaded(record)
    need = model.scoring_need()
    assert need is not None and need.positive == EFFUSION.phrasings


def test_a_finding_has_no_negation_request(record: ImageRecord) -> None:
    model = ViewerModel()
    model.prompts.add_finding(EFFUSION)
    model.prompts.set_negations(True)
    model.record_loaded(record)
    need = model.scoring_need()
    assert need is not None and need.negative == ()


def test_profile_gives_probabilities_rank_and_reasons(record: ImageRecord, tmp_path: Path) -> None:
    model, _ = _model(record)
    key = finding_key("Effusion")
    assert model.row_calibration(key, 1.0).probability is None
    assert model.rank(key) == "1st of 2" and model.rank("Cardiomegaly") == "2nd of 2"
    profile = write_test_profile(tmp_path / "p.json", {"Effusion": EFFUSION.phrasings})
    model.load_profile(profile)
    probabilities = [model.row_calibration(key, s).probability for s in (-3.0, 0.0, 1.0, 3.0)]
    assert all(p is not None and 0.0 <= p <= 1.0 for p in probabilities)
    assert probabilities == sorted(probabilities)  # type: ignore[type-var]
    assert model.row_calibration(key, 10.0).above is True
    assert "not in the profile" in model.row_calibration("Cardiomegaly", 0.0).reason
    assert "Calibration profile: p.json" in model.calibration.provenance()
    assert "UNTRAINED" in model.calibration.provenance()


def test_profile_of_other_phrasings_is_not_applied(record: ImageRecord, tmp_path: Path) -> None:
    model, _ = _model(record)
    model.load_profile(write_test_profile(tmp_path / "p.json", {"Effusion": ("There is effusion.",)}))
    calibrated = model.row_calibration(finding_key("Effusion"), 0.0)
    assert calibrated.probability is None and "other phrasings" in calibrated.reason


def test_profile_for_other_weights_is_refused_in_one_line(record: ImageRecord, tmp_path: Path) -> None:
    model, _ = _model(record)
    path = write_test_profile(tmp_path / "other.json", {"Effusion": EFFUSION.phrasings}, "cd" * 32)
    with pytest.raises(CalibrationError) as caught:
        model.load_profile(path)
    assert "other.json" in caught.value.message and "\n" not in caught.value.message
    assert model.calibration.profile is None


def test_loading_other_weights_drops_the_profile(record: ImageRecord, tmp_path: Path) -> None:
    model, _ = _model(record)
    model.load_profile(write_test_profile(tmp_path / "p.json", {"Effusion": EFFUSION.phrasings}))
    refused: list[str] = []
    model.calibration.refused.connect(refused.append)
    model.model_loaded(_state("cd" * 32))
    assert model.calibration.profile is None and len(refused) == 1 and "p.json" in refused[0]


def test_malformed_profile_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"format": "nope"}', encoding="utf-8")
    with pytest.raises(CalibrationError) as caught:
        ViewerModel().load_profile(path)
    assert "bad.json" in caught.value.message


def test_rank_text_ties_share_the_better_place() -> None:
    assert rank_text(2.0, [3.0, 2.0, 2.0, math.nan]) == "2nd of 4"
    assert rank_text(0.0, [0.0] * 12) == "1st of 12"
