"""The real main window end to end with the tiny fixture weights (untrained, so the banner must show).

One scenario per test: PNG and DICOM studies with scores and overlays, a word map, window/level that never
re-runs the model, a corrupt file that only produces a notification, closing while inference runs, and the
no-weights state.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QPushButton

from carzero_viewer.imaging.display_orientation import DisplayOrientation
from carzero_viewer.paths import demo_model_dir
from carzero_viewer.settings import load_settings
from carzero_viewer.ui.app import create_application
from carzero_viewer.ui.download_dialog import DownloadDialog
from carzero_viewer.ui.main_window import MainWindow
from carzero_viewer.ui.pacs_open_dialog import PacsOpenDialog
from carzero_viewer.ui.untrained_banner import UNTRAINED_TEXT
from carzero_viewer.ui.weights_choice import searched_locations
from carzero_viewer.viewer_model.map_view import WORD_MAP_NOTICE

pytestmark = [pytest.mark.e2e, pytest.mark.gui, pytest.mark.slow]
TIMEOUT_MS = 60_000


@pytest.fixture
def window(qtbot):
    create_application()
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    assert not win.bridge.is_running(), "the inference thread must stop with the window"


@pytest.fixture
def ready(window, qtbot, test_data_dir: Path):
    with qtbot.waitSignal(window.bridge.model_ready, timeout=TIMEOUT_MS):
        window.start_model([test_data_dir / "carzero-tiny"], "cpu")
    return window


def scored_prompts(win: MainWindow) -> list[str]:
    return win.scores_panel.shown_prompts()


def open_and_wait(win: MainWindow, qtbot, path: Path) -> None:
    """Open ``path`` and wait for its map and for the annotation files beside it (read in the background)."""
    with qtbot.waitSignal(win.bridge.results_ready, timeout=TIMEOUT_MS):
        win.open_paths([path])
    qtbot.waitUntil(lambda: win.canvas.heatmap_visible() and not win.truth_reader.busy, timeout=TIMEOUT_MS)


def open_annotations_and_wait(win: MainWindow, qtbot, paths: list[Path]) -> None:
    """Open annotation files by hand and wait until they are read (off the GUI thread) and shown."""
    win.open_annotations(paths)
    qtbot.waitUntil(lambda: not win.truth_reader.busy, timeout=TIMEOUT_MS)


def overlay_alpha(win: MainWindow) -> np.ndarray:
    return np.asarray(win.canvas.heatmap_item.image)[..., 3]


def test_png_prompt_scores_overlay_and_word_map(ready, qtbot, test_data_dir: Path, tmp_path: Path) -> None:
    window = ready
    open_and_wait(window, qtbot, test_data_dir / "carzero-tiny" / "image.png")
    assert window.record is not None
    assert len(scored_prompts(window)) == 5  # the default prompts

    qtbot.keyClicks(window.prompt_panel.line_edit, "pulmonary edema")
    qtbot.keyClick(window.prompt_panel.line_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "pulmonary edema" in scored_prompts(window), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.scores_panel.selected_prompt() == "pulmonary edema", timeout=TIMEOUT_MS)
    assert window.map_view is not None and "There is pulmonary edema." in window.map_view.caption
    assert "UNTRAINED" in window.map_view.caption
    assert "pulmonary edema" in load_settings().prompts

    # The overlay is registered on the original image; pixels the model never saw stay transparent.
    alpha = overlay_alpha(window)
    assert alpha.shape == window.record.shape
    outside = ~np.isfinite(window.map_view.values)
    assert outside.any() and (alpha[outside] == 0).all()
    assert (alpha[~outside] > 0).mean() > 0.8

    # Clicking a word shows that word's map, labelled as the extension it is.
    prompt_map = alpha.copy()
    chip = window.word_panel.chip(window.word_panel.chip_slots()[-1])
    assert chip is not None
    qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    assert WORD_MAP_NOTICE in window.map_view.caption
    assert not np.array_equal(overlay_alpha(window), prompt_map)

    assert window.banner.isVisible() and window.banner.text() == UNTRAINED_TEXT
    assert "untrained" in window.chrome.model_label.text()
    window.canvas.cursor_moved.emit(5, 7)
    assert window.chrome.cursor_label.text().startswith("x 7  y 5  value ")

    shot = tmp_path / "main_window.png"
    assert window.grab().save(str(shot))
    assert shot.stat().st_size > 10_000


def test_window_level_never_reruns_the_model(ready, qtbot, test_data_dir: Path) -> None:
    window = ready
    open_and_wait(window, qtbot, test_data_dir / "dicom" / "966_fixed.dcm")
    center, width = window.canvas.window()
    with qtbot.assertNotEmitted(window.bridge.busy_changed, wait=300):
        for step in range(10):
            window.canvas.drag_window(15.0 * step, -10.0)
        window.canvas.toggle_invert()
        window.canvas.reset()
    assert window.canvas.window() == (center, width)
    assert window.levels_panel.current_window() == pytest.approx((center, width))


def test_dicom_monochrome1_study_scores(ready, qtbot, test_data_dir: Path) -> None:
    window = ready
    open_and_wait(window, qtbot, test_data_dir / "dicom" / "RG1_J2KI.dcm")
    assert window.record is not None and window.record.invert  # MONOCHROME1
    assert len(scored_prompts(window)) == 5
    assert window.metadata_panel.rows()


def test_corrupt_file_is_a_notification_and_the_app_keeps_going(
    ready, qtbot, test_data_dir, tmp_path
) -> None:
    window = ready
    open_and_wait(window, qtbot, test_data_dir / "carzero-tiny" / "image.png")
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    window.open_paths([bad])
    qtbot.waitUntil(
        lambda: any("broken.png" in m for m in window.notifications.messages()), timeout=TIMEOUT_MS
    )
    assert window.record is not None and window.record.path.name == "image.png"


def test_close_while_inference_runs(ready, qtbot, test_data_dir: Path) -> None:
    window = ready
    window.open_paths([test_data_dir / "carzero-tiny" / "image.png"])
    qtbot.waitUntil(lambda: window.record is not None, timeout=TIMEOUT_MS)
    window.model.prompts.set_prompts([f"There is finding number {i}." for i in range(40)])
    window.request_scores()
    window.close()
    assert not window.bridge.is_running()


def test_no_weights_state_offers_the_demo(window, qtbot) -> None:
    window.show_missing_weights(searched_locations())
    assert window.chrome.no_weights.isVisible()
    assert "No CARZero weights found" in window.chrome.no_weights_label.text()
    with qtbot.waitSignal(window.bridge.model_ready, timeout=TIMEOUT_MS):
        window.chrome.use_demo_model()
    assert not window.chrome.no_weights.isVisible()
    assert window.banner.isVisible()


def test_no_weights_notice_offers_the_download_and_loads_what_it_installed(window, qtbot) -> None:
    """The notice's download button opens the dialog; a finished download is loaded like a chosen folder."""
    window.show_missing_weights(searched_locations())
    button = window.chrome.no_weights.findChild(QPushButton, "downloadWeights")
    assert button is not None and button.isVisible()
    button.click()
    dialog = window.findChild(DownloadDialog)
    assert dialog is not None and dialog.isVisible()
    with qtbot.waitSignal(window.bridge.model_ready, timeout=TIMEOUT_MS):
        dialog.downloaded.emit(demo_model_dir())
    assert not window.chrome.no_weights.isVisible()
    dialog.close()


