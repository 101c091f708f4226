"""The prompt-template layer above the model.

The official text cleaning silently drops every sentence of at most one word, so a user who types
``Pneumothorax`` would be scoring the empty text ``[CLS] [SEP]``. A *bare finding* (a short phrase without
sentence punctuation) is therefore wrapped in a template, ``There is {}.`` by default, which is the form
third-party reproductions of the paper's prompts use. Full sentences pass unchanged; ``raw=True`` bypasses the
template entirely for fidelity with the official pipeline. The result records the typed text, the templated
text and the cleaned text the tokenizer receives.

A phrase that is a complete statement on its own is not a finding and is never templated: ``Normal`` would
read "There is normal." and ``No`` "There is no." (:data:`STATEMENT_WORDS`). ``No pneumothorax`` still is a
(negated) finding and reads "There is no pneumothorax.". A short sentence with a verb of its own (``Lungs are
clear.``, ``Heart size is normal.``, :data:`SENTENCE_VERBS`) is a sentence, not a bare finding, and passes
unchanged: the template would make "There is lungs are clear.".

The official cleaning is kept exactly, quirks included (``"2.5 cm"`` reads ``"5 cm"``, ``"côte"`` reads
``"cte"``); :func:`explain_prompt` says in plain words what the model reads and why it differs from what was
typed, and gives the short flags (empty text, truncated) that the CLI prints and the viewer shows.

Every prompt enters the core through :func:`process_prompt` (typed in the viewer, given with ``--prompt``, read
from a prompts file, or made from a label), so the text is checked here once: not empty, bounded, and
encodable as UTF-8. A lone surrogate (``--prompt $'\\xff'`` reaches Python through ``surrogateescape`` as
``'\\udcff'``) would otherwise fail far away, in a terminal or a report writer.
"""

from __future__ import annotations

import re

from carzero_viewer.errors import PromptError
from carzero_viewer.model.config import DEFAULT_MAX_LENGTH
from carzero_viewer.model.text_processing import clean, clean_text
from carzero_viewer.types import ProcessedPrompt, PromptReading
from carzero_viewer.untrusted import require_str

DEFAULT_TEMPLATE = "There is {}."
BARE_FINDING_MAX_WORDS = 4
MAX_PROMPT_CHARS = 20_000
# Every whitespace word yields at least one word piece and at most 95 pieces fit, so words past this bound can
# never reach the model; cutting them first keeps a pasted report from stalling the tokenizer.
_MAX_WORDS_KEPT = 96
_SENTENCE_PUNCTUATION = re.compile(r"[.!?;:\n]")
_WORD = re.compile(r"\w+")
# Words that make a phrase a statement rather than a finding when they open it ("Normal", "Unremarkable
# chest", "Clear lungs", "None"); "No" is one only standing alone, since "No pneumothorax" is a negated finding.
STATEMENT_WORDS = frozenset({"normal", "unremarkable", "clear", "negative", "nil", "nothing", "none"})
_NEGATION_WORD = "no"
# Verbs that make a short phrase a sentence of its own: the linking and reporting verbs of radiology reports.
SENTENCE_VERBS = frozenset(
    {"is", "are", "was", "were", "be", "been", "has", "have", "had", "shows", "show", "showed", "appears",
     "appear", "remains", "remain", "demonstrates", "demonstrate", "measures", "seen", "noted", "identified"}
)  # fmt: skip
# Word pieces the released model reads: max_length minus [CLS] and [SEP].
WORD_PIECES_READ = DEFAULT_MAX_LENGTH - 2
TRUNCATED_FLAG = "truncated"
EMPTY_FLAG = "empty text: every sentence had <= 1 word"
# Both examples are read as typed (no template, nothing dropped); "The lungs are normal." is not: the template
# rule takes it for a bare finding ("There is the lungs are normal.").
EMPTY_ADVICE = (
    "write a sentence of two or more words instead, such as 'Normal chest radiograph.' or "
    "'There is no abnormality.'"
)


def is_statement(text: str) -> bool:
    """A phrase that says something complete on its own (``Normal.``, ``No.``, ``Unremarkable chest``)."""
    words = text.strip().rstrip(".").lower().split()
    if not words:
        return False
    return words[0] in STATEMENT_WORDS or words == [_NEGATION_WORD]


