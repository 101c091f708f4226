"""Prompts files and prompt text: each hostile input is a one-line PromptError (issue 11, item 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carzero_viewer.errors import PromptError
from carzero_viewer.inference.prompt_file import MAX_PROMPTS, read_prompts_file
from carzero_viewer.inference.prompts import MAX_PROMPT_CHARS, process_prompt, validate_template

FIXTURE_PROMPTS = Path(__file__).resolve().parents[2] / "data" / "carzero-tiny" / "prompts.json"


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prompts.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_both_forms_are_read(tmp_path: Path) -> None:
    assert read_prompts_file(FIXTURE_PROMPTS) == json.loads(FIXTURE_PROMPTS.read_text(encoding="utf-8"))
    official = _file(tmp_path, '{"Effusion": ["There is effusion."], "Mass": "There is a mass."}')
    assert read_prompts_file(official) == ["There is effusion.", "There is a mass."]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested deeper than 2 levels"),  # observed: RecursionError
        ('[["a", ["b"]]]', "nested deeper than 2 levels"),
        ('["fine", "bad \\udcff"]', "unpaired surrogate"),
        ('["fine", ""]', "[1]: prompt is empty"),
        ('["fine", 3]', "[1]: must be a string"),
        ('{"Mass": ["a", "b"]}', "['Mass']: must be a string, not a list"),
        ("[]", "holds no prompt"),
        ('"There is effusion."', "must hold a JSON list"),
        ("[NaN]", "NaN is not valid JSON"),
        (json.dumps(["x"] * (MAX_PROMPTS + 1)), "at most 10,000"),
        (json.dumps(["x" * (MAX_PROMPT_CHARS + 1)]), "[0]: is 20,001 characters long"),
        ("[unclosed", "not valid JSON"),
    ],
)
def test_bad_prompts_files(tmp_path: Path, text: str, reason: str) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(PromptError) as info:
        read_prompts_file(path)
    assert info.value.message.startswith(f"{path}: ")
    assert reason in info.value.message


def test_missing_and_non_regular_files(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="does not exist"):
        read_prompts_file(tmp_path / "nope.json")
    with pytest.raises(PromptError, match="is a folder"):
        read_prompts_file(tmp_path)


@pytest.mark.parametrize("typed", ["\udcff", "There is \ud800 effusion.", "effusion \udcc3\udca9"])
def test_lone_surrogate_prompt_is_a_prompt_error(typed: str) -> None:
    """``--prompt $'\\xff'`` arrives as ``'\\udcff'`` (argv is decoded with surrogateescape)."""
    for raw in (False, True):
        with pytest.raises(PromptError, match="unpaired surrogate"):
            process_prompt(typed, raw=raw)


def test_lone_surrogate_template_is_a_prompt_error() -> None:
    with pytest.raises(PromptError, match="prompt template: holds an unpaired surrogate"):
        validate_template("There is {} \udcff.")
    with pytest.raises(PromptError, match="unpaired surrogate"):
        process_prompt("effusion", template="\udcff {}")
