"""Crafting hostile weights folders from the tiny fixture, in both the ``.ckpt`` and the ``.safetensors`` form.

Shared by the hostile-weights tests and the config fuzzer. Every helper writes a complete weights folder
(checkpoint + ``bert/``) under a test's temporary directory and returns it.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import save

from carzero_viewer.errors import CarzeroError
from carzero_viewer.model.bert_folder import load_bert_config
from carzero_viewer.model.checkpoint import (
    ALIASES,
    PREFIX,
    SAFETENSORS_CONFIG_KEY,
    SAFETENSORS_INFO_KEY,
    RawWeights,
    config_for,
    read_official_checkpoint,
)
from carzero_viewer.model.loader import LoadedModel, load_model
from carzero_viewer.paths import resolve_weights_folder
from tests.unit.model.conftest import FIXTURE


def fixture_raw() -> RawWeights:
    return read_official_checkpoint(FIXTURE / "checkpoint.ckpt")


def copy_bert(folder: Path) -> Path:
    """A weights folder holding only a copy of the fixture's ``bert/``."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(FIXTURE / "bert", folder / "bert", dirs_exist_ok=True)
    for path in (folder / "bert").iterdir():
        path.chmod(0o644)
    return folder


def write_ckpt(folder: Path, raw: RawWeights, **extra: Any) -> Path:
    """``checkpoint.ckpt`` in the official layout, with ``extra`` top-level payload entries; returns the file."""
    copy_bert(folder)
    payload: dict[str, Any] = {
        "state_dict": {PREFIX + key: value for key, value in raw.tensors.items()},
        "hyper_parameters": raw.hparams,
    }
    if raw.architecture is not None:
        payload["fixture_architecture"] = raw.architecture
    payload.update(extra)
    path = folder / "checkpoint.ckpt"
    torch.save(payload, path)
    return path


def stored_config() -> dict[str, Any]:
    """The fixture's configuration as the safetensors form stores it (plain JSON data)."""
    raw = fixture_raw()
    config = config_for(raw, load_bert_config(FIXTURE / "bert"))
    data: dict[str, Any] = json.loads(json.dumps(config.to_dict()))
    return data


def write_safetensors(
    folder: Path,
    tensors: dict[str, torch.Tensor] | None = None,
    config_text: str | None = None,
    info: str = '{"trained": false}',
) -> Path:
    """``checkpoint.safetensors`` with the fixture's tensors and stored configuration unless given."""
    copy_bert(folder)
    tensors = fixture_raw().tensors if tensors is None else tensors
    metadata = {
        SAFETENSORS_CONFIG_KEY: json.dumps(stored_config()) if config_text is None else config_text,
        SAFETENSORS_INFO_KEY: info,
    }
    path = folder / "checkpoint.safetensors"
    path.write_bytes(save({k: v.contiguous() for k, v in tensors.items() if k not in ALIASES}, metadata))
    return path


def load(folder: Path) -> LoadedModel:
    return load_model(resolve_weights_folder(folder))


def assert_refused(
    action: Callable[[], object], error: type[CarzeroError], pattern: str, file: Path
) -> CarzeroError:
    """``action`` raises ``error`` whose one-line message names ``file`` and matches ``pattern``."""
    with pytest.raises(error) as raised:
        action()
    message = str(raised.value)
    assert "\n" not in message, message
    assert raised.value.path == file, message
    assert re.search(pattern, message), message
    return raised.value
