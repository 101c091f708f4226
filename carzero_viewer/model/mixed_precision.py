"""The parts of the network that stay float32 when the matrix products run in bf16 (the fast mode).

Why: bf16 keeps 8 significant bits. Matrix products tolerate that (each output sums hundreds of products, and
the rounding errors average out), but LayerNorm's variance and softmax's exponentials amplify relative errors,
and a residual stream rounded to bf16 at every block accumulates them over 12 layers. Under CPU autocast torch
runs ``layer_norm`` and ``softmax`` on bf16 inputs and returns bf16, so these helpers widen their input first:
the normalised output and the residual stream that adds it stay float32, and only the products (``linear``,
``matmul``, ``scaled_dot_product_attention``, whose CPU kernels accumulate the softmax in float32) run in bf16.

In float32 every helper is the plain operation on the same tensor (``Tensor.float`` returns its input
unchanged), so the exact path computes exactly what it did before.
"""

from __future__ import annotations

from torch import Tensor, nn


class Fp32LayerNorm(nn.LayerNorm):
    """``nn.LayerNorm`` (same parameters and state-dict names) that normalises in float32 and returns float32."""

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x.float())


def softmax_fp32(scores: Tensor, dim: int) -> Tensor:
    """Softmax computed and returned in float32 whatever the dtype of ``scores``."""
    return scores.float().softmax(dim=dim)
