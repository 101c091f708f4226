"""``score --out``: the resumable table of the local engine (tiny fixture model, small synthetic images)."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carzero_viewer.archive.table import FOLDER_META, META_KEY, TABLE_VERSION
from carzero_viewer.cli import main
from tests.unit.cli.archive_helpers import (
    KEY,
    PROMPTS,
    make_images,
    prompts_file,
    read_table,
    score_args,
    truncated_png,
)
from tests.unit.model.conftest import FIXTURE

REPO = Path(__file__).resolve().parents[3]


def _summary(err: str) -> str:
    return next(line for line in err.splitlines() if "images scored" in line)


def test_parquet_and_csv_tables_agree_and_carry_the_run_metadata(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_images(tmp_path / "images", 5)
    prompts = prompts_file(tmp_path)
    for out in (tmp_path / "t.parquet", tmp_path / "t.csv"):
        assert main(score_args([tmp_path / "images"], out, prompts, "--with-maps")) == 0
    parquet, csv = read_table(tmp_path / "t.parquet"), read_table(tmp_path / "t.csv")
    assert len(parquet) == 5 * len(PROMPTS) and set(parquet["prompt"]) == set(PROMPTS)
    assert list(parquet.columns) == [
        *("path", "content_sha256", "prompt", "score", "i2t", "t2i", "map_14", "geometry")
    ]
    # Both formats hold the same float64 values: CSV writes repr(), which round-trips exactly.
    pd.testing.assert_frame_equal(parquet.drop(columns="map_14"), csv.drop(columns="map_14"))
    # 96x96 images: resized to 256x256 (long side), no pad, 16-pixel centre crop of 224.
    assert all(g == [96, 96, 256, 256, 0, 0, 256, 16, 16, 224] for g in parquet["geometry"])
    assert all(
        (a == b).all() and a.shape == (196,) for a, b in zip(parquet["map_14"], csv["map_14"], strict=True)
    )
    sidecar = json.loads((tmp_path / "t.csv.meta.json").read_text())
    part = next((tmp_path / "t.parquet").glob("part-*.parquet"))
    embedded = json.loads(pq.read_schema(part).metadata[META_KEY])
    assert sidecar == embedded == json.loads((tmp_path / "t.parquet" / FOLDER_META).read_text())
    assert len(sidecar["weights_sha256"]) == 64 and sidecar["precision"] == "fp32" and sidecar["app_version"]
    assert sidecar["version"] == TABLE_VERSION and sidecar["columns"][-1] == "geometry"
    assert "5 images scored" in _summary(capsys.readouterr().err)


def test_a_corrupt_file_is_reported_and_skipped_and_the_run_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_images(tmp_path / "images", 3)
    broken = truncated_png(tmp_path / "images" / "broken.png", good[0])
    out = tmp_path / "t.parquet"
    assert main(score_args([tmp_path / "images", tmp_path / "missing.png"], out, prompts_file(tmp_path))) == 1
    rows = read_table(out)
    assert sorted(set(rows["path"])) == sorted(str(p) for p in good)
    errors = pd.read_csv(tmp_path / "t.parquet.errors.csv")
    reasons = dict(zip(errors["path"], errors["reason"], strict=True))
    assert set(reasons) == {str(broken), str(tmp_path / "missing.png")}
    assert "PNG" in reasons[str(broken)] and "does not exist" in reasons[str(tmp_path / "missing.png")]
    assert "2 failed" in _summary(capsys.readouterr().err)


def test_manifests_name_the_images_relative_to_their_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    images = make_images(tmp_path / "images", 4)
    prompts = prompts_file(tmp_path)
    relative = [str(p.relative_to(tmp_path)) for p in images]
    pd.DataFrame({"id": range(4), "file": relative}).to_csv(tmp_path / "m.csv", index=False)
    pq.write_table(pa.table({"file": relative}), tmp_path / "m.parquet")
    for manifest, out in (("m.csv", "a.csv"), ("m.parquet", "b.csv")):
        args = [*score_args([], tmp_path / out, prompts), "--manifest", str(tmp_path / manifest)]
        assert main([*args, "--path-column", "file"]) == 0
    assert read_table(tmp_path / "a.csv").equals(read_table(tmp_path / "b.csv"))
    assert sorted(set(read_table(tmp_path / "a.csv")["path"])) == sorted(map(str, images))
    capsys.readouterr()
    assert main([*score_args([], tmp_path / "c.csv", prompts), "--manifest", str(tmp_path / "m.csv")]) == 1
    assert "m.csv: has no 'path' column (columns: id, file)" in capsys.readouterr().err


def test_resume_recomputes_only_the_deleted_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_images(tmp_path / "images", 6)
    prompts = prompts_file(tmp_path)
    out = tmp_path / "t.parquet"
    assert main(score_args([tmp_path / "images"], out, prompts)) == 0
    full = read_table(out)
    parts = sorted(out.glob("part-*.parquet"))  # one, unless a slow run flushed after 60 s
    table = pa.concat_tables([pq.read_table(part) for part in parts])
    for part in parts:
        part.unlink()
    kept = table.slice(0, len(table) // 2 + 1)  # 3 images complete, the 4th with 1 of its 3 prompts
    pq.write_table(kept, out / "part-000000.parquet")
    capsys.readouterr()
    assert main([*score_args([tmp_path / "images"], out, prompts), "--resume"]) == 0
    err = capsys.readouterr().err
    assert "3 images scored (8 rows written), 3 already done" in _summary(err)
    pd.testing.assert_frame_equal(read_table(out), full)
    assert not read_table(out).duplicated(KEY).any()


def test_resume_refuses_a_table_of_other_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_images(tmp_path / "images", 1)
    prompts = prompts_file(tmp_path)
    out = tmp_path / "t.csv"
    assert main(score_args([tmp_path / "images"], out, prompts)) == 0
    capsys.readouterr()
    assert main(score_args([tmp_path / "images"], out, prompts)) == 1
    assert "t.csv: already exists" in capsys.readouterr().err
    assert main([*score_args([tmp_path / "images"], out, prompts), "--resume", "--raw"]) == 1
    assert "template: the table was written with 'There is {}.', this run has ''" in capsys.readouterr().err


def test_a_killed_run_leaves_its_finished_rows_and_resume_completes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_images(tmp_path / "images", 60, size=512)
    prompts = prompts_file(tmp_path)
    out = tmp_path / "t.csv"
    args = [*score_args([tmp_path / "images"], out, prompts), "--flush-every", "1", "--batch-size", "1"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "carzero_viewer", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if out.exists() and out.read_text().count("\n") >= 1 + 3 * len(PROMPTS):
                break
            time.sleep(0.01)
        assert process.poll() is None, "the run ended before it could be interrupted"
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    # A kill may tear the last line; the images whose rows all made it are the finished ones.
    prompts_by_path = read_table(out).groupby("path")["prompt"].agg(set)
    finished = sum(set(PROMPTS) <= found for found in prompts_by_path)
    assert 3 <= finished < 60
    assert main([*args, "--resume"]) == 0
    assert f"{60 - finished} images scored" in _summary(capsys.readouterr().err)
    rows = read_table(out)
    assert len(rows) == 60 * len(PROMPTS) and not rows.duplicated(KEY).any()
    assert main(score_args([tmp_path / "images"], tmp_path / "clean.csv", prompts, "--batch-size", "1")) == 0
    pd.testing.assert_frame_equal(rows, read_table(tmp_path / "clean.csv"))


def test_finding_rows_carry_the_calibrated_probability_of_score_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from carzero_viewer.calibration import CalibrationProfile, write_profile
    from carzero_viewer.checksums import sha256_file
    from carzero_viewer.paths import resolve_weights_folder
    from tests.unit.cli.test_score_calibration import EFFUSION, _profile

    fitted = _profile()
    sha = sha256_file(resolve_weights_folder(FIXTURE).checkpoint)
    provenance = dataclasses.replace(fitted.provenance, weights_sha256=sha)
    write_profile(tmp_path / "profile.json", CalibrationProfile(provenance, fitted.findings))
    findings = tmp_path / "findings.json"
    findings.write_text(json.dumps({"Effusion": list(EFFUSION), "Hernia": ["hernia", "a hiatal hernia"]}))
    images = make_images(tmp_path / "images", 2)
    common = ["--findings", str(findings), "--calibration", str(tmp_path / "profile.json")]
    common += ["--weights", str(FIXTURE), "--device", "cpu"]
    assert main(["score", str(tmp_path / "images"), "--out", str(tmp_path / "t.parquet"), *common]) == 0
    assert main(["score", *map(str, images), "--json", str(tmp_path / "s.json"), *common]) == 0
    rows = pd.read_parquet(tmp_path / "t.parquet").set_index(["path", "finding"])
    for image in json.loads((tmp_path / "s.json").read_text())["images"]:
        for finding in image["findings"]:
            row = rows.loc[(str(Path(image["path"]).absolute()), finding["name"])]
            assert row["score"] == finding["score"]
            if finding["probability"] is None:
                assert pd.isna(row["probability"])
            else:
                assert row["probability"] == finding["probability"]
    assert rows["probability"].notna().sum() == 2  # Effusion on both images; Hernia is not calibrated
