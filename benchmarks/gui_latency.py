"""GUI responsiveness with a random full-size CARZero on this CPU; prints one JSON document.

    .venv/bin/python benchmarks/gui_latency.py [--weights DIR]

* ``launch_to_window``: a fresh process running the real ``gui`` command until its window is shown (the
  first event-loop turn after ``show()``), min and median; whether the GUI thread asked for torch before that
  (it must not: recorded by an import hook as it happens, so it cannot race the inference thread, which is
  started before the window is built and imports torch meanwhile), and when torch's import began.
* ``launch_to_first_scores``: a fresh ``gui --smoke-test`` on the sample study: process start to window,
  model ready and first exact scores (min and median), next to the time ``import torch`` alone takes.
* ``event_loop_latency_ms``: a 5 ms timer in the GUI thread while the inference thread encodes a new image and
  scores ten new prompts; lateness = actual interval - 5 ms; p50 / p95 / max (target p95 <= 30 ms).
* ``typing_to_overlay_ms``: from the last typed character of a new finding in the prompt box to the overlay
  showing that prompt's map (live preview: 300 ms debounce + inference + drawing), with ten other prompts
  shown; target <= 400 ms.
Window/level frame rate is measured by ``benchmarks/gui_window_level.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _shared import add_common_options, spread, weights_folder

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "samples" / "00000398_003.png"
SECOND = ROOT / "resources" / "samples" / "00000344_003.png"
ON_CPU = ("--device", "cpu")
TIME_TORCH_IMPORT = "import time; t = time.perf_counter(); import torch; print(time.perf_counter() - t)"
LAUNCH_DRIVER = """
import builtins, json, os, sys, threading, time
t0 = float(os.environ["CARZERO_BENCH_T0"])
# Recorded as they happen, not read from sys.modules afterwards (which races the inference thread):
# when any thread first looked torch up, and whether the GUI thread itself asked for torch before the window
# was shown (an import statement on the GUI thread: it would have waited for torch).
seen = {}
class WatchTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch":
            seen.setdefault("first_import_ms", (time.time() - t0) * 1000)
            seen.setdefault("first_import_thread", threading.current_thread().name)
        return None
sys.meta_path.insert(0, WatchTorch())
plain_import = builtins.__import__
def watched_import(name, *args, **kwargs):
    if (name == "torch" or name.startswith("torch.")) and threading.current_thread() is threading.main_thread():
        seen.setdefault("gui_thread_ms", (time.time() - t0) * 1000)
    return plain_import(name, *args, **kwargs)
builtins.__import__ = watched_import
from PySide6.QtCore import QTimer
import carzero_viewer.ui.app as app_module
from carzero_viewer.commands import gui
create = app_module.create_application
def create_and_watch(*args, **kwargs):
    app = create(*args, **kwargs)
    def report():
        shown = (time.time() - t0) * 1000
        gui_ms = seen.get("gui_thread_ms")
        print(json.dumps({"window_ms": shown, "gui_thread_imported_torch": gui_ms is not None and gui_ms < shown,
                          "torch_import_started_ms": seen.get("first_import_ms"),
                          "torch_import_thread": seen.get("first_import_thread")}), flush=True)
        app.quit()
    QTimer.singleShot(0, report)
    return app
