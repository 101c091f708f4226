"""Pieces shared by the model-using subcommands: weights/device options and building an engine."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from carzero_viewer.inference.engine import InferenceEngine


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--weights",
        metavar="DIR",
        help="weights folder (checkpoint + bert/) or checkpoint file; default: $CARZERO_WEIGHTS, "
        "weights/ next to the app, then the user data folder",
    )
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="default: auto")
    parser.add_argument(
        "--precision",
        choices=("fp32", "bf16", "fp16"),
        default="fp32",
        help="autocast precision (fp32 reproduces the reference exactly); default: fp32",
    )


def build_engine(args: argparse.Namespace) -> InferenceEngine:
    """Find and load the weights named by the options; warns on stderr when they are untrained."""
    from carzero_viewer.inference.device import select_device
    from carzero_viewer.inference.engine import InferenceEngine
    from carzero_viewer.model.loader import UNTRAINED_BANNER, load_model
    from carzero_viewer.paths import find_weights

    device = select_device(args.device, args.precision)
    loaded = load_model(find_weights(args.weights), device.device)
    if loaded.info.is_untrained:
        print(f"WARNING: {UNTRAINED_BANNER} ({loaded.info.status_detail})", file=sys.stderr)
    return InferenceEngine(loaded, device)
