"""The official CARZero prompt cleaning and word-piece -> word aggregation (spec sections 2.2 and 4).

Pure Python, no torch: the UI shows the processed text and the word list while the user types, and the
aggregation plan (which word pieces form which word slot) is data the text encoder then applies to tensors.
The quirks are deliberate and faithful: ``"2.5 cm"`` loses its ``2``, one-word sentences vanish, non-ASCII
letters are dropped inside words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBERED = re.compile(r"[0-9]+\.")
_WORD = re.compile(r"\w+")
_REPLACEMENT_PAIR = "\ufffd\ufffd"

CLS_TOKEN = "[CLS]"
SEP_TOKEN = "[SEP]"
PAD_TOKEN = "[PAD]"
CONTINUATION = "##"


@dataclass(frozen=True)
class Cleaning:
    """The official cleaning of one text and what it removed, so a user can be told why the model reads
    something other than what was typed.

    Attributes:
        text: the cleaned text, exactly what the tokenizer receives.
        dropped_numbers: each ``digits.`` match the sentence split removed (``"2."`` of ``"2.5"``, ``"1."``).
        dropped_words: the word of each one-word sentence dropped (``"Normal"`` of ``"Normal. No effusion."``).
        dropped_characters: the distinct non-ASCII characters removed from words, in order of appearance.
    """

    text: str
    dropped_numbers: tuple[str, ...]
    dropped_words: tuple[str, ...]
    dropped_characters: str


def clean(text: str) -> Cleaning:
    """Clean one prompt exactly as the official text processing does and record what was removed."""
    text = text.replace("\n", " ")
    sentences = [sentence for part in _NUMBERED.split(text) for sentence in part.split(".")]
    kept: list[str] = []
    dropped_words: list[str] = []
    dropped_characters: dict[str, None] = {}
    for sentence in sentences:
        if not sentence:
            continue
        tokens = _WORD.findall(sentence.replace(_REPLACEMENT_PAIR, " ").lower())
        if len(tokens) <= 1:
            dropped_words.extend(_WORD.findall(sentence))
            continue
        ascii_tokens = [t.encode("ascii", "ignore").decode("ascii") for t in tokens]
        dropped_characters.update(dict.fromkeys(c for t in tokens for c in t if not c.isascii()))
        kept.append(" ".join(t for t in ascii_tokens if t))
    return Cleaning(
        text=" ".join(kept),
        dropped_numbers=tuple(_NUMBERED.findall(text)),
        dropped_words=tuple(dropped_words),
        dropped_characters="".join(dropped_characters),
    )


def clean_text(text: str) -> str:
    """Clean one prompt exactly as the official text processing does before tokenisation.

    Returns the empty string when every sentence has at most one word (e.g. ``"Pneumonia."``).
    """
    return clean(text).text


@dataclass(frozen=True)
class WordSlots:
    """How the word pieces of one tokenised prompt merge into word slots.

    Attributes:
        words: text of each non-padding slot: ``[CLS]``, the words (pieces joined without ``##``), ``[SEP]``.
        pieces: for each slot, the token positions whose vectors are summed into it.
    """

    words: tuple[str, ...]
    pieces: tuple[tuple[int, ...], ...]

    @property
    def num_slots(self) -> int:
        """Non-padding slots, ``[CLS]`` and ``[SEP]`` included."""
        return len(self.words)

    def padded_words(self, length: int) -> list[str]:
        """The slot words padded with ``[PAD]`` to ``length`` (the official 97-slot word list)."""
        return [*self.words, *([PAD_TOKEN] * (length - len(self.words)))]


def aggregate_word_pieces(tokens: list[str]) -> WordSlots:
    """Group word pieces into slots following the official walk (spec 2.2).

    ``tokens`` are the token strings of one prompt, ``[CLS]`` first; the walk stops after ``[SEP]``, so
    trailing ``[PAD]`` tokens may be present or not.
    """
    words: list[str] = []
    pieces: list[tuple[int, ...]] = []
    current_text: str | None = None
    current: list[int] = []

    def close() -> None:
        if current_text is not None:
            words.append(current_text)
            pieces.append(tuple(current))

    for index, token in enumerate(tokens):
        if token == SEP_TOKEN:
            close()
            words.append(SEP_TOKEN)
            pieces.append((index,))
            current_text = None
            break
        if not token.startswith(CONTINUATION) or current_text is None:
            close()
            current_text, current = token, [index]
        else:
            current_text += token[len(CONTINUATION) :]
            current.append(index)
    else:
        close()
    return WordSlots(words=tuple(words), pieces=tuple(pieces))
