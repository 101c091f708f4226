"""Command-line entry point: ``carzero-viewer [gui] [PATH...]`` and the headless subcommands.

Each subcommand lives in its own module under :mod:`carzero_viewer.commands` and exposes ``add_parser`` and
``run``; command modules import nothing heavy at module level, so ``--help`` stays instant. Any
:class:`~carzero_viewer.errors.CarzeroError` becomes a one-line message on stderr and a non-zero exit code;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType

from carzero_viewer import APP_ID, __version__
from carzero_viewer.errors import CarzeroError

# Command name -> module. The first one is the default when no known command name is given.
COMMANDS: dict[str, str] = {
    "gui": "carzero_viewer.commands.gui",
    "score": "carzero_viewer.commands.score",
    "weights": "carzero_viewer.commands.weights",
    "selftest": "carzero_viewer.commands.selftest",
    "inspect": "carzero_viewer.commands.inspect",
    "eval": "carzero_viewer.commands.eval",
    "export": "carzero_viewer.commands.export",
}
DEFAULT_COMMAND = "gui"

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


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
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        code: int = _load(args.command).run(args)
    except CarzeroError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"{APP_ID} {args.command}: error: {exc.message}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"{APP_ID} {args.command}: interrupted", file=sys.stderr)
        return 130
    return code
