"""The prompts file of ``score --prompts-file``, read through the untrusted-file boundary.

Two forms are accepted: a JSON list of prompt strings, or the official ``{class: [prompt]}`` object (each
value a prompt string or a one-element list holding one), read in key order. Bounds, and why:

- at most :data:`MAX_PROMPTS_FILE_BYTES` (16 MiB) in a regular file: :data:`MAX_PROMPTS` prompts of a few
  hundred characters, the length of a short report, take a few MiB;
- JSON nested at most :data:`MAX_PROMPTS_DEPTH` = 2 levels (the official form is an object of lists); a deeper
  file is neither form, and is refused before the parser could recurse;
- at most :data:`MAX_PROMPTS` = 10,000 prompts: each one is a text-encoder pass and a column in every output;
- each prompt a non-empty string of at most
  :data:`~carzero_viewer.inference.prompts.MAX_PROMPT_CHARS` characters that UTF-8 can encode (the same
  limits :func:`~carzero_viewer.inference.prompts.process_prompt` applies to a typed prompt).

Errors are :class:`~carzero_viewer.errors.PromptError` naming the file and the entry (``[3]`` or
``["Effusion"]``).
"""

from __future__ import annotations

from pathlib import Path

from carzero_viewer.errors import PromptError
from carzero_viewer.inference.prompts import MAX_PROMPT_CHARS
from carzero_viewer.untrusted import fail, read_json, require_str

MAX_PROMPTS_FILE_BYTES = 16 * 1024 * 1024
MAX_PROMPTS_DEPTH = 2
MAX_PROMPTS = 10_000
FORMS = 'a JSON list of prompt strings or an object {"class": ["prompt"], ...}'


def read_prompts_file(path: Path) -> list[str]:
    """The prompts of ``path``, in file order.

    Raises:
        PromptError: unreadable or unbounded file, neither accepted form, or a bad prompt (the entry is named).
    """
    data = read_json(path, PromptError, "prompts file", MAX_PROMPTS_FILE_BYTES, MAX_PROMPTS_DEPTH)
    if isinstance(data, dict):
        entries = [(f"[{key[:60]!r}]", _official_value(value)) for key, value in data.items()]
    elif isinstance(data, list):
        entries = [(f"[{index}]", value) for index, value in enumerate(data)]
    else:
        fail(PromptError, path, None, f"prompts file must hold {FORMS}")
    if not entries:
        fail(PromptError, path, None, "prompts file holds no prompt")
    if len(entries) > MAX_PROMPTS:
        fail(PromptError, path, None, f"prompts file holds {len(entries):,} prompts; at most {MAX_PROMPTS:,}")
    prompts = []
    for where, value in entries:
        prompt = require_str(value, path, PromptError, where, MAX_PROMPT_CHARS)
        if not prompt.strip():
            fail(PromptError, path, where, "prompt is empty")
        prompts.append(prompt)
    return prompts


def _official_value(value: object) -> object:
    """The prompt of one official entry: the string itself, or the only element of a one-element list."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value
