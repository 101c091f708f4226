"""What every screenshot script shares: the real window on the demo model, waiting, and grabbing the screen.

Shots are named after the screen size (``NAME_1600x1000.png``) so the runs at different sizes never overwrite
each other.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication

from carzero_viewer.paths import demo_model_dir
from carzero_viewer.settings import Settings
from carzero_viewer.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
SAMPLES = ROOT / "resources" / "samples"
DICOMS = ROOT / "tests" / "data" / "dicom"


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


def screen_size(app: QApplication) -> tuple[int, int]:
    geometry = app.primaryScreen().geometry()
    return geometry.width(), geometry.height()


def shoot_sized(app: QApplication, name: str) -> None:
    width, height = screen_size(app)
    shoot(app, f"{name}_{width}x{height}.png")


def fresh_window(app: QApplication, demo: bool = True) -> MainWindow:
    """A window filling the screen, with the demo model loaded unless ``demo`` is False."""
    window = MainWindow(Settings())
    window.setGeometry(0, 0, *screen_size(app))
    window.show()
    wait(app, window.isVisible)
    if demo:
        window.start_model([demo_model_dir()], "cpu")
        wait(app, lambda: window.model_state is not None)
    return window


def open_and_wait(app: QApplication, window: MainWindow, path: Path) -> None:
    window.open_paths([path])
    wait(app, lambda: window.record is not None and window.record.path.name == path.name)
    wait(app, lambda: window.map_view is not None)
