"""``carzero-viewer [gui] [PATH...]``: the desktop viewer (the default command).

The GUI thread never imports torch before its window appears: weights are only *located* here (cheap path
checks); the inference thread, started before the window is built, imports torch and loads them meanwhile.
When none are found the window says where it looked and offers the untrained demo model; ``--demo`` uses it
right away (``make run`` does, so a fresh checkout shows the whole flow, under a permanent "UNTRAINED DEMO
MODEL" banner). ``--smoke-test`` opens the sample study with the demo model, prints timings as one JSON line
once the first scores arrive, and quits (how ``make bundle`` checks a frozen build; see
:mod:`carzero_viewer.ui.smoke_test`).
"""

from __future__ import annotations

import argparse
import time

from carzero_viewer.commands.common import image_argument


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``gui`` subcommand."""
    parser = subparsers.add_parser(
        "gui",
        help="open the viewer (default command)",
        description="Open the CARZero viewer on image files and/or folders.",
    )
    parser.add_argument(
        "paths", nargs="*", type=image_argument, help="image files or folders, or DICOMweb study/series URLs"
    )
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
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="open the sample study (unless PATHs are given) with --demo, print one JSON line of timings when "
        "the first scores arrive, and quit (exit code 0; 1 on an error or a timeout)",
    )


def run(args: argparse.Namespace) -> int:
    """Start the Qt application; returns its exit code."""
    started = time.monotonic()
    from carzero_viewer.paths import sample_study_dir, user_log_dir
    from carzero_viewer.settings import load_settings
    from carzero_viewer.ui.app import create_application, install_excepthook, route_qt_messages
    from carzero_viewer.ui.inference_bridge import InferenceBridge
    from carzero_viewer.ui.main_window import MainWindow
    from carzero_viewer.ui.smoke_test import run_smoke_test
    from carzero_viewer.ui.weights_choice import candidates, searched_locations

    app = create_application()
    install_excepthook(user_log_dir())
    route_qt_messages()
    settings = load_settings()
    found, problems = candidates(args.weights, settings.weights_path, demo=args.demo or args.smoke_test)
    # The inference thread starts importing torch and loading the weights now, while this thread builds the
    # window (torch's import is the largest part of a start); the window still appears first, since it never
    # waits for the model. Its signals are queued, so none is lost before the window connects to them. The
    # widget modules are imported before: importing them (qtpy's wrappers read PySide signatures, and
    # shiboken then imports every module in sys.modules) would wait for a half-imported torch.
    bridge = InferenceBridge()
    if found:
        bridge.load_model(found, args.device or settings.device or "auto")
    window = MainWindow(settings, bridge)
    app.aboutToQuit.connect(window.bridge.shutdown)  # stop the inference thread however the app quits
    window.show()
    if found:
        window.chrome.set_model_text("model: loading…", "")
    else:
        window.show_missing_weights(searched_locations(args.weights))
    if args.weights:
        for problem in problems:
            window.show_error(problem)
    paths = list(args.paths) or ([sample_study_dir()] if args.smoke_test else [])
    if paths:
        window.open_paths(paths)
    if args.smoke_test:
        return run_smoke_test(window, started)
    return int(app.exec())
