"""``eval --table``: eval's scores kept in a resumable archive table give eval's in-memory results."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from carzero_viewer.cli import main
from tests.unit.cli.test_eval_command import DATA, _eval, _rows
from tests.unit.cli.test_score_ray import local_ray  # noqa: F401  (the module's local Ray, 2 CPUs)

LABELS = str(DATA / "Data_Entry_2017.csv")


def _summary(out: Path) -> list[dict[str, object]]:
    return list(json.loads((out / "summary.json").read_text(encoding="utf-8"))["summary"])


def _assert_same_summary(got: list[dict[str, object]], expected: list[dict[str, object]]) -> None:
    """Equal rows; numbers to 1e-6 relative: the table keeps scores as float64 and maps as the float32 they
    are computed in, so only the model batches can differ (the Ray engine forms its own), which moves a
    score by at most ~4e-7 relative on the fixture model (``test_score_ray``); the summary numbers are means
    of such values."""
    assert [(r["source"], r["class"]) for r in got] == [(r["source"], r["class"]) for r in expected]
    for mine, theirs in zip(got, expected, strict=True):
        for key, value in theirs.items():
            if isinstance(value, float) and not math.isnan(value):
                assert mine[key] == pytest.approx(value, rel=1e-6, abs=1e-12), key
            else:
                assert mine[key] == value, key


@pytest.fixture(scope="module")
def in_memory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("memory")
    assert _eval(DATA / "images", out, "--labels", LABELS, "--bootstrap", "20") == 0
    return out


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_eval_through_a_table_gives_the_in_memory_metrics_and_a_rerun_recomputes_nothing(
    in_memory: Path, tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / f"scores{suffix}"
    first = tmp_path / "first"
    assert _eval(DATA / "images", first, "--labels", LABELS, "--bootstrap", "20", "--table", str(table)) == 0
    assert "3 images scored" in capsys.readouterr().err
    _assert_same_summary(_summary(first), _summary(in_memory))
    assert _rows(first / "image_classes.csv") == _rows(in_memory / "image_classes.csv")
    again = tmp_path / "again"
    args = ("--labels", LABELS, "--bootstrap", "20", "--table", str(table), "--resume")
    assert _eval(DATA / "images", again, *args) == 0
    assert "0 images scored (0 rows written), 3 already done" in capsys.readouterr().err
    _assert_same_summary(_summary(again), _summary(in_memory))


@pytest.mark.slow
@pytest.mark.usefixtures("local_ray")
@pytest.mark.filterwarnings(r"ignore::DeprecationWarning:ray\.data\.context")
def test_eval_through_the_ray_engine_gives_the_in_memory_metrics(in_memory: Path, tmp_path: Path) -> None:
    table = tmp_path / "scores.parquet"
    args = ("--labels", LABELS, "--bootstrap", "20", "--table", str(table), "--engine", "ray")
    assert _eval(DATA / "images", tmp_path / "out", *args) == 0
    _assert_same_summary(_summary(tmp_path / "out"), _summary(in_memory))


def test_an_interrupted_eval_resumes_and_scores_only_what_is_missing(
    in_memory: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "scores.csv"
    assert _eval(DATA / "images", tmp_path / "full", "--labels", LABELS, "--table", str(table)) == 0
    lines = table.read_bytes().splitlines(keepends=True)
    # Keep the header, one image's rows and a torn half line, as a kill mid-append leaves the table.
    first_image = lines[1].split(b",")[0]
    kept = [line for line in lines[1:] if line.split(b",")[0] == first_image]
    assert lines[0].startswith(b"path,") and 0 < len(kept) < len(lines) - 1
    table.write_bytes(lines[0] + b"".join(kept) + lines[-1][:30])
    capsys.readouterr()
    out = tmp_path / "resumed"
    args = ("--labels", LABELS, "--bootstrap", "20", "--table", str(table), "--resume")
    assert _eval(DATA / "images", out, *args) == 0
    assert "2 images scored (26 rows written), 1 already done" in capsys.readouterr().err  # 13 classes
    _assert_same_summary(_summary(out), _summary(in_memory))


def test_a_table_of_other_settings_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "scores.parquet"
    assert _eval(DATA / "images", tmp_path / "a", "--table", str(table), "--bootstrap", "5") == 0
    capsys.readouterr()
    args = ("--table", str(table), "--resume", "--template", "Findings: {}.")
    assert _eval(DATA / "images", tmp_path / "b", *args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith(
        "_carzero.json: template: the table was written with 'There is {}.', this run has 'Findings: {}.'; "
        "--resume only extends a table of the same run settings (write to another table)"
    )
    assert not (tmp_path / "b" / "summary.json").exists()


def test_table_options_need_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["eval", "--images", "x", "--annotations", "y", "--out", str(tmp_path)]
    assert main([*base, "--resume"]) == 1
    assert capsys.readouterr().err.strip().endswith("--resume needs --table TABLE.parquet|TABLE.csv")
    assert main([*base, "--table", str(tmp_path / "t.csv"), "--ray-address", "auto"]) == 1
    assert capsys.readouterr().err.strip().endswith("--ray-address needs --engine ray")
