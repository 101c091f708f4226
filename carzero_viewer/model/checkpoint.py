"""Reading and writing CARZero weights: the official Lightning ``.ckpt`` and a pickle-free safetensors form.

The official file is read through :mod:`.safe_unpickle` (no pytorch-lightning or omegaconf needed, nothing
executable allowed). Every key is accounted for: the ``CARZero.`` prefix is stripped; keys the network needs
must all be present with the right shapes; tensors that exist in the release but never run (fusion
self-attention, ``norm1``, ``logit_scale``, BERT pooler, an old ``position_ids`` buffer) are accepted and kept
aside (so a conversion can be reversed); anything else is an error, because it means the file is not what it
claims to be.

The safetensors form is ``<name>.safetensors`` (tensors, the unused ones included, with the duplicated
``decoder.norm`` stored once) whose metadata holds the model configuration as JSON. Loading it needs no pickle
at all.
"""

from __future__ import annotations

import io
import json
import pickle
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save
from torch import Tensor

from carzero_viewer.errors import ModelLoadError, WeightsError
from carzero_viewer.files import write_bytes_atomic
from carzero_viewer.model.config import ArchitectureHints, CarzeroConfig, infer_config
from carzero_viewer.model.safe_unpickle import (
    NestedTooDeep,
    PickleTooLarge,
    RefusedGlobal,
    RestrictedPickleModule,
    scan_pickle,
    to_plain,
)
from carzero_viewer.model.tensor_checks import (
    all_finite,
    check_safetensors_entry,
    check_total_elements,
    checked_tensors,
)
from carzero_viewer.model.weights_bounds import MAX_PICKLE_BYTES, MAX_SAFETENSORS_HEADER
from carzero_viewer.model.weights_fields import (
    read_architecture,
    read_provenance,
    read_stored_config,
    read_training_hints,
)
from carzero_viewer.untrusted import fail, parse_json, require_object, require_regular_file, require_str

PREFIX = "CARZero."
UNUSED_KEY_PATTERNS = (
    re.compile(
        r"fusion_module\.decoder\.layers\.\d+\.self_attn\.(in_proj_weight|in_proj_bias|out_proj\.(weight|bias))$"
    ),
    re.compile(r"fusion_module\.decoder\.layers\.\d+\.norm1\.(weight|bias)$"),
    re.compile(r"fusion_module\.logit_scale$"),
    re.compile(r"text_encoder\.model\.pooler\.dense\.(weight|bias)$"),
    re.compile(r"text_encoder\.model\.embeddings\.(position_ids|token_type_ids)$"),
)
# decoder.norm is the same LayerNorm as decoder_norm: stored once in safetensors, aliased back on load.
ALIASES = {
    "fusion_module.decoder.norm.weight": "fusion_module.decoder_norm.weight",
    "fusion_module.decoder.norm.bias": "fusion_module.decoder_norm.bias",
}
FIXTURE_INFO = {
    "trained": False,
    "description": "test fixture with random weights (fixture_architecture present)",
}
SAFETENSORS_CONFIG_KEY = "carzero_config"
SAFETENSORS_INFO_KEY = "carzero_info"


def is_unused_key(key: str) -> bool:
    """True for tensors of the release that are loadable but never run at inference."""
    return any(pattern.match(key) for pattern in UNUSED_KEY_PATTERNS)


@dataclass
class RawWeights:
    """Tensors and metadata read from a weights file, before a network is built.

    Attributes:
        tensors: prefix-stripped key -> float32 tensor (used and known-unused keys).
        hparams: the training configuration as plain data (empty when unreadable or absent).
        architecture: explicit head counts / epsilons (fixtures only), else None.
        info: free-form provenance written by this application (e.g. ``{"trained": false}``).
        config: a stored configuration (safetensors form), else None.
    """

    tensors: dict[str, Tensor]
    hparams: dict[str, Any] = field(default_factory=dict)
    architecture: dict[str, Any] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    config: CarzeroConfig | None = None

    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {key: tuple(t.shape) for key, t in self.tensors.items()}


def _pickle_record(path: Path) -> bytes:
    """The ``<archive>/data.pkl`` record of a torch zip, size-checked before it is read, then scanned."""
    try:
        with zipfile.ZipFile(path) as archive:
            records = [
                i
                for i in archive.infolist()
                if i.filename.count("/") == 1 and i.filename.endswith("/data.pkl")
            ]
            if len(records) != 1:
                fail(WeightsError, path, None, "not a PyTorch checkpoint archive (no single data.pkl record)")
            if records[0].file_size > MAX_PICKLE_BYTES:
                fail(
                    WeightsError,
                    path,
                    records[0].filename,
                    f"is {records[0].file_size:,} bytes; a checkpoint's pickle holds structure only "
                    f"(at most {MAX_PICKLE_BYTES:,} bytes are read)",
                )
            data = archive.read(records[0])
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
        raise WeightsError(f"checkpoint is truncated or corrupt ({exc})", path) from exc
    try:
        scan_pickle(data)
    except PickleTooLarge as exc:
        fail(WeightsError, path, records[0].filename, f"refused: {exc}")
    except pickle.UnpicklingError as exc:
        fail(WeightsError, path, records[0].filename, f"checkpoint is corrupt ({exc})")
    return data


