"""The untrusted-file boundary: bounded JSON, regular files only, typed values; each refusal names file and field."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from carzero_viewer.errors import CarzeroError
from carzero_viewer.untrusted import (
    MAX_JSON_DEPTH,
    parse_json,
    read_json,
    read_text,
    require_float,
    require_int,
    require_list,
    require_number_text,
    require_str,
    require_text,
)


@pytest.mark.parametrize(
    ("text", "expected"), [("12", 12.0), (" -3.5 ", -3.5), (".5", 0.5), ("1e3", 1000.0), ("+7.", 7.0)]
)
def test_plain_decimals_are_read(text: str, expected: float) -> None:
    assert require_number_text(text, "f.csv", CarzeroError, "x", -1e6, 1e6) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("nan", "is not a number"),
        ("inf", "is not a number"),
        ("1_000", "is not a number"),
        ("\u0661\u0662", "is not a number"),  # Arabic-Indic digits: float() would read 12
        ("", "is empty"),
        ("1e999", "not a finite number"),
        ("0", "outside the accepted range (0, 10]"),
        ("1" * 65, "is not a number"),
        (12, "written as text"),
    ],
)
def test_everything_else_is_a_typed_error(value: object, reason: str) -> None:
    with pytest.raises(CarzeroError) as info:
        require_number_text(value, "f.csv", CarzeroError, "line 2: w", 0, 10, low_open=True)
    assert info.value.message.startswith("f.csv: line 2: w: ")
    assert reason in info.value.message


def test_nesting_is_refused_before_parsing() -> None:
    deep = "[" * 200_000 + "]" * 200_000  # json.loads alone would raise RecursionError
    with pytest.raises(CarzeroError, match=f"deeper than {MAX_JSON_DEPTH} levels"):
        parse_json(deep, "deep.json", CarzeroError)
    assert parse_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH, "ok.json", CarzeroError) is not None


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = r'{"a": "' + "[" * 1000 + r'\\", "b": "\\\"]"}'  # escaped backslash, escaped quote
    assert parse_json(text, "s.json", CarzeroError) == {"a": "[" * 1000 + "\\", "b": '\\"]'}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"x": NaN}', "NaN is not valid JSON"),
        ("[Infinity]", "Infinity is not valid JSON"),
        ('["\\ud800"]', "unpaired surrogate"),
        ('{"\\udfff": 1}', "unpaired surrogate"),
        ('{"a": 1,}', "line 1"),
    ],
)
def test_invalid_json_is_one_typed_error(text: str, reason: str) -> None:
    with pytest.raises(CarzeroError, match=reason) as info:
        parse_json(text, "bad.json", CarzeroError)
    assert info.value.message.startswith("bad.json: ")


def test_value_count_is_bounded() -> None:
    with pytest.raises(CarzeroError, match="more than 100 values"):
        parse_json(str(list(range(200))), "many.json", CarzeroError, max_items=100)


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            read_json(fifo, CarzeroError)
        except CarzeroError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(5)
    if worker.is_alive():  # unblock the open() of a regression so the suite does not hang
        with fifo.open("w"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert outcome and "not a regular file" in str(outcome[0])


def test_size_bound_and_encoding_name_the_file(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 101)
    with pytest.raises(CarzeroError, match="101 bytes; at most 100"):
        read_text(big, CarzeroError, "notes", max_bytes=100)
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"caf\xe9")
    with pytest.raises(CarzeroError, match="not UTF-8") as info:
        read_text(latin, CarzeroError)
    assert info.value.path == latin


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (True, "depth: must be an integer, not a boolean"),
        (2.0, "depth: must be an integer, not a number"),
        (0, "depth: 0 is outside the accepted range 1..10"),
        ("3", "depth: must be an integer, not a string"),
    ],
)
def test_require_int(value: object, reason: str) -> None:
    with pytest.raises(CarzeroError, match=reason):
        require_int(value, "c.json", CarzeroError, "depth", 1, 10)


def test_require_float_and_str() -> None:
    assert require_float(1, "c.json", CarzeroError, "eps", 0.0, 1.0, low_open=True) == 1.0
    with pytest.raises(CarzeroError, match="eps: -1e-05 is outside the accepted range \\(0, 1\\]"):
        require_float(-1e-5, "c.json", CarzeroError, "eps", 0.0, 1.0, low_open=True)
    with pytest.raises(CarzeroError, match="not a finite number"):
        require_float(float("inf"), "c.json", CarzeroError, "eps", 0.0, 1.0)
    with pytest.raises(CarzeroError, match="unpaired surrogate"):
        require_str("a\udcff", "c.json", CarzeroError, "label")


def test_require_text_and_list() -> None:
    assert require_text("  Effusion ", "f.json", CarzeroError, "name") == "Effusion"
    with pytest.raises(CarzeroError, match=r"^f\.json: name: is empty$"):
        require_text(" \t", "f.json", CarzeroError, "name")
    assert require_list([1, 2], "f.json", CarzeroError, "x", 2) == [1, 2]
    for value, reason in (
        ({}, "must be a list, not an object"),
        ([], "is an empty list"),
        ([1, 2, 3], "at most 2"),
    ):
        with pytest.raises(CarzeroError, match=rf"^f\.json: x: .*{reason}"):
            require_list(value, "f.json", CarzeroError, "x", 2)


def test_a_reason_quoting_a_file_value_stays_on_one_line() -> None:
    error = CarzeroError("no Pixel Data; 1.2.840\n10008.5\r\n 1", "f.dcm")
    assert error.message == "f.dcm: no Pixel Data; 1.2.840 10008.5 1"
