"""The prompts: the list with enabled flags, the template, the live draft and the negation mode.

These four decide what is scored on every image (:meth:`Prompts.wanted`), so they live in one place that the
prompt panel, the scores panel, the prompt grid and the exports all read, instead of each asking a widget.
Comparisons of prompts are exact (the typed text is the key of every result).

A finding is listed under its key (:func:`~carzero_viewer.viewer_model.findings.finding_key`) and registered
here with its phrasings (:meth:`Prompts.add_finding`); :meth:`Prompts.scored_texts` turns the wanted rows into
the distinct texts the model scores.
"""

from __future__ import annotations

from collections.abc import Iterable

from psygnal import Signal

from carzero_viewer.findings import Finding, all_phrasings
from carzero_viewer.viewer_model.findings import finding_key


class Prompts:
    """The typed prompts in display order, which of them are disabled, and how they are sent."""

    changed = Signal()  # the list or an enabled flag changed
    template_changed = Signal(str)
    draft_changed = Signal(str)  # the text being typed (stripped); "" when none
    negations_changed = Signal(bool)

    def __init__(self, template: str = "") -> None:
        self._prompts: list[str] = []
        self._disabled: set[str] = set()
        self._template = template
        self._draft = ""
        self._negations = False
        self._findings: dict[str, Finding] = {}  # by prompt-list key

    @property
    def all(self) -> list[str]:
        return list(self._prompts)

    @property
    def enabled(self) -> list[str]:
        return [typed for typed in self._prompts if typed not in self._disabled]

    @property
    def disabled(self) -> list[str]:
        return [typed for typed in self._prompts if typed in self._disabled]

    @property
    def template(self) -> str:
        return self._template

    @property
    def draft(self) -> str:
        return self._draft

    @property
    def negations(self) -> bool:
        return self._negations

    @property
    def findings(self) -> dict[str, Finding]:
        """The registered findings by prompt-list key (also those no longer listed)."""
        return dict(self._findings)

    def finding(self, typed: str) -> Finding | None:
        """The finding listed as ``typed``, or None for a typed prompt."""
        return self._findings.get(typed)

    def listed_findings(self) -> list[Finding]:
        """The findings in the list, in list order (what the settings keep)."""
        return [f for typed in self._prompts if (f := self._findings.get(typed)) is not None]

    def register_finding(self, finding: Finding) -> str:
        """Know ``finding`` under its key (a later one of the same name replaces its phrasings); returns the key.

        Registering does not list it: the prompt panel adds the key as a row, as it adds a typed prompt.
        """
        key = finding_key(finding.name)
        if self._findings.get(key) != finding:
            self._findings[key] = finding
            if key in self._prompts:
                self.changed.emit()
        return key

    def add_finding(self, finding: Finding) -> str:
        """Register ``finding`` and append its row, enabled, unless it is listed; returns its key."""
        key = self.register_finding(finding)
        if key not in self._prompts:
            self._prompts.append(key)
            self.changed.emit()
        return key

    def scored_texts(self, rows: Iterable[str]) -> list[str]:
        """The distinct texts to score for ``rows``: a typed prompt itself, a finding its phrasings."""
        texts: list[str] = []
        for typed in rows:
            finding = self._findings.get(typed)
            texts.extend(all_phrasings([finding]) if finding is not None else [typed])
        return list(dict.fromkeys(texts))

    def set_prompts(self, prompts: Iterable[str], disabled: Iterable[str] = ()) -> None:
        """Replace the list (duplicates dropped, first kept); ``disabled`` names the unticked ones."""
        listed = list(dict.fromkeys(prompts))
        off = {typed for typed in disabled if typed in listed}
        if (listed, off) != (self._prompts, self._disabled):
            self._prompts, self._disabled = listed, off
            self.changed.emit()

    def add(self, typed: str) -> bool:
        """Append and enable ``typed`` (case-insensitively new only); returns whether it was added."""
        if not typed or typed.casefold() in {p.casefold() for p in self._prompts}:
            return False
        self._prompts.append(typed)
        self.changed.emit()
        return True

    def set_enabled(self, typed: str, enabled: bool) -> None:
        if typed not in self._prompts or (typed not in self._disabled) == enabled:
            return
        if enabled:
            self._disabled.discard(typed)
        else:
            self._disabled.add(typed)
        self.changed.emit()

    def set_template(self, template: str) -> None:
        if template != self._template:
            self._template = template
            self.template_changed.emit(template)

    def set_draft(self, text: str) -> None:
        draft = text.strip()
        if draft != self._draft:
            self._draft = draft
            self.draft_changed.emit(draft)

    def set_negations(self, enabled: bool) -> None:
        if bool(enabled) != self._negations:
            self._negations = bool(enabled)
            self.negations_changed.emit(self._negations)

    def wanted(self) -> list[str]:
        """What to score on the current image: the enabled prompts, then the draft when it is new."""
        prompts = self.enabled
        if self._draft and self._draft not in prompts:
            prompts.append(self._draft)
        return prompts
