"""Weights lookup order and its error messages."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import platformdirs
import pytest

from carzero_viewer import APP_ID
from carzero_viewer.errors import WeightsError
from carzero_viewer.paths import (
    DATA_DIR_ENV,
    WEIGHTS_ENV,
    find_weights,
    resolve_weights_folder,
    user_cache_dir,
)

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "carzero-tiny"


def test_explicit_folder_and_file(tmp_path: Path) -> None:
    assert resolve_weights_folder(FIXTURE).checkpoint.name == "checkpoint.ckpt"
    assert resolve_weights_folder(FIXTURE / "checkpoint.ckpt").bert_dir == FIXTURE / "bert"


def test_environment_variable_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WEIGHTS_ENV, str(FIXTURE))
    assert find_weights().checkpoint == FIXTURE / "checkpoint.ckpt"


def test_explicit_path_wins_and_is_checked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(WEIGHTS_ENV, str(FIXTURE))
    with pytest.raises(WeightsError, match="does not exist"):
        find_weights(tmp_path / "nope")


def test_released_folder_name_accepted(tmp_path: Path) -> None:
    shutil.copy(FIXTURE / "checkpoint.ckpt", tmp_path / "CARZero_best_model.ckpt")
    shutil.copytree(FIXTURE / "bert", tmp_path / "BioClinicalMPBERT")
    location = resolve_weights_folder(tmp_path)
    assert location.bert_dir.name == "BioClinicalMPBERT"


def test_missing_everything_lists_where_it_looked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    monkeypatch.setattr("carzero_viewer.paths.app_root", lambda: tmp_path)
    with pytest.raises(WeightsError, match="looked in: application folder") as info:
        find_weights()
    assert "user data folder" in info.value.message


def test_checkpoint_without_bert(tmp_path: Path) -> None:
    shutil.copy(FIXTURE / "checkpoint.ckpt", tmp_path / "model.ckpt")
    with pytest.raises(WeightsError, match=r"config\.json, vocab\.txt missing"):
        resolve_weights_folder(tmp_path)


def test_special_files_are_found_so_their_reader_can_refuse_them(tmp_path: Path) -> None:
    """A FIFO named like a checkpoint or a BERT file is the reader's to refuse ("not a regular file"),
    not reported as missing, which would send the user looking for a file that is there."""
    shutil.copytree(FIXTURE / "bert", tmp_path / "bert")
    (tmp_path / "bert" / "vocab.txt").unlink()
    os.mkfifo(tmp_path / "bert" / "vocab.txt")
    os.mkfifo(tmp_path / "checkpoint.ckpt")
    location = resolve_weights_folder(tmp_path)
    assert location.checkpoint == tmp_path / "checkpoint.ckpt"
    assert location.bert_dir == tmp_path / "bert"
    assert resolve_weights_folder(tmp_path / "checkpoint.ckpt").checkpoint == tmp_path / "checkpoint.ckpt"


def test_the_cache_follows_the_data_dir_override_and_the_platform_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert user_cache_dir() == tmp_path / "cache"
    monkeypatch.delenv(DATA_DIR_ENV)
    assert user_cache_dir() == Path(platformdirs.user_cache_dir(APP_ID, appauthor=False))
