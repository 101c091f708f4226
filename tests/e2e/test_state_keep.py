"""The real main window keeps its state true across images: the selected prompt and word survive PgDn, an
image with ground truth opens on its label's prompt, new boxes recompute the metrics, notices that a state
change made false go away, and the status bar never lies after a failed open or an idle Esc."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from carzero_viewer.viewer_model.map_view import WORD_MAP_NOTICE
from tests.e2e import test_main_window as base

pytestmark = [pytest.mark.e2e, pytest.mark.gui, pytest.mark.slow]
window = base.window
ready = base.ready
TIMEOUT_MS = base.TIMEOUT_MS
EFFUSION_PROMPT = "There is pleural effusion."


def _alone(image: Path, folder: Path) -> Path:
    """A copy of ``image`` with no annotation file beside or above it (the test data's tables are one level
    above its images, where opening a file finds them)."""
    return Path(shutil.copy(image, folder / image.name))


def test_selected_prompt_and_word_survive_page_down(ready, qtbot, test_data_dir: Path) -> None:
    base.open_and_wait(ready, qtbot, test_data_dir / "cxr")
    chosen = ready.scores_panel.shown_prompts()[-1]  # the lowest score: never the default choice
    ready.scores_panel.select_prompt(chosen)
    slot = ready.word_panel.chip_slots()[0]
    ready.word_panel.chip(slot).click()
    first = ready.record.path
    with qtbot.waitSignal(ready.bridge.results_ready, timeout=TIMEOUT_MS):
        ready.chrome.next_image()
    qtbot.waitUntil(lambda: ready.record.path != first and ready.map_view is not None, timeout=TIMEOUT_MS)
    assert ready.scores_panel.selected_prompt() == chosen
    assert ready.word_panel.selected_slot() == slot
    assert WORD_MAP_NOTICE in ready.map_view.caption


def test_an_image_with_ground_truth_opens_on_its_label(
    ready, qtbot, test_data_dir: Path, tmp_path: Path
) -> None:
    annotations = test_data_dir / "annotations"
    base.open_annotations_and_wait(ready, qtbot, [annotations / "BBox_List_2017.csv"])
    base.open_and_wait(ready, qtbot, _alone(annotations / "images" / "00000344_003.png", tmp_path))
    assert "Effusion" in ready.ground_truth_panel.labels()
    assert ready.scores_panel.shown_prompts()[0] != EFFUSION_PROMPT  # the top score is another prompt
    assert ready.scores_panel.selected_prompt() == EFFUSION_PROMPT


def test_loading_boxes_recomputes_the_selected_prompts_metrics(
    ready, qtbot, test_data_dir: Path, tmp_path: Path
) -> None:
    annotations = test_data_dir / "annotations"
    base.open_and_wait(ready, qtbot, _alone(annotations / "images" / "00000344_003.png", tmp_path))
    ready.scores_panel.select_prompt(EFFUSION_PROMPT)
    base.open_annotations_and_wait(ready, qtbot, [annotations / "BBox_List_2017.csv"])
    qtbot.waitUntil(lambda: ready.ground_truth_panel.metrics() is not None, timeout=TIMEOUT_MS)
    assert "Effusion" in ready.ground_truth_panel.metrics().label
    assert ready.scores_panel.selected_prompt() == EFFUSION_PROMPT


def test_boxes_loaded_later_move_an_unchosen_selection_to_their_label(
    ready, qtbot, test_data_dir: Path, tmp_path: Path
) -> None:
    annotations = test_data_dir / "annotations"
    base.open_and_wait(ready, qtbot, _alone(annotations / "images" / "00000344_003.png", tmp_path))
    assert ready.scores_panel.selected_prompt() != EFFUSION_PROMPT  # no boxes yet: the top score
    base.open_annotations_and_wait(ready, qtbot, [annotations / "BBox_List_2017.csv"])
    assert ready.scores_panel.selected_prompt() == EFFUSION_PROMPT
    qtbot.waitUntil(lambda: ready.ground_truth_panel.metrics() is not None, timeout=TIMEOUT_MS)


def test_no_model_notice_goes_when_the_model_loads(window, qtbot, test_data_dir: Path) -> None:
    window.open_paths([test_data_dir / "carzero-tiny" / "image.png"])
    qtbot.waitUntil(
        lambda: any("no model loaded yet" in m for m in window.notifications.messages()), timeout=TIMEOUT_MS
    )
    with qtbot.waitSignal(window.bridge.results_ready, timeout=TIMEOUT_MS):
        window.start_model([test_data_dir / "carzero-tiny"], "cpu")
    assert not any("no model" in m for m in window.notifications.messages())


def test_a_failed_open_leaves_a_true_status_and_a_marked_file(
    ready, qtbot, test_data_dir: Path, tmp_path: Path
) -> None:
    base.open_and_wait(ready, qtbot, test_data_dir / "carzero-tiny" / "image.png")
    makefile = tmp_path / "Makefile"
    makefile.write_text("all:\n\ttrue\n")
    ready.open_paths([makefile])
    qtbot.waitUntil(lambda: any("Makefile" in m for m in ready.notifications.messages()), timeout=TIMEOUT_MS)
    assert ready.chrome.loading_label.text() == ""  # not "opening Makefile…" forever
    assert ready.record.path.name == "image.png"
    reason = ready.study_panel.failure(makefile)
    item = ready.study_panel.list_widget.item(1)
    assert "not a recognised image format" in reason
    assert not item.icon().isNull() and reason in item.toolTip()


def test_escape_with_nothing_running_keeps_the_status(ready, qtbot, test_data_dir: Path) -> None:
    base.open_and_wait(ready, qtbot, test_data_dir / "carzero-tiny" / "image.png")
    scored = ready.scores_panel.status_label.text()
    assert "scored" in scored
    ready.chrome.cancel_inference()  # what Esc triggers
    assert ready.scores_panel.status_label.text() == scored
    ready.model.prompts.set_prompts([f"There is finding number {i}." for i in range(20)])
    ready.request_scores()  # now something runs: Esc cancels it
    ready.chrome.cancel_inference()
    assert ready.scores_panel.status_label.text() == "cancelled"


def test_clearing_a_draft_returns_to_the_chosen_prompt(ready, qtbot, test_data_dir: Path) -> None:
    base.open_and_wait(ready, qtbot, test_data_dir / "carzero-tiny" / "image.png")
    chosen = ready.scores_panel.shown_prompts()[-1]
    ready.scores_panel.select_prompt(chosen)
    qtbot.keyClicks(ready.prompt_panel.line_edit, "pleural thickening")
    qtbot.waitUntil(lambda: ready.scores_panel.selected_prompt() == "pleural thickening", timeout=TIMEOUT_MS)
    ready.prompt_panel.line_edit.clear()
    qtbot.waitUntil(lambda: "pleural thickening" not in base.scored_prompts(ready), timeout=TIMEOUT_MS)
    assert ready.scores_panel.selected_prompt() == chosen
