"""Model configuration inferred from checkpoint tensor shapes, the BERT ``config.json`` and the hyper-parameters.

One code path builds the 220M-parameter release and the tiny test fixture: every width and depth is read from
tensor shapes. What shapes cannot tell (head counts, LayerNorm epsilons) takes the released model's values
(spec sections 2.1 and 2.3) unless the checkpoint carries an explicit ``fixture_architecture`` entry.

Every size, whether read from shapes, from the BERT ``config.json``, from the hyper-parameters or from a stored
configuration, is checked by :meth:`CarzeroConfig.validate` against :mod:`.weights_bounds` (types, ranges,
divisibility, the parameter total) before a network is built, and errors name the file and the field.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from carzero_viewer.errors import ModelLoadError
from carzero_viewer.model import weights_bounds as b
from carzero_viewer.untrusted import fail, require_choice, require_float, require_int, require_object

BERT_ACTIVATIONS = ("gelu", "relu", "gelu_new", "gelu_pytorch_tanh")
# BERT config.json fields the encoder reads, with their bounds (weights_bounds) and BertConfig's defaults.
BERT_INT_FIELDS = {
    "vocab_size": (b.MIN_VOCAB, b.MAX_VOCAB),
    "hidden_size": (1, b.MAX_WIDTH),
    "num_hidden_layers": (1, b.MAX_DEPTH),
    "num_attention_heads": (1, b.MAX_WIDTH),
    "intermediate_size": (1, b.MAX_FFN),
    "max_position_embeddings": (1, b.MAX_POSITIONS),
    "type_vocab_size": (1, b.MAX_TYPE_VOCAB),
}
BERT_SHAPE_FIELDS = frozenset(
    {
        "vocab_size",
        "hidden_size",
        "num_hidden_layers",
        "intermediate_size",
        "max_position_embeddings",
        "type_vocab_size",
    }
)
BERT_FLOAT_FIELDS = {
    "layer_norm_eps": (b.MIN_LAYERNORM_EPS, b.MAX_LAYERNORM_EPS),
    "hidden_dropout_prob": (0.0, 1.0),
    "attention_probs_dropout_prob": (0.0, 1.0),
}
BERT_CHOICE_FIELDS: dict[str, tuple[object, ...]] = {
    "hidden_act": BERT_ACTIVATIONS,
    "position_embedding_type": ("absolute",),
}
BERT_DEFAULTS: dict[str, Any] = {
    "num_attention_heads": 12,
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "hidden_act": "gelu",
    "position_embedding_type": "absolute",
}

# Released-model constants that tensor shapes cannot reveal (spec sections 2 and 7.3).
RELEASED_VIT_HEADS = 12
RELEASED_FUSION_HEADS = 4
VIT_LAYERNORM_EPS = 1e-6
FUSION_LAYERNORM_EPS = 1e-5
DEFAULT_LAST_N_LAYERS = 4
DEFAULT_MAX_LENGTH = 97
DEFAULT_RESIZE = 256
DEFAULT_CROP = 224
CXR_MAE_MEAN = 0.4978
CXR_MAE_STD = 0.2449

Shapes = Mapping[str, tuple[int, ...]]


@dataclass(frozen=True)
class VisionConfig:
    """ViT encoder sizes (timm ``VisionTransformer`` naming)."""

    embed_dim: int
    depth: int
    num_heads: int
    mlp_hidden: int
    patch_size: int
    img_size: int
    in_chans: int = 3
    layernorm_eps: float = VIT_LAYERNORM_EPS

    @property
    def grid(self) -> int:
        """Patches per side (14 for ViT-B/16 at 224)."""
        return self.img_size // self.patch_size


@dataclass(frozen=True)
class TextConfig:
    """BERT ``config.json`` content plus how CARZero reads BERT's hidden states."""

    bert: dict[str, Any]
    last_n_layers: int = DEFAULT_LAST_N_LAYERS
    max_length: int = DEFAULT_MAX_LENGTH

    @property
    def hidden_size(self) -> int:
        return int(self.bert["hidden_size"])


