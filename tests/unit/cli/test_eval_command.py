"""``carzero-viewer eval`` end to end on 3 real NIH images with both box sources and the tiny fixture model."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import cv2
import pytest

from carzero_viewer.cli import main
from carzero_viewer.commands.eval import BOX_COLUMNS, IMAGE_CLASS_COLUMNS, SUMMARY_COLUMNS

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "annotations"
FIXTURE = ROOT / "tests" / "data" / "carzero-tiny"
ANNOTATIONS = ["BBox_List_2017.csv", "train.json", "test.json"]


def _eval(images: Path, out: Path, *extra: str) -> int:
    argv = ["eval", "--images", str(images), "--weights", str(FIXTURE), "--device", "cpu", "--out", str(out)]
    for name in ANNOTATIONS:
        argv += ["--annotations", str(DATA / name)]
    return main([*argv, *extra])


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("eval")
    labels = str(DATA / "Data_Entry_2017.csv")
    assert _eval(DATA / "images", out, "--labels", labels, "--bootstrap", "50") == 0
    return out


def test_boxes_csv(run_dir: Path) -> None:
    rows = _rows(run_dir / "boxes.csv")
    assert tuple(rows[0].keys()) == BOX_COLUMNS
    # NIH: one box for each of the 3 images; ChestX-Det10: 5 (00000344_003) + 4 (00002578_000) + 0
    assert len(rows) == 3 + 9
    assert sum(r["source"] == "nih:BBox_List_2017.csv" for r in rows) == 3
    effusion = next(r for r in rows if r["image"] == "00000344_003.png" and r["source"].startswith("nih"))
    assert effusion["prompt"] == "There is pleural effusion."
    for row in rows:
        assert float(row["cnr"]) >= 0.0


def test_image_classes_csv(run_dir: Path) -> None:
    rows = _rows(run_dir / "image_classes.csv")
    assert tuple(rows[0].keys()) == IMAGE_CLASS_COLUMNS
    boxes = _rows(run_dir / "boxes.csv")
    # one row per (image, dataset, class), holding all of that class's boxes on the image (their union)
    keys = [(r["image"], r["source"], r["class"]) for r in rows]
    assert len(keys) == len(set(keys))
    for image, source, canonical in keys:
        row = rows[keys.index((image, source, canonical))]
        owned = [
            b
            for b in boxes
            if (b["image"], b["source"].split(":")[0], b["class"]) == (image, source, canonical)
        ]
        assert int(row["n_boxes"]) == len(owned) >= 1
        assert row["pointing_hit"] in ("0", "1")
        assert 0.0 <= float(row["energy_in_box"]) <= 1.0
        assert 0.0 <= float(row["miou"]) <= 1.0
    assert sum(int(r["n_boxes"]) for r in rows) == len(boxes)
    assert any(int(r["n_boxes"]) > 1 for r in rows)  # a class with several boxes on one image: one union


def test_summary_csv_and_json(run_dir: Path) -> None:
    rows = _rows(run_dir / "summary.csv")
    assert tuple(rows[0].keys()) == SUMMARY_COLUMNS
    nih = [r["class"] for r in rows if r["source"] == "nih"]
    det10 = [r["class"] for r in rows if r["source"] == "chestx_det10"]
    labels = [r["class"] for r in rows if r["source"] == "labels:Data_Entry_2017.csv"]
    assert nih == ["Atelectasis", "Effusion", "Nodule", "mean"]
    assert det10 == ["Consolidation", "Effusion", "Fibrosis", "Mass", "Nodule", "mean"]
    assert len(labels) == 13 + 1  # the 13 classes of Data_Entry (Infiltration etc.) and the mean
    consolidation = next(r for r in rows if r["source"] == "chestx_det10" and r["class"] == "Consolidation")
    assert (consolidation["n_boxes"], consolidation["n_images"]) == ("3", "2")  # 1 + 2 boxes
    document = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert document["model"]["untrained"] is True
    assert document["images_scored"] == 3 and document["boxes"] == 12
    assert set(document["metric_definitions"]["metrics"]) == {
        "pointing_game",
        "energy_in_box",
        "cnr",
        "miou",
        "pixel_auroc",
    }
    assert any("1024x1024" in note for note in document["scaling_notes"])


def test_report_is_stamped_and_self_contained(run_dir: Path) -> None:
    report = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "UNTRAINED DEMO MODEL \u2014 numbers are meaningless" in report
    assert report.count("data:image/png;base64,") >= 3  # grounding bars, AUROC bars, overlays
    assert "0.543" in report  # the published ChestX-Det10 pointing-game mean is shown beside ours
    assert "published-results.md" in report
    assert "<h2>Metric definitions</h2>" in report
    assert "Changed from earlier versions of this app" in report
    assert "CNR (per box)" in report and "mIoU (per image, union)" in report


def test_scaled_image_is_reported(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    gray = cv2.imread(str(DATA / "images" / "00002578_000.png"), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(images / "00002578_000.png"), cv2.resize(gray, (512, 512), interpolation=cv2.INTER_AREA))
    assert _eval(images, tmp_path / "out", "--bootstrap", "10") == 0
    document = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert any("scaled x0.5 to 512x512" in note for note in document["scaling_notes"])
    rows = _rows(tmp_path / "out" / "boxes.csv")
    nodule = next(r for r in rows if r["source"] == "chestx_det10:test.json" and r["label"] == "Nodule")
    assert float(nodule["x1"]) == pytest.approx(816 / 2)
    assert all(r["scaled"] == "1" for r in rows)


def test_malformed_annotation_fails_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    shutil.copy(DATA / "BBox_List_2017.csv", bad)
    with bad.open("a", encoding="utf-8") as handle:
        handle.write("00000344_003.png,Mass,1,2,x,4\n")
    out = str(tmp_path / "out")
    code = main(
        [
            "eval",
            "--images",
            str(DATA / "images"),
            "--annotations",
            str(bad),
            "--weights",
            str(FIXTURE),
            "--out",
            out,
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith("bad.csv: line 65: w: 'x' is not a number")


def test_a_damaged_annotated_image_is_skipped_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    images = tmp_path / "images"
    shutil.copytree(DATA / "images", images)
    damaged = images / "00000344_003.png"
    damaged.write_bytes(damaged.read_bytes()[:400])
    assert _eval(images, tmp_path / "out") == 0
    assert f"warning: skipped {damaged}" in capsys.readouterr().err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["images_failed"] == [
        f"{damaged}: PNG data is damaged, truncated or uses an unsupported variant"
    ]
    scored = {r["image"] for r in _rows(tmp_path / "out" / "boxes.csv")}
    assert "00000344_003.png" not in scored and scored


def test_findings_score_each_matching_class_as_the_mean_of_its_phrasings(tmp_path: Path) -> None:
    labels = str(DATA / "Data_Entry_2017.csv")
    out = tmp_path / "eval"
    assert (
        _eval(DATA / "images", out, "--labels", labels, "--bootstrap", "10", "--findings", "chestx-det10")
        == 0
    )
    document = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert document["prompts"]["Effusion"] == (
        "There is pleural effusion. | There is fluid in the pleural space. | "
        "There is blunting of the costophrenic angle."
    )
    assert (
        document["prompts"]["Infiltration"] == "There is infiltration."
    )  # no ChestX-Det10 finding: the label's prompt
    row = next(r for r in _rows(out / "image_classes.csv") if r["class"] == "Effusion")
    scored = tmp_path / "score.json"
    image = str(DATA / "images" / row["image"])
    assert (
        main(
            [
                "score",
                image,
                "--findings",
                "chestx-det10",
                "--json",
                str(scored),
                "--weights",
                str(FIXTURE),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    finding = next(
        f
        for f in json.loads(scored.read_text(encoding="utf-8"))["images"][0]["findings"]
        if f["name"] == "Effusion"
    )
    # CSV cells carry 6 significant digits; the same phrasings on the same model input give the same mean.
    assert float(row["score"]) == pytest.approx(finding["score"], rel=1e-5, abs=1e-6)
