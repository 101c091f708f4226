"""The shared logging setup: one log file at a time; --debug kept when the viewer attaches the file."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest

from carzero_viewer import logs


def _log_files() -> list[RotatingFileHandler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, RotatingFileHandler)]


def test_setting_up_again_replaces_the_handlers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = logs.setup_logging(tmp_path / "a", debug=True)
    second = logs.setup_logging(tmp_path / "b")
    assert (first, second) == (tmp_path / "a" / logs.LOG_FILE, tmp_path / "b" / logs.LOG_FILE)
    assert [Path(h.baseFilename) for h in _log_files()] == [second]
    logging.getLogger("PIL.PngImagePlugin").info("a library record")
    assert capsys.readouterr().err == ""  # no --debug mirror left behind
    assert "INFO PIL.PngImagePlugin: a library record" in second.read_text(encoding="utf-8")


def test_the_viewer_keeps_the_debug_level_of_the_command_line(tmp_path: Path) -> None:
    path = logs.setup_logging(tmp_path, debug=True)
    assert logs.attach_log_file(tmp_path) == path
    logging.getLogger("carzero_viewer.imaging").debug("a debug record")
    assert "DEBUG carzero_viewer.imaging: a debug record" in path.read_text(encoding="utf-8")
