"""QApplication setup and the global crash handler.

pyqtgraph is configured once here (``imageAxisOrder='row-major'`` so numpy ``(row, column)`` arrays display
as they are stored). The excepthook follows Picard/qutebrowser: an unexpected exception in a slot is logged
with its traceback to ``crash.log`` in the user data folder and shown in a dialog, and the app keeps running
instead of dying silently.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import pyqtgraph as pg
from PySide6.QtWidgets import QApplication, QMessageBox

from carzero_viewer import APP_ID, __version__

LOG = logging.getLogger(__name__)
CRASH_LOG = "crash.log"


def configure_pyqtgraph() -> None:
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)


def create_application(argv: list[str] | None = None) -> QApplication:
    """The one QApplication (reused when one exists, e.g. under pytest-qt)."""
    configure_pyqtgraph()
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(argv if argv is not None else [sys.argv[0]])
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName("CARZero Viewer")
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_ID)
    app.setStyle("Fusion")
    return app


def _log_file(log_dir: Path) -> Path:
    log_dir.mkdir(parents=True, exist_ok=True)
    return log_dir / CRASH_LOG


def make_excepthook(
    log_dir: Path, show: Callable[[str, str], None] | None = None
) -> Callable[[type[BaseException], BaseException, TracebackType | None], None]:
    """An excepthook that appends the traceback to ``log_dir/crash.log`` and shows a dialog."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        path = log_dir / CRASH_LOG
        try:
            path = _log_file(log_dir)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(f"--- {APP_ID} {__version__}\n{text}\n")
        except OSError:
            LOG.exception("cannot write %s", path)
        LOG.error("unexpected error:\n%s", text)
        summary = f"{exc_type.__name__}: {exc}"
        (show or _show_dialog)(summary, str(path))

    return hook


def _show_dialog(summary: str, log_path: str) -> None:
    if QApplication.instance() is None:
        print(summary, file=sys.stderr)
        return
    box = QMessageBox()
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Unexpected error")
    box.setText("Something went wrong. The viewer keeps running; the details were written to the log.")
    box.setInformativeText(summary)
    box.setDetailedText(f"Log file: {log_path}")
    box.exec()


def install_excepthook(log_dir: Path) -> None:
    sys.excepthook = make_excepthook(log_dir)
