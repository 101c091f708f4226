"""CARZero's fusion module: a pre-norm, cross-attention-only transformer decoder and an MLP head (spec 2.3).

Parameter names follow the official module (``decoder_norm``, ``decoder.layers.N.multihead_attn.in_proj_weight``,
``linear1/2``, ``norm2/3``, ``decoder.norm``, ``mlp_head.{0,3,6,9}``) so its keys load unchanged. The
self-attention blocks, ``norm1`` and ``logit_scale`` exist in the checkpoint but never run; they are not built
here (the checkpoint loader accounts for them).

The computation is split in two so the exact shortcuts are possible:

* :meth:`FusionModule.prepare_memory` normalises a memory once and projects it to per-layer keys/values.
  Memories depend only on the image (i2t) or only on the prompt (t2i), so they are cached and shared by any
  number of queries: the decoder has no self-attention, so queries never interact.
* A memory may carry a *multiplicity* per token. A key that occurs ``m`` times contributes ``m * exp(s)`` to
  the softmax denominator, i.e. ``log(m)`` added to its logit. The t2i memory's zero padding slots are identical
  after the LayerNorm, so ``97 - n`` slots collapse into one key with multiplicity ``97 - n`` without changing
  a single output.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from carzero_viewer.model.config import FusionConfig
from carzero_viewer.model.cpu_packing import PackedLinear
from carzero_viewer.model.mixed_precision import Fp32LayerNorm, softmax_fp32


@dataclass(frozen=True)
class PreparedMemory:
    """Keys and values of a memory for every decoder layer.

    Attributes:
        keys: per layer, ``(Bm, H, N, head_dim)``.
        values: per layer, ``(Bm, H, N, head_dim)``.
        log_multiplicity: ``(Bm, N)`` added to the attention logits, or None when every token counts once.
    """

    keys: tuple[Tensor, ...]
    values: tuple[Tensor, ...]
    log_multiplicity: Tensor | None

    @property
    def batch(self) -> int:
        return int(self.keys[0].shape[0])

    def select(self, index: int) -> PreparedMemory:
        """The memory of one batch entry, keeping the batch dimension."""
        return PreparedMemory(
            keys=tuple(k[index : index + 1] for k in self.keys),
            values=tuple(v[index : index + 1] for v in self.values),
            log_multiplicity=None
            if self.log_multiplicity is None
            else self.log_multiplicity[index : index + 1],
        )


@dataclass(frozen=True)
class FusionOutput:
    """Result of one fusion call.

    Attributes:
        logits: ``(Bm, Nq)`` MLP-head output per memory and query.
        attention: per layer, ``(Bm, Nq, N)`` cross-attention weights averaged over heads (rows sum to 1 when
            every token has multiplicity 1).
        decoder_out: ``(Bm, Nq, D)`` decoder output after the final norm (the MLP head's input).
    """

    logits: Tensor
    attention: tuple[Tensor, ...]
    decoder_out: Tensor


class CrossAttention(nn.Module):
    """``torch.nn.MultiheadAttention`` maths (packed in-projection, q scaled before the product)."""

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * dim))
        self.out_proj = nn.Linear(dim, dim)
        self.packed_q: PackedLinear | None = None
        self.packed_kv: PackedLinear | None = None

    def pack(self) -> None:
        """Hold the q and kv projections as oneDNN-packed weights (see :mod:`.cpu_packing`)."""
        dim = self.in_proj_weight.shape[1]
        self.packed_q = PackedLinear.from_weights(self.in_proj_weight[:dim], self.in_proj_bias[:dim])
        self.packed_kv = PackedLinear.from_weights(self.in_proj_weight[dim:], self.in_proj_bias[dim:])
        del self.in_proj_weight, self.in_proj_bias

    def _project_q(self, x: Tensor) -> Tensor:
        if self.packed_q is not None:
            projected: Tensor = self.packed_q(x)
            return projected
        dim = x.shape[-1]
        return F.linear(x, self.in_proj_weight[:dim], self.in_proj_bias[:dim])

    def project_memory(self, memory: Tensor) -> tuple[Tensor, Tensor]:
        """``(Bm, N, D)`` normalised memory -> keys and values ``(Bm, H, N, head_dim)``."""
        dim = memory.shape[-1]
        if self.packed_kv is not None:
            kv = self.packed_kv(memory)
        else:
            kv = F.linear(memory, self.in_proj_weight[dim:], self.in_proj_bias[dim:])
        k, v = kv.split(dim, dim=-1)
        return self._heads(k), self._heads(v)

    def forward(
        self, query: Tensor, keys: Tensor, values: Tensor, log_multiplicity: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        """Attend ``(B, Nq, D)`` queries to prepared keys/values (broadcast over a batch of 1).

        Returns:
            the attention output ``(B, Nq, D)`` and the head-averaged weights ``(B, Nq, N)``.
        """
        dim = query.shape[-1]
        q = self._heads(self._project_q(query)) * (1.0 / math.sqrt(self.head_dim))
        scores = q @ keys.transpose(-2, -1)
        if log_multiplicity is not None:
            scores = scores + log_multiplicity[:, None, None, :]
        weights = softmax_fp32(scores, dim=-1)
        out = (weights @ values).transpose(1, 2).reshape(query.shape[0], query.shape[1], dim)
        return self.out_proj(out), weights.mean(dim=1)

    def _heads(self, x: Tensor) -> Tensor:
        b, n, _ = x.shape
        return x.reshape(b, n, self.num_heads, self.head_dim).transpose(1, 2)


class DecoderLayer(nn.Module):
    """Pre-norm cross-attention + ReLU FFN; the official ``self_attn``/``norm1`` are never executed."""

    def __init__(self, config: FusionConfig) -> None:
        super().__init__()
        d = config.d_model
        self.multihead_attn = CrossAttention(d, config.num_heads)
        self.linear1 = nn.Linear(d, config.ffn_dim)
        self.linear2 = nn.Linear(config.ffn_dim, d)
        self.norm2 = Fp32LayerNorm(d, eps=config.layernorm_eps)
        self.norm3 = Fp32LayerNorm(d, eps=config.layernorm_eps)

    def forward(
        self, t: Tensor, keys: Tensor, values: Tensor, log_multiplicity: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        attended, weights = self.multihead_attn(self.norm2(t), keys, values, log_multiplicity)
        t = t + attended
        t = t + self.linear2(F.relu(self.linear1(self.norm3(t))))
        return t, weights


class Decoder(nn.Module):
    """Holds the layers and, under the official name ``decoder.norm``, the shared final LayerNorm."""

    def __init__(self, config: FusionConfig, norm: nn.LayerNorm) -> None:
        super().__init__()
        self.layers = nn.ModuleList(DecoderLayer(config) for _ in range(config.num_layers))
        self.norm = norm


def _mlp_head(dims: tuple[int, ...]) -> nn.Sequential:
    """Linear/ReLU/Dropout stack; Linear modules land at indices 0, 3, 6, 9 as in the official module."""
    modules: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(itertools.pairwise(dims)):
        modules.append(nn.Linear(fan_in, fan_out))
        if index < len(dims) - 2:
            modules.extend((nn.ReLU(), nn.Dropout(0.1)))
    return nn.Sequential(*modules)


class FusionModule(nn.Module):
    """The shared fusion transformer used for both directions (image->text and text->image)."""

    def __init__(self, config: FusionConfig) -> None:
        super().__init__()
        self.config = config
        self.decoder_norm = Fp32LayerNorm(config.d_model, eps=config.layernorm_eps)
        self.decoder = Decoder(config, self.decoder_norm)
        self.mlp_head = _mlp_head(config.mlp_dims)

    def layers(self) -> list[DecoderLayer]:
        return [layer for layer in self.decoder.layers if isinstance(layer, DecoderLayer)]

    def prepare_memory(self, memory: Tensor, multiplicity: Tensor | None = None) -> PreparedMemory:
        """Normalise ``(Bm, N, D)`` memory once and project it for every layer.

        Args:
            memory: raw memory tokens.
            multiplicity: optional ``(Bm, N)`` positive counts; a token with count ``m`` acts as ``m`` copies.
        """
        normed = self.decoder_norm(memory)
        keys, values = zip(
            *(layer.multihead_attn.project_memory(normed) for layer in self.layers()), strict=True
        )
        log_mult = None if multiplicity is None else torch.log(multiplicity.to(memory.dtype))
        return PreparedMemory(keys=tuple(keys), values=tuple(values), log_multiplicity=log_mult)

    def attend(self, memory: PreparedMemory, queries: Tensor) -> FusionOutput:
        """Run the decoder and head for ``queries`` against a prepared memory.

        Args:
            memory: prepared memory with batch ``Bm``.
            queries: ``(Bq, Nq, D)`` with ``Bq`` equal to ``Bm`` or 1 (the same queries for every memory).
        """
        t = self.decoder_norm(queries)
        if t.shape[0] != memory.batch:
            t = t.expand(memory.batch, -1, -1)
        weights: list[Tensor] = []
        for layer, keys, values in zip(self.layers(), memory.keys, memory.values, strict=True):
            t, w = layer(t, keys, values, memory.log_multiplicity)
            weights.append(w)
        out = self.decoder.norm(t)
        logits = self.mlp_head(out).squeeze(-1)
        return FusionOutput(logits=logits, attention=tuple(weights), decoder_out=out)

    def forward(self, memory: Tensor, queries: Tensor) -> FusionOutput:
        """The official call ``Fusion(M, Q)``: memory ``(Bm, N, D)``, queries ``(Nq, D)`` shared by every memory."""
        return self.attend(self.prepare_memory(memory), queries.unsqueeze(0))
