"""The view model driven headless: study, prompts, scoring plan, results, selection kept, display events.

No Qt and no model: records are real PNGs from ``tests/data``, results are hand-built with the record's real
preprocessing geometry, so the maps the model draws are registered exactly as in the app.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from carzero_viewer.errors import CarzeroError
from carzero_viewer.export.heatmap_style import HeatmapStyle
from carzero_viewer.imaging import ImageRecord, load_image, model_view
from carzero_viewer.imaging.display_orientation import DisplayOrientation
from carzero_viewer.types import ProcessedPrompt, PromptResult
from carzero_viewer.viewer_model import ModelState, ScoreResponse, ViewerModel

DATA = Path(__file__).resolve().parents[2] / "data" / "annotations"
BOXED = DATA / "images" / "00000865_006.png"  # one Atelectasis box in BBox_List_2017.csv
LABELLED = DATA / "images" / "00000344_003.png"  # image-level labels Atelectasis|Effusion|Infiltration
OTHER = DATA / "images" / "00002578_000.png"
PROMPTS = ["Cardiomegaly", "Atelectasis", "Pneumothorax"]


@pytest.fixture(scope="module")
def records() -> dict[Path, ImageRecord]:
    return {path: load_image(path) for path in (BOXED, LABELLED, OTHER)}


def result(record: ImageRecord, typed: str, score: float) -> PromptResult:
    grid = np.arange(196, dtype=np.float32).reshape(14, 14) * (1 + score)
    return PromptResult(
        prompt=ProcessedPrompt(
            typed=typed, text=f"There is {typed.lower()}.", cleaned=typed.lower(), templated=True
        ),
        words=("[CLS]", typed.lower(), "[SEP]"),
        truncated=False,
        score=score,
        i2t=score,
        t2i=score,
        grounding_map=grid,
        word_attention=np.zeros(98, np.float32),
        word_maps=np.stack([grid, grid[::-1], grid]),
        padding_word_map=grid,
        geometry=model_view(record).geometry,
    )


def respond(model: ViewerModel, scores: dict[str, float]) -> None:
    """Answer the model's scoring need as the inference bridge would."""
    need = model.scoring_need()
    assert need is not None and model.record is not None
    model.results_arrived(
        ScoreResponse([result(model.record, typed, scores[typed]) for typed in need.positive])
    )


def shown(model: ViewerModel) -> list[object]:
    picks: list[object] = []
    model.scores_shown.connect(lambda _response, typed: picks.append(typed))
    return picks


def state(untrained: bool) -> ModelState:
    return ModelState("demo", "abcd1234", "untrained" if untrained else "ok", "", "cpu", untrained)


def test_open_files_lists_each_file_once_and_makes_the_first_new_one_current() -> None:
    model = ViewerModel()
    events: list[object] = []
    model.study.files_changed.connect(lambda: events.append("files"))
    model.study.current_changed.connect(events.append)
    assert model.add_files([BOXED, LABELLED]) == BOXED.resolve()
    assert model.add_files([DATA / "images" / ".." / "images" / BOXED.name]) is None  # same file: not added
    assert model.add_files([LABELLED, OTHER]) == OTHER.resolve()
    assert model.study.files == [BOXED.resolve(), LABELLED.resolve(), OTHER.resolve()]
    assert events == ["files", BOXED.resolve(), "files", OTHER.resolve()]
    model.study.step(-1)
    assert model.study.current == LABELLED.resolve()
    model.study.remove(LABELLED)
    assert model.study.current == OTHER.resolve()  # the file after the closed one
    model.close_study()
    assert model.study.files == [] and model.study.current is None and model.record is None


def test_open_paths_expands_folders_finds_box_files_beside_them_and_reports_problems(tmp_path: Path) -> None:
    shutil.copyfile(BOXED, tmp_path / BOXED.name)
    shutil.copyfile(DATA / "BBox_List_2017.csv", tmp_path / "BBox_List_2017.csv")
    model = ViewerModel()
    problems = model.open_paths([tmp_path, tmp_path / "missing.png"])
    assert problems == [f"{tmp_path / 'missing.png'}: does not exist"]
    assert model.study.files == [(tmp_path / BOXED.name).resolve()]
    assert model.study.current == (tmp_path / BOXED.name).resolve()
    model.record_loaded(load_image(tmp_path / BOXED.name))
    boxes, _note = model.boxes()
    assert [box.label for box in boxes] == ["Atelectasis"]
    assert model.truth_labels() == ["Atelectasis"]


