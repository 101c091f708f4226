"""BERT's encoder in plain torch, with HuggingFace ``BertModel``'s module names (spec 2.2 and 7.5).

Why not ``transformers.BertModel``: importing transformers costs ~2.5 s on a 2-core machine (it pulls in
torch._dynamo, torch.distributed and sympy), which every start of the viewer and the CLI paid before a
single prompt was scored; it also added ~150 MB to the installer. CARZero uses nothing of BertModel beyond the
encoder forward pass, so this module holds that pass with the same parameter names
(``embeddings.word_embeddings``, ``encoder.layer.N.attention.self.query``...), so the released checkpoint
loads unchanged, and the same arithmetic: post-norm layers, GELU (erf), LayerNorm with ``layer_norm_eps``,
absolute positions, token type 0. Equality with ``BertModel`` is tested (``tests/unit/model/test_bert.py``)
and the fixture's BERT hidden states from the original implementation are reproduced.

Padding keys are masked out of attention with a boolean mask, so the outputs at real tokens do not depend on
how much padding follows them (which the unpadded shortcut of ``text.py`` relies on).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from carzero_viewer.model.config import unsupported_bert_settings
from carzero_viewer.model.mixed_precision import Fp32LayerNorm


def activation(name: str) -> Callable[[Tensor], Tensor]:
    """The feed-forward activation named by ``hidden_act`` (the names ``config.BERT_ACTIVATIONS`` accepts)."""
    if name == "gelu":
        return F.gelu
    if name == "relu":
        return F.relu
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return lambda x: F.gelu(x, approximate="tanh")
    raise ValueError(f"unsupported BERT hidden_act {name!r}")


class EmbeddingTable(nn.Module):
    """``nn.Embedding`` without its random initialisation (the checkpoint always provides the table).

    On the meta device, ``nn.Embedding``'s ``normal_`` initialisation runs through torch's reference
    decompositions, which import ``torch._dynamo``: measured 2.9 s of a 3.8 s model load.
    """

    def __init__(self, rows: int, width: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(rows, width))

    def forward(self, ids: Tensor) -> Tensor:
        return F.embedding(ids, self.weight)


class BertEmbeddings(nn.Module):
    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__()
        hidden = int(config["hidden_size"])
        self.word_embeddings = EmbeddingTable(int(config["vocab_size"]), hidden)
        self.position_embeddings = EmbeddingTable(int(config["max_position_embeddings"]), hidden)
        self.token_type_embeddings = EmbeddingTable(int(config.get("type_vocab_size", 2)), hidden)
        self.LayerNorm = Fp32LayerNorm(hidden, eps=float(config.get("layer_norm_eps", 1e-12)))

    def forward(self, input_ids: Tensor) -> Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        summed = (
            self.word_embeddings(input_ids)
            + self.token_type_embeddings.weight[0]
            + self.position_embeddings(positions)
        )
        out: Tensor = self.LayerNorm(summed)
        return out


class BertSelfAttention(nn.Module):
    def __init__(self, hidden: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)

    def _split(self, x: Tensor) -> Tensor:
        batch, tokens, width = x.shape
        return x.view(batch, tokens, self.heads, width // self.heads).transpose(1, 2)

    def forward(self, x: Tensor, key_mask: Tensor) -> Tensor:
        context = F.scaled_dot_product_attention(
            self._split(self.query(x)),
            self._split(self.key(x)),
            self._split(self.value(x)),
            attn_mask=key_mask,
        )
        return context.transpose(1, 2).flatten(2)


class BertAddNorm(nn.Module):
    """``LayerNorm(dense(x) + residual)``: HuggingFace's ``BertSelfOutput`` and ``BertOutput``."""

    def __init__(self, in_features: int, hidden: int, eps: float) -> None:
        super().__init__()
        self.dense = nn.Linear(in_features, hidden)
        self.LayerNorm = Fp32LayerNorm(hidden, eps=eps)

    def forward(self, x: Tensor, residual: Tensor) -> Tensor:
        out: Tensor = self.LayerNorm(self.dense(x) + residual)
        return out


class BertAttention(nn.Module):
    def __init__(self, hidden: int, heads: int, eps: float) -> None:
        super().__init__()
        self.self = BertSelfAttention(hidden, heads)
        self.output = BertAddNorm(hidden, hidden, eps)

    def forward(self, x: Tensor, key_mask: Tensor) -> Tensor:
        out: Tensor = self.output(self.self(x, key_mask), x)
        return out


class BertIntermediate(nn.Module):
    def __init__(self, hidden: int, intermediate: int, activation: Callable[[Tensor], Tensor]) -> None:
        super().__init__()
        self.dense = nn.Linear(hidden, intermediate)
        self.activation = activation

    def forward(self, x: Tensor) -> Tensor:
        return self.activation(self.dense(x))


class BertLayer(nn.Module):
    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__()
        hidden, intermediate = int(config["hidden_size"]), int(config["intermediate_size"])
        eps = float(config.get("layer_norm_eps", 1e-12))
        self.attention = BertAttention(hidden, int(config["num_attention_heads"]), eps)
        self.intermediate = BertIntermediate(
            hidden, intermediate, activation(config.get("hidden_act", "gelu"))
        )
        self.output = BertAddNorm(intermediate, hidden, eps)

    def forward(self, x: Tensor, key_mask: Tensor) -> Tensor:
        attended = self.attention(x, key_mask)
        out: Tensor = self.output(self.intermediate(attended), attended)
        return out


class BertEncoder(nn.Module):
    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(int(config["num_hidden_layers"])))


class Bert(nn.Module):
    """The encoder part of ``BertModel`` (no pooler: CARZero never uses it)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__()
        problems = unsupported_bert_settings(config)
        if problems:
            raise ValueError("unsupported BERT configuration: " + "; ".join(problems))
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> tuple[Tensor, ...]:
        """All hidden states, embeddings output first (``BertModel``'s ``hidden_states``).

        Args:
            input_ids: ``(P, T)`` token ids; token type is 0 throughout, as in CARZero.
            attention_mask: ``(P, T)``, 1 on real tokens and 0 on padding.
        """
        key_mask = attention_mask.bool()[:, None, None, :]
        hidden = [self.embeddings(input_ids)]
        for layer in self.encoder.layer:
            hidden.append(layer(hidden[-1], key_mask))
        return tuple(hidden)
