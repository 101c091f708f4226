"""``weights download`` against a local Hub + mirror: a usable folder, resume, refusals, one-line errors."""

from __future__ import annotations

import functools
import json
import shutil
import socket
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest

from carzero_viewer import paths
from carzero_viewer.checksums import load_manifest, sha256_file, user_manifest_path
from carzero_viewer.cli import main
from carzero_viewer.paths import find_weights
from carzero_viewer.weights_download import space
from carzero_viewer.weights_download.http_transfer import RetryPolicy
from tests.tolerances import assert_close
from tests.weights_server import FIXTURE, Mirror


def _download(target: Path, *extra: str) -> int:
    return main(["weights", "download", "--to", str(target), *extra])


def _score(weights: Path, out: Path) -> dict[str, np.ndarray]:
    argv = ["score", str(FIXTURE / "image.png"), "--weights", str(weights), "--raw"]
    argv += ["--prompts-file", str(FIXTURE / "prompts.json"), "--arrays", str(out), "--device", "cpu"]
    assert main(argv) == 0
    with np.load(out) as arrays:
        # The numbers only: the text entries (pipeline, precision) name how they were computed.
        return {name: arrays[name] for name in arrays.files if arrays[name].dtype.kind not in "US"}


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without the real backoff waits (the policy is what is tested, not the clock)."""
    from huggingface_hub import file_download

    from carzero_viewer.weights_download import pipeline

    monkeypatch.setattr(pipeline, "DEFAULT_RETRY", RetryPolicy(retries=2, backoff_s=0.01, timeout_s=10))
    # huggingface_hub's own policy waits 1+2+4+8+8 s before it gives up on an unreachable Hub.
    hub_backoff = functools.partial(file_download.http_backoff, max_retries=1, base_wait_time=0.01)
    monkeypatch.setattr(file_download, "http_backoff", hub_backoff)


@pytest.mark.slow  # two scoring runs and a verify: about 5 s on a 2-core machine
def test_download_then_verify_and_score_like_the_served_files(
    mirror: Mirror, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "weights"
    assert _download(target, "--checkpoint-url", mirror.checkpoint_url) == 0
    out = capsys.readouterr().out
    checkpoint = target / "CARZero_best_model.ckpt"
    assert checkpoint.read_bytes() == mirror.checkpoint
    assert sha256_file(checkpoint) in out and "no published checksum" in out
    assert "all 202 tensors" in out  # the tiny fixture; the release has 434
    assert [e.sha256 for e in load_manifest(user_manifest_path())] == [sha256_file(checkpoint)]
    assert not load_manifest(user_manifest_path())[0].trained  # the fixture says it is untrained
    assert not list(target.glob("*.part")) and not list(target.glob("*.download"))
    assert main(["weights", "verify", str(target)]) == 0
    ours = _score(target, tmp_path / "downloaded.npz")
    reference = _score(FIXTURE, tmp_path / "fixture.npz")
    assert ours.keys() == reference.keys()
    for name, values in reference.items():
        # Same bytes and the same code on the same machine; the fixture policy's bound leaves room for nothing else.
        assert_close(ours[name], values, name)


def test_transfer_cut_half_way_resumes_with_a_range_request(mirror: Mirror, tmp_path: Path) -> None:
    half = len(mirror.checkpoint) // 2
    mirror.script.cut_after, mirror.script.drops = half, 1
    assert _download(tmp_path / "w", "--checkpoint-url", mirror.checkpoint_url) == 0
    assert (tmp_path / "w" / "CARZero_best_model.ckpt").read_bytes() == mirror.checkpoint
    ranges = [r for method, path, r in mirror.script.requests if path.startswith("/files/")]
    assert ranges == [None, f"bytes={half}-"]


def test_interrupted_run_leaves_a_part_file_that_the_next_run_resumes(
    mirror: Mirror, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mirror.script.cut_after, mirror.script.drops = 1000, 10  # more drops than retries: this run gives up
    target = tmp_path / "w"
    assert _download(target, "--checkpoint-url", mirror.checkpoint_url) == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "run the same command again to resume" in error
    part = target / "CARZero_best_model.ckpt.part"
    assert part.stat().st_size == 3000 and not (target / "CARZero_best_model.ckpt").exists()
    mirror.script.drops = 0
    assert _download(target, "--checkpoint-url", mirror.checkpoint_url) == 0
    assert (target / "CARZero_best_model.ckpt").read_bytes() == mirror.checkpoint and not part.exists()
    assert mirror.script.requests[-1][2] == "bytes=3000-"


@pytest.mark.parametrize("damage", ["truncated", "html"])
def test_corrupt_checkpoint_is_refused_and_never_named_as_the_checkpoint(
    mirror: Mirror, tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    # What mirrors and Drive really serve instead of a checkpoint: a cut file, or an error page with status 200.
    served = (
        mirror.checkpoint[: len(mirror.checkpoint) * 2 // 3]
        if damage == "truncated"
        else (b"<html><body>Quota exceeded</body></html>")
    )
    mirror.script.files["/files/CARZero_best_model.ckpt"] = served
    target = tmp_path / "w"
    assert _download(target, "--checkpoint-url", mirror.checkpoint_url) == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "failed the structural check" in error
    assert not (target / "CARZero_best_model.ckpt").exists()
    assert not (target / "CARZero_best_model.ckpt.part").exists()  # the next run fetches afresh
    assert not load_manifest(user_manifest_path())


def test_full_disk_is_reported_before_the_transfer(
    mirror: Mirror, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(space.shutil, "disk_usage", lambda _: usage(10**9, 10**9 - 10**6, 10**6))
    assert _download(tmp_path / "w", "--checkpoint-url", mirror.checkpoint_url) == 1
    error = capsys.readouterr().err.strip()
    assert "not enough free space" in error and "--to DIR" in error and len(error.splitlines()) == 1
    assert not list((tmp_path / "w").glob("CARZero*"))


@pytest.mark.parametrize(("status", "retried"), [(404, False), (500, True)])
def test_server_error_is_one_line(
    mirror: Mirror, tmp_path: Path, capsys: pytest.CaptureFixture[str], status: int, retried: bool
) -> None:
    mirror.script.status["/files/CARZero_best_model.ckpt"] = status
    assert _download(tmp_path / "w", "--checkpoint-url", mirror.checkpoint_url) == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and f"HTTP {status}" in error and mirror.checkpoint_url in error
    requests = [r for r in mirror.script.requests if r[1].startswith("/files/")]
    assert len(requests) == (3 if retried else 1)


def test_static_mirror_without_hub_headers_still_serves_the_bert_files(
    mirror: Mirror, tmp_path: Path
) -> None:
    mirror.script.hub_headers = False
    assert _download(tmp_path / "w", "--checkpoint-url", mirror.checkpoint_url) == 0
    assert (tmp_path / "w" / "bert" / "vocab.txt").read_bytes() == (
        FIXTURE / "bert" / "vocab.txt"
    ).read_bytes()
    assert sorted(p.name for p in (tmp_path / "w" / "bert").iterdir()) == ["config.json", "vocab.txt"]


def test_missing_bert_repository_on_the_mirror(
    mirror: Mirror, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mirror.script.files = {k: v for k, v in mirror.script.files.items() if "vocab" not in k}
    assert _download(tmp_path / "w", "--checkpoint-url", mirror.checkpoint_url) == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "vocab.txt" in error and "HF_ENDPOINT" in error


def test_users_own_file_is_checked_then_linked_and_converted(
    mirror: Mirror, user_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "w"
    argv = ["--checkpoint-file", str(user_checkpoint), "--convert", "--delete-pickle"]
    assert _download(target, *argv) == 0
    assert user_checkpoint.read_bytes() == mirror.checkpoint  # the user's copy is untouched
    assert sorted(p.name for p in target.iterdir()) == ["CARZero_best_model.safetensors", "bert"]
    assert find_weights(target).checkpoint.suffix == ".safetensors"
    assert main(["weights", "verify", str(target)]) == 0
    assert "converted:" in capsys.readouterr().out


def test_existing_checkpoint_is_not_replaced_without_force(mirror: Mirror, tmp_path: Path) -> None:
    target = tmp_path / "w"
    assert _download(target, "--checkpoint-url", mirror.checkpoint_url) == 0
    fetched = len(mirror.script.requests)
    assert _download(target, "--checkpoint-url", mirror.checkpoint_url) == 1
    assert len(mirror.script.requests) == fetched  # refused before any transfer
    assert _download(target, "--checkpoint-url", mirror.checkpoint_url, "--force") == 0


def test_default_destination_is_where_the_lookup_finds_it(
    mirror: Mirror, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unwritable_app = tmp_path / "app"  # a file where the application folder would be: nothing can go there
    unwritable_app.write_bytes(b"")
    monkeypatch.setattr(paths, "app_root", lambda: unwritable_app)
    monkeypatch.delenv(paths.WEIGHTS_ENV, raising=False)
    assert main(["weights", "download", "--checkpoint-url", mirror.checkpoint_url]) == 0
    expected = paths.user_data_dir() / "weights"
    assert find_weights().checkpoint == expected / "CARZero_best_model.ckpt"
    assert main(["weights", "list"]) == 0
    shutil.rmtree(expected)


def test_list_shows_each_place_with_its_checksum(
    mirror: Mirror, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "w"
    assert _download(target, "--checkpoint-url", mirror.checkpoint_url) == 0
    monkeypatch.setenv(paths.WEIGHTS_ENV, str(target))
    capsys.readouterr()
    assert main(["weights", "list"]) == 0
    out = capsys.readouterr().out
    sha = sha256_file(target / "CARZero_best_model.ckpt")
    assert f"CARZERO_WEIGHTS: {target / 'CARZero_best_model.ckpt'}" in out
    assert f"sha256 {sha}; UNTRAINED" in out
    assert json.loads(user_manifest_path().read_text())["files"][0]["sha256"] == sha


def test_list_reads_provenance_from_the_file_and_shows_partial_downloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "converted"  # a checksum no manifest knows: the file's own "trained: false" counts
    assert main(["weights", "convert", str(FIXTURE), str(target)]) == 0
    (target / "CARZero_best_model.ckpt.part").write_bytes(b"x" * 1234)
    monkeypatch.setenv(paths.WEIGHTS_ENV, str(target))
    capsys.readouterr()
    assert main(["weights", "list"]) == 0
    out = capsys.readouterr().out
    assert "UNTRAINED (the file says so)" in out
    assert "CARZero_best_model.ckpt.part: partial download, 1,234 bytes" in out


def _closed_port_url() -> str:
    with socket.socket() as probe:  # bound then closed: nothing listens there
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.parametrize("unreachable", ["hub", "mirror"])
def test_no_network_is_one_line_with_advice(
    mirror: Mirror,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    unreachable: str,
) -> None:
    url = mirror.checkpoint_url
    if unreachable == "hub":
        monkeypatch.setenv("HF_ENDPOINT", _closed_port_url())
    else:
        url = _closed_port_url() + "/CARZero_best_model.ckpt"
    assert _download(tmp_path / "w", "--checkpoint-url", url) == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "network connection" in error
    assert not (tmp_path / "w" / "CARZero_best_model.ckpt").exists()


def test_delete_pickle_needs_convert(
    mirror: Mirror, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _download(tmp_path / "w", "--checkpoint-url", mirror.checkpoint_url, "--delete-pickle") == 1
    assert "--delete-pickle only makes sense with --convert" in capsys.readouterr().err
    assert not mirror.script.requests  # refused before anything was fetched
