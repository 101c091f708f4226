"""Application setup and the crash handler (logs to the data dir and shows a message instead of dying)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QMessageBox

from carzero_viewer.commands import gui
from carzero_viewer.logs import LOG_FILE
from carzero_viewer.paths import demo_model_dir
from carzero_viewer.ui import app as app_module
from carzero_viewer.ui.app import QUITTING, create_application, make_excepthook, route_qt_messages
from carzero_viewer.ui.inference_bridge import _stop_thread
from carzero_viewer.ui.weights_choice import candidates

pytestmark = pytest.mark.gui


def test_excepthook_logs_the_traceback_and_shows_a_summary(tmp_path: Path) -> None:
    shown: list[tuple[str, str, str]] = []
    hook = make_excepthook(
        tmp_path / "logs", lambda summary, details, path: shown.append((summary, details, path))
    )
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError as exc:
        hook(type(exc), exc, exc.__traceback__)
    for handler in logging.getLogger().handlers:
        handler.flush()
    log = (tmp_path / "logs" / LOG_FILE).read_text(encoding="utf-8")
    assert "Traceback" in log
    assert "boom in a slot" in log
    assert shown[0][0] == "RuntimeError: boom in a slot"
    assert "Traceback" in shown[0][1]
    assert shown[0][2] == str(tmp_path / "logs" / LOG_FILE)
    _remove_file_handlers(tmp_path)


def _remove_file_handlers(folder: Path) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.FileHandler) and str(folder) in handler.baseFilename:
            root.removeHandler(handler)
            handler.close()


def test_create_application_reuses_the_running_instance(qapp) -> None:
    assert create_application() is qapp
    import pyqtgraph as pg

    assert pg.getConfigOption("imageAxisOrder") == "row-major"


def test_gui_parser_and_weights_fallback_to_the_demo(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    gui.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["gui", "a.png", "folder", "--weights", "w", "--device", "cpu", "--demo"])
    assert args.paths == [Path("a.png"), Path("folder")]
    assert (args.weights, args.device, args.demo) == ("w", "cpu", True)

    found, problems = candidates(str(tmp_path / "nowhere"), "", demo=True)
    assert found == [demo_model_dir()]
    assert any("nowhere" in p for p in problems)
    found, _ = candidates(str(tmp_path / "nowhere"), "", demo=False)
    assert found == []


def test_qt_messages_are_logged_not_printed(
    qapp, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    from PySide6.QtCore import qInstallMessageHandler, qWarning

    previous = qInstallMessageHandler(None)
    try:
        route_qt_messages()
        with caplog.at_level(logging.INFO, logger="qt"):
            qWarning("a Qt warning")
    finally:
        qInstallMessageHandler(previous)
    assert ("qt", logging.WARNING, "a Qt warning") in caplog.record_tuples
    assert "a Qt warning" not in capfd.readouterr().err


def test_an_error_while_the_application_quits_is_reported_without_a_dialog_nobody_can_answer(
    qtbot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A modal dialog after the event loop has ended would hold the process forever (seen at quit)."""
    app = create_application()

    def no_dialog(_self: QMessageBox) -> int:
        raise AssertionError("a modal dialog was opened while quitting")

    monkeypatch.setattr(QMessageBox, "exec", no_dialog)
    app.setProperty(QUITTING, True)
    try:
        app_module._show_dialog("RuntimeError: late", "Traceback ...", "/tmp/log")
    finally:
        app.setProperty(QUITTING, False)
    assert "RuntimeError: late" in capsys.readouterr().err


def test_a_bridge_outliving_its_thread_object_stops_quietly(qtbot) -> None:
    """At teardown the thread's wrapper may be deleted before the bridge's destroyed signal runs."""
    create_application()
    thread = QThread()
    shiboken6.delete(thread)
    _stop_thread(thread)  # raised RuntimeError (C++ object already deleted) into the excepthook
