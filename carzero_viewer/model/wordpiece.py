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

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

from carzero_viewer.errors import WeightsError
from carzero_viewer.model.bert_folder import load_tokenizer_options
from carzero_viewer.model.weights_bounds import MAX_VOCAB, MAX_VOCAB_BYTES
from carzero_viewer.untrusted import fail, read_text

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

    def __init__(self, vocab_file: Path, options: dict[str, bool | None] | None = None) -> None:
        options = options or {}
        vocab = read_vocab(vocab_file)
        lowercase = options.get("do_lower_case", True) is not False
        tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
        tokenizer.normalizer = normalizers.BertNormalizer(
            clean_text=True,
            handle_chinese_chars=options.get("tokenize_chinese_chars", True) is not False,
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


def read_vocab(path: Path) -> dict[str, int]:
    """``vocab.txt`` as token -> id (the line number), checked as described in :mod:`.weights_bounds`.

    A duplicated line would give its token the id of its last occurrence, beyond the number of distinct
    tokens, so the size check against the embedding table would pass and inference would index past it;
    duplicates and empty lines are therefore refused, naming the lines. Trailing whitespace is dropped as the
    ``tokenizers`` reader does.
    """
    text = read_text(path, WeightsError, "vocab.txt", MAX_VOCAB_BYTES)
    vocab: dict[str, int] = {}
    lines = text.split("\n")  # not splitlines(): U+2028 and friends are characters of a token, not breaks
    if lines[-1] == "":
        lines.pop()
    for index, line in enumerate(lines):
        token = line.rstrip()
        if not token:
            fail(WeightsError, path, f"line {index + 1}", "is empty (one token per line expected)")
        if token in vocab:
            fail(
                WeightsError,
                path,
                f"line {index + 1}",
                f"token {token[:40]!r} repeats line {vocab[token] + 1}",
            )
        vocab[token] = index
    if len(vocab) > MAX_VOCAB:
        fail(
            WeightsError,
            path,
            None,
            f"vocab.txt has {len(vocab):,} tokens; at most {MAX_VOCAB:,} are accepted",
        )
    for token in SPECIAL_TOKENS:
        if token not in vocab:
            fail(WeightsError, path, None, f"vocab.txt lacks the special token {token}")
    return vocab


def load_tokenizer(folder: Path, vocab_size: int) -> WordPieceTokenizer:
    """The tokenizer of a BERT folder, checked against the checkpoint's embedding table."""
    vocab = folder / "vocab.txt"
    tokenizer = WordPieceTokenizer(vocab, load_tokenizer_options(folder))
    if tokenizer.vocab_size > vocab_size:
        raise WeightsError(
            f"vocab.txt has {tokenizer.vocab_size} entries but the checkpoint's word embeddings have "
            f"{vocab_size}: this vocabulary does not belong to these weights",
            vocab,
        )
    return tokenizer
