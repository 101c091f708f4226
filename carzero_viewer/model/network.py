"""The CARZero network: image encoder, text encoder and fusion module under their official attribute names.

``CarzeroModel.state_dict()`` keys equal the released checkpoint's keys without the ``CARZero.`` prefix, minus
the tensors that never run (fusion self-attention, ``norm1``, ``logit_scale``, BERT pooler), which the
checkpoint loader accounts for separately.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor, nn

from carzero_viewer.model.config import CarzeroConfig
from carzero_viewer.model.cpu_packing import pack_linears, packing_available
from carzero_viewer.model.fusion import FusionModule
from carzero_viewer.model.preprocessing import normalise
from carzero_viewer.model.text import TextEncoder
from carzero_viewer.model.vision import ImageEncoder


class CarzeroModel(nn.Module):
    """Built in eval mode; callers run it under ``torch.inference_mode()``."""

    def __init__(self, config: CarzeroConfig) -> None:
        super().__init__()
        config.validate()
        self.config = config
        self.text_encoder = TextEncoder(config.text)
        self.img_encoder = ImageEncoder(config.vision)
        self.fusion_module = FusionModule(config.fusion)
        self.eval()

    @property
    def device(self) -> torch.device:
        return self.fusion_module.decoder_norm.weight.device

    def pack_for_cpu(self) -> bool:
        """Switch BERT and the fusion module to oneDNN-packed weights (CPU); False when unavailable.

        Only the few-row consumers are packed: on a 2-core AVX2 machine a prompt's BERT pass went from 58 to
        30 ms, while the ViT (197 rows per image) got slower (256 -> 280 ms) and keeps MKL's ``addmm``.
        Irreversible: the packed modules release their plain weights.
        """
        if self.device.type != "cpu" or not packing_available():
            return False
        for layer in self.fusion_module.layers():
            layer.multihead_attn.pack()
        pack_linears(self.fusion_module)
        pack_linears(self.text_encoder)
        return True

    def pixels_from_crops(self, crops: list[npt.NDArray[np.uint8]]) -> Tensor:
        """Stack 224x224 uint8 crops into the normalised ``(B, 3, S, S)`` float32 network input.

        On CUDA the single grey channel is copied from pinned memory without blocking the host (which goes
        on decoding the next files) and only then repeated into the three channels, on the device.
        """
        pre = self.config.preprocess
        gray = torch.from_numpy(np.stack([normalise(crop, pre.mean, pre.std) for crop in crops])).unsqueeze(1)
        if self.device.type == "cuda":
            gray = gray.pin_memory().to(self.device, non_blocking=True)
        return gray.expand(-1, self.config.vision.in_chans, -1, -1).contiguous()

    def image_memory_tokens(self, pixels: Tensor) -> tuple[Tensor, Tensor]:
        """Encode images; returns ``img_g`` (B, D) and the i2t memory ``[img_g; patches]`` (B, 1+grid^2, D)."""
        img_g, patches = self.img_encoder(pixels)
        return img_g, torch.cat((img_g.unsqueeze(1), patches), dim=1)
