"""``score --out --manifest``: a manifest's DICOMweb URLs are retrieved and scored, against a real Orthanc."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pydicom
import pytest

from carzero_viewer.cli import main
from carzero_viewer.pacs.cache import cache_root
from tests.orthanc_server import Orthanc, free_port
from tests.pacs.test_open_dicomweb import DICOM, WEIGHTS, _url

# A real PACS on the network stack and a 1760x1760 JPEG 2000 image through the tiny model.
pytestmark = pytest.mark.slow


def _score(*args: str) -> int:
    return main(["score", "--prompt", "effusion", "--weights", str(WEIGHTS), "--device", "cpu", *args])


def test_a_manifest_url_is_scored_as_its_cached_files_and_resumed_by_content_hash(
    orthanc: Orthanc, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orthanc.upload(DICOM)
    dead = f"dicomweb+http://127.0.0.1:{free_port()}/dicom-web/studies/1.2.3.4"
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"path\n{_url(orthanc, DICOM)}\n{dead}\n")
    table = tmp_path / "t.parquet"
    # The unreachable URL goes to the errors file and the run completes, exiting 1.
    assert _score("--manifest", str(manifest), "--out", str(table)) == 1
    assert "1 images scored (1 rows written), 0 already done, 1 failed" in capsys.readouterr().err
    errors = pd.read_csv(tmp_path / "t.parquet.errors.csv")
    assert list(errors["path"]) == [dead]
    rows = pd.read_parquet(table)
    uid = pydicom.dcmread(DICOM, stop_before_pixels=True).SOPInstanceUID
    cached = rows["path"].iloc[0]
    assert cached.startswith(str(cache_root())) and cached.endswith(f"/{uid}.dcm")

    # The same scores as the file on disk: the same bytes through the same decode and model.
    local = tmp_path / "local.parquet"
    assert _score(str(DICOM), "--out", str(local)) == 0
    assert rows["score"].iloc[0] == pytest.approx(pd.read_parquet(local)["score"].iloc[0], rel=1e-6)

    # A resume retrieves the study again into the same cache path with the same bytes: nothing is rescored.
    capsys.readouterr()
    assert _score("--manifest", str(manifest), "--out", str(table), "--resume") == 1
    assert "0 images scored (0 rows written), 1 already done, 1 failed" in capsys.readouterr().err