@dataclass(frozen=True)
class FusionConfig:
    """Cross-attention decoder + MLP head sizes."""

    d_model: int
    num_layers: int
    ffn_dim: int
    mlp_dims: tuple[int, ...]
    num_heads: int = RELEASED_FUSION_HEADS
    layernorm_eps: float = FUSION_LAYERNORM_EPS


@dataclass(frozen=True)
class PreprocessConfig:
    """Image preprocessing constants (spec section 3)."""

    resize_to: int = DEFAULT_RESIZE
    crop_size: int = DEFAULT_CROP
    mean: float = CXR_MAE_MEAN
    std: float = CXR_MAE_STD


@dataclass(frozen=True)
class CarzeroConfig:
    """Everything needed to build the network; serialisable to JSON for the safetensors form."""

    vision: VisionConfig
    text: TextConfig
    fusion: FusionConfig
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def validate(self, path: str | Path | None = None, prefix: str = "") -> None:
        """Check every size against :mod:`.weights_bounds` and the invariants the forward pass relies on.

        Runs before a network is built, so a configuration that would hang construction (100,000 layers) or
        allocate gigabytes is refused first.

        Args:
            path: the file the configuration came from (named in the error).
            prefix: how the configuration is addressed inside that file (e.g. ``__metadata__.carzero_config.``).

        Raises:
            ModelLoadError: ``<file>: <field>: <reason>``.
        """
        v, f, t, pre = self.vision, self.fusion, self.text, self.preprocess
        _int(v.embed_dim, path, prefix + "vision.embed_dim", 1, b.MAX_WIDTH)
        _int(v.depth, path, prefix + "vision.depth", 1, b.MAX_DEPTH)
        _int(v.num_heads, path, prefix + "vision.num_heads", 1, v.embed_dim)
        _int(v.mlp_hidden, path, prefix + "vision.mlp_hidden", 1, b.MAX_FFN)
        _int(v.img_size, path, prefix + "vision.img_size", 1, b.MAX_CROP)
        _int(v.patch_size, path, prefix + "vision.patch_size", 1, v.img_size)
        _int(v.in_chans, path, prefix + "vision.in_chans", 1, b.MAX_IN_CHANS)
        _eps(v.layernorm_eps, path, prefix + "vision.layernorm_eps")
        if v.img_size % v.patch_size:
            fail(
                ModelLoadError,
                path,
                prefix + "vision.patch_size",
                f"{v.patch_size} does not divide the image size {v.img_size}",
            )
        if v.grid * v.grid > b.MAX_PATCH_TOKENS:
            fail(
                ModelLoadError,
                path,
                prefix + "vision.patch_size",
                f"{v.grid}x{v.grid} patches exceed the bound of {b.MAX_PATCH_TOKENS:,} tokens",
            )
        bert = check_bert_settings(t.bert, path, prefix + "text.bert.", complete=True)
        _int(t.last_n_layers, path, prefix + "text.last_n_layers", 1, bert["num_hidden_layers"] + 1)
        _int(
            t.max_length,
            path,
            prefix + "text.max_length",
            b.MIN_MAX_LENGTH,
            min(b.MAX_MAX_LENGTH, bert["max_position_embeddings"]),
        )
        _int(f.d_model, path, prefix + "fusion.d_model", 1, b.MAX_WIDTH)
        _int(f.num_layers, path, prefix + "fusion.num_layers", 1, b.MAX_DEPTH)
        _int(f.ffn_dim, path, prefix + "fusion.ffn_dim", 1, b.MAX_FFN)
        _int(f.num_heads, path, prefix + "fusion.num_heads", 1, f.d_model)
        _eps(f.layernorm_eps, path, prefix + "fusion.layernorm_eps")
        _check_mlp_dims(f.mlp_dims, f.d_model, path, prefix + "fusion.mlp_dims")
        _int(pre.crop_size, path, prefix + "preprocess.crop_size", 1, b.MAX_CROP)
        _int(pre.resize_to, path, prefix + "preprocess.resize_to", pre.crop_size, b.MAX_RESIZE)
        require_float(pre.mean, path, ModelLoadError, prefix + "preprocess.mean", 0.0, 1.0)
        require_float(pre.std, path, ModelLoadError, prefix + "preprocess.std", b.MIN_STD, 1.0)
        for name, width, heads in (
            ("vision", v.embed_dim, v.num_heads),
            ("fusion", f.d_model, f.num_heads),
            ("text.bert", bert["hidden_size"], bert["num_attention_heads"]),
        ):
            if width % heads:
                fail(
                    ModelLoadError,
                    path,
                    f"{prefix}{name}.num_heads"
                    if name != "text.bert"
                    else f"{prefix}text.bert.num_attention_heads",
                    f"{heads} heads do not divide the width {width}",
                )
        if len({v.embed_dim, bert["hidden_size"], f.d_model}) != 1:
            fail(
                ModelLoadError,
                path,
                prefix + "fusion.d_model",
                "image, text and fusion widths must be equal (CARZero has no projection heads): "
                f"ViT {v.embed_dim}, BERT {bert['hidden_size']}, fusion {f.d_model}",
            )
        if v.img_size != pre.crop_size:
            fail(
                ModelLoadError,
                path,
                prefix + "vision.img_size",
                f"ViT input {v.img_size} does not match the {pre.crop_size} crop",
            )
        count = self.parameter_count()
        if count > b.MAX_TOTAL_ELEMENTS:
            fail(
                ModelLoadError,
                path,
                prefix.rstrip(".") or None,
                f"the configuration describes {count:,} parameters; at most {b.MAX_TOTAL_ELEMENTS:,} are loaded",
            )

    def parameter_count(self) -> int:
        """Number of parameters the network of this configuration holds (used ones only; checked sizes)."""
        v, f, bert = self.vision, self.fusion, self.text.bert
        d, h, m = v.embed_dim, bert["hidden_size"], bert["intermediate_size"]
        vit_block = 4 * d * d + 2 * d * v.mlp_hidden + 9 * d + v.mlp_hidden
        vit = v.in_chans * v.patch_size**2 * d + (v.grid**2 + 3) * d + v.depth * vit_block
        rows = bert["vocab_size"] + bert["max_position_embeddings"] + bert["type_vocab_size"]
        bert_layer = 4 * h * h + 2 * h * m + 9 * h + m
        text = rows * h + 2 * h + bert["num_hidden_layers"] * bert_layer
        fusion_layer = 4 * f.d_model**2 + 2 * f.d_model * f.ffn_dim + 9 * f.d_model + f.ffn_dim
        head = sum(a * c + c for a, c in itertools.pairwise(f.mlp_dims))
        return int(vit + text + f.num_layers * fusion_layer + 2 * f.d_model + head)


