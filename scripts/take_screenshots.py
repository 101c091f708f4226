"""Regenerate docs/screenshots/ from the real window (run under a real X display, e.g. Xvfb).

    Xvfb :99 -screen 0 1600x1000x24 & DISPLAY=:99 .venv/bin/python scripts/take_screenshots.py

Each shot drives the real MainWindow with the bundled untrained demo model and grabs the screen (what a
person would see), not a widget rendering.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication

from carzero_viewer.files import encode_image, write_bytes_atomic
from carzero_viewer.paths import demo_model_dir
from carzero_viewer.settings import Settings
from carzero_viewer.ui.app import create_application
from carzero_viewer.ui.main_window import MainWindow
from carzero_viewer.ui.weights_choice import searched_locations

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"


def wait(app: QApplication, condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not reach the expected state")
        app.processEvents()
        time.sleep(0.02)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.01)


def shoot(app: QApplication, name: str) -> None:
    screen = app.primaryScreen()
    assert screen is not None
    screen.grabWindow(0).save(str(OUT / name))
    print(f"wrote {OUT / name}")


def dispose(app: QApplication, window: MainWindow) -> None:
    """Close and delete a window in the GUI thread now.

    Left to Python's cyclic garbage collector, a closed window could be collected during a GC pass that
    happens to run in the inference thread (e.g. while it imports torch), and Qt objects must be destroyed in
    their own thread.
    """
    window.close()
    window.deleteLater()
    wait(app, lambda: True)
    gc.collect()


def fresh_window(app: QApplication) -> MainWindow:
    window = MainWindow(Settings())
    window.setGeometry(0, 0, 1600, 1000)
    window.show()
    wait(app, window.isVisible)
    return window


def shoot_prompt_grid(app: QApplication) -> None:
    """Compare prompts on the sample study, filling the screen (named by size unless it is 1600x1000)."""
    window = fresh_window(app)
    window.start_model([demo_model_dir()], "cpu")
    wait(app, lambda: window.model_state is not None)
    window.open_paths([ROOT / "resources" / "samples"])
    wait(app, lambda: window.map_view is not None)
    window.chrome.show_prompt_grid()
    grid = window.chrome.prompt_grid
    assert grid is not None
    size = app.primaryScreen().geometry()
    window.setGeometry(0, 0, size.width(), size.height())
    grid.setGeometry(0, 0, size.width(), size.height())
    wait(app, lambda: len(grid.tiles()) == len(window.prompt_panel.enabled_prompts()))
    suffix = "" if (size.width(), size.height()) == (1600, 1000) else f"_{size.width()}x{size.height()}"
    shoot(app, f"compare_prompts_grid{suffix}.png")
    dispose(app, window)


def shoot_compare_images(app: QApplication) -> None:
    """Compare images on the sample study: the main window with the compare window over its right part."""
    window = fresh_window(app)
    size = app.primaryScreen().geometry()
    width, height = size.width(), size.height()
    window.setGeometry(0, 0, width, height)
    window.start_model([demo_model_dir()], "cpu")
    wait(app, lambda: window.model_state is not None)
    window.open_paths([ROOT / "resources" / "samples"])
    wait(app, lambda: window.map_view is not None)
    first = window.record
    window.study_panel.select_next()
    wait(app, lambda: window.record is not first and window.map_view is not None)
    window.chrome.show_compare_images()
    compare = window.chrome.compare_images
    assert compare is not None
    compare.setGeometry(int(width * 0.3), int(height * 0.08), int(width * 0.7), int(height * 0.92))
    typed = window.scores_panel.selected_prompt() or ""
    wait(app, lambda: typed in compare.left.caption_text() and typed in compare.right.caption_text())
    shoot(app, f"compare-images-{width}x{height}.png")
    dispose(app, window)


def main() -> int:
    app = create_application()
    OUT.mkdir(parents=True, exist_ok=True)

    window = fresh_window(app)
    window.show_missing_weights(searched_locations())
    wait(app, window.chrome.no_weights.isVisible)
    shoot(app, "no_weights.png")
    dispose(app, window)

    window = fresh_window(app)
    window.start_model([demo_model_dir()], "cpu")
    wait(app, lambda: window.model_state is not None)
    window.open_paths([ROOT / "resources" / "samples" / "00000398_003.png"])
    wait(app, lambda: window.map_view is not None)
    window.scores_panel.select_prompt("There is cardiomegaly.")
    wait(app, lambda: window.map_view is not None and "cardiomegaly" in window.map_view.caption)
    shoot(app, "sample_prompt_map_boxes.png")
    for name, rgb in (
        ("export_view.png", window.chrome.exports.view_figure()),
        ("export_full_resolution.png", window.chrome.exports.full_resolution()),
    ):
        write_bytes_atomic(OUT / name, encode_image(rgb, "PNG"), force=True)
        print(f"wrote {OUT / name}")

    slots = window.word_panel.chip_slots()
    window.word_panel.chip(slots[-1]).click()
    wait(app, lambda: window.map_view is not None and "word" in window.map_view.caption)
    shoot(app, "word_map.png")

    window.open_paths([ROOT / "tests" / "data" / "dicom" / "966_fixed.dcm"])
    wait(app, lambda: window.record is not None and window.record.path.name == "966_fixed.dcm")
    wait(app, lambda: window.map_view is not None)
    shoot(app, "dicom_monochrome1.png")
    dispose(app, window)
    shoot_prompt_grid(app)
    shoot_compare_images(app)
    from screenshots_calibration import shoot_calibration  # it imports this module's helpers

    shoot_calibration(app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
