"""Cached per-image and per-prompt features, and how they are built from the model.

Image features hold the i2t memory (normalised and projected for every decoder layer) so any number of prompts
reuse one copy of the image tokens. Prompt features hold the prompt's sentence and slot embeddings and its t2i
memory, in which the identical zero padding slots are collapsed into one key of multiplicity ``97 - n`` (an
exact identity, see :mod:`carzero_viewer.model.fusion`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from carzero_viewer.model.fusion import PreparedMemory
from carzero_viewer.model.network import CarzeroModel
from carzero_viewer.model.text import TextFeatures, TokenizedPrompts
from carzero_viewer.types import ModelInputGeometry, ProcessedPrompt


@dataclass(frozen=True)
class ImageFeatures:
    """One encoded image.

    Attributes:
        key: cache key (content hash).
        geometry: the preprocessing geometry of this image.
        img_g: ``(1, D)`` image class-token embedding.
        tokens: ``(1, 1 + g*g, D)`` the i2t memory tokens ``[img_g; patches]``.
        memory: ``tokens`` prepared for the decoder.
    """

    key: str
    geometry: ModelInputGeometry
    img_g: Tensor
    tokens: Tensor
    memory: PreparedMemory


@dataclass(frozen=True)
class PromptFeatures:
    """One encoded prompt.

    Attributes:
        prompt: typed / templated / cleaned text.
        words: slot words ``[CLS]`` .. ``[SEP]``.
        truncated: word pieces were cut at the 97-token limit.
        sentence: ``(D,)`` sentence embedding (``text_g``).
        slots: ``(n, D)`` embeddings of the non-padding slots.
        padding_slots: number of zero padding slots in the official 97-slot sequence.
        memory: t2i memory ``[sentence; slots; one padding key]`` prepared for the decoder.
    """

    prompt: ProcessedPrompt
    words: tuple[str, ...]
    truncated: bool
    sentence: Tensor
    slots: Tensor
    padding_slots: int
    memory: PreparedMemory


def encode_images(
    model: CarzeroModel, pixels: Tensor, keys: Sequence[str], geometries: Sequence[ModelInputGeometry]
) -> list[ImageFeatures]:
    """Encode a batch of normalised images ``(B, 3, S, S)``."""
    img_g, tokens = model.image_memory_tokens(pixels)
    memory = model.fusion_module.prepare_memory(tokens)
    return [
        ImageFeatures(
            key=key,
            geometry=geometry,
            img_g=img_g[i : i + 1],
            tokens=tokens[i : i + 1],
            memory=memory.select(i),
        )
        for i, (key, geometry) in enumerate(zip(keys, geometries, strict=True))
    ]


def encode_prompts(
    model: CarzeroModel, batch: TokenizedPrompts, prompts: Sequence[ProcessedPrompt]
) -> list[PromptFeatures]:
    """Encode a batch of tokenised prompts and prepare their t2i memories."""
    features: TextFeatures = model.text_encoder(batch)
    max_slots = model.config.text.max_length
    # One t2i memory per prompt, [sentence; slots; one padding key], prepared in a single stacked call: the
    # shorter memories are filled with zero-multiplicity tokens, which receive exactly zero attention.
    longest = max(features.num_slots) + 2
    tokens = features.slots.new_zeros((len(prompts), longest, features.slots.shape[-1]))
    counts = features.slots.new_zeros((len(prompts), longest))
    for p, n in enumerate(features.num_slots):
        tokens[p, 0] = features.sentence[p]
        tokens[p, 1 : 1 + n] = features.slots[p, :n]  # slot n (zero when n < max_slots) is the padding key
        counts[p, : 1 + n] = 1.0
        counts[p, 1 + n] = float(max_slots - n)
    memories = model.fusion_module.prepare_memory(tokens, counts)
    return [
        PromptFeatures(
            prompt=prompt,
            words=batch.slots[p].words,
            truncated=batch.truncated[p],
            sentence=features.sentence[p],
            slots=features.slots[p, : features.num_slots[p]],
            padding_slots=max_slots - features.num_slots[p],
            memory=memories.select(p),
        )
        for p, prompt in enumerate(prompts)
    ]


def stack_memories(memories: Sequence[PreparedMemory]) -> PreparedMemory:
    """Batch memories of different lengths; filler tokens get multiplicity 0 (log = -inf, weight exactly 0)."""
    longest = max(int(m.keys[0].shape[2]) for m in memories)

    def pad(x: Tensor) -> Tensor:
        return F.pad(x, (0, 0, 0, longest - x.shape[2]))

    log_mult = []
    for m in memories:
        n = int(m.keys[0].shape[2])
        base = m.log_multiplicity if m.log_multiplicity is not None else m.keys[0].new_zeros((1, n))
        log_mult.append(F.pad(base, (0, longest - n), value=float("-inf")))
    return PreparedMemory(
        keys=tuple(
            torch.cat([pad(m.keys[layer]) for m in memories]) for layer in range(len(memories[0].keys))
        ),
        values=tuple(
            torch.cat([pad(m.values[layer]) for m in memories]) for layer in range(len(memories[0].values))
        ),
        log_multiplicity=torch.cat(log_mult),
    )
