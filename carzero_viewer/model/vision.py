"""ViT image encoder in plain torch with timm-compatible parameter names.

timm is not a dependency (it imports torchvision, whose only wheel here is a CUDA build), so the ViT is written
out; the parameter names match timm's ``VisionTransformer`` so the official keys
(``patch_embed.proj``, ``cls_token``, ``pos_embed``, ``blocks.N.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}``,
``norm``) load unchanged. Pre-norm blocks, exact-erf GELU, LayerNorm eps 1e-6, no dropout (spec 2.1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from carzero_viewer.model.config import VisionConfig
from carzero_viewer.model.mixed_precision import Fp32LayerNorm


class PatchEmbed(nn.Module):
    """Conv patchifier; tokens come out row-major (patch at grid row r, column c is token ``grid*r + c``)."""

    def __init__(self, config: VisionConfig) -> None:
        super().__init__()
        self.proj = nn.Conv2d(
            config.in_chans, config.embed_dim, kernel_size=config.patch_size, stride=config.patch_size
        )

    def forward(self, x: Tensor) -> Tensor:
        patches: Tensor = self.proj(x)
        return patches.flatten(2).transpose(1, 2)


class Attention(nn.Module):
    """Multi-head self-attention with a fused ``qkv`` projection (rows: q, then k, then v)."""

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, d // self.num_heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        projected: Tensor = self.proj(out.transpose(1, 2).reshape(b, n, d))
        return projected


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.fc2(F.gelu(self.fc1(x)))
        return out


class Block(nn.Module):
    def __init__(self, config: VisionConfig) -> None:
        super().__init__()
        dim = config.embed_dim
        self.norm1 = Fp32LayerNorm(dim, eps=config.layernorm_eps)
        self.attn = Attention(dim, config.num_heads)
        self.norm2 = Fp32LayerNorm(dim, eps=config.layernorm_eps)
        self.mlp = Mlp(dim, config.mlp_hidden)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        out: Tensor = x + self.mlp(self.norm2(x))
        return out


class VisionTransformer(nn.Module):
    """Returns all tokens after the final norm: ``(B, 1 + grid*grid, D)``, token 0 = class token."""

    def __init__(self, config: VisionConfig) -> None:
        super().__init__()
        self.config = config
        num_patches = config.grid * config.grid
        self.patch_embed = PatchEmbed(config)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, config.embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, config.embed_dim))
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.depth))
        self.norm = Fp32LayerNorm(config.embed_dim, eps=config.layernorm_eps)

    def forward(self, pixels: Tensor) -> Tensor:
        x = self.patch_embed(pixels)
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x + self.pos_embed[:, 1:]), dim=1)
        for block in self.blocks:
            x = block(x)
        out: Tensor = self.norm(x)
        return out


class ImageEncoder(nn.Module):
    """Wrapper whose attribute name ``model`` reproduces the official key path ``img_encoder.model.*``."""

    def __init__(self, config: VisionConfig) -> None:
        super().__init__()
        self.model = VisionTransformer(config)

    def forward(self, pixels: Tensor) -> tuple[Tensor, Tensor]:
        """Encode ``(B, 3, S, S)`` pixels.

        Returns:
            ``img_g`` (B, D): class token; ``img_tokens`` (B, grid*grid, D): patch tokens in row-major order.
        """
        tokens = self.model(pixels)
        return tokens[:, 0], tokens[:, 1:]
