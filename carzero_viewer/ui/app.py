"""QApplication setup and the global crash handler.

pyqtgraph is configured once here (``imageAxisOrder='row-major'`` so numpy ``(row, column)`` arrays display
as they are stored). The excepthook follows Picard/qutebrowser: an unexpected exception in a slot is logged with
its traceback to a rotating log file (``carzero-viewer.log`` in the user log folder, 1 MB x 3 backups) and
shown in a dialog with the details, and the app keeps running instead of dying silently.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

import pyqtgraph as pg
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from carzero_viewer import APP_ID, __version__
from carzero_viewer.paths import resources_dir

LOG = logging.getLogger(__name__)
LOG_FILE = "carzero-viewer.log"


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
    # The window icon also serves Linux, where executables carry none of their own (the bundle's is ignored).
    app.setWindowIcon(QIcon(str(resources_dir() / "icon.png")))
    return app


def setup_logging(log_dir: Path) -> Path:
    """Attach a rotating file handler (1 MB x 3) to the root logger; returns the log file path."""
    path = log_dir / LOG_FILE
    root = logging.getLogger()
    if any(isinstance(h, RotatingFileHandler) and Path(h.baseFilename) == path for h in root.handlers):
        return path
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError as exc:  # a read-only home must not stop the viewer
        LOG.warning("cannot write the log file %s: %s", path, exc)
        return path
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.WARNING, logging.INFO))
    return path


def make_excepthook(
    log_dir: Path, show: Callable[[str, str, str], None] | None = None
) -> Callable[[type[BaseException], BaseException, TracebackType | None], None]:
    """An excepthook that logs the traceback to the rotating log and shows a dialog with the details."""
    path = setup_logging(log_dir)

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        LOG.error("unexpected error (%s %s):\n%s", APP_ID, __version__, text)
        (show or _show_dialog)(f"{exc_type.__name__}: {exc}", text, str(path))

    return hook


def _show_dialog(summary: str, details: str, log_path: str) -> None:
    if QApplication.instance() is None:
        print(summary, file=sys.stderr)
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