def test_failed_file_is_marked_with_its_reason_until_it_opens(records: dict[Path, ImageRecord]) -> None:
    model = ViewerModel()
    model.add_files([BOXED])
    changes: list[object] = []
    model.study.status_changed.connect(changes.append)
    model.load_failed(BOXED, "truncated PNG")
    entry = model.study.entry(BOXED)
    assert entry is not None and (entry.status, entry.reason) == ("failed", "truncated PNG")
    model.record_loaded(records[BOXED])
    entry = model.study.entry(BOXED)
    assert entry is not None and (entry.status, entry.reason) == ("opened", "")
    assert len(changes) == 2


def test_scoring_plan_asks_only_for_what_the_book_lacks(records: dict[Path, ImageRecord]) -> None:
    model = ViewerModel(template="There is {}.")
    assert model.scoring_need() is None  # no image
    model.prompts.set_prompts(PROMPTS, disabled=["Pneumothorax"])
    model.record_loaded(records[BOXED])
    need = model.scoring_need()
    assert need is not None and need.positive == ("Cardiomegaly", "Atelectasis") and need.negative == ()
    respond(model, {"Cardiomegaly": 1.0, "Atelectasis": 0.5})
    model.prompts.set_draft("  Effusion ")
    need = model.scoring_need()
    assert need is not None and need.wanted == ("Cardiomegaly", "Atelectasis", "Effusion")
    assert need.positive == ("Effusion",)  # the preview scores only the draft
    model.prompts.set_draft("")
    need = model.scoring_need()
    assert need is not None and need.complete
    model.prompts.set_negations(True)
    need = model.scoring_need()
    assert need is not None and need.negative == ("Cardiomegaly", "Atelectasis")
    model.prompts.set_template("Findings: {}")
    need = model.scoring_need()
    assert need is not None and need.positive == ("Cardiomegaly", "Atelectasis")  # another template: rescored


def test_no_enabled_prompt_needs_nothing(records: dict[Path, ImageRecord]) -> None:
    model = ViewerModel()
    model.prompts.set_prompts(PROMPTS, disabled=PROMPTS)
    model.record_loaded(records[BOXED])
    need = model.scoring_need()
    assert need is not None and need.wanted == () and need.complete


def test_a_new_model_voids_the_kept_results(records: dict[Path, ImageRecord]) -> None:
    model = ViewerModel()
    model.prompts.set_prompts(PROMPTS, disabled=[])
    model.record_loaded(records[OTHER])
    respond(model, dict.fromkeys(PROMPTS, 0.1))
    model.model_loaded(state(untrained=True))
    need = model.scoring_need()
    assert need is not None and need.positive == tuple(PROMPTS)
    assert model.results.untrained


def test_the_user_choice_is_kept_across_images(records: dict[Path, ImageRecord]) -> None:
    model = ViewerModel()
    picks = shown(model)
    model.prompts.set_prompts(PROMPTS, disabled=[])
    model.record_loaded(records[OTHER])
    respond(model, {"Cardiomegaly": 0.2, "Atelectasis": 0.9, "Pneumothorax": 0.1})
    assert picks[-1] == "Atelectasis"  # no choice, no ground truth: the top score
    model.prompt_selected("Pneumothorax", by_user=True)
    model.word_selected("Pneumothorax", 1)
    model.record_loaded(records[LABELLED])  # PgDn
    respond(model, {"Cardiomegaly": 0.8, "Atelectasis": 0.3, "Pneumothorax": 0.0})
    assert picks[-1] == "Pneumothorax"
    assert model.selection.word_for("Pneumothorax", [0, 1, 2]) == 1
    assert model.selection.word_for("Cardiomegaly", [0, 1, 2]) == -1


def test_an_automatic_pick_does_not_become_the_choice(records: dict[Path, ImageRecord]) -> None:
    model = ViewerModel()
    model.prompts.set_prompts(PROMPTS, disabled=[])
    model.record_loaded(records[OTHER])
    respond(model, {"Cardiomegaly": 0.2, "Atelectasis": 0.9, "Pneumothorax": 0.1})
    model.prompt_selected("Atelectasis", by_user=False)
    assert model.selection.chosen == (None, -1)


