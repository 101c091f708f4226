"""Fixtures of the download tests: the local Hub + mirror (:mod:`tests.weights_server`) and a user's own file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.weights_server import FIXTURE, Mirror, serve_mirror


@pytest.fixture
def mirror(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Mirror]:
    """The server on a free local port, ``HF_ENDPOINT`` pointing at it, the Hub online with its own cache."""
    with serve_mirror(monkeypatch, tmp_path) as served:
        yield served


@pytest.fixture
def user_checkpoint(tmp_path: Path) -> Path:
    """A copy of the fixture checkpoint the user "already has" (writable, unlike the read-only fixture)."""
    path = tmp_path / "mine" / "CARZero_best_model.ckpt"
    path.parent.mkdir()
    shutil.copyfile(FIXTURE / "checkpoint.ckpt", path)
    return path
