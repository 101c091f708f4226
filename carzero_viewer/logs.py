"""Where log records and Python warnings go, for the command line and the viewer alike (no Qt here).

Everything logged, by the application or by a library (pydicom, PIL, matplotlib, urllib3...), goes to one
rotating log file in the user log folder (``carzero-viewer.log``, 1 MB x 3 backups), never to the terminal:
a damaged file must give the user one line, not a library's traceback. ``--debug`` mirrors every record,
with tracebacks, to stderr. Python warnings are logged the same way (logger ``py.warnings``) while a command
runs, and so is what native libraries write straight to file descriptor 2 (libpng's "IDAT: CRC error" from
inside OpenCV, OpenJPEG's and libjpeg's complaints), which no Python logger sees. Calling
:func:`setup_logging` again (another command in the same process, a test) replaces the
handlers it installed before instead of adding more.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TextIO

LOG_FILE = "carzero-viewer.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 3
FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONSOLE_FORMAT = "%(levelname)s %(name)s: %(message)s"


class _LogFile(RotatingFileHandler):
    """The application's log file handler (a distinct class so it can be found and replaced)."""


class _NoLogFile(logging.NullHandler):
    """Stands in when the log file cannot be opened, so Python's last-resort handler never prints."""


class _Console(logging.StreamHandler[TextIO]):
    """The ``--debug`` mirror on stderr; looks ``sys.stderr`` up at each record (it may be replaced)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self, logging.DEBUG)

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr


def _replace(kinds: tuple[type[logging.Handler], ...]) -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, kinds)]:
        root.removeHandler(handler)
        handler.close()


def attach_log_file(log_dir: Path, level: int | None = None) -> Path | None:
    """Send the records of every logger to ``log_dir/carzero-viewer.log`` (rotating).

    Args:
        log_dir: the folder of the log file (created when missing).
        level: the lowest level written; None keeps the level of a log file already attached there (the
            viewer attaches the file the command line set up, ``--debug`` included) and is INFO otherwise.

    Returns:
        The log file, or None when it cannot be written (a read-only home must not stop the app; records
        are then dropped rather than printed).
    """
    path = log_dir / LOG_FILE
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, _LogFile) and Path(handler.baseFilename) == path:
            if level is not None:
                handler.setLevel(level)
            return path
    _replace((_LogFile, _NoLogFile))
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        file_handler: logging.Handler = _LogFile(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
        )
    except OSError:
        root.addHandler(_NoLogFile())
        return None
    level = logging.INFO if level is None else level
    file_handler.setFormatter(logging.Formatter(FILE_FORMAT))
    file_handler.setLevel(level)
    root.addHandler(file_handler)
    root.setLevel(min(root.level or logging.WARNING, level))
    return path


def setup_logging(log_dir: Path, debug: bool = False) -> Path | None:
    """The logging of one command-line run: the log file, plus the stderr mirror with ``debug``.

    Returns:
        The log file, or None when it cannot be written.
    """
    level = logging.DEBUG if debug else logging.INFO
    path = attach_log_file(log_dir, level)
    _replace((_Console,))
    if debug:
        console = _Console()
        console.setFormatter(logging.Formatter(CONSOLE_FORMAT))
        logging.getLogger().addHandler(console)
    logging.getLogger().setLevel(level)
    return path


def _log_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    text = warnings.formatwarning(message, category, filename, lineno, line).rstrip()
    logging.getLogger("py.warnings").warning("%s", text)


@contextlib.contextmanager
def warnings_to_log() -> Iterator[None]:
    """Within the block, Python warnings are logged (logger ``py.warnings``) instead of printed to stderr.

    Scoped (unlike :func:`logging.captureWarnings`) so the previous behaviour returns afterwards.
    """
    with warnings.catch_warnings():
        warnings.showwarning = _log_warning
        yield


NATIVE_LOGGER = "native.stderr"
_NATIVE_LINE_LIMIT = 2_000


def _drain(read_fd: int) -> None:
    """Log each line that arrives on the pipe until every writer has closed it."""
    logger = logging.getLogger(NATIVE_LOGGER)
    with os.fdopen(read_fd, "rb") as pipe:
        for raw in pipe:
            text = raw.decode("utf-8", "replace").rstrip()
            if text:
                logger.warning("%s", text[:_NATIVE_LINE_LIMIT])


def _is_process_stderr(stream: object) -> bool:
    """Whether ``stream`` writes to file descriptor 2 (not a test's capture buffer or a replaced stream)."""
    try:
        return stream is sys.__stderr__ and stream is not None and stream.fileno() == 2
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return False


@contextlib.contextmanager
def native_stderr_to_log() -> Iterator[None]:
    """Within the block, bytes written to file descriptor 2 by native code are logged, not shown.

    File descriptor 2 is pointed at a pipe drained by a thread into the logger ``native.stderr``; Python's
    ``sys.stderr`` is pointed at a duplicate of the terminal, so the application's own messages (the one
    error line, progress bars, notes) still reach the user. Does nothing when stderr is not the process's
    own (a test capturing it) or cannot be duplicated.
    """
    if not _is_process_stderr(sys.stderr):
        yield
        return
    try:
        sys.stderr.flush()
        terminal_fd = os.dup(2)
        read_fd, write_fd = os.pipe()
    except OSError:
        yield
        return
    drainer = threading.Thread(target=_drain, args=(read_fd,), name="native-stderr", daemon=True)
    drainer.start()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    original = sys.stderr
    terminal = os.fdopen(terminal_fd, "w", encoding=original.encoding, errors="backslashreplace", buffering=1)
    sys.stderr = terminal
    try:
        yield
    finally:
        terminal.flush()
        os.dup2(terminal.fileno(), 2)
        sys.stderr = original
        terminal.close()
        drainer.join(timeout=5)
