"""``score`` with hostile prompts: one line on stderr, exit 1, no traceback (issue 11, item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from carzero_viewer.cli import main

WEIGHTS = Path(__file__).resolve().parents[2] / "data" / "carzero-tiny"


@pytest.mark.parametrize(
    ("prompt_args", "message"),
    [
        (["--prompt", "\udcff"], "prompt: holds an unpaired surrogate"),  # what bash's $'\xff' becomes
        (["--prompts-file", "{deep}"], "deep.json: prompts file is nested deeper than 2 levels"),
        (["--prompts-file", "{surrogate}"], "surrogate.json: prompts file holds a string with an unpaired"),
    ],
)
def test_hostile_prompts_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], prompt_args: list[str], message: str
) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (tmp_path / "surrogate.json").write_text('["fine prompt", "bad \\udcff"]', encoding="utf-8")
    args = [a.format(deep=tmp_path / "deep.json", surrogate=tmp_path / "surrogate.json") for a in prompt_args]
    code = main(["score", str(WEIGHTS / "image.png"), *args, "--weights", str(WEIGHTS), "--device", "cpu"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[-1].startswith("carzero-viewer score: error:") and message in err[-1]
    assert not any("Traceback" in line for line in err)
    err[-1].encode("utf-8")  # the message itself is printable