def test_without_a_choice_the_ground_truth_label_wins_over_the_top_score(
    records: dict[Path, ImageRecord],
) -> None:
    model = ViewerModel()
    assert model.open_annotations([DATA / "BBox_List_2017.csv", DATA / "Data_Entry_2017.csv"]) == []
    picks = shown(model)
    model.prompts.set_prompts(PROMPTS, disabled=[])
    for path in (BOXED, LABELLED):  # a box of Atelectasis; image-level label Atelectasis
        model.record_loaded(records[path])
        respond(model, {"Cardiomegaly": 0.9, "Atelectasis": 0.1, "Pneumothorax": 0.5})
        assert picks[-1] == "Atelectasis", path.name
    model.prompts.set_draft("Pneumothorax")
    model.show_known()
    assert picks[-1] == "Pneumothorax"  # the draft being typed is previewed


def test_a_newly_added_prompt_becomes_the_choice() -> None:
    model = ViewerModel()
    model.prompts.set_prompts(PROMPTS, disabled=[])
    assert model.selection.chosen == (None, -1)  # loading the saved list chooses nothing
    model.prompts_edited([*PROMPTS, "Edema"], disabled=[])
    assert model.selection.chosen == ("Edema", -1)
    model.prompts_edited([*PROMPTS, "Edema", "Mass"], disabled=["Mass"])
    assert model.selection.chosen == ("Edema", -1)  # added unticked: not a choice


def test_show_map_registers_the_map_on_the_image_and_says_what_is_shown(
    records: dict[Path, ImageRecord],
) -> None:
    model = ViewerModel()
    model.model_loaded(state(untrained=True))
    maps: list[object] = []
    model.results.map_changed.connect(maps.append)
    model.prompts.set_prompts(PROMPTS, disabled=[])
    model.record_loaded(records[OTHER])
    respond(model, dict.fromkeys(PROMPTS, 0.3))
    assert model.show_map("Nodule") is None  # not scored here
    view = model.show_map("Cardiomegaly", 1)
    assert view is not None and view.values.shape == records[OTHER].shape[:2]
    assert "word 'cardiomegaly'" in view.caption and "UNTRAINED" in view.caption
    assert model.selection.shown == ("Cardiomegaly", 1) and model.results.map_view is view
    assert maps == [view]
    model.record_loaded(records[BOXED])
    assert model.results.map_view is None and maps[-1] is None  # another image: the map is void


def test_a_map_of_another_image_is_refused(records: dict[Path, ImageRecord]) -> None:
    model = ViewerModel()
    model.prompts.set_prompts(["Cardiomegaly"], disabled=[])
    model.record_loaded(records[OTHER])
    need = model.scoring_need()
    assert need is not None
    small = load_image(Path(__file__).resolve().parents[2] / "data" / "carzero-tiny" / "image.png")
    model.results_arrived(ScoreResponse([result(small, "Cardiomegaly", 0.1)]))
    with pytest.raises(CarzeroError, match="does not match the image"):
        model.show_map("Cardiomegaly")


def test_display_state_announces_each_change_once() -> None:
    model = ViewerModel()
    display = model.display
    events: list[tuple[str, object]] = []
    display.window_changed.connect(lambda c, w: events.append(("window", (c, w))))
    display.inverted_changed.connect(lambda v: events.append(("inverted", v)))
    display.orientation_changed.connect(lambda o: events.append(("orientation", o)))
    display.style_changed.connect(lambda s: events.append(("style", s.colormap)))
    display.corners_changed.connect(lambda v: events.append(("corners", v)))
    display.set_window(40, 400)
    display.set_window(40.0, 400.0)  # unchanged: silent
    display.toggle_inverted()
    display.set_inverted(True)  # unchanged: silent
    display.flip_horizontal()
    display.rotate_clockwise()
    display.set_style(HeatmapStyle(colormap="inferno"))
    display.set_corners(False)
    flipped = DisplayOrientation().flipped_horizontally()
    assert events == [
        ("window", (40.0, 400.0)),
        ("inverted", True),
        ("orientation", flipped),
        ("orientation", flipped.rotated_clockwise()),
        ("style", "inferno"),
        ("corners", False),
    ]
