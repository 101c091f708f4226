"""The prompt-template layer above the model.

The official text cleaning silently drops every sentence of at most one word, so a user who types
``Pneumothorax`` would be scoring the empty text ``[CLS] [SEP]``. A *bare finding* (a short phrase without
sentence punctuation) is therefore wrapped in a template, ``There is {}.`` by default, which is the form
third-party reproductions of the paper's prompts use. Full sentences pass unchanged; ``raw=True`` bypasses the
template entirely for fidelity with the official pipeline. The result records the typed text, the templated
text and the cleaned text the tokenizer receives.

Every prompt enters the core through :func:`process_prompt` (typed in the viewer, given with ``--prompt``, read
from a prompts file, or made from a label), so the text is checked here once: not empty, bounded, and
encodable as UTF-8. A lone surrogate (``--prompt $'\\xff'`` reaches Python through ``surrogateescape`` as
``'\\udcff'``) would otherwise fail far away, in a terminal or a report writer.
"""

from __future__ import annotations

import re

from carzero_viewer.errors import PromptError
from carzero_viewer.model.text_processing import clean_text
from carzero_viewer.types import ProcessedPrompt
from carzero_viewer.untrusted import require_str

DEFAULT_TEMPLATE = "There is {}."
BARE_FINDING_MAX_WORDS = 4
MAX_PROMPT_CHARS = 20_000
# Every whitespace word yields at least one word piece and at most 95 pieces fit, so words past this bound can
# never reach the model; cutting them first keeps a pasted report from stalling the tokenizer.
_MAX_WORDS_KEPT = 96
_SENTENCE_PUNCTUATION = re.compile(r"[.!?;:\n]")


def is_bare_finding(text: str) -> bool:
    """A short phrase with no sentence punctuation, e.g. ``Pneumothorax`` or ``pleural effusion``."""
    stripped = text.strip().rstrip(".")
    return (
        bool(stripped)
        and not _SENTENCE_PUNCTUATION.search(stripped)
        and len(stripped.split()) <= BARE_FINDING_MAX_WORDS
        and not stripped.lower().startswith("there ")
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
