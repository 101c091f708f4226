"""One error path: any failure is one line on stderr; tracebacks and library records go to the log file."""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.encaps import encapsulate, generate_fragments

from carzero_viewer import cli
from carzero_viewer.commands import inspect
from carzero_viewer.errors import ImageLoadError
from carzero_viewer.logs import LOG_FILE

ROOT = Path(__file__).resolve().parents[3]
J2K = ROOT / "tests" / "data" / "dicom" / "RG1_J2KI.dcm"
FIXTURE = ROOT / "tests" / "data" / "carzero-tiny"
PREFIX = "carzero-viewer inspect: error: "


def _log_text(data_dir: Path) -> str:
    return (data_dir / "logs" / LOG_FILE).read_text(encoding="utf-8")


def _damaged_j2k(folder: Path) -> Path:
    """A real JPEG 2000 DICOM, codestream cut to a third and padded with zeros (pydicom logs errors)."""
    dataset = pydicom.dcmread(J2K)
    codestream = b"".join(generate_fragments(dataset.PixelData))
    damaged = codestream[: len(codestream) // 3] + bytes(1000)
    dataset.PixelData = encapsulate([damaged + bytes(len(damaged) % 2)])
    path = folder / "damaged_j2k.dcm"
    dataset.save_as(path)
    return path


def _run_cli(data_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CARZERO_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "carzero_viewer", *arguments]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)


@pytest.mark.slow
def test_damaged_and_missing_files_give_one_line_without_library_tracebacks(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    damaged = _damaged_j2k(tmp_path)
    missing = tmp_path / "missing.dcm"
    for arguments, file in (
        (["inspect", str(damaged)], damaged),
        (["inspect", str(missing)], missing),
        (["score", str(damaged), "--prompt", "There is effusion.", "--weights", str(FIXTURE)], damaged),
    ):
        result = _run_cli(data_dir, *arguments, *(["--device", "cpu"] if arguments[0] == "score" else []))
        assert result.returncode == 1, result.stderr
        lines = [line for line in result.stderr.splitlines() if not line.startswith("WARNING: UNTRAINED")]
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"carzero-viewer {arguments[0]}: error: {file}: ")
    log = _log_text(data_dir)
    assert "ERROR pydicom" in log and "Traceback" in log  # the library's records are kept, in the log

    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    no_log = _run_cli(not_a_folder / "data", "inspect", str(damaged))  # no log file: still no library output
    assert no_log.returncode == 1 and no_log.stderr.count("\n") == 1, no_log.stderr

    debug = _run_cli(data_dir, "--debug", "inspect", str(damaged))
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr
    assert debug.stderr.splitlines()[-1].startswith(f"{PREFIX}{damaged}: JPEG 2000 codestream is damaged")


def _damaged_png(folder: Path) -> Path:
    """The fixture PNG with bytes flipped inside its image data: libpng (inside OpenCV) prints a CRC error."""
    data = bytearray((FIXTURE / "image.png").read_bytes())
    middle = len(data) // 2
    data[middle : middle + 40] = bytes(b ^ 0x55 for b in data[middle : middle + 40])
    path = folder / "damaged.png"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.slow
def test_native_library_messages_go_to_the_log_not_the_terminal(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    damaged = _damaged_png(tmp_path)
    result = _run_cli(data_dir, "inspect", str(damaged))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{PREFIX}{damaged}: PNG data is damaged, truncated or uses an unsupported variant"
    ]
    assert "native.stderr: libpng error" in _log_text(data_dir)
    debug = _run_cli(data_dir, "--debug", "inspect", str(damaged))
    assert "libpng error" in debug.stderr  # --debug leaves native output on the terminal


def _raise(exc: BaseException) -> None:
    raise exc


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_exception_is_one_line_and_logged(
    debug: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    isolated_user_dirs: tuple[Path, Path],
) -> None:
    monkeypatch.setattr(inspect, "run", lambda args: _raise(RuntimeError("boom\nsecond line")))
    assert cli.main([*(["--debug"] if debug else []), "inspect", "x.png"]) == 1
    err = capsys.readouterr().err
    log_file = isolated_user_dirs[1] / "logs" / LOG_FILE
    line = f"{PREFIX}unexpected RuntimeError: boom second line (see the log file {log_file})"
    if debug:
        assert "Traceback" in err and err.splitlines()[-1] == line
    else:
        assert err == line + "\n"
    log = _log_text(isolated_user_dirs[1])
    assert "Traceback" in log and "RuntimeError: boom" in log


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (ImageLoadError("damaged\nreally", "a.png"), "a.png: damaged really"),
        (
            FileNotFoundError(errno.ENOENT, "No such file or directory", "b.png"),
            "b.png: No such file or directory",
        ),
        (ValueError("x" * 1000), "unexpected ValueError: " + "x" * 397 + "..."),
        (MemoryError(), "unexpected MemoryError ("),
    ],
)
def test_every_exception_is_one_line(
    exc: Exception, line: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(inspect, "run", lambda args: _raise(exc))
    assert cli.main(["inspect", "x.png"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(PREFIX + line)
    assert "Traceback" not in err


def test_interrupt_is_one_line_and_exit_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(inspect, "run", lambda args: _raise(KeyboardInterrupt()))
    assert cli.main(["inspect", "x.png"]) == 130
    assert capsys.readouterr().err == "carzero-viewer inspect: interrupted\n"


@pytest.mark.filterwarnings("always::UserWarning")
def test_library_logs_and_warnings_go_to_the_log_file_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], isolated_user_dirs: tuple[Path, Path]
) -> None:
    def noisy(args: object) -> int:
        warnings.warn("a library warning", UserWarning, stacklevel=1)
        try:
            _raise(OSError("decoder failed"))
        except OSError:
            logging.getLogger("pydicom.pixels").exception("a library error")
        return 0

    monkeypatch.setattr(inspect, "run", noisy)
    assert cli.main(["inspect", "x.png"]) == 0
    assert capsys.readouterr().err == ""
    log = _log_text(isolated_user_dirs[1])
    assert "a library warning" in log
    assert "ERROR pydicom.pixels: a library error" in log and "OSError: decoder failed" in log


def test_an_unwritable_log_folder_still_gives_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    monkeypatch.setenv("CARZERO_DATA_DIR", str(not_a_folder / "data"))  # mkdir fails, even for root

    def noisy(args: object) -> int:
        logging.getLogger("pydicom").error("a library error")  # must not reach Python's last-resort handler
        raise RuntimeError("boom")

    monkeypatch.setattr(inspect, "run", noisy)
    assert cli.main(["inspect", "x.png"]) == 1
    err = capsys.readouterr().err
    assert err == f"{PREFIX}unexpected RuntimeError: boom (run with --debug for the traceback)\n"
