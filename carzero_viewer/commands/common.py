"""Pieces shared by the subcommands: weights/device options, building an engine, and image sources.

:func:`resolve_sources` is the one place where the image arguments of every command (``images``, ``path``,
``paths``) are read as sources (:mod:`carzero_viewer.imaging.source`): a DICOMweb URL there is retrieved into
the PACS cache and replaced by its image files before the command runs, so ``score``, ``inspect``, ``export``
and the viewer accept ``dicomweb+http(s)://`` URLs without any code of their own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from carzero_viewer.errors import ImageLoadError

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


# The argument names commands give their image inputs (a list, or one path for ``inspect``).
SOURCE_ARGUMENTS = ("images", "paths", "path")


def image_argument(text: str) -> str | Path:
    """argparse ``type`` for an image argument: a DICOMweb URL stays text (``Path`` would fold its ``//``)."""
    from carzero_viewer.pacs.url import is_dicomweb_url  # light: the image stack is not imported to parse

    return text if is_dicomweb_url(text) else Path(text)


def resolve_sources(args: argparse.Namespace) -> None:
    """Replace each DICOMweb URL among ``args``' image arguments by the files it was retrieved to.

    Lists keep their order, a URL's files taking its place; a single ``path`` argument (``inspect``) accepts a
    URL of exactly one image. One line on stderr per URL says how many images came back.

    Raises:
        PacsError: a malformed URL or a failed retrieval.
        ImageLoadError: a URL given for one image stands for several.
    """
    from carzero_viewer.imaging.source import is_remote, source_files

    for name in SOURCE_ARGUMENTS:
        value = getattr(args, name, None)
        values: list[str | Path] = value if isinstance(value, list) else [value] if value is not None else []
        if not any(is_remote(v) for v in values):
            continue
        expanded: list[str | Path] = []
        for item in values:
            if not is_remote(item):
                expanded.append(item)
                continue
            found = source_files(item)
            skipped = f" ({found.skipped} non-image objects left out)" if found.skipped else ""
            print(f"{item}: {len(found.files)} image(s) retrieved into the cache{skipped}", file=sys.stderr)
            expanded.extend(map(str, found.files) if name == "images" else found.files)
        if isinstance(value, list):
            setattr(args, name, expanded)
        elif len(expanded) != 1:
            raise ImageLoadError(f"{value}: stands for {len(expanded)} images where one is expected")
        else:
            setattr(args, name, expanded[0])
