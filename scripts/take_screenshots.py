"""Regenerate docs/screenshots/ from the real window (run under a real X display, e.g. Xvfb), once per size.

    for size in 1600x1000 1024x700; do
        xvfb-run -s "-screen 0 ${size}x24" .venv/bin/python scripts/take_screenshots.py
    done

Each shot drives the real MainWindow with the bundled untrained demo model, fills the screen with the window
(or the compare window) and grabs the screen (what a person would see), not a widget rendering. Every file is
named after the screen size (``NAME_1600x1000.png``), so a shot at one size never overwrites the other; the two
renderings of the exports are the same at every size and keep their plain names.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication
from screenshot_helpers import (
    DICOMS,
    OUT,
    SAMPLES,
    dispose,
    fresh_window,
    open_and_wait,
    screen_size,
    shoot_sized,
    wait,
)
from screenshots_calibration import shoot_calibration

from carzero_viewer.files import encode_image, write_bytes_atomic
from carzero_viewer.ui.app import create_application
from carzero_viewer.ui.weights_choice import searched_locations


def shoot_sample_study(app: QApplication) -> None:
    """The sample study on the image with an NIH expert box, its label's prompt selected; then a word map."""
    window = fresh_window(app)
    window.open_paths([SAMPLES])
    wait(app, lambda: window.map_view is not None)
    while window.record is None or window.record.path.name != "00000398_003.png":
        window.chrome.next_image()
        wait(app, lambda: window.map_view is not None)
    window.scores_panel.select_prompt("There is cardiomegaly.")
    wait(app, lambda: window.map_view is not None and "cardiomegaly" in window.map_view.caption)
    shoot_sized(app, "sample_study")
    for name, rgb in (
        ("export_view.png", window.chrome.exports.view_figure()),
        ("export_full_resolution.png", window.chrome.exports.full_resolution()),
    ):
        write_bytes_atomic(OUT / name, encode_image(rgb, "PNG"), force=True)
        print(f"wrote {OUT / name}")
    slots = window.word_panel.chip_slots()
    chip = window.word_panel.chip(slots[-1])
    assert chip is not None
    chip.click()
    wait(app, lambda: window.map_view is not None and "word" in window.map_view.caption)
    shoot_sized(app, "word_map")
    dispose(app, window)


def shoot_dicoms(app: QApplication) -> None:
    """A chest DICOM with its corner overlays and orientation letters; an MR with the applicability warning."""
    window = fresh_window(app)
    open_and_wait(app, window, DICOMS / "966_fixed.dcm")
    shoot_sized(app, "dicom_corner_overlays")
    open_and_wait(app, window, DICOMS / "emri_small.dcm")
    wait(app, window.applicability_banner.isVisible)
    shoot_sized(app, "non_chest_warning")
    dispose(app, window)


def shoot_no_weights(app: QApplication) -> None:
    window = fresh_window(app, demo=False)
    window.show_missing_weights(searched_locations())
    wait(app, window.chrome.no_weights.isVisible)
    shoot_sized(app, "no_weights")
    dispose(app, window)


def shoot_prompt_grid(app: QApplication) -> None:
    """Compare prompts on the sample study, the grid filling the screen."""
    window = fresh_window(app)
    window.open_paths([SAMPLES])
    wait(app, lambda: window.map_view is not None)
    window.chrome.show_prompt_grid()
    grid = window.chrome.prompt_grid
    assert grid is not None
    grid.setGeometry(0, 0, *screen_size(app))
    wait(app, lambda: len(grid.tiles()) == len(window.prompt_panel.enabled_prompts()))
    shoot_sized(app, "compare_prompts_grid")
    dispose(app, window)


def shoot_compare_images(app: QApplication) -> None:
    """Compare images on the sample study: the second image next to the first, filling the screen."""
    window = fresh_window(app)
    window.open_paths([SAMPLES])
    wait(app, lambda: window.map_view is not None)
    first = window.record
    window.chrome.next_image()
    wait(app, lambda: window.record is not first and window.map_view is not None)
    window.chrome.show_compare_images()
    compare = window.chrome.compare_images
    assert compare is not None
    compare.setGeometry(0, 0, *screen_size(app))
    typed = window.model.selection.shown[0] or ""
    wait(app, lambda: typed in compare.left.caption_text() and typed in compare.right.caption_text())
    shoot_sized(app, "compare_images")
    dispose(app, window)


def main() -> int:
    app = create_application()
    OUT.mkdir(parents=True, exist_ok=True)
    shoot_no_weights(app)
    shoot_sample_study(app)
    shoot_dicoms(app)
    shoot_prompt_grid(app)
    shoot_compare_images(app)
    shoot_calibration(app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
