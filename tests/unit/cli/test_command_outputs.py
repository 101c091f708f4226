"""Commands write through carzero_viewer.files: no silent overwrite, no partial file, one-line errors."""

from __future__ import annotations

import errno
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest

from carzero_viewer import files
from carzero_viewer.cli import main

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "data" / "carzero-tiny"
ANNOTATIONS = ROOT / "tests" / "data" / "annotations"
IMAGE = FIXTURE / "image.png"
EXISTS = "already exists; not overwritten (use --force to replace it)"


def _stderr_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    lines = capsys.readouterr().err.splitlines()
    return [line for line in lines if not line.startswith("WARNING: UNTRAINED")]


def _score(out: Path, *extra: str) -> int:
    json_out, arrays_out = str(out / "out.json"), str(out / "out.npz")
    arguments = [
        "score",
        str(IMAGE),
        "--prompt",
        "There is effusion.",
        "--json",
        json_out,
        "--arrays",
        arrays_out,
    ]
    return main([*arguments, "--weights", str(FIXTURE), "--device", "cpu", *extra])


def _arguments(kind: str, out: Path) -> tuple[list[str], Path]:
    """A command writing ``target`` whose inputs would fail (no weights, no image) if any work were done."""
    nowhere = str(out / "no-weights")
    if kind == "score --json":
        return [
            "score",
            str(IMAGE),
            "--prompt",
            "x y",
            "--json",
            str(out / "a.json"),
            "--weights",
            nowhere,
        ], (out / "a.json")
    if kind == "score --arrays":
        return [
            "score",
            str(IMAGE),
            "--prompt",
            "x y",
            "--arrays",
            str(out / "a.npz"),
            "--weights",
            nowhere,
        ], (out / "a.npz")
    if kind == "inspect --save-display":
        return ["inspect", str(out / "missing.png"), "--save-display", str(out / "d.png")], out / "d.png"
    arguments = [
        "eval",
        "--images",
        str(ANNOTATIONS / "images"),
        "--annotations",
        str(ANNOTATIONS / "test.json"),
    ]
    return [*arguments, "--out", str(out), "--weights", nowhere], out / "summary.json"


KINDS = ["score --json", "score --arrays", "inspect --save-display", "eval"]


@pytest.mark.parametrize("kind", KINDS)
def test_an_existing_output_is_refused_before_any_work(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    arguments, target = _arguments(kind, out)
    target.write_bytes(b"previous run")
    assert main(arguments) == 1
    assert _stderr_lines(capsys) == [f"carzero-viewer {kind.split(maxsplit=1)[0]}: error: {target}: {EXISTS}"]
    assert target.read_bytes() == b"previous run"
    assert main([*arguments, "--force"]) == 1  # --force passes the check: the inputs' error comes next
    assert EXISTS not in capsys.readouterr().err
    assert target.read_bytes() == b"previous run"


def test_one_file_named_for_two_outputs_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same = str(tmp_path / "same")
    assert main(["score", str(IMAGE), "--prompt", "x y", "--json", same, "--arrays", same]) == 1
    assert "named for two outputs" in _stderr_lines(capsys)[-1]


@pytest.mark.slow
def test_score_full_disk_leaves_the_previous_files_and_force_replaces_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "out.json").write_text("previous")
    (out / "out.npz").write_bytes(b"previous")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(files.os, "fsync", full)
        assert _score(out, "--force") == 1
    lines = _stderr_lines(capsys)
    assert lines[-1].startswith(f"carzero-viewer score: error: {out / 'out.json'}: the disk is full")
    assert not any("Traceback" in line for line in lines)
    assert sorted(p.name for p in out.iterdir()) == ["out.json", "out.npz"]  # no temporary file left
    assert (out / "out.json").read_text() == "previous"

    assert _score(out, "--force") == 0
    document = json.loads((out / "out.json").read_text(encoding="utf-8"))
    assert document["images"][0]["prompts"][0]["typed"] == "There is effusion."
    with np.load(out / "out.npz") as arrays:
        assert arrays["scores"].shape == (1, 1)


def test_inspect_on_a_read_only_or_full_disk_leaves_no_png(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    display = out / "display.png"

    def read_only(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(errno.EROFS, "Read-only file system")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    for target, fake, reason in (
        (tempfile, ("mkstemp", read_only), "cannot write here: the file system is read-only"),
        (files.os, ("fsync", full), "the disk is full; nothing was written (free some space and retry)"),
    ):
        with monkeypatch.context() as patch:
            patch.setattr(target, *fake)
            assert main(["inspect", str(IMAGE), "--save-display", str(display)]) == 1
        assert _stderr_lines(capsys) == [f"carzero-viewer inspect: error: {display}: {reason}"]
        assert list(out.iterdir()) == []
