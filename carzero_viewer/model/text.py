"""BERT text encoder with CARZero's word-piece -> word aggregation (spec 2.2).

BERT (``bert.py``) is built from the BERT folder's ``config.json`` (no weights are read from the folder: every
weight is in the CARZero checkpoint) and its tokenizer (``wordpiece.py``) from ``vocab.txt``. Nothing ever
touches the network.

Exact shortcut: BERT's outputs at real tokens do not depend on how much padding follows them (padding is masked
out of every attention), so prompts are encoded padded only to the longest prompt of the batch rather than to
97. ``pad_to_max_length=True`` reproduces the official padded call (used for fidelity checks and benchmarks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from carzero_viewer.model.bert import Bert
from carzero_viewer.model.config import TextConfig
from carzero_viewer.model.text_processing import WordSlots, aggregate_word_pieces
from carzero_viewer.model.wordpiece import WordPieceTokenizer


@dataclass(frozen=True)
class TokenizedPrompts:
    """Token ids of a batch of prompts, padded to ``input_ids.shape[1]``.

    Attributes:
        input_ids: ``(P, T)`` int64.
        attention_mask: ``(P, T)`` int64, 1 on ``[CLS]..[SEP]``.
        tokens: token strings per prompt, without padding.
        slots: the word-slot plan per prompt.
        truncated: per prompt, whether word pieces were cut to fit ``max_length``.
    """

    input_ids: Tensor
    attention_mask: Tensor
    tokens: tuple[tuple[str, ...], ...]
    slots: tuple[WordSlots, ...]
    truncated: tuple[bool, ...]


@dataclass(frozen=True)
class TextFeatures:
    """CARZero text embeddings of a batch of prompts.

    Attributes:
        slots: ``(P, max_length, D)`` word-slot embeddings (the official ``text_l`` transposed); zero after
            ``[SEP]``.
        sentence: ``(P, D)`` sentence embeddings (official ``text_g``).
        num_slots: non-padding slots per prompt (``[CLS]`` .. ``[SEP]``).
        hidden_last: ``(n_layers, P, T, D)`` the hidden states that were aggregated (debugging aid).
    """

    slots: Tensor
    sentence: Tensor
    num_slots: tuple[int, ...]
    hidden_last: Tensor


class TextEncoder(nn.Module):
    """``text_encoder.model`` = BERT; aggregates the last hidden states into word slots."""

    def __init__(self, config: TextConfig) -> None:
        super().__init__()
        self.config = config
        self.model = Bert(config.bert)

    def tokenize(
        self, tokenizer: WordPieceTokenizer, texts: Sequence[str], pad_to_max_length: bool = False
    ) -> TokenizedPrompts:
        """Tokenise cleaned texts with ``[CLS]``/``[SEP]``, truncated to ``max_length``."""
        encoded = tokenizer.encode(texts, self.config.max_length, pad_to_max_length)
        return TokenizedPrompts(
            input_ids=torch.tensor(encoded.ids, dtype=torch.int64),
            attention_mask=torch.tensor(encoded.mask, dtype=torch.int64),
            tokens=tuple(encoded.tokens),
            slots=tuple(aggregate_word_pieces(list(t)) for t in encoded.tokens),
            truncated=tuple(encoded.truncated),
        )

    def forward(self, batch: TokenizedPrompts) -> TextFeatures:
        """Encode tokenised prompts into slot and sentence embeddings."""
        device = self.model.embeddings.word_embeddings.weight.device
        hidden_states = self.model(batch.input_ids.to(device), batch.attention_mask.to(device))
        n_layers = self.config.last_n_layers
        hidden = torch.stack(hidden_states[-n_layers:])  # (L, P, T, D)
        num_prompts, num_tokens = batch.input_ids.shape
        max_slots = self.config.max_length
        assign = torch.zeros(num_prompts, max_slots, num_tokens, dtype=hidden.dtype, device=device)
        for p, plan in enumerate(batch.slots):
            for s, pieces in enumerate(plan.pieces):
                assign[p, s, list(pieces)] = 1.0
        per_layer = torch.einsum("pst,lptd->lpsd", assign, hidden)  # (L, P, 97, D)
        return TextFeatures(
            slots=per_layer.sum(dim=0),
            sentence=per_layer.mean(dim=2).sum(dim=0),
            num_slots=tuple(plan.num_slots for plan in batch.slots),
            hidden_last=hidden,
        )
