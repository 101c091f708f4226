"""``carzero-viewer [gui] [PATH...]``: the desktop viewer (the default command).

The window appears before torch is imported: weights are only *located* here (cheap path checks); the
inference thread loads them. Lookup: ``--weights``, else the saved ``weights_path`` setting, else the normal
order of :func:`carzero_viewer.paths.find_weights`. Whatever is found is followed by the bundled untrained
demo fixture (``tests/data/carzero-tiny``) as a last resort, so a fresh checkout opens a working (clearly
bannered) demo; if nothing loads, the window still opens with "no model" in the status bar.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

LOG = logging.getLogger(__name__)


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
        "weights/ next to the app, the user data folder, then the untrained demo model",
    )
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default=None, help="default: settings")


def demo_weights() -> Path:
    """The untrained demo fixture shipped with the repository."""
    from carzero_viewer.paths import app_root

    return app_root() / "tests" / "data" / "carzero-tiny"


def weights_candidates(explicit: str | None, saved: str) -> tuple[list[Path], list[str]]:
    """Weights folders to try in order (ending with the demo fixture) and the lookup problems met."""
    from carzero_viewer.errors import WeightsError
    from carzero_viewer.paths import find_weights

    problems: list[str] = []
    candidates: list[Path] = []
    for choice in (explicit, saved or None):
        if not choice:
            continue
        try:
            candidates.append(find_weights(choice).checkpoint)
        except WeightsError as exc:
            problems.append(exc.message)
        break  # an explicit --weights wins over the saved setting, even when it is wrong
    if not candidates:
        try:
            candidates.append(find_weights().checkpoint)
        except WeightsError as exc:
            problems.append(exc.message)
    demo = demo_weights()
    if demo.is_dir() and demo not in candidates:
        candidates.append(demo)
    return candidates, problems


def run(args: argparse.Namespace) -> int:
    """Start the Qt application; returns its exit code."""
    from carzero_viewer.paths import user_data_dir
    from carzero_viewer.settings import load_settings
    from carzero_viewer.ui.app import create_application, install_excepthook
    from carzero_viewer.ui.main_window import MainWindow

    app = create_application()
    install_excepthook(user_data_dir())
    settings = load_settings()
    window = MainWindow(settings)
    app.aboutToQuit.connect(window.bridge.shutdown)  # stop the inference thread however the app quits
    window.show()
    candidates, problems = weights_candidates(args.weights, settings.weights_path)
    for problem in problems:
        LOG.warning("%s", problem)
    window.start_model(candidates, args.device or settings.device or "auto")
    if problems and len(candidates) <= 1:
        window.show_error("no CARZero weights found (see weights/README.md); trying the untrained demo model")
    if args.paths:
        window.open_paths(list(args.paths))
    return int(app.exec())
