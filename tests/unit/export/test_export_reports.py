"""CSV/JSON report columns and provenance; the one-page PDF."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from carzero_viewer.annotations import Box
from carzero_viewer.export.pdf import write_pdf
from carzero_viewer.export.reports import (
    CSV_COLUMNS,
    METRIC_NAMES,
    Provenance,
    ReportRow,
    grounding_metrics,
    row_from_result,
    write_csv,
    write_json,
)
from carzero_viewer.files import WriteError
from carzero_viewer.types import ModelInputGeometry, ProcessedPrompt, PromptResult

PROVENANCE = Provenance(
    model_id="0123456789ab@cpu-fp32",
    weights_checksum="0123456789ab" + "0" * 52,
    model_status="untrained",
    template="There is {}.",
    created="2024-01-01T12:00:00+00:00",
)


def _result(typed: str, score: float) -> PromptResult:
    words = ("[CLS]", "there", "is", typed, "[SEP]")
    attention = np.linspace(0.0, 1.0, 98, dtype=np.float32)
    geometry = ModelInputGeometry((256, 256), (256, 256), (0, 0), 256, (16, 16), 224)
    return PromptResult(
        prompt=ProcessedPrompt(typed, f"There is {typed}.", f"there is {typed}", True),
        words=words,
        truncated=False,
        score=score,
        i2t=score - 0.1,
        t2i=score + 0.1,
        grounding_map=np.zeros((14, 14), np.float32),
        word_attention=attention,
        word_maps=np.zeros((len(words), 14, 14), np.float32),
        padding_word_map=np.zeros((14, 14), np.float32),
        geometry=geometry,
    )


def _rows() -> list[ReportRow]:
    values = np.zeros((40, 40), np.float32)
    values[10:20, 10:20] = 1.0
    values[:2] = np.nan
    box = Box(8, 8, 22, 22, "Cardiomegaly", "test", "image.png")
    metrics = grounding_metrics(values, [box])
    return [
        row_from_result(_result("cardiomegaly", 0.5), "folder/image.png", "abc", PROVENANCE, metrics, 1),
        row_from_result(_result("effusion", -0.25), "folder/image.png", "abc", PROVENANCE),
    ]


def test_grounding_metrics() -> None:
    assert grounding_metrics(np.ones((4, 4), np.float32), []) == {}
    metrics = _rows()[0].metrics
    assert set(metrics) == set(METRIC_NAMES)
    assert metrics["pointing_game"] == 1.0
    assert metrics["energy_in_box"] == pytest.approx(1.0)


def test_grounding_metrics_follow_the_published_units() -> None:
    # two disjoint boxes of one class on a 4x6 map: 2s in the first, 1s in the second, 0 elsewhere (the case
    # worked out in tests/unit/metrics/test_grounding.py): mIoU against the union 0.9; CNR per box 4.5 and
    # 0.75, averaged 2.625 (against the union it would be 3.0). Tolerance: approx's default, exact float64.
    values = np.zeros((4, 6), np.float32)
    values[0:2, 0:2], values[2:4, 4:6] = 2.0, 1.0
    boxes = [
        Box(0, 0, 2, 2, "Effusion", "test", "image.png"),
        Box(4, 2, 6, 4, "Effusion", "test", "image.png"),
    ]
    metrics = grounding_metrics(values, boxes)
    assert metrics["miou"] == pytest.approx(0.9)
    assert metrics["cnr"] == pytest.approx(2.625)


def test_csv_columns_and_provenance(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "scores.csv", _rows())
    with path.open(encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert tuple(table[0]) == CSV_COLUMNS
    first, second = table
    assert first["image"] == "image.png"  # the file name only, no folders
    assert first["typed_prompt"] == "cardiomegaly"
    assert first["processed_prompt"] == "There is cardiomegaly."
    assert float(first["score"]) == 0.5 and float(first["i2t"]) == pytest.approx(0.4)
    assert first["pointing_game"] == "1.0" and first["n_boxes"] == "1"
    assert second["miou"] == "" and second["n_boxes"] == "0"
    assert first["weights_checksum"] == PROVENANCE.weights_checksum
    assert first["model_id"] == PROVENANCE.model_id
    assert first["app_version"] and first["image_hash"] == "abc" and first["template"] == "There is {}."
    with pytest.raises(WriteError):
        write_csv(path, _rows())


def test_json_document(tmp_path: Path) -> None:
    document = json.loads(write_json(tmp_path / "scores.json", _rows()).read_text(encoding="utf-8"))
    assert document["provenance"]["weights_checksum"] == PROVENANCE.weights_checksum
    assert "not a probability" in document["score_meaning"]
    first, second = document["results"]
    assert first["typed_prompt"] == "cardiomegaly" and first["processed_prompt"] == "There is cardiomegaly."
    assert [w["word"] for w in first["words"]] == ["[CLS]", "there", "is", "cardiomegaly", "[SEP]"]
    assert first["metrics"]["pointing_game"] == 1.0
    assert second["metrics"] is None
    assert first["provenance"]["model_id"] == PROVENANCE.model_id
    assert all(not (isinstance(v, float) and math.isnan(v)) for v in first["metrics"].values())


def test_pdf_page(tmp_path: Path) -> None:
    rgb = np.zeros((300, 200, 3), np.uint8)
    rgb[:, :, 1] = np.linspace(0, 255, 200, dtype=np.uint8)
    path = write_pdf(tmp_path / "report.pdf", rgb, "image.png", _rows(), 0, untrained=True)
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    assert data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") + data.count(b"/Type/Page") >= 1
    with pytest.raises(WriteError):
        write_pdf(path, rgb, "image.png", _rows())


def test_reports_hold_no_nan_and_no_formulas(tmp_path: Path) -> None:
    hostile = row_from_result(_result('=HYPERLINK("http://x","y")', float("nan")), "a.png", "abc", PROVENANCE)
    with write_csv(tmp_path / "scores.csv", [hostile]).open(encoding="utf-8", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["typed_prompt"] == '\'=HYPERLINK("http://x","y")'
    assert row["score"] == ""

    def fail(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    text = write_json(tmp_path / "scores.json", [hostile]).read_text(encoding="utf-8")
    (result,) = json.loads(text, parse_constant=fail)["results"]
    assert result["score"] is None
    assert result["typed_prompt"] == '=HYPERLINK("http://x","y")'  # JSON is data, not a spreadsheet
