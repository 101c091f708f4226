"""Atomic writes, no silent overwrite, clear errors for read-only / full destinations, clean file names."""

from __future__ import annotations

import csv
import errno
import io
import json
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


def _no_constants(name: str) -> object:
    raise AssertionError(f"{name} is not JSON")


def test_json_never_holds_nan_or_infinity(tmp_path: Path) -> None:
    document = {
        "score": float("nan"),
        "values": [1.5, float("inf"), -float("inf")],
        "numpy": {"f32": np.float32("nan"), "i64": np.int64(3), "flag": np.bool_(True)},
        "array": np.array([0.25, np.nan], dtype=np.float32),
        "pair": (np.float64(-0.5), None),
    }
    path = files.write_json_atomic(tmp_path / "out.json", document)
    parsed = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constants)
    assert parsed == {
        "score": None,
        "values": [1.5, None, None],
        "numpy": {"f32": None, "i64": 3, "flag": True},
        "array": [0.25, None],
        "pair": [-0.5, None],
    }
    with pytest.raises(WriteError) as info:
        files.write_json_atomic(path, {})
    assert info.value.kind == "exists"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("-0.5", "'-0.5"),  # text is text, even when it looks like a number
        ("There is effusion.", "There is effusion."),
        ("a=b", "a=b"),
        (-0.5, "-0.5"),  # numbers stay numbers
        (np.float32(-0.25), "-0.25"),
        (-3, "-3"),
        (True, "1"),
        (None, ""),
        (float("nan"), ""),
        (float("-inf"), ""),
    ],
)
def test_csv_cells_are_neutralised_but_numbers_stay_numbers(value: object, cell: str) -> None:
    assert files.csv_cell(value) == cell


def test_csv_text_round_trips_through_a_csv_reader() -> None:
    text = files.csv_text(["label", "score"], [["=1+1", -0.5], ["line\nbreak, comma", 2.0]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["label", "score"], ["'=1+1", "-0.5"], ["line\nbreak, comma", "2.0"]]
    assert files.csv_text(["x"], [[1 / 3]], lambda v: f"{v:.3g}") == "x\n0.333\n"


def test_npz_is_atomic_and_refuses_objects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = ensure_directory(tmp_path / "out")
    arrays = {"scores": np.arange(6, dtype=np.float32).reshape(2, 3)}
    path = files.save_npz(folder / "out.npz", arrays)
    with np.load(path) as loaded:
        assert loaded.files == ["scores"]
        np.testing.assert_array_equal(loaded["scores"], arrays["scores"])
    with pytest.raises(ValueError, match="objects"):
        files.save_npz(folder / "objects.npz", {"bad": np.array([{}], dtype=object)})

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(WriteError) as info:
        files.save_npz(folder / "new.npz", arrays)
    assert info.value.kind == "no_space"
    assert sorted(p.name for p in folder.iterdir()) == ["out.npz"]


def test_move_into_place_publishes_a_finished_file_without_overwriting(tmp_path: Path) -> None:
    staged = tmp_path / "model.ckpt.part"
    staged.write_bytes(b"new")
    target = tmp_path / "model.ckpt"
    target.write_bytes(b"old")
    with pytest.raises(WriteError) as caught:
        files.move_into_place(staged, target)
    assert caught.value.kind == "exists"
    assert target.read_bytes() == b"old" and staged.read_bytes() == b"new"
    files.move_into_place(staged, target, force=True)
    assert target.read_bytes() == b"new" and not staged.exists()


def test_a_file_written_with_an_owner_only_mode_has_it_under_its_name(tmp_path: Path) -> None:
    target = write_bytes_atomic(tmp_path / "private.dcm", b"data", mode=0o600)
    assert target.stat().st_mode & 0o777 == 0o600
    assert (write_bytes_atomic(tmp_path / "public.png", b"data").stat().st_mode & 0o777) == 0o644


def test_append_bytes_grows_a_file_and_reports_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "rows.csv"
    files.append_bytes(target, b"a\n")
    files.append_bytes(target, b"b\n")
    assert target.read_bytes() == b"a\nb\n"

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(WriteError) as info:
        files.append_bytes(target, b"c\n")
    assert info.value.kind == "no_space"
