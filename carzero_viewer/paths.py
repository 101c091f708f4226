"""Where things live: user directories, resources (also when frozen by PyInstaller) and the weights lookup.

Weights are looked up in this order, and a miss reports every place that was tried:

1. an explicit ``--weights`` path (folder or checkpoint file),
2. the ``CARZERO_WEIGHTS`` environment variable,
3. ``weights/`` next to the application (the repository root, or the executable's folder when frozen),
4. ``weights/`` in the user data directory.

A weights folder holds one ``*.ckpt`` or ``*.safetensors`` file and a BERT folder (``bert/`` or the released
folder's name) with ``config.json`` and ``vocab.txt``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from carzero_viewer import APP_ID
from carzero_viewer.errors import WeightsError

WEIGHTS_ENV = "CARZERO_WEIGHTS"
CONFIG_DIR_ENV = "CARZERO_CONFIG_DIR"
DATA_DIR_ENV = "CARZERO_DATA_DIR"
CHECKPOINT_SUFFIXES = (".ckpt", ".safetensors")
BERT_REQUIRED_FILES = ("config.json", "vocab.txt")
DEMO_MODEL_NAME = "carzero-tiny"


def app_root() -> Path:
    """The folder that holds ``resources/`` and ``weights/``: the bundle when frozen, else the checkout."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    return Path(frozen_root) / "resources" if frozen_root is not None else app_root() / "resources"


def demo_model_dir() -> Path:
    """The untrained tiny demo model: ``resources/carzero-tiny`` in a bundle, the test fixture in a checkout.

    One folder serves ``--demo`` and ``selftest``: it is the fidelity fixture, so the bundle ships it once.
    """
    bundled = resources_dir() / DEMO_MODEL_NAME
    return bundled if bundled.is_dir() else app_root() / "tests" / "data" / DEMO_MODEL_NAME


def sample_study_dir() -> Path:
    """The bundled sample study (real NIH ChestX-ray14 images with their expert boxes)."""
    return resources_dir() / "samples"


def user_config_dir() -> Path:
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_ID, appauthor=False))


def user_log_dir() -> Path:
    """Where the rotating log lives (inside ``$CARZERO_DATA_DIR`` when that is set, e.g. in tests)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override) / "logs"
    return Path(platformdirs.user_log_dir(APP_ID, appauthor=False))


def user_cache_dir() -> Path:
    """Data that can be fetched again (the PACS retrieval cache); inside ``$CARZERO_DATA_DIR`` when that is
    set, e.g. in tests, so a test never fills the user's own cache."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override) / "cache"
    return Path(platformdirs.user_cache_dir(APP_ID, appauthor=False))


def user_data_dir() -> Path:
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_ID, appauthor=False))


@dataclass(frozen=True)
class WeightsLocation:
    """A checkpoint file and the BERT folder that goes with it."""

    checkpoint: Path
    bert_dir: Path


def _find_bert_dir(folder: Path) -> Path | None:
    candidates = [folder / "bert", *sorted(p for p in folder.iterdir() if p.is_dir())]
    for candidate in candidates:
        # exists(), not is_file(): a FIFO or device in place of a file is refused by the reader with that
        # reason, instead of being reported as missing.
        if all((candidate / name).exists() for name in BERT_REQUIRED_FILES):
            return candidate
    return None


def resolve_weights_folder(path: Path) -> WeightsLocation:
    """Interpret one candidate path (folder, or checkpoint file with its BERT folder beside it).

    Raises:
        WeightsError: naming exactly which file is missing.
    """
    if path.exists() and not path.is_dir():
        if path.suffix not in CHECKPOINT_SUFFIXES:
            raise WeightsError(f"not a checkpoint (expected {' or '.join(CHECKPOINT_SUFFIXES)})", path)
        folder, checkpoint = path.parent, path
    elif path.is_dir():
        folder = path
        found = sorted(p for p in folder.iterdir() if p.suffix in CHECKPOINT_SUFFIXES and not p.is_dir())
        if not found:
            raise WeightsError("no *.ckpt or *.safetensors checkpoint in this folder", folder)
        preferred = [p for p in found if p.suffix == ".safetensors"] or found
        if len(preferred) > 1:
            names = ", ".join(p.name for p in preferred)
            raise WeightsError(f"several checkpoints ({names}); pass one file with --weights", folder)
        checkpoint = preferred[0]
    else:
        raise WeightsError("does not exist", path)
    bert_dir = _find_bert_dir(folder)
    if bert_dir is None:
        bert = folder / "bert"
        missing = [name for name in BERT_REQUIRED_FILES if not (bert / name).exists()]
        raise WeightsError(
            f"BERT folder incomplete: {', '.join(missing)} missing (expected {bert}/config.json and vocab.txt)",
            bert,
        )
    return WeightsLocation(checkpoint=checkpoint, bert_dir=bert_dir)


def weights_candidates(explicit: str | Path | None = None) -> list[tuple[str, Path]]:
    """The lookup order as (source, path) pairs."""
    candidates: list[tuple[str, Path]] = []
    if explicit is not None:
        candidates.append(("--weights", Path(explicit).expanduser()))
    env = os.environ.get(WEIGHTS_ENV)
    if env:
        candidates.append((WEIGHTS_ENV, Path(env).expanduser()))
    candidates.append(("application folder", app_root() / "weights"))
    candidates.append(("user data folder", user_data_dir() / "weights"))
    return candidates


def find_weights(explicit: str | Path | None = None) -> WeightsLocation:
    """Find weights following the lookup order; an explicit path that is wrong is an error on its own."""
    tried: list[str] = []
    for source, candidate in weights_candidates(explicit):
        if source in ("--weights", WEIGHTS_ENV):
            return resolve_weights_folder(candidate)
        try:
            return resolve_weights_folder(candidate)
        except WeightsError as exc:
            tried.append(f"{source} {candidate} ({exc.reason})")
    raise WeightsError(
        "no CARZero weights found; looked in: " + "; ".join(tried) + ". See weights/README.md for where the "
        "released files come from, or pass --weights DIR"
    )
