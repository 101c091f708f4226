"""Property: whatever a prompts file or a typed prompt holds, the result is a valid prompt list / processed
prompt or a one-line PromptError, never another exception (issue 11, item 7).

Inputs: lists and official ``{class: [prompt]}`` objects of generated prompts whose entries may be replaced by
hostile values (numbers, nulls, nested lists, empty or whitespace strings, lone surrogates, over-long text,
deep nesting, ``NaN``), written with or without ASCII escaping and a byte-order mark, plus byte-level
mutations of the fixture's prompts file; typed prompts and templates with any code point, surrogates
included. ``pytest --hypothesis-show-statistics`` gives the outcome counts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from carzero_viewer.errors import PromptError
from carzero_viewer.inference.prompt_file import MAX_PROMPTS, read_prompts_file
from carzero_viewer.inference.prompts import EMPTY_FLAG, MAX_PROMPT_CHARS, explain_prompt, process_prompt

FIXTURE_PROMPTS = Path(__file__).resolve().parents[2] / "data" / "carzero-tiny" / "prompts.json"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

GOOD_PROMPT = st.one_of(
    st.sampled_from(["There is pleural effusion.", "Pneumothorax", "No acute findings. Heart normal."]),
    st.text(min_size=1, max_size=40).filter(str.strip),
)
SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())
# st.text() never yields surrogates, so build the strings from characters (argv's surrogateescape does)
ANY_TEXT = st.lists(st.one_of(st.characters(), SURROGATE), max_size=40).map("".join)
HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.sampled_from(["", "   ", "\udcff", "a\ud800b", "x" * (MAX_PROMPT_CHARS + 1), "\x00"]),
    ANY_TEXT,
    st.lists(GOOD_PROMPT, max_size=3),
    st.sampled_from([3, 64, 5000]).map(
        lambda depth: json.loads("[" * min(depth, 900) + "]" * min(depth, 900))
    ),
)


@st.composite
def prompt_documents(draw: st.DrawFn) -> object:
    prompts = draw(st.lists(GOOD_PROMPT, max_size=5))
    for _ in range(draw(st.sampled_from([0, 0, 1, 2])) if prompts else 0):
        prompts[draw(st.integers(0, len(prompts) - 1))] = draw(HOSTILE)
    form = draw(st.sampled_from(["list", "official", "official-bare", "other"]))
    if form == "list":
        return prompts
    if form == "official":
        return {f"class {i}": [p] for i, p in enumerate(prompts)}
    if form == "official-bare":
        return {f"class {i}": p for i, p in enumerate(prompts)}
    return draw(HOSTILE)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("prompt-fuzz")


def _check(path: Path) -> None:
    try:
        prompts = read_prompts_file(path)
    except PromptError as exc:
        event("prompt error")
        assert exc.message.startswith(f"{path}: ") and "\n" not in exc.message
        exc.message.encode("utf-8")
        return
    event("prompts")
    assert 0 < len(prompts) <= MAX_PROMPTS
    for prompt in prompts:
        assert isinstance(prompt, str) and prompt.strip() and len(prompt) <= MAX_PROMPT_CHARS
        prompt.encode("utf-8")
        process_prompt(prompt)  # whatever the file passes, the core accepts


@FUZZ
@given(document=prompt_documents(), ascii_only=st.booleans(), bom=st.booleans())
def test_generated_prompts_files(workdir: Path, document: object, ascii_only: bool, bom: bool) -> None:
    path = workdir / "prompts.json"
    text = json.dumps(document, ensure_ascii=ascii_only)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8", "surrogatepass"))
    _check(path)


@FUZZ
@given(
    edits=st.lists(
        st.tuples(
            st.floats(0, 1),
            st.integers(0, 6),
            st.sampled_from([b"[", b"]", b"{", b'"', b"\\udcff", b"NaN", b"\xff", b"\x00", b",", b"3"]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_fixture_prompts_file(workdir: Path, edits: list[tuple[float, int, bytes]]) -> None:
    data = bytearray(FIXTURE_PROMPTS.read_bytes())
    for where, span, payload in edits:
        at = int(where * len(data))
        data[at : at + span] = payload
    path = workdir / "prompts.json"
    path.write_bytes(bytes(data))
    _check(path)


@FUZZ
@given(
    typed=ANY_TEXT,
    template=st.one_of(st.just("There is {}."), ANY_TEXT.map(lambda t: t + "{}")),
    raw=st.booleans(),
)
def test_any_typed_prompt(typed: str, template: str, raw: bool) -> None:
    try:
        processed = process_prompt(typed, template, raw)
    except PromptError as exc:
        event("prompt error")
        assert "\n" not in exc.message
        return
    event("processed")
    for text in (processed.typed, processed.text, processed.cleaned):
        text.encode("utf-8")
    reading = explain_prompt(processed)
    assert reading.model_text == processed.cleaned
    assert reading.altered or re.findall(r"\w+", typed.lower()) == processed.cleaned.split()
    assert processed.is_empty == (EMPTY_FLAG in reading.flags)