def _load_payload(path: Path) -> object:
    """``torch.load`` through the restricted unpickler, every failure a one-line :class:`WeightsError`."""
    try:
        return torch.load(
            path, map_location="cpu", weights_only=False, pickle_module=RestrictedPickleModule, mmap=True
        )
    except RefusedGlobal as exc:
        raise WeightsError(
            f"checkpoint refused: its pickle references {exc.qualified_name}, which is not allowed "
            "(only tensors and plain data are loaded; the file may be tampered with)",
            path,
        ) from exc
    except PickleTooLarge as exc:
        raise WeightsError(f"checkpoint refused: {exc}", path) from exc
    except MemoryError as exc:
        raise WeightsError("checkpoint asks for more memory than is available; refused", path) from exc
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise WeightsError(f"checkpoint is truncated or corrupt ({exc})", path) from exc
    except Exception as exc:  # the pickle machinery can raise anything on a damaged stream
        raise WeightsError(f"checkpoint is unreadable ({type(exc).__name__}: {exc})", path) from exc


def _plain(payload: Mapping[str, Any], key: str, path: Path) -> Any:
    try:
        return to_plain(payload.get(key))
    except NestedTooDeep as exc:
        fail(WeightsError, path, key, str(exc))


def read_official_checkpoint(path: Path) -> RawWeights:
    """Read a Lightning checkpoint through the restricted unpickler, within the bounds of ``weights_bounds``.

    Raises:
        WeightsError: refused global, oversized or malformed pickle, truncated or corrupt archive, no usable
            ``state_dict``, or a tensor refused by ``tensor_checks``.
    """
    require_regular_file(path, WeightsError, "checkpoint file")
    if not zipfile.is_zipfile(path):
        raise WeightsError(
            "not a PyTorch checkpoint archive (truncated, corrupt or a different format)", path
        )
    _pickle_record(path)
    payload = _load_payload(path)
    if not isinstance(payload, dict):
        raise WeightsError("checkpoint does not contain a dictionary", path)
    state = payload.get("state_dict", payload)
    if not isinstance(state, Mapping) or not state:
        raise WeightsError("checkpoint has no state_dict", path)
    keys = [key for key in state if not isinstance(key, str)]
    if keys:
        fail(WeightsError, path, "state_dict", f"has a key that is not a string ({type(keys[0]).__name__})")
    tensors = checked_tensors({key.split(PREFIX)[-1]: value for key, value in state.items()}, path)
    hparams = _plain(payload, "hyper_parameters", path) or {}
    architecture = _plain(payload, "fixture_architecture", path)
    info = read_provenance(_plain(payload, "carzero_viewer_info", path), path, "carzero_viewer_info")
    if architecture is not None and not info:
        info = dict(FIXTURE_INFO)  # fixtures are generated with random weights
    return RawWeights(tensors=tensors, hparams=hparams, architecture=architecture, info=info)


def _safetensors_header(path: Path) -> dict[str, Any]:
    """The JSON header of a safetensors file, bounded and checked entry by entry before any tensor is read."""
    size = require_regular_file(path, WeightsError, "safetensors file")
    try:
        with path.open("rb") as handle:
            prefix = handle.read(8)
            length = int.from_bytes(prefix, "little")
            if len(prefix) < 8 or length > size - 8:
                fail(WeightsError, path, None, "safetensors file is truncated (header length past the end)")
            if length > MAX_SAFETENSORS_HEADER:
                fail(WeightsError, path, "header", f"is {length:,} bytes; at most {MAX_SAFETENSORS_HEADER:,}")
            text = handle.read(length).decode("utf-8")
    except OSError as exc:
        raise WeightsError(f"safetensors file cannot be read ({exc.strerror or exc})", path) from exc
    except UnicodeDecodeError as exc:
        raise WeightsError(f"safetensors header is not UTF-8 ({exc.reason})", path) from exc
    header = require_object(parse_json(text, path, WeightsError, "safetensors header"), path, WeightsError)
    data_bytes = size - 8 - length
    total = 0
    for key, entry in header.items():
        if key != "__metadata__":
            total += check_safetensors_entry(key, entry, data_bytes, path)
    check_total_elements(total, path)
    return header


def read_safetensors(path: Path) -> RawWeights:
    """Read the pickle-free form (tensors + JSON metadata), header and metadata checked first."""
    header = _safetensors_header(path)
    metadata = require_object(header.get("__metadata__", {}), path, WeightsError, "__metadata__")
    if SAFETENSORS_CONFIG_KEY not in metadata:
        raise WeightsError("safetensors file lacks the CARZero configuration metadata", path)
    field = f"__metadata__.{SAFETENSORS_CONFIG_KEY}"
    stored = require_str(metadata[SAFETENSORS_CONFIG_KEY], path, WeightsError, field, MAX_SAFETENSORS_HEADER)
    config = read_stored_config(parse_json(stored, path, ModelLoadError, field), path, field + ".")
    info_field = f"__metadata__.{SAFETENSORS_INFO_KEY}"
    info_text = require_str(metadata.get(SAFETENSORS_INFO_KEY, "{}"), path, WeightsError, info_field)
    info = read_provenance(parse_json(info_text, path, WeightsError, info_field), path, info_field)
    try:
        loaded = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"safetensors file is truncated or corrupt ({exc})", path) from exc
    tensors = checked_tensors(loaded, path)
    for alias, target in ALIASES.items():
        if target in tensors:
            tensors.setdefault(alias, tensors[target])
    return RawWeights(tensors=tensors, info=info, config=config)


