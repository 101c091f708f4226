"""``carzero-viewer --smoke-test``: the check ``make bundle`` runs on the frozen app, here from the checkout.

The real ``gui`` command runs its event loop until the sample study is scored with the demo model; a model
that cannot load and a model that never answers must end the loop with exit code 1 and say why.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest

from carzero_viewer.cli import build_parser
from carzero_viewer.commands import gui
from carzero_viewer.paths import sample_study_dir
from carzero_viewer.ui.app import create_application
from carzero_viewer.ui.main_window import MainWindow
from carzero_viewer.ui.smoke_test import SmokeTest

pytestmark = [pytest.mark.e2e, pytest.mark.gui, pytest.mark.slow]
TIMEOUT_MS = 60_000


def test_smoke_test_scores_the_sample_study_and_quits(
    qapp, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("carzero_viewer.ui.app.install_excepthook", lambda _log_dir: None)
    args = build_parser().parse_args(["gui", "--smoke-test", "--device", "cpu"])

    assert gui.run(args) == 0

    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["smoke_test"] == "passed"
    assert 0 < report["window_shown_s"] <= report["model_ready_s"] <= report["first_result_s"]
    assert abs(report["started_at"] - time.time()) < 600
    assert report["untrained"] is True
    assert report["image"] in {p.name for p in sample_study_dir().glob("*.png")}
    assert report["prompts"] == 5  # the default prompts


@pytest.fixture
def window(qtbot):
    create_application()
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def test_a_model_that_fails_to_load_ends_the_smoke_test(window, qtbot, tmp_path: Path) -> None:
    out = io.StringIO()
    smoke = SmokeTest(window, time.monotonic(), out=out)
    with qtbot.waitSignal(smoke.finished, timeout=TIMEOUT_MS) as finished:
        window.start_model([tmp_path / "no-weights"], "cpu")
    assert finished.args == [1]
    report = json.loads(out.getvalue())
    assert report["smoke_test"] == "failed"
    assert "no-weights" in report["error"]
    assert not window.isVisible(), "the window closes so that its threads stop"


def test_no_answer_in_time_is_a_timeout(window, qtbot) -> None:
    out = io.StringIO()
    smoke = SmokeTest(window, time.monotonic(), timeout_s=0.05, out=out)
    with qtbot.waitSignal(smoke.finished, timeout=TIMEOUT_MS) as finished:
        pass
    assert finished.args == [1]
    report = json.loads(out.getvalue())
    assert report["smoke_test"] == "timeout"
    assert "window_shown_s" in report and "first_result_s" not in report
