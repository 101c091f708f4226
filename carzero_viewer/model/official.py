"""The official computation, step for step, without any shortcut (spec sections 4-6).

This is the reference the fast engine is checked against, in the tests and in the benchmarks: text padded to
97 tokens, the t2i memory with all 97 slots (zero padding included), the fusion module called per image with
the full query set, nothing cached. Also holds the legacy GLoRIA-style word maps (spec 6.4), which the
fixtures contain for completeness but the viewer does not show.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from carzero_viewer.model.network import CarzeroModel
from carzero_viewer.model.text import TextFeatures, TokenizedPrompts
from carzero_viewer.model.text_processing import clean_text
from carzero_viewer.model.wordpiece import WordPieceTokenizer

LEGACY_TEMPERATURE = 4.0  # model.CARZero.temp1


@dataclass(frozen=True)
class OfficialText:
    """Padded tokenisation and text features, as the official code computes them."""

    tokens: TokenizedPrompts
    features: TextFeatures


@dataclass(frozen=True)
class OfficialOutputs:
    """Everything the official scoring and grounding functions compute, for ``B`` images and ``P`` prompts.

    Attributes:
        i2t: ``(B, P)``; t2i: ``(B, P)``; scores: ``(B, P)``.
        attn_i2t: ``(layers, B, P, 1 + g*g)``; attn_t2i: ``(layers, P, B, 1 + max_length)``.
        i2t_decoder_out: ``(B, P, D)``; t2i_decoder_out: ``(P, B, D)``.
        grounding_map: ``(B, P, g, g)`` (last four layers averaged, image [CLS] column dropped).
        word_attention: ``(B, P, 1 + max_length)`` (last four layers of attn_t2i averaged).
    """

    i2t: Tensor
    t2i: Tensor
    scores: Tensor
    attn_i2t: Tensor
    attn_t2i: Tensor
    i2t_decoder_out: Tensor
    t2i_decoder_out: Tensor
    grounding_map: Tensor
    word_attention: Tensor


@torch.inference_mode()
def official_text(model: CarzeroModel, tokenizer: WordPieceTokenizer, prompts: Sequence[str]) -> OfficialText:
    """Clean, tokenise padded to ``max_length`` and encode, as the official class-prompt processing does."""
    tokens = model.text_encoder.tokenize(tokenizer, [clean_text(p) for p in prompts], pad_to_max_length=True)
    return OfficialText(tokens=tokens, features=model.text_encoder(tokens))


@torch.inference_mode()
def official_outputs(
    model: CarzeroModel,
    pixels: Tensor,
    text: TextFeatures,
    image_tokens: Sequence[tuple[Tensor, Tensor]] | None = None,
) -> OfficialOutputs:
    """The official dqn zero-shot loop: one image at a time, all prompts at once, no caching.

    Args:
        image_tokens: the ``image_memory_tokens`` of each image when already computed (``pixels`` is then
            unused): how ``benchmarks/latency.py`` separates what caching the image saves from what the exact
            shortcuts of the fusion pass save.
    """
    fusion = model.fusion_module
    text_memory = torch.cat((text.sentence.unsqueeze(1), text.slots), dim=1)  # (P, 98, D)
    i2t, t2i, attn_i2t, attn_t2i, out_i2t, out_t2i = [], [], [], [], [], []
    count = len(image_tokens) if image_tokens is not None else pixels.shape[0]
    for b in range(count):
        img_g, image_memory = (
            image_tokens[b] if image_tokens is not None else model.image_memory_tokens(pixels[b : b + 1])
        )
        forward = fusion(image_memory, text.sentence)
        backward = fusion(text_memory, img_g)
        i2t.append(forward.logits[0])
        t2i.append(backward.logits[:, 0])
        attn_i2t.append(torch.stack(forward.attention)[:, 0])
        attn_t2i.append(torch.stack(backward.attention)[:, :, 0])
        out_i2t.append(forward.decoder_out[0])
        out_t2i.append(backward.decoder_out[:, 0])
    i2t_t, t2i_t = torch.stack(i2t), torch.stack(t2i)
    layers_i2t = torch.stack(attn_i2t, dim=1)  # (L, B, P, 197)
    layers_t2i = torch.stack(attn_t2i, dim=2)  # (L, P, B, 98)
    grid = model.config.vision.grid
    grounding = layers_i2t[-4:].mean(dim=0)[..., 1:]
    return OfficialOutputs(
        i2t=i2t_t,
        t2i=t2i_t,
        scores=(i2t_t + t2i_t) / 2,
        attn_i2t=layers_i2t,
        attn_t2i=layers_t2i,
        i2t_decoder_out=torch.stack(out_i2t),
        t2i_decoder_out=torch.stack(out_t2i, dim=1),
        grounding_map=grounding.reshape(*grounding.shape[:2], grid, grid),
        word_attention=layers_t2i[-4:].mean(dim=0).transpose(0, 1),
    )


@torch.inference_mode()
def official_word_query_maps(model: CarzeroModel, pixels: Tensor, text: TextFeatures) -> Tensor:
    """Spec 6.3 done naively: every one of the 97 slots of every prompt as a query. ``(B, P, 97, g, g)``."""
    grid = model.config.vision.grid
    maps = []
    for b in range(pixels.shape[0]):
        _, image_memory = model.image_memory_tokens(pixels[b : b + 1])
        per_prompt = []
        for p in range(text.slots.shape[0]):
            out = model.fusion_module(image_memory, text.slots[p])
            attention = torch.stack(out.attention[-4:]).mean(dim=0)[0, :, 1:]
            per_prompt.append(attention.reshape(-1, grid, grid))
        maps.append(torch.stack(per_prompt))
    return torch.stack(maps)


@torch.inference_mode()
def legacy_word_maps(
    patch_tokens: Tensor, slots: Tensor, words: Sequence[str], temperature: float = LEGACY_TEMPERATURE
) -> Tensor:
    """GLoRIA-era per-word maps (spec 6.4; not recommended, untrained objective).

    Args:
        patch_tokens: ``(g*g, D)`` patch embeddings of one image.
        slots: ``(97, D)`` slot embeddings of one prompt.
        words: the prompt's slot words (``[PAD]`` included or not).

    Returns:
        ``(n, g, g)`` with ``n`` = number of words not starting with ``[`` plus one (slots from ``[CLS]``).
    """
    n = sum(1 for w in words if not w.startswith("[")) + 1
    attention = (patch_tokens @ slots[:n].T).softmax(dim=1)  # (g*g, n), softmax over words
    maps = (temperature * attention.T).softmax(dim=1)  # (n, g*g), softmax over patches
    grid = math.isqrt(patch_tokens.shape[0])
    return maps.reshape(n, grid, grid)
