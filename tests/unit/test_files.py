"""Atomic writes, no silent overwrite, clear errors for read-only / full destinations, clean file names."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from carzero_viewer import files
from carzero_viewer.errors import CarzeroError
from carzero_viewer.files import (
    WriteError,
    ensure_directory,
    sanitise_filename,
    save_jpeg,
    save_png,
    save_tiff,
    slug,
    write_bytes_atomic,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("00000398_003", "00000398_003"),
        ("../../etc/passwd", "etc_passwd"),
        ("a/b\\c:d*e?f", "a_b_c_d_e_f"),
        ("Épanchement pleural?.png", "Epanchement_pleural_.png"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("...", "unnamed"),
        ("", "unnamed"),
        (".hidden", "hidden"),
        ("trailing. ", "trailing"),
    ],
)
def test_sanitise_filename(text: str, expected: str) -> None:
    assert sanitise_filename(text) == expected


def test_sanitised_names_are_short_and_slugs_readable() -> None:
    assert len(sanitise_filename("x" * 500)) == files.MAX_NAME_LENGTH
    assert slug("There is cardiomegaly.") == "there-is-cardiomegaly"
    assert slug("  ?? ") == "unnamed"


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_atomic_write_never_overwrites_without_force(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    assert write_bytes_atomic(target, b"first") == target
    with pytest.raises(WriteError) as info:
        write_bytes_atomic(target, b"second")
    assert info.value.kind == "exists"
    assert str(target) in info.value.message and "\n" not in info.value.message
    assert isinstance(info.value, CarzeroError)
    assert target.read_bytes() == b"first"
    write_bytes_atomic(target, b"third", force=True)
    assert target.read_bytes() == b"third"
    assert _leftovers(tmp_path) == []


def test_read_only_folder_gives_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    existing = folder / "keep.png"
    existing.write_bytes(b"old")
    if os.geteuid() == 0:  # root ignores permission bits: simulate what the OS would say

        def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    else:
        folder.chmod(0o500)
    try:
        with pytest.raises(WriteError) as info:
            write_bytes_atomic(folder / "new.png", b"data")
        with pytest.raises(WriteError):
            write_bytes_atomic(existing, b"new", force=True)
    finally:
        folder.chmod(0o700)
    assert info.value.kind == "permission"
    assert "permission denied" in info.value.message
    assert existing.read_bytes() == b"old"
    assert not (folder / "new.png").exists()


def test_full_disk_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    existing = tmp_path / "report.csv"
    existing.write_text("old")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(WriteError) as info:
        write_bytes_atomic(existing, b"new content", force=True)
    assert info.value.kind == "no_space"
    assert "disk is full" in info.value.message
    assert existing.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_ensure_directory(tmp_path: Path) -> None:
    assert ensure_directory(tmp_path / "a" / "b").is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(WriteError, match="not a folder"):
        ensure_directory(tmp_path / "file")


def test_image_writers_round_trip(tmp_path: Path) -> None:
    rgb = np.zeros((20, 30, 3), dtype=np.uint8)
    rgb[5, 7] = (255, 0, 0)
    png = save_png(tmp_path / "a.png", rgb, text={"Disclaimer": "Not for diagnostic use"})
    with Image.open(png) as image:
        np.testing.assert_array_equal(np.asarray(image), rgb)
        assert image.text["Disclaimer"] == "Not for diagnostic use"
    with Image.open(save_tiff(tmp_path / "a.tiff", rgb)) as image:
        np.testing.assert_array_equal(np.asarray(image), rgb)
    with Image.open(save_jpeg(tmp_path / "a.jpg", rgb)) as image:
        assert image.size == (30, 20)
    with pytest.raises(WriteError):
        save_png(png, rgb)
