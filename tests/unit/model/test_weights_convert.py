"""``weights convert`` writes through ``files.py``: one-line errors on full or read-only disks, no partial files."""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path

import pytest
import torch

from carzero_viewer import files
from carzero_viewer.cli import main
from carzero_viewer.model.checkpoint import read_weights
from tests.unit.model.conftest import FIXTURE


def _everything(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("to", ["safetensors", "ckpt"])
def test_convert_round_trip_and_no_silent_overwrite(
    tmp_path: Path, to: str, capsys: pytest.CaptureFixture[str]
) -> None:
    destination = tmp_path / "out"
    assert main(["weights", "convert", str(FIXTURE), str(destination), "--to", to]) == 0
    written = read_weights(destination / f"checkpoint.{to}")
    original = read_weights(FIXTURE / "checkpoint.ckpt")
    assert all(torch.equal(written.tensors[k], v) for k, v in original.tensors.items())
    assert (destination / "bert" / "vocab.txt").read_bytes() == (FIXTURE / "bert" / "vocab.txt").read_bytes()
    capsys.readouterr()
    assert main(["weights", "convert", str(FIXTURE), str(destination), "--to", to]) != 0
    assert "already exists" in _error_line(capsys)
    assert main(["weights", "convert", str(FIXTURE), str(destination), "--to", to, "--force"]) == 0


def test_convert_on_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    destination = tmp_path / "out"
    assert main(["weights", "convert", str(FIXTURE), str(destination)]) != 0
    line = _error_line(capsys)
    assert "checkpoint.safetensors: the disk is full" in line
    assert _everything(destination) == ["bert"]  # the folder was created; no file, partial or not


def test_convert_on_a_read_only_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def read_only(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    destination = tmp_path / "out"
    assert main(["weights", "convert", str(FIXTURE), str(destination), "--to", "ckpt"]) != 0
    assert "checkpoint.ckpt: cannot write here: the file system is read-only" in _error_line(capsys)
    assert _everything(destination) == ["bert"]
