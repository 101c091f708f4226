"""Randomly initialised CARZero weights in the official layout, clearly marked as untrained.

The real weights cannot be bundled, yet the full-size architecture must be exercised (loading, conversion,
speed). This writes a complete weights folder: an official-layout checkpoint with all 434 keys (the unused
tensors included), a BERT ``config.json`` with the release's geometry and a synthetic WordPiece vocabulary of
the right size. The checkpoint carries ``{"trained": false}``, so every result computed from it is labelled
"UNTRAINED DEMO MODEL".
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from carzero_viewer.files import ensure_directory, write_text_atomic
from carzero_viewer.model.checkpoint import RawWeights, save_official_checkpoint, save_safetensors
from carzero_viewer.model.config import CarzeroConfig, FusionConfig, TextConfig, VisionConfig
from carzero_viewer.model.network import CarzeroModel

RELEASED_VOCAB_SIZE = 28996
RELEASED_BERT_CONFIG: dict[str, Any] = {
    "architectures": ["BertModel"],
    "model_type": "bert",
    "vocab_size": RELEASED_VOCAB_SIZE,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 0,
}
_DEMO_WORDS = (
    "there",
    "is",
    "no",
    "a",
    "an",
    "the",
    "of",
    "and",
    "with",
    "in",
    "on",
    "at",
    "left",
    "right",
    "upper",
    "lower",
    "lobe",
    "lung",
    "lungs",
    "pleural",
    "effusion",
    "effusions",
    "pneumothorax",
    "pneumonia",
    "atelectasis",
    "cardiomegaly",
    "consolidation",
    "edema",
    "emphysema",
    "fibrosis",
    "hernia",
    "infiltration",
    "infiltrate",
    "mass",
    "nodule",
    "thickening",
    "opacity",
    "opacities",
    "lesion",
    "fracture",
    "support",
    "device",
    "devices",
    "enlarged",
    "cardiomediastinum",
    "heart",
    "size",
    "normal",
    "mild",
    "moderate",
    "severe",
    "small",
    "large",
    "bilateral",
    "bibasilar",
    "basilar",
    "apical",
    "focal",
    "diffuse",
    "patchy",
    "interstitial",
    "airspace",
    "disease",
    "findings",
    "finding",
    "seen",
    "present",
    "evidence",
    "of",
    "chest",
    "x",
    "ray",
    "radiograph",
    "pa",
    "ap",
    "lateral",
    "view",
    "cm",
    "mm",
    "tube",
    "line",
    "catheter",
    "pacemaker",
    "pulmonary",
    "acute",
    "clear",
    "nodules",
    "masses",
    "devices",
)
UNTRAINED_INFO = {
    "trained": False,
    "description": "UNTRAINED DEMO MODEL - randomly initialised CARZero weights",
}


def released_config(vocab_size: int = RELEASED_VOCAB_SIZE) -> CarzeroConfig:
    """The full-size architecture of the released checkpoint."""
    return CarzeroConfig(
        vision=VisionConfig(
            embed_dim=768, depth=12, num_heads=12, mlp_hidden=3072, patch_size=16, img_size=224
        ),
        text=TextConfig(bert={**RELEASED_BERT_CONFIG, "vocab_size": vocab_size}),
        fusion=FusionConfig(d_model=768, num_layers=4, ffn_dim=1024, mlp_dims=(768, 1024, 512, 256, 1)),
    )


def synthetic_vocab(size: int) -> list[str]:
    """A WordPiece vocabulary of exactly ``size`` entries: specials, characters, demo words, filler."""
    vocab = ["[PAD]", *(f"[unused{i}]" for i in range(1, 100)), "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = string.ascii_lowercase + string.digits + "_"
    vocab += list(chars) + [f"##{c}" for c in chars]
    vocab += [w for w in dict.fromkeys(_DEMO_WORDS) if w not in vocab]
    if len(vocab) > size:
        raise ValueError(f"vocabulary size {size} is too small for the synthetic vocabulary ({len(vocab)})")
    return vocab + [f"[unused{i}]" for i in range(100, 100 + size - len(vocab))]


def _unused_tensors(config: CarzeroConfig, generator: torch.Generator) -> dict[str, Tensor]:
    """The tensors the release carries but never runs, with their official shapes."""
    d = config.fusion.d_model
    tensors: dict[str, Tensor] = {"fusion_module.logit_scale": torch.tensor(2.6592)}
    for layer in range(config.fusion.num_layers):
        prefix = f"fusion_module.decoder.layers.{layer}."
        tensors[prefix + "self_attn.in_proj_weight"] = torch.randn(3 * d, d, generator=generator) * 0.02
        tensors[prefix + "self_attn.in_proj_bias"] = torch.zeros(3 * d)
        tensors[prefix + "self_attn.out_proj.weight"] = torch.randn(d, d, generator=generator) * 0.02
        tensors[prefix + "self_attn.out_proj.bias"] = torch.zeros(d)
        tensors[prefix + "norm1.weight"] = torch.ones(d)
        tensors[prefix + "norm1.bias"] = torch.zeros(d)
    tensors["text_encoder.model.pooler.dense.weight"] = torch.randn(d, d, generator=generator) * 0.02
    tensors["text_encoder.model.pooler.dense.bias"] = torch.zeros(d)
    return tensors


def random_weights(config: CarzeroConfig, seed: int = 0) -> RawWeights:
    """Random weights for ``config`` (every parameter drawn from a seeded generator, none left at init)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.device("meta"):  # shapes only: no time spent on an initialisation that is overwritten
        model = CarzeroModel(config)
    tensors: dict[str, Tensor] = {}
    for key, value in model.state_dict().items():
        if key.endswith(".weight") and "norm" in key.lower():
            tensors[key] = 1.0 + 0.1 * torch.randn(value.shape, generator=generator)
        else:
            tensors[key] = 0.02 * torch.randn(value.shape, generator=generator)
    # decoder.norm and decoder_norm are one module: keep the two names identical.
    tensors["fusion_module.decoder.norm.weight"] = tensors["fusion_module.decoder_norm.weight"]
    tensors["fusion_module.decoder.norm.bias"] = tensors["fusion_module.decoder_norm.bias"]
    tensors.update(_unused_tensors(config, generator))
    hparams = {
        "phase": "pretrain_llm_dqn_wo_self_atten_mlp_gl",
        "model": {
            "text": {"last_n_layers": config.text.last_n_layers},
            "fusion": {"d_model": config.fusion.d_model},
        },
        "data": {
            "text": {"word_num": config.text.max_length},
            "image": {"imsize": config.preprocess.resize_to},
        },
    }
    return RawWeights(tensors=tensors, hparams=hparams, info=dict(UNTRAINED_INFO))


def write_weights_folder(
    folder: Path,
    config: CarzeroConfig,
    seed: int = 0,
    fmt: str = "ckpt",
    vocab: list[str] | None = None,
    force: bool = False,
) -> Path:
    """Write a complete random weights folder (checkpoint + ``bert/``) through ``files.py``; returns the
    checkpoint path.

    Raises:
        WriteError: a file exists (without ``force``), or the folder cannot be written.
    """
    bert = ensure_directory(folder / "bert")
    size = int(config.text.bert["vocab_size"])
    write_text_atomic(bert / "config.json", json.dumps(config.text.bert, indent=2), force)
    write_text_atomic(bert / "vocab.txt", "\n".join(vocab or synthetic_vocab(size)) + "\n", force)
    raw = random_weights(config, seed)
    if fmt == "safetensors":
        path = folder / "carzero_demo.safetensors"
        save_safetensors(raw, config, path, force)
    else:
        path = folder / "carzero_demo.ckpt"
        save_official_checkpoint(raw, path, force=force)
    return path
