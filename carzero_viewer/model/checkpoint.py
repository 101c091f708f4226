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

import contextlib
import json
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor

from carzero_viewer.errors import WeightsError
from carzero_viewer.model.config import (
    FUSION_LAYERNORM_EPS,
    RELEASED_FUSION_HEADS,
    RELEASED_VIT_HEADS,
    VIT_LAYERNORM_EPS,
    CarzeroConfig,
    infer_config,
)
from carzero_viewer.model.safe_unpickle import RefusedGlobal, RestrictedPickleModule, to_plain

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


def _float32(key: str, value: Any, path: Path) -> Tensor:
    if not isinstance(value, Tensor):
        raise WeightsError(f"state_dict entry {key!r} is not a tensor ({type(value).__name__})", path)
    if not value.is_floating_point() and key not in ("text_encoder.model.embeddings.position_ids",):
        raise WeightsError(f"tensor {key!r} has dtype {value.dtype}, expected floating point", path)
    return value.float() if value.is_floating_point() else value


def read_official_checkpoint(path: Path) -> RawWeights:
    """Read a Lightning checkpoint through the restricted unpickler.

    Raises:
        WeightsError: refused global, truncated or corrupt archive, or no usable ``state_dict``.
    """
    if not path.is_file():
        raise WeightsError("checkpoint file is missing", path)
    if not zipfile.is_zipfile(path):
        raise WeightsError(
            "not a PyTorch checkpoint archive (truncated, corrupt or a different format)", path
        )
    try:
        payload = torch.load(
            path, map_location="cpu", weights_only=False, pickle_module=RestrictedPickleModule, mmap=True
        )
    except RefusedGlobal as exc:
        raise WeightsError(
            f"checkpoint refused: its pickle references {exc.qualified_name}, which is not allowed "
            "(only tensors and plain data are loaded; the file may be tampered with)",
            path,
        ) from exc
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise WeightsError(f"checkpoint is truncated or corrupt ({exc})", path) from exc
    except Exception as exc:  # the pickle machinery can raise anything on a damaged stream
        raise WeightsError(f"checkpoint is unreadable ({type(exc).__name__}: {exc})", path) from exc
    if not isinstance(payload, dict):
        raise WeightsError("checkpoint does not contain a dictionary", path)
    state = payload.get("state_dict", payload)
    if not isinstance(state, Mapping) or not state:
        raise WeightsError("checkpoint has no state_dict", path)
    tensors = {str(key).split(PREFIX)[-1]: _float32(str(key), value, path) for key, value in state.items()}
    hparams = to_plain(payload.get("hyper_parameters")) or {}
    architecture = payload.get("fixture_architecture")
    info = to_plain(payload.get("carzero_viewer_info")) or {}
    if architecture is not None and not info:
        info = dict(FIXTURE_INFO)  # fixtures are generated with random weights
    return RawWeights(
        tensors=tensors,
        hparams=hparams if isinstance(hparams, dict) else {},
        architecture=to_plain(architecture) if isinstance(architecture, dict) else None,
        info=info if isinstance(info, dict) else {},
    )


def read_safetensors(path: Path) -> RawWeights:
    """Read the pickle-free form (tensors + JSON metadata)."""
    if not path.is_file():
        raise WeightsError("checkpoint file is missing", path)
    try:
        tensors = load_file(str(path))
        with path.open("rb") as handle:
            header_len = int.from_bytes(handle.read(8), "little")
            header = json.loads(handle.read(header_len))
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"safetensors file is truncated or corrupt ({exc})", path) from exc
    metadata = header.get("__metadata__") or {}
    if SAFETENSORS_CONFIG_KEY not in metadata:
        raise WeightsError("safetensors file lacks the CARZero configuration metadata", path)
    try:
        config = CarzeroConfig.from_dict(json.loads(metadata[SAFETENSORS_CONFIG_KEY]))
        info = json.loads(metadata.get(SAFETENSORS_INFO_KEY, "{}"))
    except json.JSONDecodeError as exc:
        raise WeightsError(f"safetensors metadata is not valid JSON ({exc})", path) from exc
    for alias, target in ALIASES.items():
        if target in tensors:
            tensors.setdefault(alias, tensors[target])
    return RawWeights(tensors=tensors, info=info if isinstance(info, dict) else {}, config=config)


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
        if not torch.isfinite(raw.tensors[key]).all():
            raise WeightsError(f"tensor {key!r} contains NaN or infinite values", path)


def config_for(raw: RawWeights, bert_config: Mapping[str, Any]) -> CarzeroConfig:
    """The configuration stored with the weights, or one inferred from shapes and hyper-parameters."""
    if raw.config is not None:
        return raw.config
    used = {k: v for k, v in raw.shapes().items() if not is_unused_key(k)}
    return infer_config(used, bert_config, raw.hparams, raw.architecture)


@contextlib.contextmanager
def _atomic_target(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling and rename it over ``path`` on success.

    Never truncates ``path`` in place: it may be memory-mapped by a loaded checkpoint (overwriting a mapped
    file kills the process with SIGBUS), and a failed write (full disk) must leave the old file intact.
    """
    partial = path.with_name(f".{path.name}.partial")
    try:
        yield partial
        partial.replace(path)
    except OSError as exc:
        raise WeightsError(f"cannot write ({exc.strerror or exc})", path) from exc
    finally:
        partial.unlink(missing_ok=True)


def save_safetensors(raw: RawWeights, config: CarzeroConfig, path: Path) -> None:
    """Write the pickle-free form atomically; tensors shared under two names are stored once."""
    tensors = {k: v.contiguous() for k, v in raw.tensors.items() if k not in ALIASES}
    metadata = {
        SAFETENSORS_CONFIG_KEY: json.dumps(config.to_dict()),
        SAFETENSORS_INFO_KEY: json.dumps(raw.info),
    }
    with _atomic_target(path) as partial:
        save_file(tensors, str(partial), metadata=metadata)


def explicit_architecture(config: CarzeroConfig) -> dict[str, Any] | None:
    """Head counts / epsilons that differ from the release: a ``.ckpt`` must carry them (shapes cannot)."""
    vit, fusion = config.vision, config.fusion
    released = (RELEASED_VIT_HEADS, VIT_LAYERNORM_EPS, RELEASED_FUSION_HEADS, FUSION_LAYERNORM_EPS)
    if (vit.num_heads, vit.layernorm_eps, fusion.num_heads, fusion.layernorm_eps) == released:
        return None
    return {
        "vit": {"num_heads": vit.num_heads, "layernorm_eps": vit.layernorm_eps},
        "fusion": {"num_heads": fusion.num_heads, "layernorm_eps": fusion.layernorm_eps},
    }


def save_official_checkpoint(raw: RawWeights, path: Path, config: CarzeroConfig | None = None) -> None:
    """Write the official Lightning layout (``CARZero.``-prefixed ``state_dict`` + plain hyper-parameters).

    Used to convert back from safetensors and to create full-size test checkpoints; the official code reads
    the result (its hyper-parameters are plain dicts rather than OmegaConf objects). With ``config``, head
    counts that differ from the release are written as ``fixture_architecture`` so they survive the trip.
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
    with _atomic_target(path) as partial:
        torch.save(payload, partial)
