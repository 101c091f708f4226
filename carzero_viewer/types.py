"""Frozen dataclasses that cross layer boundaries (plain data: numbers, tuples and numpy arrays only)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class ModelInputGeometry:
    """The exact resize / pad / crop that turned an original image into the model's 224x224 input.

    Recorded by preprocessing (spec section 3) so that every map can be registered back to original pixels
    instead of guessing. Coordinates are (x = column, y = row) in pixels; the crop is a window of the padded
    square.

    Attributes:
        original_size: (height, width) of the decoded image.
        resized_size: (height, width) after the aspect-preserving INTER_AREA resize (long side = pad_size).
        pad_offset: (top, left) zero padding placed before the resized image inside the padded square.
        pad_size: side of the padded square (256 in the released model).
        crop_offset: (top, left) of the centre crop inside the padded square (16 in the released model).
        crop_size: side of the crop the network sees (224).
    """

    original_size: tuple[int, int]
    resized_size: tuple[int, int]
    pad_offset: tuple[int, int]
    pad_size: int
    crop_offset: tuple[int, int]
    crop_size: int

    @property
    def scale(self) -> tuple[float, float]:
        """(row, column) factors from resized pixels to original pixels (``original / resized`` per axis)."""
        return (
            self.original_size[0] / self.resized_size[0],
            self.original_size[1] / self.resized_size[1],
        )

    def crop_to_original(self, x: float, y: float) -> tuple[float, float]:
        """Map a continuous position in the 224 crop to the original image (same continuous convention).

        Positions are continuous coordinates where pixel ``i`` covers ``[i, i+1)``, so pixel centres are at
        ``i + 0.5`` in both frames and area-resampling is a pure scale.
        """
        sy, sx = self.scale
        px = x + self.crop_offset[1] - self.pad_offset[1]
        py = y + self.crop_offset[0] - self.pad_offset[0]
        return px * sx, py * sy

    def original_to_crop(self, x: float, y: float) -> tuple[float, float]:
        """Inverse of :meth:`crop_to_original` (continuous coordinates)."""
        sy, sx = self.scale
        return (
            x / sx + self.pad_offset[1] - self.crop_offset[1],
            y / sy + self.pad_offset[0] - self.crop_offset[0],
        )

    def field_of_view(self) -> tuple[float, float, float, float]:
        """The part of the original image the model saw, as continuous ``(x0, y0, x1, y1)``, clipped to it."""
        x0, y0 = self.crop_to_original(0.0, 0.0)
        x1, y1 = self.crop_to_original(float(self.crop_size), float(self.crop_size))
        h, w = self.original_size
        return max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1)


@dataclass(frozen=True)
class ProcessedPrompt:
    """A prompt as typed and as the model receives it.

    Attributes:
        typed: what the user typed.
        text: the prompt after the template (equal to ``typed`` in raw mode or for full sentences).
        cleaned: ``text`` after the official cleaning: exactly what the tokenizer receives.
        templated: whether the template was applied.
    """

    typed: str
    text: str
    cleaned: str
    templated: bool

    @property
    def is_empty(self) -> bool:
        """True when the model sees only ``[CLS] [SEP]`` (every sentence had at most one word)."""
        return not self.cleaned.strip()


@dataclass(frozen=True)
class PromptReading:
    """What the model reads of a prompt, and in plain words why that differs from what was typed.

    Attributes:
        model_text: the cleaned text the tokenizer receives (``""`` when the model reads only ``[CLS] [SEP]``).
        reasons: one plain-language sentence per change (template applied, numbers or characters dropped,
            one-word sentences dropped, truncation), in pipeline order; empty when the model reads the typed
            words unchanged (lower case and punctuation aside).
        flags: short warnings for a one-line listing (``"truncated"``, the empty-text flag): what the CLI
            prints after a score and what the viewer marks a prompt with.
    """

    model_text: str
    reasons: tuple[str, ...]
    flags: tuple[str, ...]

    @property
    def altered(self) -> bool:
        """True when the model reads other words than the typed ones."""
        return bool(self.reasons)

    def summary(self) -> str:
        """One line for a panel: ``[⚠ <flags> · ]model reads: '<text>' — <reasons>``, the text cut at 120
        characters; ``""`` when nothing was altered."""
        if not self.reasons:
            return ""
        shown = self.model_text if len(self.model_text) <= 120 else self.model_text[:120] + "…"
        reads = repr(shown) if shown else "nothing ([CLS] [SEP] only)"
        warning = f"⚠ {', '.join(self.flags)} · " if self.flags else ""
        return f"{warning}model reads: {reads} — " + "; ".join(self.reasons)


@dataclass(frozen=True)
class PromptResult:
    """CARZero's output for one (image, prompt) pair. Arrays are float32.

    Attributes:
        prompt: the typed / templated / cleaned text.
        words: slot words ``[CLS]``, the words, ``[SEP]`` (word pieces merged).
        truncated: the prompt was cut to the model's 97-token limit.
        score: official zero-shot score ``(i2t + t2i) / 2``: a raw logit, higher = more likely, not a
            probability.
        i2t: logit with the prompt as query over the image tokens.
        t2i: logit with the image as query over the prompt tokens.
        grounding_map: ``(g, g)`` official prompt map (i2t cross-attention, [CLS] column dropped, mean of the
            last four layers), row-major over the 224 crop.
        word_attention: ``(1 + max_length,)`` official per-word t2i attention: index 0 = sentence embedding,
            index ``s + 1`` = slot ``s`` (padding slots included, they receive real weight).
        word_maps: ``(len(words), g, g)`` per-word spatial maps with each word slot as the query. EXTENSION:
            not evaluated in the paper (``word_maps_are_extension`` is always True).
        padding_word_map: ``(g, g)`` the map of a padding slot (all padding slots share it).
        geometry: how the crop relates to the original image.
        precision: the arithmetic that computed it: ``"fp32"`` (exact, the default) or ``"bf16"`` /
            ``"fp16"`` (the fast mode: a preview in the viewer, ``--precision`` on the command line).
    """

    prompt: ProcessedPrompt
    words: tuple[str, ...]
    truncated: bool
    score: float
    i2t: float
    t2i: float
    grounding_map: npt.NDArray[np.float32]
    word_attention: npt.NDArray[np.float32]
    word_maps: npt.NDArray[np.float32]
    padding_word_map: npt.NDArray[np.float32]
    geometry: ModelInputGeometry
    word_maps_are_extension: bool = True
    precision: str = "fp32"

    @property
    def approximate(self) -> bool:
        """Computed in reduced precision: within the measured budget of the exact result, but not it."""
        return self.precision != "fp32"

    @property
    def word_weights(self) -> npt.NDArray[np.float32]:
        """t2i attention of the displayed words only (slots ``[CLS]``..``[SEP]``), aligned with ``words``."""
        return self.word_attention[1 : 1 + len(self.words)]