def is_bare_finding(text: str) -> bool:
    """A short phrase naming a finding, with no sentence punctuation: ``Pneumothorax``, ``pleural effusion``,
    ``No pneumothorax``; not a statement such as ``Normal.`` (:func:`is_statement`) nor a short sentence with a
    verb such as ``Lungs are clear.`` (:data:`SENTENCE_VERBS`)."""
    stripped = text.strip().rstrip(".")
    return (
        bool(stripped)
        and not _SENTENCE_PUNCTUATION.search(stripped)
        and len(stripped.split()) <= BARE_FINDING_MAX_WORDS
        and not stripped.lower().startswith("there ")
        and not is_statement(stripped)
        and not SENTENCE_VERBS.intersection(_WORD.findall(stripped.lower()))
    )


def validate_template(template: str) -> None:
    """A template must contain exactly one ``{}`` placeholder and be encodable text."""
    require_str(template, None, PromptError, "prompt template", MAX_PROMPT_CHARS)
    if (
        template.count("{}") != 1
        or template.replace("{}", "").count("{")
        or template.replace("{}", "").count("}")
    ):
        raise PromptError(f"prompt template must contain exactly one '{{}}' placeholder: {template!r}")


def process_prompt(typed: str, template: str = DEFAULT_TEMPLATE, raw: bool = False) -> ProcessedPrompt:
    """Apply the template (unless raw) and the official cleaning.

    Raises:
        PromptError: the prompt is empty, absurdly long or not encodable text (a lone surrogate).
    """
    if not typed.strip():
        raise PromptError("prompt is empty")
    if len(typed) > MAX_PROMPT_CHARS:
        raise PromptError(
            f"prompt is {len(typed):,} characters long; the model reads at most 95 word pieces "
            f"(limit {MAX_PROMPT_CHARS:,} characters)"
        )
    require_str(typed, None, PromptError, "prompt", MAX_PROMPT_CHARS)
    templated = not raw and is_bare_finding(typed)
    if templated:
        validate_template(template)
        text = template.format(typed.strip().rstrip(".").lower())
    else:
        text = typed
    cleaned = " ".join(clean_text(text).split()[:_MAX_WORDS_KEPT])
    return ProcessedPrompt(typed=typed, text=text, cleaned=cleaned, templated=templated)


def explain_prompt(prompt: ProcessedPrompt, truncated: bool | None = None) -> PromptReading:
    """What the model reads of ``prompt`` and why it differs from what was typed.

    Args:
        prompt: the processed prompt.
        truncated: whether the tokenizer cut the prompt (``PromptResult.truncated``); ``None`` before
            scoring, when a prompt of more than :data:`WORD_PIECES_READ` words (the released model's limit,
            at least one piece per word) is known to be cut.
    """
    cleaning = clean(prompt.text)
    if truncated is None:
        truncated = len(prompt.cleaned.split()) > WORD_PIECES_READ
    reasons: list[str] = []
    if prompt.templated:
        reasons.append(f"a bare finding is put in the template: {prompt.text!r}")
    elif is_statement(prompt.typed) and cleaning.dropped_words:
        reasons.append(f"{prompt.typed.strip()!r} is a statement, not a finding, so no template is applied")
    if cleaning.dropped_numbers:
        numbers = ", ".join(repr(n) for n in cleaning.dropped_numbers)
        reasons.append(
            f"the original cleaning drops digits followed by '.' ({numbers}), e.g. '2.5' reads '5'"
        )
    if cleaning.dropped_characters:
        reasons.append(f"the original cleaning drops non-ASCII letters ({cleaning.dropped_characters!r})")
    if cleaning.dropped_words:
        words = ", ".join(repr(w) for w in cleaning.dropped_words)
        reasons.append(f"the original cleaning drops one-word sentences ({words})")
    if truncated:
        reasons.append(
            f"truncated: the model reads only the first word pieces ({WORD_PIECES_READ} in the released model)"
        )
    if not reasons and _WORD.findall(prompt.typed.lower()) != prompt.cleaned.split():
        reasons.append("the original cleaning changed the words")
    if prompt.is_empty and not cleaning.dropped_words:
        reasons.append("the prompt has no words")
    if prompt.is_empty:  # say what to type instead: the flag alone left users retyping "Normal." variants
        reasons.append(EMPTY_ADVICE)
    flags = tuple(flag for flag, on in ((TRUNCATED_FLAG, truncated), (EMPTY_FLAG, prompt.is_empty)) if on)
    return PromptReading(model_text=prompt.cleaned, reasons=tuple(reasons), flags=flags)
