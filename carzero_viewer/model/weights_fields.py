"""Typed values from the untrusted mappings a weights file carries: hyper-parameters, ``fixture_architecture``,
the stored configuration of the safetensors form and the tokenizer options.

Each reader takes plain data (already bounded in size and depth by the JSON parser or the restricted
unpickler), picks the fields the network uses, checks their types and ranges (:mod:`.weights_bounds`) and
returns a frozen dataclass, so :mod:`.config` never sees a raw dict from a file. Fields nobody uses are
ignored; a used field of the wrong type is an error naming the file and the dotted field, never a silent
default.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from carzero_viewer.errors import ModelLoadError, WeightsError
from carzero_viewer.model import weights_bounds as b
from carzero_viewer.model.config import (
    DEFAULT_LAST_N_LAYERS,
    DEFAULT_MAX_LENGTH,
    DEFAULT_RESIZE,
    ArchitectureHints,
    CarzeroConfig,
    FusionConfig,
    PreprocessConfig,
    TextConfig,
    TrainingHints,
    VisionConfig,
    check_bert_settings,
)
from carzero_viewer.untrusted import (
    fail,
    require_bool,
    require_float,
    require_int,
    require_object,
    require_str,
)

PathLike = str | Path | None
_ANY_INT = (-(2**63), 2**63 - 1)
_ANY_FLOAT = (-sys.float_info.max, sys.float_info.max)
# hyper_parameters entries the network uses: dotted path -> TrainingHints field and bounds.
_HINT_FIELDS = {
    "model.text.last_n_layers": ("last_n_layers", 1, b.MAX_DEPTH + 1),
    "data.text.word_num": ("max_length", b.MIN_MAX_LENGTH, b.MAX_MAX_LENGTH),
    "data.image.imsize": ("resize_to", 1, b.MAX_RESIZE),
    "transforms.random_crop.crop_size": ("crop_size", 1, b.MAX_CROP),
}
TOKENIZER_BOOL_OPTIONS = ("do_lower_case", "tokenize_chinese_chars")


def _lookup(tree: Mapping[str, Any], dotted: str, path: PathLike, root: str) -> object | None:
    """The value at ``dotted`` in ``tree`` or None when absent; a non-object on the way is an error."""
    node: object = tree
    walked = root
    for part in dotted.split("."):
        node = require_object(node, path, ModelLoadError, walked)
        if part not in node:
            return None
        node = node[part]
        walked = f"{walked}.{part}"
    return node


def read_training_hints(hparams: object, path: PathLike) -> TrainingHints:
    """The few ``hyper_parameters`` entries the network uses (defaults of the release when absent)."""
    if hparams is None or hparams == {}:
        return TrainingHints()
    tree = require_object(hparams, path, ModelLoadError, "hyper_parameters")
    values: dict[str, int] = {}
    for dotted, (name, low, high) in _HINT_FIELDS.items():
        value = _lookup(tree, dotted, path, "hyper_parameters")
        if value is not None:
            values[name] = require_int(value, path, ModelLoadError, f"hyper_parameters.{dotted}", low, high)
    return TrainingHints(
        last_n_layers=values.get("last_n_layers", DEFAULT_LAST_N_LAYERS),
        max_length=values.get("max_length", DEFAULT_MAX_LENGTH),
        resize_to=values.get("resize_to", DEFAULT_RESIZE),
        crop_size=values.get("crop_size"),
    )


def read_architecture(data: object, path: PathLike) -> ArchitectureHints | None:
    """A ``fixture_architecture`` entry (head counts, LayerNorm epsilons), or None when absent."""
    if data is None:
        return None
    root = "fixture_architecture"
    tree = require_object(data, path, ModelLoadError, root)
    default = ArchitectureHints()
    values: dict[str, Any] = {}
    for part, heads, eps in (("vit", "vit_heads", "vit_eps"), ("fusion", "fusion_heads", "fusion_eps")):
        head_value = _lookup(tree, f"{part}.num_heads", path, root)
        eps_value = _lookup(tree, f"{part}.layernorm_eps", path, root)
        values[heads] = (
            getattr(default, heads)
            if head_value is None
            else require_int(head_value, path, ModelLoadError, f"{root}.{part}.num_heads", 1, b.MAX_WIDTH)
        )
        values[eps] = (
            getattr(default, eps)
            if eps_value is None
            else require_float(
                eps_value,
                path,
                ModelLoadError,
                f"{root}.{part}.layernorm_eps",
                b.MIN_LAYERNORM_EPS,
                b.MAX_LAYERNORM_EPS,
            )
        )
    return ArchitectureHints(**values)


def _section(
    data: Mapping[str, Any], name: str, fields: dict[str, str], path: PathLike, prefix: str, required: bool
) -> dict[str, Any]:
    """One section of a stored configuration: known keys only, each of its declared type."""
    if name not in data:
        if required:
            fail(ModelLoadError, path, prefix + name, "is missing")
        return {}
    section = require_object(data[name], path, ModelLoadError, prefix + name)
    unknown = sorted(set(section) - set(fields))
    if unknown:
        fail(ModelLoadError, path, f"{prefix}{name}.{unknown[0]}", "is not a configuration field")
    values: dict[str, Any] = {}
    for key, kind in fields.items():
        field = f"{prefix}{name}.{key}"
        if key not in section:
            if required:
                fail(ModelLoadError, path, field, "is missing")
            continue
        value = section[key]
        if kind == "int":
            values[key] = require_int(value, path, ModelLoadError, field, *_ANY_INT)
        elif kind == "ints":
            if not isinstance(value, list) or len(value) > b.MAX_MLP_HEAD_LAYERS:
                fail(
                    ModelLoadError, path, field, f"must be a list of at most {b.MAX_MLP_HEAD_LAYERS} integers"
                )
            values[key] = tuple(
                require_int(item, path, ModelLoadError, f"{field}[{i}]", *_ANY_INT)
                for i, item in enumerate(value)
            )
        elif kind == "object":
            values[key] = value
        else:
            values[key] = require_float(value, path, ModelLoadError, field, *_ANY_FLOAT)
    return values


_VISION = {
    "embed_dim": "int",
    "depth": "int",
    "num_heads": "int",
    "mlp_hidden": "int",
    "patch_size": "int",
    "img_size": "int",
    "in_chans": "int",
    "layernorm_eps": "float",
}
_TEXT = {"bert": "object", "last_n_layers": "int", "max_length": "int"}
_FUSION = {
    "d_model": "int",
    "num_layers": "int",
    "ffn_dim": "int",
    "mlp_dims": "ints",
    "num_heads": "int",
    "layernorm_eps": "float",
}
_PREPROCESS = {"resize_to": "int", "crop_size": "int", "mean": "float", "std": "float"}


def read_stored_config(data: object, path: PathLike, prefix: str) -> CarzeroConfig:
    """The configuration the safetensors form stores (:meth:`CarzeroConfig.to_dict` as JSON), fully checked.

    Args:
        data: the parsed JSON value.
        prefix: how it is addressed in the file (``__metadata__.carzero_config.``), for error fields.
    """
    root = require_object(data, path, ModelLoadError, prefix.rstrip("."))
    unknown = sorted(set(root) - {"vision", "text", "fusion", "preprocess"})
    if unknown:
        fail(ModelLoadError, path, prefix + unknown[0], "is not a configuration section")
    text = _section(root, "text", _TEXT, path, prefix, required=True)
    config = CarzeroConfig(
        vision=VisionConfig(**_section(root, "vision", _VISION, path, prefix, required=True)),
        text=TextConfig(
            bert=check_bert_settings(text.pop("bert"), path, prefix + "text.bert.", complete=True), **text
        ),
        fusion=FusionConfig(**_section(root, "fusion", _FUSION, path, prefix, required=True)),
        preprocess=PreprocessConfig(
            **_section(root, "preprocess", _PREPROCESS, path, prefix, required=False)
        ),
    )
    config.validate(path, prefix)
    return config


def read_tokenizer_options(data: object, path: PathLike) -> dict[str, bool | None]:
    """``do_lower_case``, ``tokenize_chinese_chars`` (booleans) and ``strip_accents`` (boolean or null).

    Other keys of ``tokenizer_config.json`` (special-token spellings, model_max_length...) are not used: the
    special tokens are looked up in ``vocab.txt`` and the length is CARZero's own.
    """
    options = require_object(data, path, WeightsError)
    clean: dict[str, bool | None] = {
        key: require_bool(options[key], path, WeightsError, key)
        for key in TOKENIZER_BOOL_OPTIONS
        if key in options
    }
    if options.get("strip_accents") is not None:
        clean["strip_accents"] = require_bool(options["strip_accents"], path, WeightsError, "strip_accents")
    return clean


def read_provenance(data: object, path: PathLike, field: str) -> dict[str, Any]:
    """The provenance this application writes (``trained``: bool, ``description``: text); others dropped."""
    if data is None:
        return {}
    info = require_object(data, path, WeightsError, field)
    clean: dict[str, Any] = {}
    if "trained" in info:
        clean["trained"] = require_bool(info["trained"], path, WeightsError, f"{field}.trained")
    if "description" in info:
        clean["description"] = require_str(
            info["description"], path, WeightsError, f"{field}.description", 1_000
        )
    return clean