def read_weights(path: Path) -> RawWeights:
    """Dispatch on the file suffix."""
    if path.suffix == ".safetensors":
        return read_safetensors(path)
    return read_official_checkpoint(path)


def check_keys(raw: RawWeights, expected: Mapping[str, tuple[int, ...]], path: Path) -> None:
    """Account for every key: all expected present with matching shapes, extras only the known-unused ones."""
    missing = sorted(set(expected) - set(raw.tensors))
    unknown = sorted(k for k in set(raw.tensors) - set(expected) if not is_unused_key(k))
    mismatched = sorted(
        f"{key} {tuple(raw.tensors[key].shape)} != {shape}"
        for key, shape in expected.items()
        if key in raw.tensors and tuple(raw.tensors[key].shape) != shape
    )
    problems = []
    if missing:
        problems.append(
            f"{len(missing)} missing tensor(s): {', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}"
        )
    if unknown:
        problems.append(
            f"{len(unknown)} unexpected tensor(s): {', '.join(unknown[:8])}{' ...' if len(unknown) > 8 else ''}"
        )
    if mismatched:
        problems.append(f"shape mismatch: {'; '.join(mismatched[:8])}")
    if problems:
        raise WeightsError(
            "checkpoint does not match the CARZero architecture: " + " | ".join(problems), path
        )
    for key in expected:
        if not all_finite(raw.tensors[key]):
            raise WeightsError(f"tensor {key!r} contains NaN or infinite values", path)


def config_for(raw: RawWeights, bert_config: Mapping[str, Any], path: Path | None = None) -> CarzeroConfig:
    """The configuration stored with the weights, or one inferred from shapes and checked hyper-parameters.

    Args:
        raw: what :func:`read_weights` returned.
        bert_config: the checked BERT settings (:func:`~.bert_folder.load_bert_config`).
        path: the weights file, named in errors.
    """
    if raw.config is not None:
        return raw.config
    used = {k: v for k, v in raw.shapes().items() if not is_unused_key(k)}
    hints = read_training_hints(raw.hparams, path)
    return infer_config(used, bert_config, hints, read_architecture(raw.architecture, path), path)


def save_safetensors(raw: RawWeights, config: CarzeroConfig, path: Path, force: bool = False) -> None:
    """Write the pickle-free form atomically (``files.py``); tensors shared under two names are stored once.

    Raises:
        WriteError: the file exists (without ``force``), the folder is read-only, the disk is full; no
            partial file is left.
    """
    tensors = {k: v.contiguous() for k, v in raw.tensors.items() if k not in ALIASES}
    metadata = {
        SAFETENSORS_CONFIG_KEY: json.dumps(config.to_dict()),
        SAFETENSORS_INFO_KEY: json.dumps(raw.info),
    }
    write_bytes_atomic(path, save(tensors, metadata=metadata), force)


def explicit_architecture(config: CarzeroConfig) -> dict[str, Any] | None:
    """Head counts / epsilons that differ from the release: a ``.ckpt`` must carry them (shapes cannot)."""
    vit, fusion = config.vision, config.fusion
    hints = ArchitectureHints(vit.num_heads, vit.layernorm_eps, fusion.num_heads, fusion.layernorm_eps)
    return None if hints == ArchitectureHints() else hints.to_dict()


def save_official_checkpoint(
    raw: RawWeights, path: Path, config: CarzeroConfig | None = None, force: bool = False
) -> None:
    """Write the official Lightning layout (``CARZero.``-prefixed ``state_dict`` + plain hyper-parameters).

    Used to convert back from safetensors and to create full-size test checkpoints; the official code reads
    the result (its hyper-parameters are plain dicts rather than OmegaConf objects). With ``config``, head
    counts that differ from the release are written as ``fixture_architecture`` so they survive the trip.
    Written atomically through ``files.py`` (never truncated in place: a loaded checkpoint may be
    memory-mapped, and overwriting a mapped file kills the process with SIGBUS).

    Raises:
        WriteError: as :func:`save_safetensors`.
    """
    payload: dict[str, Any] = {
        "epoch": 0,
        "global_step": 0,
        "pytorch-lightning_version": "1.1.4",
        "state_dict": {PREFIX + key: value for key, value in raw.tensors.items()},
        "hparams_name": "cfg",
        "hyper_parameters": raw.hparams,
    }
    architecture = raw.architecture or (explicit_architecture(config) if config is not None else None)
    if architecture is not None:
        payload["fixture_architecture"] = architecture
    if raw.info:
        payload["carzero_viewer_info"] = raw.info
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    write_bytes_atomic(path, buffer.getvalue(), force)
