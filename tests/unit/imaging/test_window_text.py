"""Window values as text: integers for integer data, a few significant digits otherwise, one formatter."""

from __future__ import annotations

import numpy as np
import pytest

from carzero_viewer.imaging.voi import (
    VoiFunction,
    Window,
    format_level,
    integer_valued,
    window_text,
)


@pytest.mark.parametrize(
    ("value", "integer_data", "text"),
    [
        (223.22, True, "223"),
        (567.513, True, "568"),
        (127.5, True, "128"),  # half up, not half to even
        (-1000.4, True, "-1000"),
        (223.22, False, "223.2"),
        (567.513, False, "567.5"),
        (40.0, False, "40"),
        (0.0, False, "0"),
        (0.012345, False, "0.01235"),
        (12345.6, False, "12346"),  # never an exponent
        (-2.5, False, "-2.5"),
    ],
)
def test_format_level(value: float, integer_data: bool, text: str) -> None:
    assert format_level(value, integer_data) == text


def test_the_8_bit_readout_of_the_issue_reads_as_integers() -> None:
    assert window_text(223.22, 567.513, integer_data=True) == "C 223 / W 568"
    assert window_text(223.22, 567.513) == "C 223.2 / W 567.5"


def test_window_label_uses_the_same_formatter() -> None:
    window = Window(223.22, 567.513, VoiFunction.LINEAR_EXACT, "Auto")
    assert window.label() == "Auto: C 223.2 / W 567.5 LINEAR_EXACT"
    assert window.label(integer_data=True) == "Auto: C 223 / W 568 LINEAR_EXACT"


def test_integer_valued() -> None:
    assert integer_valued(np.arange(12, dtype=np.float32).reshape(3, 4))
    assert not integer_valued(np.arange(12, dtype=np.float32).reshape(3, 4) * np.float32(0.5) + 0.25)
    assert not integer_valued(np.array([[1.0, np.nan]], dtype=np.float32))
    assert not integer_valued(np.zeros((0, 0), dtype=np.float32))
