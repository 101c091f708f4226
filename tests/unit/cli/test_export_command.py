"""``carzero-viewer export`` end to end on the tiny untrained model: a PNG and a DICOM input, every format."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image

from carzero_viewer.cli import main
from carzero_viewer.imaging import load_image

DATA = Path(__file__).resolve().parents[2] / "data"
WEIGHTS = DATA / "carzero-tiny"
PNG = WEIGHTS / "image.png"
DICOM = DATA / "dicom" / "RG1_J2KI.dcm"


def _export(out: Path, *extra: str, images: tuple[Path, ...] = (PNG,)) -> int:
    return main(
        [
            "export",
            *map(str, images),
            "--weights",
            str(WEIGHTS),
            "--prompt",
            "There is cardiomegaly.",
            "--out",
            str(out),
            "--device",
            "cpu",
            *extra,
        ]
    )


def test_export_all_formats_then_refuse_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert _export(out, "--format", "png,pdf,csv,json,dcm", "--prompt", "effusion", images=(PNG, DICOM)) == 0
    printed = capsys.readouterr().out.split()
    names = sorted(Path(p).name for p in printed)
    assert names == sorted(
        [
            "image__there-is-cardiomegaly.png",
            "image__effusion.png",
            "image__report.pdf",
            "RG1_J2KI__there-is-cardiomegaly.png",
            "RG1_J2KI__there-is-cardiomegaly.dcm",
            "RG1_J2KI__effusion.png",
            "RG1_J2KI__effusion.dcm",
            "RG1_J2KI__report.pdf",
            "scores.csv",
            "scores.json",
        ]
    )
    assert all(Path(p).is_file() for p in printed)
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]

    # The PNG keeps the image at full resolution with the legend strip below it.
    with Image.open(out / "RG1_J2KI__there-is-cardiomegaly.png") as figure:
        width, height = figure.size
    record = load_image(DICOM)
    assert width == record.shape[1] and height > record.shape[0]

    # The Secondary Capture joins the source's study in a new series and re-opens in the app.
    source = pydicom.dcmread(DICOM, stop_before_pixels=True)
    sc = pydicom.dcmread(out / "RG1_J2KI__there-is-cardiomegaly.dcm")
    assert sc.StudyInstanceUID == source.StudyInstanceUID
    assert sc.SeriesInstanceUID != source.SeriesInstanceUID and sc.SOPInstanceUID != source.SOPInstanceUID
    assert sc.SOPClassUID == pydicom.uid.SecondaryCaptureImageStorage
    reopened = load_image(out / "RG1_J2KI__there-is-cardiomegaly.dcm")
    assert reopened.shape == (height, width) and reopened.is_color
    _check_identity_only_in_the_capture(out, source)

    with (out / "scores.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["image"], r["typed_prompt"]) for r in rows] == [
        ("image.png", "There is cardiomegaly."),
        ("image.png", "effusion"),
        ("RG1_J2KI.dcm", "There is cardiomegaly."),
        ("RG1_J2KI.dcm", "effusion"),
    ]
    assert rows[1]["processed_prompt"] == "There is effusion."
    assert all(r["model_status"] == "untrained" and len(r["weights_checksum"]) == 64 for r in rows)
    document = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    assert len(document["results"]) == 4 and document["provenance"]["model_status"] == "untrained"
    assert (out / "image__report.pdf").read_bytes().startswith(b"%PDF")

    # Second run without --force: nothing is overwritten, one line names the file.
    before = (out / "scores.csv").read_bytes()
    assert _export(out, "--format", "png,csv", images=(PNG,)) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert "already exists" in err[-1] and "image__there-is-cardiomegaly.png" in err[-1]
    assert [line for line in err if "error" in line] == [err[-1]]
    assert (out / "scores.csv").read_bytes() == before


def _check_identity_only_in_the_capture(out: Path, source: pydicom.Dataset) -> None:
    """README "What each output contains": DICOM identity goes into the Secondary Capture only.

    PNG text chunks, PDF metadata, CSV and JSON carry none of the source's patient or study values (the
    figure's pixels are the source image plus a legend, checked by construction in the renderer).
    """
    identity = [
        str(source.PatientName),
        source.PatientID,
        source.PatientBirthDate,
        source.AccessionNumber,
        source.StudyInstanceUID,
        source.SOPInstanceUID,
    ]
    with Image.open(out / "RG1_J2KI__there-is-cardiomegaly.png") as figure:
        png_text = " ".join(f"{k} {v}" for k, v in figure.text.items())
    pdf = (out / "RG1_J2KI__report.pdf").read_bytes()
    pdf_info = pdf[pdf.rindex(b"/Creator") :].split(b">>")[0].decode("latin-1")
    assert "Title" in pdf_info and "Creator" in pdf_info
    for text in (
        png_text,
        pdf_info,
        (out / "scores.csv").read_text(encoding="utf-8"),
        (out / "scores.json").read_text(encoding="utf-8"),
    ):
        assert not [value for value in identity if value in text]
    capture = pydicom.dcmread(out / "RG1_J2KI__there-is-cardiomegaly.dcm")
    assert str(capture.PatientName) == identity[0] and capture.PatientID == identity[1]
    assert capture.PatientBirthDate == identity[2] and capture.AccessionNumber == identity[3]


def test_force_and_word_maps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _export(tmp_path, "--map", "words", "--colormap", "inferno", "--opacity", "0.7") == 0
    first = sorted(Path(p).name for p in capsys.readouterr().out.split())
    assert first == [
        "image__there-is-cardiomegaly__w1-there.png",
        "image__there-is-cardiomegaly__w2-is.png",
        "image__there-is-cardiomegaly__w3-cardiomegaly.png",
    ]
    assert _export(tmp_path, "--map", "words") == 1
    capsys.readouterr()
    assert _export(tmp_path, "--map", "words", "--force") == 0
    with Image.open(tmp_path / first[0]) as image:
        assert np.asarray(image).shape[2] == 3


def test_bad_options_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        _export(tmp_path, "--format", "png,gif")
    assert info.value.code == 2
    with pytest.raises(SystemExit):
        _export(tmp_path, "--opacity", "1.5")


CHEST = (DATA / "dicom" / "966_fixed.dcm", next((DATA / "dicom").glob("SIIM_*.dcm")), DICOM)


@pytest.mark.slow
def test_export_continues_past_a_broken_file_and_lists_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dciodvfy: Callable[[Path], list[str]]
) -> None:
    """Issue 11: the three chest DICOMs export in full although a broken file comes first; exit code 1."""
    broken = tmp_path / "broken.dcm"
    broken.write_bytes(DICOM.read_bytes()[:3000])  # a real header cut short: no pixel data
    out = tmp_path / "out"
    assert _export(out, "--format", "png,pdf,csv,json,dcm", images=(broken, *CHEST)) == 1
    captured = capsys.readouterr()
    written = [Path(p) for p in captured.out.split()]
    for source in CHEST:
        stem = source.stem
        assert {p.name for p in written if p.name.startswith(stem + "__")} == {
            f"{stem}__there-is-cardiomegaly.png",
            f"{stem}__there-is-cardiomegaly.dcm",
            f"{stem}__report.pdf",
        }
    assert not [p for p in out.iterdir() if p.name.startswith("broken")]
    for path in written:
        if path.suffix == ".dcm":
            assert dciodvfy(path) == [], path.name

    err = captured.err.splitlines()
    assert [line for line in err if line.startswith("failed: ")] == [
        next(line for line in err if line.startswith(f"failed: {broken}: read: "))
    ]
    assert err[-1].startswith(
        "carzero-viewer export: error: export incomplete (4 inputs), everything else was"
    )
    assert "1 failed: broken.dcm: read: " in err[-1]
    notes = [line for line in err if line.startswith("note: ")]
    assert any("966_fixed.dcm: Secondary Capture: AccessionNumber dropped" in n for n in notes)
    assert any("SIIM_" in n and "PatientAge dropped" in n for n in notes)
    with (out / "scores.csv").open(encoding="utf-8") as handle:
        assert [r["image"] for r in csv.DictReader(handle)] == [source.name for source in CHEST]


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("typed", "refused by the test"),
        ("library", "unexpected ValueError while building it"),  # its message may quote a patient value
    ],
)
def test_a_failing_format_keeps_the_images_other_formats(
    error: str,
    reason: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from carzero_viewer.export import dicom_sc

    small = DATA / "dicom" / "mlut_18.dcm"

    def refuse(source: Path, *args: object, **kwargs: object) -> object:
        if error == "library":
            raise ValueError("Invalid value for VR PN: 'Doe^John'")
        raise dicom_sc.DicomExportError("refused by the test", source)

    monkeypatch.setattr(dicom_sc, "secondary_capture", refuse)
    assert _export(tmp_path, "--format", "png,pdf,dcm", "--prompt", "effusion", images=(small,)) == 1
    captured = capsys.readouterr()
    assert sorted(Path(p).name for p in captured.out.split()) == [
        "mlut_18__effusion.png",
        "mlut_18__report.pdf",
        "mlut_18__there-is-cardiomegaly.png",
    ]
    failures = [line for line in captured.err.splitlines() if line.startswith("failed: ")]
    assert failures == [f"failed: {small}: dcm (Secondary Capture): {reason}"]  # once per image
    assert captured.err.splitlines()[-1].endswith(f"1 failed: mlut_18.dcm: dcm (Secondary Capture): {reason}")
    assert "Doe" not in captured.err
