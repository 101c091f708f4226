"""The archive table writers (torn CSV tail, part numbering) and manifest validation, without a model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from carzero_viewer.archive import ArchiveMeta, ManifestError, open_sink, read_manifest
from carzero_viewer.archive.manifest import expand_inputs

META = ArchiveMeta("ab" * 32, "0.1.0", "fp32", "app", "There is {}.", "prompt")


def _row(path: str, prompt: str, score: float) -> dict[str, object]:
    return {
        "path": path,
        "content_sha256": "c" * 64,
        "prompt": prompt,
        "score": score,
        "i2t": 0.5,
        "t2i": -0.25,
    }


def test_a_torn_csv_tail_is_cut_before_resuming(tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    sink = open_sink(out, META)
    sink.add([_row("/a.png", "effusion", 1.0), _row("/b.png", "=formula", -2.0)])
    sink.flush()
    with out.open("ab") as handle:  # what a kill in the middle of an append leaves
        handle.write(b"/c.png,cccc,effu")
    resumed = open_sink(out, META, resume=True)
    assert resumed.done == {"/a.png": {"c" * 64: {"effusion"}}, "/b.png": {"c" * 64: {"=formula"}}}
    assert out.read_bytes().endswith(b"-2.0,0.5,-0.25\n")
    resumed.add([_row("/c.png", "effusion", 3.0)])
    resumed.flush()
    assert out.read_text().count("\n") == 4 and "'=formula" in out.read_text()


def test_parquet_parts_continue_their_numbering_and_force_replaces_them(tmp_path: Path) -> None:
    out = tmp_path / "t.parquet"
    sink = open_sink(out, META)
    for index in range(2):
        sink.add([_row(f"/{index}.png", "effusion", float(index))])
        sink.flush()
    sink.flush()  # nothing pending: no empty part
    (out / ".part-000002.parquet.x1y2.part").write_bytes(
        b"PAR1"
    )  # a part being written when the run was killed
    resumed = open_sink(out, META, resume=True)
    assert not list(out.glob(".part-*"))
    resumed.add([_row("/2.png", "effusion", 2.0)])
    resumed.flush()
    assert sorted(p.name for p in out.glob("part-*")) == [f"part-00000{i}.parquet" for i in range(3)]
    open_sink(out, META, force=True)
    assert not list(out.glob("part-*"))


def test_manifest_rows_are_checked_one_line_each(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,label\nimages/a.png,1\n/abs/b.png,0\n")
    assert read_manifest(manifest) == [tmp_path / "images" / "a.png", Path("/abs/b.png")]
    manifest.write_text("path,label\n ,1\n")
    with pytest.raises(ManifestError, match=r"m\.csv: line 2: path: is empty"):
        read_manifest(manifest)
    manifest.write_text("path,label\na.png\n")
    with pytest.raises(ManifestError, match="line 2: has 1 cells; the header has 2"):
        read_manifest(manifest)
    with pytest.raises(ManifestError, match=r"a manifest is a \.csv or \.parquet file"):
        read_manifest(tmp_path / "m.txt")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(ManifestError, match="is not a readable Parquet file"):
        read_manifest(tmp_path / "bad.parquet")


def test_a_fifo_manifest_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "m.csv"
    os.mkfifo(fifo)
    with pytest.raises(ManifestError, match="not a regular file"):
        read_manifest(fifo)


def test_folders_list_every_candidate_file_so_corrupt_ones_are_reported(tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    for name in (
        "d/sub/b.png",
        "d/a.dcm",
        "d/notes.txt",
        "d/.hidden.png",
        "d/DICOMDIR",
        "d/c.png",
        "d/1.2.840.9",
    ):
        (tmp_path / name).write_bytes(b"not an image")
    paths, problems = expand_inputs([tmp_path / "d", tmp_path / "d" / "c.png", tmp_path / "gone.png"])
    assert paths == [tmp_path / "d" / n for n in ("1.2.840.9", "a.dcm", "c.png", "sub/b.png")]
    assert problems == [(tmp_path / "gone.png", "does not exist")]


def test_a_manifest_url_stays_a_url_and_an_unreachable_one_is_a_problem(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on: the retrieval is refused at once
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"dicomweb+http://127.0.0.1:{port}/dicom-web/studies/1.2.3"
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"path\n{url}\nimages/a.png\n")
    assert read_manifest(manifest) == [url, tmp_path / "images" / "a.png"]  # not folded into a Path
    paths, problems = expand_inputs([], manifest)
    assert paths == [tmp_path / "images" / "a.png"]
    assert [entry for entry, _ in problems] == [url] and "127.0.0.1" in problems[0][1]