def _int(value: object, path: str | Path | None, field: str, low: int, high: int) -> int:
    return require_int(value, path, ModelLoadError, field, low, high)


def _eps(value: object, path: str | Path | None, field: str) -> float:
    return require_float(value, path, ModelLoadError, field, b.MIN_LAYERNORM_EPS, b.MAX_LAYERNORM_EPS)


def _check_mlp_dims(dims: object, d_model: int, path: str | Path | None, field: str) -> None:
    if not isinstance(dims, tuple) or not b.MIN_MLP_HEAD_LAYERS <= len(dims) <= b.MAX_MLP_HEAD_LAYERS:
        fail(
            ModelLoadError,
            path,
            field,
            f"must list {b.MIN_MLP_HEAD_LAYERS}..{b.MAX_MLP_HEAD_LAYERS} layer widths",
        )
    for index, width in enumerate(dims):
        _int(width, path, f"{field}[{index}]", 1, b.MAX_FFN)
    if dims[0] != d_model or dims[-1] != 1:
        fail(
            ModelLoadError,
            path,
            field,
            f"{list(dims)} must start at d_model ({d_model}) and end with one logit (1)",
        )


def check_bert_settings(
    data: object, path: str | Path | None, prefix: str = "", complete: bool = False
) -> dict[str, Any]:
    """The BERT settings the encoder uses, typed and range-checked (a clean dict: unknown keys are dropped).

    Args:
        data: a BERT ``config.json`` object, or the ``text.bert`` entry of a stored configuration.
        prefix: how ``data`` is addressed inside ``path`` (for the field named in errors).
        complete: every size must be present (a stored configuration); otherwise the sizes the tensor
            shapes tell (:data:`BERT_SHAPE_FIELDS`) may be absent and the others take ``BertConfig``'s defaults.

    Raises:
        ModelLoadError: naming the file and the field.
    """
    settings = require_object(data, path, ModelLoadError, prefix.rstrip(".") or None)
    clean: dict[str, Any] = {}
    for name, (int_low, int_high) in BERT_INT_FIELDS.items():
        if name in settings:
            clean[name] = _int(settings[name], path, prefix + name, int_low, int_high)
        elif complete or name not in BERT_SHAPE_FIELDS:
            if name in BERT_DEFAULTS:
                clean[name] = BERT_DEFAULTS[name]
            else:
                fail(ModelLoadError, path, prefix + name, "is missing")
    for name, (low, high) in BERT_FLOAT_FIELDS.items():
        clean[name] = require_float(
            settings.get(name, BERT_DEFAULTS[name]), path, ModelLoadError, prefix + name, low, high
        )
    for name, choices in BERT_CHOICE_FIELDS.items():
        clean[name] = require_choice(
            settings.get(name, BERT_DEFAULTS[name]), path, ModelLoadError, prefix + name, choices
        )
    return clean


