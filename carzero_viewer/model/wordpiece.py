"""The BERT WordPiece tokenizer of a BERT folder, built on the ``tokenizers`` library (spec 2.2, step 7).

The official code uses ``AutoTokenizer`` (= transformers' ``BertTokenizerFast``), which is itself a thin
wrapper that assembles a ``tokenizers.Tokenizer`` from ``vocab.txt``: BERT normaliser (clean text, Chinese
characters split, lower-casing and accent stripping per ``tokenizer_config.json``), BERT pre-tokeniser,
greedy longest-match WordPiece with ``[UNK]``, and a ``[CLS] $A [SEP]`` post-processor. This module assembles
the same pipeline directly, so the app does not import transformers (see ``bert.py`` for why); identical ids
on a corpus of awkward prompts are tested against ``BertTokenizerFast``.

Special-token ids are looked up in ``vocab.txt``, never assumed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

from carzero_viewer.errors import WeightsError
from carzero_viewer.model.bert_folder import read_tokenizer_options

SPECIAL_TOKENS = ("[CLS]", "[SEP]", "[PAD]", "[UNK]")


@dataclass(frozen=True)
class Encoded:
    """Token ids of a batch of texts, all padded to the same length.

    Attributes:
        ids: per text, token ids including ``[CLS]``/``[SEP]`` and trailing ``[PAD]``.
        mask: per text, 1 on ``[CLS]..[SEP]`` and 0 on padding.
        tokens: per text, the token strings without padding.
        truncated: per text, whether word pieces were cut to fit ``max_length``.
    """

    ids: list[list[int]]
    mask: list[list[int]]
    tokens: list[tuple[str, ...]]
    truncated: list[bool]


class WordPieceTokenizer:
    """``vocab.txt`` + options -> ids, as ``BertTokenizerFast(vocab_file=...)`` produces them.

    Truncation and padding are settings of the underlying tokenizer, set per call, so calls are serialised
    (a batch scorer and the GUI engine may share one tokenizer).
    """

    def __init__(self, vocab_file: Path, options: dict[str, Any] | None = None) -> None:
        options = options or {}
        try:
            vocab = models.WordPiece.read_file(str(vocab_file))
        except Exception as exc:  # tokenizers raises plain Exception on unreadable or malformed files
            raise WeightsError(
                f"vocab.txt cannot be read as a WordPiece vocabulary ({exc})", vocab_file
            ) from exc
        for token in SPECIAL_TOKENS:
            if token not in vocab:
                raise WeightsError(f"vocab.txt lacks the special token {token}", vocab_file)
        lowercase = bool(options.get("do_lower_case", True))
        tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
        tokenizer.normalizer = normalizers.BertNormalizer(
            clean_text=True,
            handle_chinese_chars=bool(options.get("tokenize_chinese_chars", True)),
            strip_accents=options.get("strip_accents"),
            lowercase=lowercase,
        )
        tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tokenizer.post_processor = processors.TemplateProcessing(
            single="[CLS]:0 $A:0 [SEP]:0",
            pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
            special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
        )
        self._tokenizer = tokenizer
        self._lock = threading.Lock()
        self.pad_id = vocab["[PAD]"]
        self.vocab_size = len(vocab)

    def encode(self, texts: Sequence[str], max_length: int, pad_to_max_length: bool) -> Encoded:
        """Tokenise with special tokens, truncated to ``max_length``; padded to it or to the longest text."""
        tokenizer = self._tokenizer
        with self._lock:
            tokenizer.enable_truncation(max_length=max_length)
            tokenizer.enable_padding(
                pad_id=self.pad_id, pad_token="[PAD]", length=max_length if pad_to_max_length else None
            )
            encodings = tokenizer.encode_batch(list(texts))
        return Encoded(
            ids=[e.ids for e in encodings],
            mask=[e.attention_mask for e in encodings],
            tokens=[
                tuple(t for t, m in zip(e.tokens, e.attention_mask, strict=True) if m) for e in encodings
            ],
            truncated=[bool(e.overflowing) for e in encodings],
        )

    def word_pieces(self, text: str) -> list[str]:
        """The word pieces of ``text`` without special tokens and without truncation."""
        tokenizer = self._tokenizer
        with self._lock:
            tokenizer.no_truncation()
            tokenizer.no_padding()
            pieces: list[str] = tokenizer.encode(text, add_special_tokens=False).tokens
        return pieces


def load_tokenizer(folder: Path, vocab_size: int) -> WordPieceTokenizer:
    """The tokenizer of a BERT folder, checked against the checkpoint's embedding table."""
    vocab = folder / "vocab.txt"
    if not vocab.is_file():
        raise WeightsError("BERT vocab.txt is missing", vocab)
    tokenizer = WordPieceTokenizer(vocab, read_tokenizer_options(folder))
    if tokenizer.vocab_size > vocab_size:
        raise WeightsError(
            f"vocab.txt has {tokenizer.vocab_size} entries but the checkpoint's word embeddings have "
            f"{vocab_size}: this vocabulary does not belong to these weights",
            vocab,
        )
    return tokenizer
