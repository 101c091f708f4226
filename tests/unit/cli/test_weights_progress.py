"""The weights commands' progress: off a terminal, one final line on success and nothing after a failure."""

from __future__ import annotations

import pytest

from carzero_viewer.commands.progress import StageProgress


def _feed(progress: StageProgress) -> None:
    progress("bert", 1, 1)
    for done in range(0, 3_000_001, 1_000_000):
        progress("checkpoint", done, 3_000_000)
    progress("check", 0, 1)


def test_not_a_terminal_prints_one_final_line(capsys: pytest.CaptureFixture[str]) -> None:
    with StageProgress(interactive=False) as progress:
        _feed(progress)
        assert capsys.readouterr().err == ""  # nothing while it runs
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("checkpoint: 3,000,000 bytes in ")


def test_a_failure_leaves_only_its_own_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError), StageProgress(interactive=False) as progress:
        _feed(progress)
        raise RuntimeError
    assert capsys.readouterr().err == ""


def test_terminal_shows_a_byte_bar(capsys: pytest.CaptureFixture[str]) -> None:
    with StageProgress(interactive=True) as progress:
        _feed(progress)
    assert "3.00M/3.00M" in capsys.readouterr().err