def unsupported_bert_settings(config: Mapping[str, Any]) -> list[str]:
    """What in a BERT ``config.json`` the encoder of ``bert.py`` cannot run, as phrases (empty when fine)."""
    problems = []
    act = config.get("hidden_act", "gelu")
    if act not in BERT_ACTIVATIONS:
        problems.append(f"hidden_act {act!r} (supported: {', '.join(BERT_ACTIVATIONS)})")
    positions = config.get("position_embedding_type", "absolute")
    if positions != "absolute":
        problems.append(f"position_embedding_type {positions!r} (supported: absolute)")
    return problems


def _shape(shapes: Shapes, key: str, path: str | Path | None, ndim: int) -> tuple[int, ...]:
    """The shape of tensor ``key``, which must exist and have ``ndim`` axes."""
    if key not in shapes:
        fail(ModelLoadError, path, None, f"checkpoint lacks tensor {key!r}")
    if len(shapes[key]) != ndim:
        fail(ModelLoadError, path, f"state_dict[{key!r}]", f"has shape {shapes[key]}, expected {ndim} axes")
    return shapes[key]


def _count(shapes: Shapes, pattern: str, path: str | Path | None) -> int:
    regex = re.compile(pattern)
    indices = {int(m.group(1)) for key in shapes if (m := regex.match(key))}
    if not indices:
        return 0
    if indices != set(range(max(indices) + 1)):
        fail(ModelLoadError, path, None, f"checkpoint has a gap in its layer numbering ({pattern})")
    return len(indices)


@dataclass(frozen=True)
class TrainingHints:
    """What the checkpoint's ``hyper_parameters`` tell the network (checked by ``weights_fields``)."""

    last_n_layers: int = DEFAULT_LAST_N_LAYERS
    max_length: int = DEFAULT_MAX_LENGTH
    resize_to: int = DEFAULT_RESIZE
    crop_size: int | None = None


@dataclass(frozen=True)
class ArchitectureHints:
    """Head counts and LayerNorm epsilons that shapes cannot reveal (a ``fixture_architecture`` entry)."""

    vit_heads: int = RELEASED_VIT_HEADS
    vit_eps: float = VIT_LAYERNORM_EPS
    fusion_heads: int = RELEASED_FUSION_HEADS
    fusion_eps: float = FUSION_LAYERNORM_EPS

    def to_dict(self) -> dict[str, Any]:
        """The ``fixture_architecture`` layout a ``.ckpt`` stores."""
        return {
            "vit": {"num_heads": self.vit_heads, "layernorm_eps": self.vit_eps},
            "fusion": {"num_heads": self.fusion_heads, "layernorm_eps": self.fusion_eps},
        }


