"""Pre-packed oneDNN weights for the CPU: the same fp32 products, faster for the few-row inputs of inference.

Interactive scoring multiplies weight matrices by very few rows (a prompt is ~5-15 tokens, a query is one
row). MKL's ``addmm`` is slow in that regime (on a 2-core AVX2 machine, a 5x768 @ 768x3072 product takes 0.86 ms
against 0.24 ms for one row), while oneDNN with weights re-ordered once into its blocked layout takes 0.35 ms,
and about as fast as ``addmm`` at a ViT's 197 tokens (measured slower for the whole ViT, which is therefore
not packed). The arithmetic is still float32 with a different
summation order (deviations ~1e-6, the same order as MKL's own); the fidelity tests run with packing on.

Packing replaces every ``nn.Linear`` by :class:`PackedLinear` (and gives the fusion attention packed q / kv
projections). The plain weights are released, so packing costs no extra memory; it is CPU-only and skipped
when this torch build lacks the oneDNN operators or when a probe product disagrees with ``F.linear``.
"""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F
from torch import Tensor, nn

LOG = logging.getLogger(__name__)
_PROBE_TOLERANCE = 1e-4


def packing_available() -> bool:
    """True when oneDNN linear operators exist and agree with ``F.linear`` on a probe."""
    if not torch.backends.mkldnn.is_available():
        return False
    ops = torch.ops.mkldnn
    if not (hasattr(ops, "_reorder_linear_weight") and hasattr(ops, "_linear_pointwise")):
        return False
    try:
        generator = torch.Generator().manual_seed(0)
        weight = torch.randn(96, 64, generator=generator)
        bias = torch.randn(96, generator=generator)
        x = torch.randn(3, 64, generator=generator)
        packed = PackedLinear.from_weights(weight, bias)
        deviation = float((packed(x) - F.linear(x, weight, bias)).abs().max())
    except RuntimeError as exc:
        LOG.info("oneDNN packing unavailable: %s", exc)
        return False
    return deviation <= _PROBE_TOLERANCE


class PackedLinear(nn.Module):
    """``y = x W^T + b`` with ``W`` held in oneDNN's blocked layout (inference only, CPU, fp32)."""

    def __init__(self, packed: Tensor, bias: Tensor | None, in_features: int, out_features: int) -> None:
        super().__init__()
        self.packed = packed
        self.bias = bias
        self.in_features = in_features
        self.out_features = out_features

    @classmethod
    def from_weights(cls, weight: Tensor, bias: Tensor | None) -> PackedLinear:
        weight = weight.detach().float().contiguous()
        packed = torch.ops.mkldnn._reorder_linear_weight(weight)
        return cls(packed, None if bias is None else bias.detach().float(), weight.shape[1], weight.shape[0])

    def forward(self, x: Tensor) -> Tensor:
        """The product in float32: a bf16 input (the viewer's fast preview shares this model under a bf16
        autocast) is widened, so packed layers stay exact while the unpacked ViT runs in bf16."""
        out: Tensor = torch.ops.mkldnn._linear_pointwise(
            x.float().contiguous(), self.packed, self.bias, "none", [], ""
        )
        return out

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, packed=oneDNN"


def pack_linears(module: nn.Module) -> int:
    """Replace every ``nn.Linear`` below ``module`` by a :class:`PackedLinear`; returns how many."""
    count = 0
    for name, child in list(module.named_children()):
        if isinstance(child, nn.Linear) and child.weight.device.type == "cpu":
            setattr(module, name, PackedLinear.from_weights(child.weight, child.bias))
            count += 1
        else:
            count += pack_linears(child)
    return count
