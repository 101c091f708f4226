"""Reading a table's rows back (eval --table): maps, geometry, the layout version, hostile cells."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from carzero_viewer.archive import ArchiveError, ArchiveMeta, open_sink
from carzero_viewer.archive.table import geometry_cells, geometry_from_cells, read_rows
from carzero_viewer.types import ModelInputGeometry

META = ArchiveMeta("ab" * 32, "0.1.0", "fp32", "app", "There is {}.", "finding", with_maps=True)
GEOMETRY = ModelInputGeometry((300, 200), (256, 170), (0, 43), 256, (16, 16), 224)


def _row(path: str, name: str, score: float) -> dict[str, object]:
    grid = np.arange(196, dtype=np.float32) / 7
    grid[0] = np.nan  # a cell outside the field of view stays NaN through both formats
    return {
        "path": path,
        "content_sha256": "c" * 64,
        "finding": name,
        "score": score,
        "i2t": 0.5,
        "t2i": -0.25,
        "map_14": [float(v) for v in grid],
        "geometry": geometry_cells(GEOMETRY),
    }


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_rows_read_back_with_their_maps_and_geometry(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"t{suffix}"
    sink = open_sink(out, META)
    written = [_row("/a.png", "Effusion", 1 / 3), _row("/b.png", "=formula", -2.0)]
    sink.add(written)
    sink.flush()
    rows = list(read_rows(out, META, {"/b.png"}))
    assert len(rows) == 1 and rows[0]["finding"] == "=formula" and rows[0]["score"] == -2.0
    np.testing.assert_array_equal(rows[0]["map_14"], np.asarray(written[1]["map_14"], dtype=np.float32))
    assert geometry_from_cells(rows[0]["geometry"], out, "geometry") == GEOMETRY
    assert next(read_rows(out, META, {"/a.png"}))["score"] == 1 / 3  # repr round-trips in CSV


def test_a_version_1_table_is_refused_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    open_sink(out, META)
    sidecar = tmp_path / "t.csv.meta.json"
    old = json.loads(sidecar.read_text())
    del old["version"]  # what the first release wrote: maps without their geometry
    sidecar.write_text(json.dumps(old))
    with pytest.raises(ArchiveError, match=r"t\.csv\.meta\.json: version: the table was written with None"):
        open_sink(out, META, resume=True)


def test_hostile_geometry_and_map_cells_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="geometry: must list 10 integers"):
        geometry_from_cells([1, 2], tmp_path, "geometry")
    cells = geometry_cells(dataclasses.replace(GEOMETRY, resized_size=(0, 170)))
    with pytest.raises(
        ArchiveError, match=r"geometry: resized_h: 0 is outside the accepted range 1\.\.1048576"
    ):
        geometry_from_cells(cells, tmp_path, "geometry")
    out = tmp_path / "t.csv"
    open_sink(out, META)
    with out.open("a") as handle:
        handle.write("/a.png," + "c" * 64 + ',E,1.0,0.5,0.5,"[""x""]","[1]"\n')
    with pytest.raises(ArchiveError, match=r"line 2: map_14: must be a number, not"):
        list(read_rows(out, META, {"/a.png"}))


def test_a_finding_of_other_phrasings_is_refused_and_new_findings_are_added(tmp_path: Path) -> None:
    out = tmp_path / "t.parquet"
    open_sink(out, dataclasses.replace(META, phrasings={"Effusion": ("pleural effusion",)}))
    other = dataclasses.replace(META, phrasings={"Effusion": ("fluid in the pleural space",)})
    with pytest.raises(
        ArchiveError,
        match=r"_carzero\.json: phrasings: 'Effusion' was scored as 'pleural effusion'; --resume",
    ):
        open_sink(out, other, resume=True)
    more = open_sink(out, dataclasses.replace(META, phrasings={"Mass": ("mass",)}), resume=True)
    assert more.meta.phrasings == {"Effusion": ("pleural effusion",), "Mass": ("mass",)}
    assert json.loads((out / "_carzero.json").read_text())["phrasings"] == {
        "Effusion": ["pleural effusion"],
        "Mass": ["mass"],
    }
