"""``require_number_text``: a CSV cell is a number only in plain decimal notation, finite and in range."""

from __future__ import annotations

import pytest

from carzero_viewer.errors import CarzeroError
from carzero_viewer.untrusted import require_number_text


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
