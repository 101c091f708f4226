"""``carzero-viewer --smoke-test``: the real window scores the sample study once, reports timings and quits.

Why: a frozen bundle is only known to work once the real window has started, loaded torch and a model in its
inference thread and scored an image; a missing Qt plugin, data file or package metadata shows up only then.
``make bundle`` runs the built executable this way (offscreen); it works from a checkout too.

The verdict is one JSON line on stdout. Times are seconds since the ``gui`` command started; ``started_at``
(Unix time of that start) lets a launcher add the process start-up that came before it. The exit code is 0
once the first scores arrived, 1 after a model, loading or scoring error, or when nothing came in time.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TextIO

from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal, Slot

from carzero_viewer.ui.main_window import MainWindow
from carzero_viewer.viewer_model.responses import ModelState, ScoreResponse

TIMEOUT_S = 180.0


class SmokeTest(QObject):
    """Watches one main window until its first scores or a failure, prints the report, closes the window."""

    finished = Signal(int)  # the exit code

    def __init__(
        self,
        window: MainWindow,
        started: float,
        timeout_s: float = TIMEOUT_S,
        out: TextIO | None = None,
    ) -> None:
        """``started`` is the ``time.monotonic()`` of the command's start; ``out`` defaults to stdout."""
        super().__init__(window)
        self._window = window
        self._started = started
        self._out = out
        self.started_at = round(time.time() - (time.monotonic() - started), 3)
        self.times: dict[str, float] = {}
        self.details: dict[str, object] = {}
        self.exit_code: int | None = None
        window.bridge.model_ready.connect(self._on_model_ready)
        window.bridge.model_failed.connect(self._fail)
        window.bridge.results_ready.connect(self._on_results)
        window.bridge.request_failed.connect(self._on_request_failed)
        window.loader.failed.connect(self._fail)
        QTimer.singleShot(0, self._on_window_shown)  # the first event-loop turn after show()
        self._timeout = QTimer(self)
        self._timeout.setSingleShot(True)
        self._timeout.timeout.connect(self._on_timeout)
        self._timeout.start(round(timeout_s * 1000))

    def _mark(self, name: str) -> None:
        self.times.setdefault(f"{name}_s", round(time.monotonic() - self._started, 3))

    @Slot()
    def _on_window_shown(self) -> None:
        self._mark("window_shown")

    @Slot(object)
    def _on_model_ready(self, state: ModelState) -> None:
        self._mark("model_ready")
        self.details.update(model=state.summary, untrained=state.is_untrained)

    @Slot(int, object)
    def _on_results(self, _request_id: int, response: ScoreResponse) -> None:
        if response.approximate:  # the fast mode's preview: the test ends with the exact result
            self._mark("first_preview")
            return
        if not response.results:
            self._fail("the first response holds no scores: " + "; ".join(response.skipped))
            return
        self._mark("first_result")
        record = self._window.record
        self.details.update(image=record.path.name if record else "", prompts=len(response.results))
        self._finish("passed", 0)

    @Slot(int, str)
    def _on_request_failed(self, _request_id: int, message: str) -> None:
        self._fail(message)

    @Slot(str)
    def _fail(self, message: str) -> None:
        self.details["error"] = message
        self._finish("failed", 1)

    @Slot()
    def _on_timeout(self) -> None:
        self.details["error"] = f"no scores within {self._timeout.interval() / 1000:g} s"
        self._finish("timeout", 1)

    def _finish(self, verdict: str, code: int) -> None:
        if self.exit_code is not None:
            return
        self.exit_code = code
        self._timeout.stop()
        report = {"smoke_test": verdict, "started_at": self.started_at, **self.times, **self.details}
        print(json.dumps(report), file=self._out or sys.stdout, flush=True)
        self._window.close()  # stops the inference, loader and metrics threads before the process exits
        self.finished.emit(code)


def run_smoke_test(window: MainWindow, started: float) -> int:
    """Process events until the smoke test ends; returns its exit code.

    A local event loop rather than ``QApplication.exec()``/``quit()``: quitting the application marks its GUI
    thread as finished for good, which would stop every later event loop in the same process (pytest-qt's).
    """
    smoke = SmokeTest(window, started)
    loop = QEventLoop()
    smoke.finished.connect(loop.quit)
    loop.exec()
    return 1 if smoke.exit_code is None else smoke.exit_code
