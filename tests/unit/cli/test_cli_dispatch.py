"""The default command: paths and gui options without the word ``gui``."""

from __future__ import annotations

import pytest

from carzero_viewer.cli import _with_default_command


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ["gui"]),
        (["a.png"], ["gui", "a.png"]),
        (["--demo", "resources/samples"], ["gui", "--demo", "resources/samples"]),
        (["--debug", "--weights", "w", "a.png"], ["--debug", "gui", "--weights", "w", "a.png"]),
        (["--debug", "score", "a.png"], ["--debug", "score", "a.png"]),
        (["selftest"], ["selftest"]),
        (["--help"], ["--help"]),
    ],
)
def test_default_command_insertion(argv: list[str], expected: list[str]) -> None:
    assert _with_default_command(argv) == expected
