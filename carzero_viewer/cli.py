"""Command-line entry point: ``carzero-viewer [gui] [PATH...]`` and the headless subcommands.

Each subcommand lives in its own module under :mod:`carzero_viewer.commands` and exposes ``add_parser`` and
``run``; command modules import nothing heavy at module level, so ``--help`` stays instant.

One error path: any exception a command raises becomes exactly one line on stderr,
``carzero-viewer <command>: error: <file>: <reason>`` (an unexpected one says where its traceback was logged),
and exit code 1; the traceback goes to the log file (:mod:`carzero_viewer.logs`), where library log records
and Python warnings go too. ``--debug`` also shows all of it on stderr. Ctrl+C is one line and exit code 130.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from carzero_viewer import APP_ID, __version__
from carzero_viewer.commands.common import resolve_sources
from carzero_viewer.errors import CarzeroError
from carzero_viewer.logs import native_stderr_to_log, setup_logging, warnings_to_log
from carzero_viewer.paths import user_log_dir

# Command name -> module. The first one is the default when no known command name is given.
COMMANDS: dict[str, str] = {
    "gui": "carzero_viewer.commands.gui",
    "score": "carzero_viewer.commands.score",
    "weights": "carzero_viewer.commands.weights",
    "selftest": "carzero_viewer.commands.selftest",
    "inspect": "carzero_viewer.commands.inspect",
    "eval": "carzero_viewer.commands.eval",
    "export": "carzero_viewer.commands.export",
    "calibrate": "carzero_viewer.commands.calibrate",
    "send": "carzero_viewer.commands.send",
}
DEFAULT_COMMAND = "gui"

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
MAX_REASON_LENGTH = 400

LOG = logging.getLogger(__name__)


def _load(name: str) -> ModuleType:
    return importlib.import_module(COMMANDS[name])


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every subcommand registered (imports only the light command modules)."""
    parser = argparse.ArgumentParser(prog=APP_ID, description="CARZero chest X-ray viewer and tools.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        _load(name).add_parser(sub)
    return parser


GLOBAL_FLAGS = frozenset({"--debug"})


def _with_default_command(argv: list[str]) -> list[str]:
    """Insert the default command unless a command name is given (``carzero-viewer --demo a.png`` = gui)."""
    if argv[:1] and argv[0] in ("-h", "--help", "--version"):
        return argv
    first_word = next((arg for arg in argv if not arg.startswith("-")), None)
    if first_word in COMMANDS:
        return argv
    leading = [arg for arg in argv if arg in GLOBAL_FLAGS]
    return [*leading, DEFAULT_COMMAND, *(arg for arg in argv if arg not in GLOBAL_FLAGS)]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args_list = _with_default_command(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    args = parser.parse_args(args_list)
    log_file = setup_logging(user_log_dir(), debug=args.debug)
    LOG.info("%s %s: %s started", APP_ID, __version__, args.command)
    try:
        with warnings_to_log(), contextlib.ExitStack() as native:
            if not args.debug:
                native.enter_context(native_stderr_to_log())
            resolve_sources(args)
            code: int = _load(args.command).run(args)
    except KeyboardInterrupt:
        LOG.info("%s interrupted", args.command)
        print(f"{APP_ID} {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        LOG.error("%s failed", args.command, exc_info=exc)
        print(f"{APP_ID} {args.command}: error: {error_line(exc, log_file)}", file=sys.stderr)
        return EXIT_FAILURE
    return code


def error_line(exc: Exception, log_file: Path | None) -> str:
    """One line for ``exc``: ``<file>: <reason>``; an unexpected error says where its traceback is."""
    if isinstance(exc, CarzeroError):
        return _one_line(exc.message)
    if isinstance(exc, OSError) and exc.filename:
        return _one_line(f"{exc.filename}: {exc.strerror or exc}")
    detail = _one_line(str(exc))
    where = f"see the log file {log_file}" if log_file else "run with --debug for the traceback"
    return f"unexpected {type(exc).__name__}{': ' + detail if detail else ''} ({where})"


def _one_line(text: str) -> str:
    """``text`` on one line (line breaks and runs of spaces collapsed), at most :data:`MAX_REASON_LENGTH`."""
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_REASON_LENGTH else flat[: MAX_REASON_LENGTH - 3] + "..."