def test_the_menus_reach_the_pacs_and_the_dicom_study_export(window, qtbot) -> None:
    """File > Open from PACS… opens the study list; the File and Settings menus hold the PACS entries."""
    texts = {action.text() for menu in window.menuBar().findChildren(QMenu) for action in menu.actions()}
    assert {
        "Open from PACS…",
        "Send results to PACS…",
        "Export study as DICOM (report + map overlay)…",
        "PACS nodes…",
    } <= texts
    window.chrome.pacs.open_from_pacs()
    dialog = window.findChild(PacsOpenDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    dialog.close()


def test_the_view_menu_flips_through_the_view_model_and_reset_returns_both(
    ready, qtbot, test_data_dir
) -> None:
    """The display orientation has one owner, the view model: menu flips reach the canvas through it."""
    window = ready
    open_and_wait(window, qtbot, test_data_dir / "carzero-tiny" / "image.png")
    actions = {a.text(): a for menu in window.menuBar().findChildren(QMenu) for a in menu.actions()}
    actions["Flip horizontal"].trigger()
    actions["Rotate 90° clockwise"].trigger()
    expected = DisplayOrientation().flipped_horizontally().rotated_clockwise()
    assert window.model.display.orientation == expected
    assert window.canvas.orientation() == expected
    actions["Reset"].trigger()
    assert window.canvas.orientation() == DisplayOrientation()
    assert window.model.display.orientation == DisplayOrientation()


def test_typing_previews_the_draft_before_enter(ready, qtbot, test_data_dir: Path) -> None:
    window = ready
    open_and_wait(window, qtbot, test_data_dir / "carzero-tiny" / "image.png")
    qtbot.keyClicks(window.prompt_panel.line_edit, "pleural thickening")
    qtbot.waitUntil(lambda: "pleural thickening" in scored_prompts(window), timeout=TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: window.map_view is not None and "pleural thickening" in window.map_view.caption,
        timeout=TIMEOUT_MS,
    )
    assert "pleural thickening" not in window.prompt_panel.all_prompts()  # not committed until Enter
    window.prompt_panel.line_edit.clear()
    qtbot.waitUntil(lambda: "pleural thickening" not in scored_prompts(window), timeout=TIMEOUT_MS)


def test_negation_mode_adds_the_two_way_softmax(ready, qtbot, test_data_dir: Path) -> None:
    window = ready
    open_and_wait(window, qtbot, test_data_dir / "carzero-tiny" / "image.png")
    with qtbot.waitSignal(window.bridge.results_ready, timeout=TIMEOUT_MS) as blocker:
        window.scores_panel.set_negation_mode(True)
    response = blocker.args[1]
    assert set(response.negations) == set(window.prompt_panel.enabled_prompts())
    assert response.negations["There is pneumothorax."].prompt.text == "There is no pneumothorax."


def test_multiframe_slider_and_study_navigation(ready, qtbot, test_data_dir: Path) -> None:
    window = ready
    dicom = test_data_dir / "dicom"
    open_and_wait(window, qtbot, dicom / "emri_small.dcm")
    assert window.record is not None and window.record.frame_count == 10
    assert window.chrome.frame_bar.isVisibleTo(window)
    window.chrome.frame_slider.setValue(4)
    qtbot.waitUntil(lambda: window.record is not None and window.record.frame == 4, timeout=TIMEOUT_MS)

    window.open_paths([dicom / "RG1_J2KI.dcm"])
    qtbot.waitUntil(
        lambda: window.record is not None and window.record.path.name == "RG1_J2KI.dcm", timeout=TIMEOUT_MS
    )
    assert not window.chrome.frame_bar.isVisibleTo(window)
    window.chrome.previous_image()
    qtbot.waitUntil(
        lambda: window.record is not None and window.record.path.name == "emri_small.dcm", timeout=TIMEOUT_MS
    )
    assert str((dicom / "emri_small.dcm").resolve()) in window.settings.recent_files


def test_dropping_files_and_boxes(ready, qtbot, test_data_dir: Path, tmp_path: Path) -> None:
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    window = ready
    annotations = test_data_dir / "annotations"
    image = Path(shutil.copy(annotations / "images" / "00000344_003.png", tmp_path))  # away from other tables
    mime = QMimeData()
    mime.setUrls(
        [QUrl.fromLocalFile(str(image)), QUrl.fromLocalFile(str(annotations / "BBox_List_2017.csv"))]
    )
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    qtbot.waitUntil(
        lambda: (
            window.record is not None
            and window.record.path.name == image.name
            and not window.truth_reader.busy
        ),  # the boxes are read in the background
        timeout=TIMEOUT_MS,
    )
    labels = {text.toPlainText() for _rect, text in window.canvas.boxes()}
    assert "Effusion" in labels


def test_ground_truth_metrics_for_the_matching_prompt(ready, qtbot, test_data_dir: Path) -> None:
    window = ready
    annotations = test_data_dir / "annotations"
    open_annotations_and_wait(window, qtbot, [annotations / "BBox_List_2017.csv"])
    open_and_wait(window, qtbot, annotations / "images" / "00000344_003.png")
    assert "Effusion" in window.ground_truth_panel.labels()
    window.scores_panel.select_prompt("There is pleural effusion.")
    qtbot.waitUntil(lambda: window.ground_truth_panel.metrics() is not None, timeout=TIMEOUT_MS)
    metrics = window.ground_truth_panel.metrics()
    assert metrics is not None and "Effusion" in metrics.label
    assert 0.0 <= metrics.energy_in_box <= 1.0
    # A word map of the same prompt is scored against the same boxes, with new numbers.
    chip = window.word_panel.chip(window.word_panel.chip_slots()[-1])
    assert chip is not None
    qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.ground_truth_panel.metrics() not in (None, metrics), timeout=TIMEOUT_MS)
    assert "Effusion" in window.ground_truth_panel.metrics().label
    window.scores_panel.select_prompt("There is pneumothorax.")
    qtbot.waitUntil(lambda: window.ground_truth_panel.metrics() is None, timeout=TIMEOUT_MS)
