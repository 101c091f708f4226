"""Cyclic garbage collection in the GUI thread only.

Python's cyclic collector runs in whichever thread allocates when a generation threshold is crossed. With the
inference thread importing torch and building models, that is often not the GUI thread, and often in the middle
of a signal delivery. A collected cycle that holds Qt objects (a closed dialog, a replaced panel and its
canvas) then destroys them outside their thread or while Qt is using them, which crashes Qt (seen as aborts and
segmentation faults in the GUI tests). So automatic collection is switched off while the application runs and
the same generational work is done from a timer in the GUI thread, between events, where destroying Qt objects
is safe. Reference counting, which frees almost everything, is unaffected.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot

CHECK_INTERVAL_MS = 500  # often enough that garbage never piles up, rare enough to cost nothing


class GuiThreadCollector(QObject):
    """Disables automatic collection and runs due collections from a GUI-thread timer."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()
        gc.disable()

    @Slot()
    def collect_due(self) -> None:
        """Collect the oldest generation whose threshold is crossed, as the automatic collector would."""
        first, second, third = gc.get_threshold()
        young, middle, old = gc.get_count()
        if young <= first:
            return
        generation = 2 if old > third else 1 if middle > second else 0
        gc.collect(generation)


def install(app: QObject) -> GuiThreadCollector:
    """Install the collector once per application (the same one is returned on later calls, with automatic
    collection switched off again in case something switched it back on)."""
    existing = app.findChild(GuiThreadCollector)
    if isinstance(existing, GuiThreadCollector):
        gc.disable()
        return existing
    return GuiThreadCollector(app)