def infer_config(
    shapes: Shapes,
    bert_config: Mapping[str, Any],
    hints: TrainingHints | None = None,
    architecture: ArchitectureHints | None = None,
    path: str | Path | None = None,
) -> CarzeroConfig:
    """Build the config from tensor shapes (prefix-stripped keys), BERT's config and checked extras.

    Args:
        shapes: key -> shape of every model tensor, without the ``CARZero.`` prefix.
        bert_config: the BERT settings (:func:`check_bert_settings`); sizes are overridden by the shapes.
        hints: what the checkpoint's hyper-parameters say, when it has them.
        architecture: explicit head counts / epsilons, when the checkpoint has them (fixtures).
        path: the checkpoint (named in errors).

    Raises:
        ModelLoadError: a missing tensor, a layer gap or a size outside :mod:`.weights_bounds`.
    """
    hints = hints or TrainingHints()
    architecture = architecture or ArchitectureHints()
    vit = "img_encoder.model."
    cls_token = _shape(shapes, vit + "cls_token", path, 3)
    patch_w = _shape(shapes, vit + "patch_embed.proj.weight", path, 4)
    pos = _shape(shapes, vit + "pos_embed", path, 3)
    grid = math.isqrt(max(pos[1] - 1, 0))
    if grid * grid != pos[1] - 1 or grid == 0:
        fail(ModelLoadError, path, None, f"pos_embed has {pos[1]} tokens, not 1 + a square patch grid")
    vision = VisionConfig(
        embed_dim=cls_token[-1],
        depth=_count(shapes, re.escape(vit) + r"blocks\.(\d+)\.norm1\.weight$", path),
        num_heads=architecture.vit_heads,
        mlp_hidden=_shape(shapes, vit + "blocks.0.mlp.fc1.weight", path, 2)[0],
        patch_size=patch_w[-1],
        img_size=grid * patch_w[-1],
        in_chans=patch_w[1],
        layernorm_eps=architecture.vit_eps,
    )

    bert = dict(bert_config)
    emb = "text_encoder.model.embeddings."
    words = _shape(shapes, emb + "word_embeddings.weight", path, 2)
    bert["vocab_size"], bert["hidden_size"] = words[0], words[-1]
    bert["max_position_embeddings"] = _shape(shapes, emb + "position_embeddings.weight", path, 2)[0]
    bert["type_vocab_size"] = _shape(shapes, emb + "token_type_embeddings.weight", path, 2)[0]
    bert["num_hidden_layers"] = _count(
        shapes, r"text_encoder\.model\.encoder\.layer\.(\d+)\.output\.dense\.weight$", path
    )
    bert["intermediate_size"] = _shape(
        shapes, "text_encoder.model.encoder.layer.0.intermediate.dense.weight", path, 2
    )[0]
    text = TextConfig(bert=bert, last_n_layers=hints.last_n_layers, max_length=hints.max_length)

    fus = "fusion_module."
    mlp_keys = sorted(
        (int(m.group(1)), key)
        for key in shapes
        if (m := re.match(re.escape(fus) + r"mlp_head\.(\d+)\.weight$", key))
    )
    if not mlp_keys or any(len(shapes[key]) != 2 for _, key in mlp_keys):
        fail(ModelLoadError, path, None, "checkpoint has no fusion MLP head of 2-D weights")
    mlp_dims = (shapes[mlp_keys[0][1]][1], *(shapes[key][0] for _, key in mlp_keys))
    fusion = FusionConfig(
        d_model=_shape(shapes, fus + "decoder_norm.weight", path, 1)[0],
        num_layers=_count(shapes, re.escape(fus) + r"decoder\.layers\.(\d+)\.linear1\.weight$", path),
        ffn_dim=_shape(shapes, fus + "decoder.layers.0.linear1.weight", path, 2)[0],
        mlp_dims=mlp_dims,
        num_heads=architecture.fusion_heads,
        layernorm_eps=architecture.fusion_eps,
    )
    preprocess = PreprocessConfig(
        resize_to=hints.resize_to,
        crop_size=vision.img_size if hints.crop_size is None else hints.crop_size,
    )
    config = CarzeroConfig(vision=vision, text=text, fusion=fusion, preprocess=preprocess)
    config.validate(path)
    return config
