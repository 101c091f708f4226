"""The real main window for GUI tests, opened and closed one way."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from carzero_viewer.settings import Settings
from carzero_viewer.ui.app import create_application
from carzero_viewer.ui.main_window import MainWindow

OpenWindow = Callable[..., MainWindow]


@pytest.fixture
def open_window(qtbot) -> Iterator[OpenWindow]:
    """Open a shown MainWindow (fresh settings unless given, optional size); each is closed at teardown.

    The windows stay referenced here until then: pytest-qt keeps only weak references, so an unreferenced
    window could be collected before it is closed, with its inference thread still running.
    """
    opened: list[MainWindow] = []

    def open_(settings: Settings | None = None, size: tuple[int, int] | None = None) -> MainWindow:
        create_application()
        window = MainWindow(settings if settings is not None else Settings())
        opened.append(window)
        qtbot.addWidget(window)
        if size is not None:
            window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        return window

    yield open_
    while opened:
        opened.pop().close()
