"""Which prompt (and word slot) the user chose, kept across images, and which one is shown now.

Two things are kept apart on purpose: the *choice* is what the user clicked, added or typed and survives
image changes; what is *shown* is what the rule of :func:`~carzero_viewer.annotations.prompt_choice.
choose_prompt` picks on each image from that choice, the draft being previewed and the image's ground-truth
labels (the choice may not be scored on this image, or there may be none yet). Exports and the prompt grid
read what is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from psygnal import Signal

from carzero_viewer.annotations.prompt_choice import choose_prompt

WHOLE_PROMPT = -1  # word slot meaning "the prompt map, not a word map"


class Selection:
    """The user's choice of prompt and word slot, and the (prompt, slot) shown now."""

    chosen_changed = Signal(object, int)  # typed prompt or None, word slot
    shown_changed = Signal(object, int)  # typed prompt or None, word slot

    def __init__(self) -> None:
        self._chosen: str | None = None
        self._chosen_word = WHOLE_PROMPT
        self._shown: str | None = None
        self._shown_word = WHOLE_PROMPT

    @property
    def chosen(self) -> tuple[str | None, int]:
        return self._chosen, self._chosen_word

    @property
    def shown(self) -> tuple[str | None, int]:
        return self._shown, self._shown_word

    def choose(self, typed: str | None, word: int = WHOLE_PROMPT) -> None:
        """Remember the user's own choice, which every later image keeps."""
        if (typed, word) != (self._chosen, self._chosen_word):
            self._chosen, self._chosen_word = typed, word
            self.chosen_changed.emit(typed, word)

    def show(self, typed: str | None, word: int = WHOLE_PROMPT) -> None:
        """Record what the views show now (not a choice: an automatic pick must not become one)."""
        if (typed, word) != (self._shown, self._shown_word):
            self._shown, self._shown_word = typed, word
            self.shown_changed.emit(typed, word)

    def pick(self, ranked: Sequence[str], draft: str, labels: Iterable[str]) -> str | None:
        """The prompt to show among ``ranked`` (best first): the draft being typed, else the choice, else
        the first matching a ground-truth label, else the top score; None when nothing is scored."""
        return choose_prompt(ranked, draft or self._chosen, labels)

    def word_for(self, typed: str, slots: Iterable[int]) -> int:
        """The word slot to show for ``typed``: the chosen one when it is that prompt's and exists."""
        if typed == self._chosen and self._chosen_word in set(slots):
            return self._chosen_word
        return WHOLE_PROMPT
