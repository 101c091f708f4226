"""``score --engine ray``: a local Ray with 2 CPUs gives the local engine's rows; resume works the same way.

The rows are compared within 1e-6 of max(1, |value|), not bit for bit: both engines run the same per-batch
function, but Ray forms its own batches (block boundaries, skipped files), and a model batch of another size
may run the matrix products in another summation order (measured: up to ~4e-7 relative on the tiny fixture
model, 0 for the same batch in another order).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carzero_viewer.cli import main
from tests.tolerances import assert_close
from tests.unit.cli.archive_helpers import (
    PROMPTS,
    make_images,
    prompts_file,
    read_table,
    score_args,
    truncated_png,
)

RAY_RELATIVE = 1e-6


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def _assert_same_rows(ours: Path, reference: Path) -> None:
    a, b = read_table(ours), read_table(reference)
    assert a[["path", "content_sha256", "prompt"]].equals(b[["path", "content_sha256", "prompt"]])
    for column in ("score", "i2t", "t2i"):
        assert_close(a[column], b[column], column, rel=RAY_RELATIVE)


@pytest.mark.slow
@pytest.mark.usefixtures("local_ray")
# Ray 2.60's own DataContext() sets its deprecated fields (use_push_based_shuffle, use_polars...): not our
# calls, and the app sends them to its log file.
@pytest.mark.filterwarnings(r"ignore::DeprecationWarning:ray\.data\.context")
def test_ray_engine_gives_the_local_rows_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    images = make_images(tmp_path / "images", 9)
    truncated_png(tmp_path / "images" / "broken.png", images[0])
    prompts = prompts_file(tmp_path)
    local, distributed = tmp_path / "local.parquet", tmp_path / "ray.parquet"
    assert main(score_args([tmp_path / "images"], local, prompts)) == 1
    assert main([*score_args([tmp_path / "images"], distributed, prompts), "--engine", "ray"]) == 1
    _assert_same_rows(distributed, local)
    assert (tmp_path / "ray.parquet.errors.csv").read_text().count("broken.png") == 1
    parts = sorted(distributed.glob("part-*.parquet"))  # one, unless a slow run flushed after 60 s
    table = pa.concat_tables([pq.read_table(part) for part in parts])
    for part in parts:
        part.unlink()
    pq.write_table(table.slice(0, 4 * len(PROMPTS)), distributed / "part-000000.parquet")  # 4 whole images
    capsys.readouterr()
    assert (
        main([*score_args([tmp_path / "images"], distributed, prompts), "--engine", "ray", "--resume"]) == 1
    )
    assert "5 images scored (15 rows written), 4 already done, 1 failed" in capsys.readouterr().err
    _assert_same_rows(distributed, local)


def test_without_ray_one_line_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_images(tmp_path / "images", 1)
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.setitem(sys.modules, "ray.data", None)
    args = [
        *score_args([tmp_path / "images"], tmp_path / "t.parquet", prompts_file(tmp_path)),
        "--engine",
        "ray",
    ]
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "carzero-viewer score: error: --engine ray needs Ray Data, which is not installed: "
        "pip install 'carzero-viewer[distributed]'"
    ]
    assert not (tmp_path / "t.parquet").exists()