app_module.create_application = create_and_watch
from carzero_viewer.cli import build_parser
sys.exit(gui.run(build_parser().parse_args(["gui", "--weights", sys.argv[1], "--device", "cpu"])))
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def launch_to_window(weights: Path, repeats: int) -> dict[str, object]:
    """Fresh process to the window shown; ``gui_thread_imported_torch`` must be false (the window never waits
    for torch), ``torch_import_started_ms`` shows the inference thread starting on torch before the window."""
    runs = []
    for _ in range(repeats):
        env = {**os.environ, "CARZERO_BENCH_T0": repr(time.time())}
        out = subprocess.run(
            [sys.executable, "-c", LAUNCH_DRIVER, str(weights)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "window_ms": spread([r["window_ms"] for r in runs], 1),
        "gui_thread_imported_torch": any(r["gui_thread_imported_torch"] for r in runs),
        "torch_import_started_ms": [r["torch_import_started_ms"] for r in runs],
        "torch_import_thread": sorted({str(r["torch_import_thread"]) for r in runs}),
    }


def launch_to_first_scores(weights: Path, repeats: int) -> dict[str, object]:
    """Fresh process running ``gui --smoke-test`` on the sample study: where the time to the first exact scores
    goes (process start and imports before the command, window, model ready, first encoding and scoring)."""
    runs: list[dict[str, float]] = []
    for _ in range(repeats):
        launched = time.time()
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "carzero_viewer",
                "gui",
                "--smoke-test",
                "--weights",
                str(weights),
                *ON_CPU,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        smoke = json.loads(out.stdout.strip().splitlines()[-1])
        before = smoke["started_at"] - launched
        runs.append(
            {
                "command_started_s": before,
                "window_shown_s": before + smoke["window_shown_s"],
                "model_ready_s": before + smoke["model_ready_s"],
                "first_scores_s": before + smoke["first_result_s"],
            }
        )
    torch_import = [
        float(
            subprocess.run(
                [sys.executable, "-c", TIME_TORCH_IMPORT],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(repeats)
    ]
    report: dict[str, object] = {key: spread([r[key] for r in runs], 3) for key in runs[0]}
    report["import_torch_alone_s"] = spread(torch_import, 3)
    return report


class Session:
    """A real main window driven without user input (offscreen)."""

    def __init__(self, weights: Path) -> None:
        from carzero_viewer.settings import Settings
        from carzero_viewer.ui.app import create_application
        from carzero_viewer.ui.main_window import MainWindow

        self.app = create_application()
        self.window = MainWindow(Settings(prompts=["There is pneumothorax."]))
        self.window.resize(1500, 950)
        self.window.show()
        self.window.start_model([weights], "cpu")
        self.wait(lambda: self.window.model_state is not None)
        self.window.open_paths([SAMPLE])
        self.wait(lambda: self.window.map_view is not None)

    def wait(self, condition: Callable[[], bool], timeout: float = 300.0) -> None:
        """Run the real event loop (the GUI thread sleeps between events, as in the app) until ``condition``."""
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        deadline = time.monotonic() + timeout

        def check() -> None:
            if condition() or time.monotonic() > deadline:
                loop.quit()

        poll = QTimer()
        poll.timeout.connect(check)
        poll.start(2)
        if not condition():
            loop.exec()
        poll.stop()
        if not condition():
            raise TimeoutError("timed out")

    def event_loop_latency(self) -> dict[str, object]:
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer

        window = self.window
        lateness: list[float] = []
        clock = QElapsedTimer()
        clock.start()
        last = [clock.elapsed()]

        def tick() -> None:
            now = clock.elapsed()
            lateness.append(max(0.0, now - last[0] - 5.0))
            last[0] = now

        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.timeout.connect(tick)
        timer.start(5)
        window.model.prompts.set_prompts([f"There is finding {i} in the lung." for i in range(10)], [])
        window.open_paths([SECOND])

        def second_image_scored() -> bool:
            record, response = window.record, window.response
            return (
                record is not None
                and record.path.name == SECOND.name
                and response is not None
                and len(response.results) == 10
            )

        self.wait(second_image_scored)
        timer.stop()
        return {
            "samples": len(lateness),
            "p50": round(percentile(lateness, 0.5), 1),
            "p95": round(percentile(lateness, 0.95), 1),
            "max": round(max(lateness), 1),
        }

    def typing_to_overlay(self) -> dict[str, object]:
        from PySide6.QtTest import QTest

        window = self.window
        runs = []
        # Findings whose words are whole tokens of the demo vocabulary, as they are in a real WordPiece
        # vocabulary (the demo vocabulary spells unknown words letter by letter, which no real one does).
        for word in ("bilateral pleural effusion", "mild cardiomegaly", "left lower lobe consolidation"):
            window.prompt_panel.line_edit.clear()
            QTest.keyClicks(window.prompt_panel.line_edit, word)
            start = time.perf_counter()
            self.wait(lambda w=word: window.map_view is not None and w in window.map_view.caption.lower())
            runs.append(round((time.perf_counter() - start) * 1000, 1))
        return {"median": statistics.median(runs), "runs": runs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_options(parser, device_options=False)
    parser.add_argument("--launch-repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        weights = weights_folder(args.weights, Path(tmp))
        report: dict[str, object] = {
            "launch_to_window": launch_to_window(weights, args.launch_repeats),
            "launch_to_first_scores": launch_to_first_scores(weights, args.launch_repeats),
        }
        session = Session(weights)
        report["event_loop_latency_ms"] = session.event_loop_latency()
        report["typing_to_overlay_ms"] = session.typing_to_overlay()
        report["note"] = "offscreen Qt, random full-size model, fp32 CPU"
        session.window.close()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
