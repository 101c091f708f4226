"""The Structured Report and the map Segmentation: valid (dciodvfy), in the source's study, read back whole."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import highdicom as hd
import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import ComprehensiveSRStorage, SegmentationStorage

from carzero_viewer.export.dicom_map import (
    BANDS,
    MapSource,
    band_labels,
    band_range,
    segmentation,
    segmentation_bytes,
)
from carzero_viewer.export.dicom_sc import PATIENT_STUDY_KEYWORDS, DicomExportError, secondary_capture
from carzero_viewer.export.dicom_sr import (
    UNTRAINED,
    UNTRAINED_TEXT,
    Calibrated,
    ReportedPrompt,
    report_bytes,
    structured_report,
)
from carzero_viewer.export.dicom_study import PRIVATE_SCHEME, source_study
from carzero_viewer.export.heatmap_style import HeatmapStyle, colormap_table
from carzero_viewer.export.reports import Provenance, ReportRow

DATA = Path(__file__).resolve().parents[2] / "data"
CHEST = DATA / "dicom" / "RG1_J2KI.dcm"
IDENTIFIED = DATA / "dicom" / "966_fixed.dcm"  # invalid birth date and accession number: dropped with notes
CHECKSUM = "0123456789abcdef" * 4
# Every test DICOM and the pydicom-bundled ones of the Secondary Capture tests (CT, MR, colour, big endian...)
PYDICOM_SOURCES = ("CT_small.dcm", "MR_small.dcm", "SC_rgb_jpeg_dcmtk.dcm", "ExplVR_BigEnd.dcm")
MULTI_FRAME = {"emri_small.dcm", "examples_ybr_color.dcm"}
SOURCES = [
    *sorted((DATA / "dicom").glob("*.dcm")),
    *(Path(get_testdata_file(n)) for n in (*PYDICOM_SOURCES, "examples_ybr_color.dcm")),
]


@dataclass(frozen=True)
class _Box:
    x1: float
    y1: float
    x2: float
    y2: float


def _row(
    status: str = "untrained", metrics: dict[str, float] | None = None, typed: str = "cardiomegaly"
) -> ReportRow:
    provenance = Provenance(f"{CHECKSUM[:12]}@cpu-fp32", CHECKSUM, status, "There is {}.", "9.9.9")
    return ReportRow(
        image="x.dcm",
        image_hash="h",
        typed_prompt=typed,
        processed_prompt=f"There is {typed}.",
        cleaned_prompt=f"there is {typed}",
        score=1.234567,
        i2t=1.0,
        t2i=1.469134,
        provenance=provenance,
        n_boxes=2 if metrics else 0,
        metrics=metrics or {},
        applicability_reasons=("a lateral view",),
    )


METRICS = {
    "pointing_game": 1.0,
    "energy_in_box": 0.25,
    "cnr": float("nan"),
    "miou": 0.125,
    "pixel_auroc": 0.75,
}
BOXES = (_Box(10.0, 20.0, 300.5, 400.0), _Box(500.0, 600.0, 700.0, 800.0))


def _map(shape: tuple[int, int]) -> npt.NDArray[np.float32]:
    rows, columns = np.mgrid[0 : shape[0], 0 : shape[1]]
    values = np.exp(-((rows - shape[0] / 2) ** 2 + (columns - shape[1] / 3) ** 2) / (2 * (shape[0] / 5) ** 2))
    values = values.astype(np.float32)
    values[:, : shape[1] // 10] = np.nan  # outside the field of view
    return values


def _read(sr: hd.sr.ComprehensiveSR) -> hd.sr.ComprehensiveSR:
    """The report as a reader sees it: encoded (validated) and parsed back by highdicom."""
    return hd.sr.srread(pydicom.filebase.DicomBytesIO(report_bytes(sr)))


def _groups(sr: hd.sr.ComprehensiveSR) -> list[hd.sr.MeasurementsAndQualitativeEvaluations]:
    return list(sr.content.get_image_measurement_groups())


def _texts(group: hd.sr.MeasurementsAndQualitativeEvaluations) -> dict[str, str]:
    return {
        item.ConceptNameCodeSequence[0].CodeValue: item.TextValue
        for item in group[0].ContentSequence
        if item.ValueType == "TEXT"
    }


def _algorithm(measurement: hd.sr.Measurement) -> tuple[str, list[str]]:
    """(Algorithm Version, [Algorithm Parameters]) of a measurement (TID 4019, DCM 111003 and 111002)."""
    items = measurement[0].ContentSequence
    version = next(i.TextValue for i in items if i.ConceptNameCodeSequence[0].CodeValue == "111003")
    return version, [i.TextValue for i in items if i.ConceptNameCodeSequence[0].CodeValue == "111002"]


def test_report_reads_back_every_field(tmp_path: Path) -> None:
    source = pydicom.dcmread(CHEST, stop_before_pixels=True)
    calibrated = ReportedPrompt(_row(metrics=METRICS), BOXES, Calibrated(0.625, True, "youden"))
    plain = ReportedPrompt(_row(typed="effusion"))
    path = tmp_path / "sr.dcm"
    path.write_bytes(report_bytes(structured_report(source_study(CHEST), [calibrated, plain])))
    sr = hd.sr.srread(path)

    assert sr.SOPClassUID == ComprehensiveSRStorage
    assert sr.StudyInstanceUID == source.StudyInstanceUID and sr.SeriesInstanceUID != source.SeriesInstanceUID
    assert sr.PatientID == source.PatientID and sr.PatientName == source.PatientName
    evidence = sr.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0]
    assert evidence.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == source.SOPInstanceUID
    assert UNTRAINED in sr.SeriesDescription and sr.CompletionFlag == "COMPLETE"
    assert sr.VerificationFlag == "UNVERIFIED"
    assert sr.CodingSchemeIdentificationSequence[0].CodingSchemeDesignator == PRIVATE_SCHEME

    first, second = _groups(sr)
    assert first.tracking_identifier == "cardiomegaly" and second.tracking_identifier == "effusion"
    values = {m.name.value: m.value for m in first.get_measurements()}
    assert values == pytest.approx(
        {
            "raw-score": 1.234567,
            "probability": 0.625,
            "pointing-game": 1.0,
            "energy-in-box": 0.25,
            "miou": 0.125,
            "pixel-auroc": 0.75,
        },
        rel=1e-6,  # DS keeps 16 characters: far more than 6 significant digits
    )  # the CNR is NaN: left out, never written as a number
    [evaluation] = first.get_qualitative_evaluations()
    assert evaluation.name.meaning == "Above operating point youden" and evaluation.value.meaning == "Yes"
    texts = _texts(first)
    assert texts["typed-prompt"] == "cardiomegaly" and texts["processed-prompt"] == "There is cardiomegaly."
    assert texts["model-status"] == UNTRAINED_TEXT and texts["applicability"] == "a lateral view"
    version, parameters = _algorithm(first.get_measurements()[0])
    assert version == CHECKSUM
    assert parameters[0] == UNTRAINED and "model status untrained" in parameters
    assert any(p.endswith(" 9.9.9") for p in parameters) and "template There is {}." in parameters
    observer = sr.content.get_observer_contexts()[0]
    assert any(getattr(item, "TextValue", None) == f"{CHECKSUM[:12]}@cpu-fp32" for item in observer)

    assert {m.name.value for m in second.get_measurements()} == {"raw-score"}  # no profile, no boxes
    assert second.get_qualitative_evaluations() == []

    regions = list(sr.content.get_planar_roi_measurement_groups())
    assert [r.tracking_identifier for r in regions] == [
        "ground-truth box 1 of 2 for: cardiomegaly",
        "ground-truth box 2 of 2 for: cardiomegaly",
    ]
    roi = regions[0].roi
    assert roi is not None and roi.GraphicType == "POLYLINE"
    corners = [[10.0, 20.0], [300.5, 20.0], [300.5, 400.0], [10.0, 400.0], [10.0, 20.0]]
    np.testing.assert_array_equal(roi.value, corners)  # image pixel coordinates, exact (FL holds them)
    referenced = roi.ContentSequence[0].ReferencedSOPSequence[0]
    assert referenced.ReferencedSOPInstanceUID == source.SOPInstanceUID


def test_a_verified_model_is_not_called_untrained() -> None:
    sr = structured_report(source_study(CHEST), [ReportedPrompt(_row(status="verified"))])
    [group] = _groups(_read(sr))
    assert UNTRAINED not in sr.SeriesDescription and _texts(group)["model-status"] == "verified"
    assert UNTRAINED not in _algorithm(group.get_measurements()[0])[1]


def test_boxes_and_metrics_only_when_there_are_boxes() -> None:
    sr = _read(structured_report(source_study(CHEST), [ReportedPrompt(_row())]))
    assert list(sr.content.get_planar_roi_measurement_groups()) == []
    assert {m.name.value for m in _groups(sr)[0].get_measurements()} == {"raw-score"}


def test_segmentation_reads_back_as_the_banded_map(tmp_path: Path) -> None:
    source = pydicom.dcmread(CHEST, stop_before_pixels=True)
    study = source_study(CHEST)
    values = _map(study.shape)
    style = HeatmapStyle(colormap="inferno", threshold=0.2)
    shown = MapSource(values, "cardiomegaly", "There is cardiomegaly.", 1.25, _row().provenance)
    path = tmp_path / "map.dcm"
    path.write_bytes(segmentation_bytes(segmentation(study, shown, style)))
    seg = hd.seg.segread(path)

    assert seg.SOPClassUID == SegmentationStorage and seg.SegmentationType == "BINARY"
    assert (
        seg.StudyInstanceUID == source.StudyInstanceUID and seg.SeriesInstanceUID != source.SeriesInstanceUID
    )
    assert seg.PatientID == source.PatientID
    assert "UNTRAINED" in seg.SeriesDescription and "UNTRAINED" in seg.ContentDescription
    assert seg.SourceImageSequence[0].ReferencedSOPInstanceUID == source.SOPInstanceUID
    assert seg.number_of_segments == BANDS
    pixels = seg.get_pixels_by_source_instance(
        source_sop_instance_uids=[source.SOPInstanceUID], combine_segments=True
    )[0]
    expected = band_labels(values, style)
    np.testing.assert_array_equal(pixels, expected)
    assert set(np.unique(expected)) == set(range(BANDS + 1))  # every band present, and unlabelled pixels
    assert (expected[np.isnan(values)] == 0).all()  # no data belongs to no segment
    table = colormap_table("inferno")
    for number in range(1, BANDS + 1):
        description = seg.get_segment_description(number)
        low, high = band_range(number, style)
        assert description.segment_label.startswith(f"{low:.2f}-{high:.2f} cardiomegaly")
        lab = description.RecommendedDisplayCIELabValue
        rgb = hd.color.CIELabColor.from_dicom_value(lab).to_rgb()
        centre = table[round((low + high) / 2 * 255), :3]
        assert np.abs(np.asarray(rgb, int) - centre).max() <= 1  # CIELab is stored as 16-bit integers
        algorithm = description.algorithm_identification
        assert algorithm is not None and algorithm[0].AlgorithmVersion == CHECKSUM
        parameters = algorithm[0].AlgorithmParameters
        assert "There is cardiomegaly." in parameters and "UNTRAINED" in parameters


def test_band_edges() -> None:
    values = np.array([[np.nan, 0.0, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0]], dtype=np.float32)
    np.testing.assert_array_equal(
        band_labels(values, HeatmapStyle(threshold=0.2)), [[0, 0, 0, 1, 2, 3, 4, 4]]
    )
    np.testing.assert_array_equal(
        band_labels(values, HeatmapStyle(threshold=1.0)), [[0, 0, 0, 0, 0, 0, 0, 4]]
    )
    flat = np.full((2, 2), 3.0, dtype=np.float32)  # no contrast: normalised to 0, all in the lowest band
    np.testing.assert_array_equal(band_labels(flat, HeatmapStyle()), np.ones((2, 2)))


def test_invalid_source_values_are_dropped_with_notes() -> None:
    study = source_study(IDENTIFIED)
    assert [(n.keyword, n.action) for n in study.notes] == [
        ("PatientBirthDate", "dropped"),
        ("AccessionNumber", "dropped"),
    ]
    assert study.dataset.PatientBirthDate == "" and study.dataset.AccessionNumber == ""  # Type 2: empty


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.name)
def test_same_patient_and_study_modules_as_the_secondary_capture(source: Path) -> None:
    capture = secondary_capture(source, np.zeros((8, 8, 3), np.uint8), "x").dataset
    study = source_study(source)
    made = [structured_report(study, [ReportedPrompt(_row())])]
    if source.name not in MULTI_FRAME:
        shown = MapSource(_map(study.shape), "a", "a", 0.0, _row().provenance)
        made.append(segmentation(study, shown, HeatmapStyle()))
    present = [k for k in (*PATIENT_STUDY_KEYWORDS, "StudyInstanceUID") if capture.get(k) not in (None, "")]
    assert "StudyInstanceUID" in present
    for dataset in made:
        assert [dataset.get(k) for k in present] == [capture.get(k) for k in present]
        assert not [
            k for k in PATIENT_STUDY_KEYWORDS if k not in capture and dataset.get(k) not in (None, "")
        ]


def test_nothing_of_the_patient_is_printed_or_warned(capsys: pytest.CaptureFixture[str]) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study = source_study(IDENTIFIED)
        report_bytes(structured_report(study, [ReportedPrompt(_row())]))
        shown = MapSource(_map(study.shape), "a", "a", 0.0, _row().provenance)
        segmentation_bytes(segmentation(study, shown, HeatmapStyle()))
    assert [str(w.message) for w in caught] == []
    assert capsys.readouterr() == ("", "")


def test_refusals_are_one_line_errors() -> None:
    with pytest.raises(DicomExportError, match="no valid SeriesInstanceUID"):
        source_study(get_testdata_file("JPEGLSNearLossless_08.dcm"))
    with pytest.raises(DicomExportError, match="not DICOM"):
        source_study(DATA / "carzero-tiny" / "image.png")
    multi = source_study(DATA / "dicom" / "emri_small.dcm")
    shown = MapSource(_map(multi.shape), "a", "a", 0.0, _row().provenance)
    with pytest.raises(DicomExportError, match="multi-frame"):
        segmentation(multi, shown, HeatmapStyle())
    with pytest.raises(ValueError, match="does not match"):
        segmentation(
            source_study(CHEST), MapSource(_map((4, 4)), "a", "a", 0.0, _row().provenance), HeatmapStyle()
        )


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.name)
def test_zero_dciodvfy_errors(source: Path, tmp_path: Path, dciodvfy: Callable[[Path], list[str]]) -> None:
    """dicom3tools' IOD validator on the SR and the map of every test DICOM (warnings may remain)."""
    study = source_study(source)
    report = tmp_path / "sr.dcm"
    prompt = ReportedPrompt(
        _row(metrics=METRICS, typed="Il y a un épanchement. " * 20), BOXES, Calibrated(0.5, False, "youden")
    )
    report.write_bytes(report_bytes(structured_report(study, [prompt])))
    assert dciodvfy(report) == []
    shown = MapSource(_map(study.shape), prompt.row.typed_prompt, "p", 1.0, prompt.row.provenance)
    if source.name in MULTI_FRAME:
        with pytest.raises(DicomExportError, match="multi-frame"):
            segmentation(study, shown, HeatmapStyle())
        return
    segmented = tmp_path / "map.dcm"
    segmented.write_bytes(segmentation_bytes(segmentation(study, shown, HeatmapStyle(threshold=0.3))))
    assert dciodvfy(segmented) == []
    assert hd.seg.segread(segmented).number_of_segments == BANDS
