"""``carzero-viewer [gui] [PATH...]``: the desktop viewer (the default command).

The window appears before torch is imported: weights are only *located* here (cheap path checks); the
inference thread loads them. When none are found the window says where it looked and offers the untrained
demo model; ``--demo`` uses it right away (``make run`` does, so a fresh checkout shows the whole flow, under
a permanent "UNTRAINED DEMO MODEL" banner).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``gui`` subcommand."""
    parser = subparsers.add_parser(
        "gui",
        help="open the viewer (default command)",
        description="Open the CARZero viewer on image files and/or folders.",
    )
    parser.add_argument("paths", nargs="*", type=Path, help="image files or folders to open")
    parser.add_argument(
        "--weights",
        metavar="DIR",
        help="weights folder (checkpoint + bert/) or checkpoint file; default: settings, $CARZERO_WEIGHTS, "
        "weights/ next to the app, then the user data folder",
    )
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default=None, help="default: settings")
    parser.add_argument(
        "--demo", action="store_true", help="use the bundled UNTRAINED demo model when no weights are found"
    )


def run(args: argparse.Namespace) -> int:
    """Start the Qt application; returns its exit code."""
    from carzero_viewer.paths import user_log_dir
    from carzero_viewer.settings import load_settings
    from carzero_viewer.ui.app import create_application, install_excepthook
    from carzero_viewer.ui.main_window import MainWindow
    from carzero_viewer.ui.weights_choice import candidates, searched_locations

    app = create_application()
    install_excepthook(user_log_dir())
    settings = load_settings()
    window = MainWindow(settings)
    app.aboutToQuit.connect(window.bridge.shutdown)  # stop the inference thread however the app quits
    window.show()
    found, problems = candidates(args.weights, settings.weights_path, demo=args.demo)
    device = args.device or settings.device or "auto"
    if found:
        window.start_model(found, device)
    else:
        window.show_missing_weights(searched_locations(args.weights))
    if args.weights:
        for problem in problems:
            window.show_error(problem)
    if args.paths:
        window.open_paths(list(args.paths))
    return int(app.exec())
