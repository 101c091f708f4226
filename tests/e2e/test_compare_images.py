"""Compare images with the real main window and the tiny fixture weights: the current image next to the one
before it in the study, each with its own map and score of the prompt selected in the main window; zoom/pan
(and window/level) linked; a pinned reference that stays; closing the window stops its work."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRectF

from carzero_viewer.findings import Finding
from carzero_viewer.ui.compare_view import CompareImages
from carzero_viewer.ui.linked_canvases import relative_rect
from carzero_viewer.ui.map_tile import UNTRAINED_MARK, score_text
from carzero_viewer.viewer_model.findings import finding_key
from tests.e2e import test_main_window as base

pytestmark = [pytest.mark.e2e, pytest.mark.gui, pytest.mark.slow]
window = base.window
ready = base.ready
TIMEOUT_MS = base.TIMEOUT_MS
# View rectangles are floats computed by pyqtgraph from the widget sizes: 0.1 % of the image is sub-pixel.
REL = 1e-3


def next_image(win, qtbot) -> None:
    first = win.record
    with qtbot.waitSignal(win.bridge.results_ready, timeout=TIMEOUT_MS):
        win.chrome.next_image()
    qtbot.waitUntil(lambda: win.record is not first and win.map_view is not None, timeout=TIMEOUT_MS)


def both_drawn(win, compare: CompareImages, typed: str) -> bool:
    right = compare.right.canvas.record()
    return (
        compare.left.canvas.record() is win.record
        and right is not None
        and compare.left.canvas.heatmap_visible()
        and compare.right.canvas.heatmap_visible()
        and typed in compare.left.caption_text()
        and typed in compare.right.caption_text()
    )


def open_compare(win, qtbot, test_data_dir: Path) -> CompareImages:
    """The cxr study on its second image (512 px and 1024 px images), with the compare window open."""
    base.open_and_wait(win, qtbot, test_data_dir / "cxr")
    next_image(win, qtbot)
    win.chrome.show_compare_images()
    compare = win.chrome.compare_images
    assert compare is not None
    qtbot.waitExposed(compare)
    typed = win.scores_panel.selected_prompt()
    qtbot.waitUntil(lambda: both_drawn(win, compare, typed), timeout=TIMEOUT_MS)
    return compare


def test_the_current_image_and_the_previous_one_each_with_its_map_and_score(
    ready, qtbot, test_data_dir: Path
) -> None:
    compare = open_compare(ready, qtbot, test_data_dir)
    files = ready.model.study.files
    assert compare.right.canvas.record().path == files[0]  # the image before the current one
    assert compare.left.canvas.record().path == files[1]
    assert compare.right.canvas.record().shape != compare.left.canvas.record().shape
    typed = ready.scores_panel.selected_prompt()
    current = ready.scores_panel.result_for(typed)
    assert score_text(current.score) in compare.left.caption_text()
    assert files[1].name in compare.left.caption_text() and files[0].name in compare.right.caption_text()
    assert UNTRAINED_MARK in compare.left.caption_text() and UNTRAINED_MARK in compare.right.caption_text()
    # The reference's map is its own: registered on its own pixels, from its own score.
    alpha = compare.right.canvas.heatmap_item.image[..., 3]
    assert alpha.shape == compare.right.canvas.record().shape
    reference = compare._book.collect([typed], False).results[0]
    assert reference.geometry.original_size == compare.right.canvas.record().shape
    assert score_text(reference.score) in compare.right.caption_text()


def test_another_prompt_in_the_main_window_redraws_both(ready, qtbot, test_data_dir: Path) -> None:
    compare = open_compare(ready, qtbot, test_data_dir)
    other = next(t for t in ready.scores_panel.shown_prompts() if t != ready.scores_panel.selected_prompt())
    ready.scores_panel.select_prompt(other)
    qtbot.waitUntil(lambda: both_drawn(ready, compare, other), timeout=TIMEOUT_MS)
    assert score_text(ready.scores_panel.result_for(other).score) in compare.left.caption_text()
    # A word of the prompt: both sides show that word's map.
    slot = ready.word_panel.chip_slots()[0]
    ready.word_panel.chip(slot).click()
    word = ready.scores_panel.result_for(other).words[slot]
    qtbot.waitUntil(lambda: f"word '{word}'" in compare.right.caption_text(), timeout=TIMEOUT_MS)
    assert f"word '{word}'" in compare.left.caption_text()


def test_zoom_pan_and_window_level_are_linked(ready, qtbot, test_data_dir: Path) -> None:
    compare = open_compare(ready, qtbot, test_data_dir)
    left, right = compare.left.canvas, compare.right.canvas
    right.view.scaleBy((0.5, 0.5))
    right.view.translateBy((30.0, 20.0))

    def fractions(canvas):
        return relative_rect(QRectF(canvas.view.viewRect()), canvas.content_rect())

    assert fractions(left) == pytest.approx(fractions(right), rel=REL, abs=REL)
    assert compare.link_levels_box.isChecked()  # two PNGs: the same modality, so linked by default
    left.set_window(90.0, 40.0)
    assert right.window() == (90.0, 40.0)
    compare.link_levels_box.setChecked(False)
    left.set_window(30.0, 20.0)
    assert right.window() == (90.0, 40.0)


def test_a_pinned_reference_stays_while_the_current_image_changes(ready, qtbot, test_data_dir: Path) -> None:
    compare = open_compare(ready, qtbot, test_data_dir)
    pinned = ready.record.path
    compare.pin_current()
    assert compare.pinned() == pinned
    next_image(ready, qtbot)
    typed = ready.scores_panel.selected_prompt()
    qtbot.waitUntil(lambda: both_drawn(ready, compare, typed), timeout=TIMEOUT_MS)
    assert compare.right.canvas.record().path == pinned
    assert compare.left.canvas.record().path != pinned


def test_closing_stops_its_work(ready, qtbot, test_data_dir: Path) -> None:
    compare = open_compare(ready, qtbot, test_data_dir)
    before = compare.channel.latest_id
    compare.close()
    stale = compare.channel.latest_id
    assert stale != before  # whatever was running for it is stale now: its results are dropped
    asked: list[int] = []
    compare.channel.busy_changed.connect(asked.append)
    next_image(ready, qtbot)  # the main window goes on; the closed compare window neither loads nor scores
    qtbot.wait(300)
    assert compare.channel.latest_id == stale and asked == []
    # Opened again, it catches up with the main window.
    ready.chrome.show_compare_images()
    typed = ready.scores_panel.selected_prompt()
    qtbot.waitUntil(lambda: both_drawn(ready, compare, typed), timeout=TIMEOUT_MS)
    assert compare.left.canvas.record() is ready.record


def test_images_of_different_modalities_keep_their_own_window_and_warnings(
    ready, qtbot, test_data_dir: Path
) -> None:
    mr = test_data_dir / "dicom" / "emri_small.dcm"
    with qtbot.waitSignal(ready.bridge.results_ready, timeout=TIMEOUT_MS):
        ready.open_paths([mr, test_data_dir / "cxr" / "00000001_000.png"])
    next_image(ready, qtbot)
    ready.chrome.show_compare_images()
    compare = ready.chrome.compare_images
    typed = ready.scores_panel.selected_prompt()
    qtbot.waitUntil(lambda: both_drawn(ready, compare, typed), timeout=TIMEOUT_MS)
    assert compare.right.canvas.record().path.name == mr.name
    assert not compare.link_levels_box.isChecked()  # MR next to a PNG: different units
    right_window = compare.right.canvas.window()
    compare.left.canvas.set_window(100.0, 30.0)
    assert compare.right.canvas.window() == right_window
    assert compare.right.banner.isVisible() and any("MR" in r for r in compare.right.banner.reasons())
    assert not compare.left.banner.isVisible()  # a frontal chest PNG: nothing to warn about


def test_a_finding_is_compared_through_its_phrasings(ready, qtbot, test_data_dir: Path) -> None:
    compare = open_compare(ready, qtbot, test_data_dir)
    finding = Finding("Effusion", ("There is pleural effusion.", "There is fluid in the pleural space."))
    ready.prompt_panel.add_finding(finding)
    key = finding_key(finding.name)
    qtbot.waitUntil(lambda: key in ready.scores_panel.shown_prompts(), timeout=TIMEOUT_MS)
    ready.scores_panel.select_prompt(key)
    qtbot.waitUntil(lambda: both_drawn(ready, compare, key), timeout=TIMEOUT_MS)
    reference = compare._book.collect([key], False, ready.model.prompts.findings).results[0]
    phrasings = compare._book.collect(list(finding.phrasings), False).results
    assert reference.score == sum(r.score for r in phrasings) / 2  # the mean of the reference's own phrasings
    assert score_text(reference.score) in compare.right.caption_text()
