"""Model configuration inferred from checkpoint tensor shapes, the BERT ``config.json`` and the hyper-parameters.

One code path builds the 220M-parameter release and the tiny test fixture: every width and depth is read from
tensor shapes. What shapes cannot tell (head counts, LayerNorm epsilons) takes the released model's values
(spec sections 2.1 and 2.3) unless the checkpoint carries an explicit ``fixture_architecture`` entry.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from carzero_viewer.errors import ModelLoadError

BERT_ACTIVATIONS = ("gelu", "relu", "gelu_new", "gelu_pytorch_tanh")

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

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CarzeroConfig:
        """Inverse of :meth:`to_dict`; raises :class:`ModelLoadError` on a malformed mapping."""
        try:
            fusion = dict(data["fusion"])
            fusion["mlp_dims"] = tuple(fusion["mlp_dims"])
            config = cls(
                vision=VisionConfig(**data["vision"]),
                text=TextConfig(**data["text"]),
                fusion=FusionConfig(**fusion),
                preprocess=PreprocessConfig(**data.get("preprocess", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"malformed model configuration ({exc})") from exc
        config.validate()
        return config

    def validate(self) -> None:
        """Check the invariants the forward pass relies on."""
        widths = {self.vision.embed_dim, self.text.hidden_size, self.fusion.d_model}
        if len(widths) != 1:
            raise ModelLoadError(
                "image, text and fusion widths must be equal (CARZero has no projection heads): "
                f"ViT {self.vision.embed_dim}, BERT {self.text.hidden_size}, fusion {self.fusion.d_model}"
            )
        for name, width, heads in (
            ("ViT", self.vision.embed_dim, self.vision.num_heads),
            ("fusion", self.fusion.d_model, self.fusion.num_heads),
            ("BERT", self.text.hidden_size, int(self.text.bert.get("num_attention_heads", 1))),
        ):
            if heads <= 0 or width % heads:
                raise ModelLoadError(f"{name} width {width} is not divisible by its {heads} heads")
        if self.vision.img_size != self.preprocess.crop_size:
            raise ModelLoadError(
                f"ViT input {self.vision.img_size} does not match the {self.preprocess.crop_size} crop"
            )
        if self.text.max_length > int(self.text.bert.get("max_position_embeddings", 512)):
            raise ModelLoadError("max_length exceeds BERT's position embeddings")
        unsupported = unsupported_bert_settings(self.text.bert)
        if unsupported:
            raise ModelLoadError(
                "BERT config.json asks for what this encoder cannot run: " + "; ".join(unsupported)
            )


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


def _shape(shapes: Shapes, key: str) -> tuple[int, ...]:
    try:
        return shapes[key]
    except KeyError as exc:
        raise ModelLoadError(f"checkpoint lacks tensor {key!r}") from exc


def _count(shapes: Shapes, pattern: str) -> int:
    regex = re.compile(pattern)
    indices = {int(m.group(1)) for key in shapes if (m := regex.match(key))}
    if not indices:
        return 0
    if indices != set(range(max(indices) + 1)):
        raise ModelLoadError(f"checkpoint has a gap in its layer numbering ({pattern})")
    return len(indices)


def _get(tree: Mapping[str, Any] | None, dotted: str, default: Any) -> Any:
    node: Any = tree
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def infer_config(
    shapes: Shapes,
    bert_config: Mapping[str, Any],
    hparams: Mapping[str, Any] | None = None,
    architecture: Mapping[str, Any] | None = None,
) -> CarzeroConfig:
    """Build the config from tensor shapes (prefix-stripped keys), BERT's config and optional extras.

    Args:
        shapes: key -> shape of every model tensor, without the ``CARZero.`` prefix.
        bert_config: the BERT folder's ``config.json``; ``vocab_size`` is overridden by the embedding shape.
        hparams: the checkpoint's training configuration as plain data, when it could be read.
        architecture: an explicit ``fixture_architecture`` entry (head counts and epsilons), when present.
    """
    vit = "img_encoder.model."
    cls_token = _shape(shapes, vit + "cls_token")
    patch_w = _shape(shapes, vit + "patch_embed.proj.weight")
    pos = _shape(shapes, vit + "pos_embed")
    grid = math.isqrt(pos[1] - 1)
    if grid * grid != pos[1] - 1:
        raise ModelLoadError(f"pos_embed has {pos[1]} tokens, not 1 + a square patch grid")
    vision = VisionConfig(
        embed_dim=cls_token[-1],
        depth=_count(shapes, re.escape(vit) + r"blocks\.(\d+)\.norm1\.weight$"),
        num_heads=int(_get(architecture, "vit.num_heads", RELEASED_VIT_HEADS)),
        mlp_hidden=_shape(shapes, vit + "blocks.0.mlp.fc1.weight")[0],
        patch_size=patch_w[-1],
        img_size=grid * patch_w[-1],
        in_chans=patch_w[1],
        layernorm_eps=float(_get(architecture, "vit.layernorm_eps", VIT_LAYERNORM_EPS)),
    )

    bert = dict(bert_config)
    emb = "text_encoder.model.embeddings."
    bert["vocab_size"] = _shape(shapes, emb + "word_embeddings.weight")[0]
    bert["hidden_size"] = _shape(shapes, emb + "word_embeddings.weight")[1]
    bert["max_position_embeddings"] = _shape(shapes, emb + "position_embeddings.weight")[0]
    bert["type_vocab_size"] = _shape(shapes, emb + "token_type_embeddings.weight")[0]
    bert["num_hidden_layers"] = _count(
        shapes, r"text_encoder\.model\.encoder\.layer\.(\d+)\.output\.dense\.weight$"
    )
    bert["intermediate_size"] = _shape(
        shapes, "text_encoder.model.encoder.layer.0.intermediate.dense.weight"
    )[0]
    text = TextConfig(
        bert=bert,
        last_n_layers=int(_get(hparams, "model.text.last_n_layers", DEFAULT_LAST_N_LAYERS)),
        max_length=int(_get(hparams, "data.text.word_num", DEFAULT_MAX_LENGTH)),
    )

    fus = "fusion_module."
    mlp_keys = sorted(
        (int(m.group(1)), key)
        for key in shapes
        if (m := re.match(re.escape(fus) + r"mlp_head\.(\d+)\.weight$", key))
    )
    if not mlp_keys:
        raise ModelLoadError("checkpoint has no fusion MLP head")
    mlp_dims = (shapes[mlp_keys[0][1]][1], *(shapes[key][0] for _, key in mlp_keys))
    fusion = FusionConfig(
        d_model=_shape(shapes, fus + "decoder_norm.weight")[0],
        num_layers=_count(shapes, re.escape(fus) + r"decoder\.layers\.(\d+)\.linear1\.weight$"),
        ffn_dim=_shape(shapes, fus + "decoder.layers.0.linear1.weight")[0],
        mlp_dims=mlp_dims,
        num_heads=int(_get(architecture, "fusion.num_heads", RELEASED_FUSION_HEADS)),
        layernorm_eps=float(_get(architecture, "fusion.layernorm_eps", FUSION_LAYERNORM_EPS)),
    )
    preprocess = PreprocessConfig(
        resize_to=int(_get(hparams, "data.image.imsize", DEFAULT_RESIZE)),
        crop_size=int(_get(hparams, "transforms.random_crop.crop_size", vision.img_size)),
    )
    config = CarzeroConfig(vision=vision, text=text, fusion=fusion, preprocess=preprocess)
    config.validate()
    return config
