"""QApplication setup and the global crash handler.

pyqtgraph is configured once here (``imageAxisOrder='row-major'`` so numpy ``(row, column)`` arrays display
as they are stored). The excepthook follows Picard/qutebrowser: an unexpected exception in a slot is logged with
its traceback to the rotating log file (:mod:`carzero_viewer.logs`, shared with the command line) and shown
in a dialog with the details, and the app keeps running instead of dying silently. Qt's own messages
(``qWarning``...) are logged too (logger ``qt``) instead of printed on the terminal.
"""

from __future__ import annotations

import functools
import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import pyqtgraph as pg
from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from carzero_viewer import APP_ID, __version__
from carzero_viewer.logs import attach_log_file
from carzero_viewer.paths import resources_dir
from carzero_viewer.ui import gui_gc

QUITTING = "carzeroQuitting"  # application property: set once the application has started to quit

LOG = logging.getLogger(__name__)
QT_LOG = logging.getLogger("qt")
QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def configure_pyqtgraph() -> None:
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)


def create_application(argv: list[str] | None = None) -> QApplication:
    """The one QApplication (reused when one exists, e.g. under pytest-qt), with cyclic garbage collection
    confined to the GUI thread (:mod:`carzero_viewer.ui.gui_gc`)."""
    configure_pyqtgraph()
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        gui_gc.install(existing)
        return existing
    app = QApplication(argv if argv is not None else [sys.argv[0]])
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName("CARZero Viewer")
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_ID)
    app.setStyle("Fusion")
    # The window icon also serves Linux, where executables carry none of their own (the bundle's is ignored).
    app.setWindowIcon(QIcon(str(resources_dir() / "icon.png")))
    gui_gc.install(app)
    app.aboutToQuit.connect(functools.partial(app.setProperty, QUITTING, True))
    return app


def make_excepthook(
    log_dir: Path, show: Callable[[str, str, str], None] | None = None
) -> Callable[[type[BaseException], BaseException, TracebackType | None], None]:
    """An excepthook that logs the traceback to the rotating log and shows a dialog with the details."""
    path = attach_log_file(log_dir)
    where = str(path) if path else "not written (the log folder cannot be written)"

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        LOG.error("unexpected error (%s %s):\n%s", APP_ID, __version__, text)
        (show or _show_dialog)(f"{exc_type.__name__}: {exc}", text, where)

    return hook


def _show_dialog(summary: str, details: str, log_path: str) -> None:
    app = QApplication.instance()
    if app is None or app.property(QUITTING):
        # Once the application quits nobody can answer a modal dialog: it would hold the process forever.
        print(f"{summary} (details in {log_path})", file=sys.stderr)
        return
    box = QMessageBox()
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Unexpected error")
    box.setText("Something went wrong. The viewer keeps running; the details were written to the log.")
    box.setInformativeText(f"{summary}\n\nLog file: {log_path}")
    box.setDetailedText(details)
    box.exec()


def install_excepthook(log_dir: Path) -> None:
    sys.excepthook = make_excepthook(log_dir)


def _log_qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    QT_LOG.log(QT_LEVELS.get(kind, logging.WARNING), "%s", message)


def route_qt_messages() -> None:
    """Log Qt's messages (logger ``qt``, so in the log file) instead of letting Qt print them on stderr."""
    qInstallMessageHandler(_log_qt_message)
