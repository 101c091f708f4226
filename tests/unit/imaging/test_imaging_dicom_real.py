"""Every real DICOM sample opens with the grey levels a PACS shows.

The expectation is computed independently of carzero_viewer.imaging: pixels come straight from pydicom, the
Modality LUT from pydicom's own ``apply_modality_lut`` or the rescale formula, the VOI from pydicom's
``apply_voi_lut`` (VOI LUT Sequence) or the PS3.3 C.11.2.1.2 window formula written out here, and the
MONOCHROME1 inversion as ``1 - v`` after VOI. The chest radiographs are also checked anatomically: the lungs
must render darker than the mediastinum/spine, which fails if MONOCHROME1 is not inverted (or inverted twice).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_modality_lut, apply_voi_lut

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.imaging import METADATA_KEYS, ImageRecord, load_image, model_view
from carzero_viewer.imaging.voi import VoiFunction, Window
from tests.tolerances import GREY_LEVEL, assert_close

DICOM_DIR = Path(__file__).resolve().parents[2] / "data" / "dicom"
ALL_DICOM = sorted(p.name for p in DICOM_DIR.glob("*.dcm"))
SIIM = "SIIM_1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm"
CHEST = ["966_fixed.dcm", "RG1_J2KI.dcm", SIIM]


@functools.cache
def _record(name: str, frame: int = 0) -> ImageRecord:
    return load_image(DICOM_DIR / name, frame=frame)


def _standard_linear(x: np.ndarray, center: float, width: float) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1 LINEAR, output range [0, 1], in float64."""
    y = ((x - (center - 0.5)) / (width - 1.0)) + 0.5
    y[x <= center - 0.5 - (width - 1.0) / 2.0] = 0.0
    y[x > center - 0.5 + (width - 1.0) / 2.0] = 1.0
    return np.clip(y, 0.0, 1.0)


def _expected_display(name: str, frame: int = 0) -> np.ndarray | None:
    """Independent modality -> VOI -> inversion; None when the file has no VOI (auto window)."""
    ds = pydicom.dcmread(DICOM_DIR / name)
    stored = ds.pixel_array
    if int(getattr(ds, "NumberOfFrames", 1)) > 1:
        stored = stored[frame]
    if "VOILUTSequence" in ds:
        bits = int(ds.VOILUTSequence[0].LUTDescriptor[2])
        display = apply_voi_lut(stored, ds).astype(np.float64) / (2**bits - 1)
    else:
        if "ModalityLUTSequence" in ds:
            values = apply_modality_lut(stored, ds).astype(np.float64)
        else:
            slope = float(getattr(ds, "RescaleSlope", 1.0))
            values = stored.astype(np.float64) * slope + float(getattr(ds, "RescaleIntercept", 0.0))
        if "WindowCenter" not in ds:
            return None
        center = ds.WindowCenter[0] if ds["WindowCenter"].VM > 1 else ds.WindowCenter
        width = ds.WindowWidth[0] if ds["WindowWidth"].VM > 1 else ds.WindowWidth
        display = _standard_linear(values, float(center), float(width))
    if ds.PhotometricInterpretation == "MONOCHROME1":
        display = 1.0 - display
    return display


@pytest.mark.parametrize("name", ALL_DICOM)
def test_every_sample_dicom_opens_with_a_consistent_record(name: str) -> None:
    record = _record(name)
    ds = pydicom.dcmread(DICOM_DIR / name, stop_before_pixels=True)
    assert record.shape == (ds.Rows, ds.Columns)
    assert record.pixels.dtype == np.float32
    assert not record.pixels.flags.writeable
    assert record.model_input.shape == record.shape
    assert record.model_input.dtype == np.uint8
    assert set(record.metadata) <= set(METADATA_KEYS)
    assert record.metadata["transfer_syntax"].endswith(f"({ds.file_meta.TransferSyntaxUID})")
    assert record.default_voi in record.presets
    assert len(record.content_hash) == 64
    assert model_view(record).crop.shape == (224, 224)
    assert any("MONOCHROME" in step for step in record.pipeline)


@pytest.mark.parametrize("name", ALL_DICOM)
def test_display_matches_the_independent_pipeline(name: str) -> None:
    record = _record(name)
    expected = _expected_display(name)
    if expected is None:
        # No VOI in the file: the default is our automatic (or 8-bit identity) window; check the rendering
        # is the LINEAR_EXACT ramp of that window over independently computed modality values.
        window = record.default_voi
        assert isinstance(window, Window)
        assert window.function is VoiFunction.LINEAR_EXACT
        ds = pydicom.dcmread(DICOM_DIR / name)
        stored = ds.pixel_array[0] if int(getattr(ds, "NumberOfFrames", 1)) > 1 else ds.pixel_array
        values = apply_modality_lut(stored, ds).astype(np.float64)
        expected = np.clip((values - window.center) / window.width + 0.5, 0.0, 1.0)
    assert_close(record.display(), expected, "display")  # float32 vs the float64 reference: <= 5e-8 here
    model = record.model_input.astype(np.int16)
    difference = np.abs(model - np.rint(expected * 255.0))
    assert difference.max() <= GREY_LEVEL  # float32 vs float64 at exact .5 boundaries
    assert np.mean(difference > 0) < 1e-3


@pytest.mark.parametrize("name", CHEST)
def test_chest_radiographs_are_not_inverted(name: str) -> None:
    image = _record(name).render().astype(np.float64)
    h, w = image.shape

    def mean(row: float, col: float) -> float:
        r, c = int(row * h), int(col * w)
        return float(image[r - 40 : r + 40, c - 40 : c + 40].mean())

    lungs = (mean(0.40, 0.28) + mean(0.40, 0.72)) / 2.0
    centre = (mean(0.45, 0.50) + mean(0.70, 0.50)) / 2.0
    assert lungs + 30.0 < centre, f"lungs {lungs:.0f} not darker than mediastinum {centre:.0f}"
    model_lungs = float(model_view(_record(name)).crop[60:110, 40:80].mean())
    model_centre = float(model_view(_record(name)).crop[80:150, 100:124].mean())
    assert model_lungs < model_centre


def test_monochrome1_with_inverse_presentation_lut_is_inverted_exactly_once() -> None:
    record = _record("966_fixed.dcm")
    assert record.invert
    assert any("inverted once" in step for step in record.pipeline)
    raw = pydicom.dcmread(DICOM_DIR / "966_fixed.dcm").pixel_array
    # MONOCHROME1: the highest stored values are the most exposed (air) and must render dark, the lowest
    # (bone, collimation) white; inverting twice (once for MONOCHROME1, once for INVERSE) would swap them.
    assert record.render()[raw >= np.percentile(raw, 99.5)].mean() < 60
    assert record.render()[raw <= np.percentile(raw, 5)].mean() > 180


def test_pixel_spacing_rules() -> None:
    assert _record("966_fixed.dcm").spacing_mm == (0.16, 0.16)
    assert _record("966_fixed.dcm").spacing_source == "Pixel Spacing"
    assert _record("RG1_J2KI.dcm").spacing_mm is None  # 0.000\0.000 is degenerate
    assert any("degenerate" in step for step in _record("RG1_J2KI.dcm").pipeline)
    assert _record("RG3_J2KR.dcm").spacing_mm is None  # absent
    assert _record(SIIM).spacing_mm == (0.168, 0.168)


def test_voi_lut_sequence_is_preferred_and_modality_lut_sequence_is_applied() -> None:
    vlut = _record("vlut_04.dcm")
    assert type(vlut.default_voi).__name__ == "VoiLut"
    mlut = _record("mlut_18.dcm")
    assert any("Modality LUT Sequence" in step for step in mlut.pipeline)
    ds = pydicom.dcmread(DICOM_DIR / "mlut_18.dcm")
    np.testing.assert_array_equal(mlut.pixels, apply_modality_lut(ds.pixel_array, ds).astype(np.float32))


def test_eight_bit_dicom_without_window_is_shown_as_stored() -> None:
    record = _record(SIIM)
    stored = pydicom.dcmread(DICOM_DIR / SIIM).pixel_array
    np.testing.assert_array_equal(record.model_input, stored)
    assert any(p.name == "Auto" for p in record.presets)


def test_multi_frame_selection() -> None:
    frames = pydicom.dcmread(DICOM_DIR / "emri_small.dcm").pixel_array
    first, fourth = _record("emri_small.dcm", 0), _record("emri_small.dcm", 3)
    assert first.frame_count == fourth.frame_count == 10
    np.testing.assert_array_equal(fourth.pixels, frames[3].astype(np.float32))
    assert first.content_hash != fourth.content_hash
    with pytest.raises(ImageLoadError, match="frame 10 does not exist"):
        load_image(DICOM_DIR / "emri_small.dcm", frame=10)


def test_metadata_never_contains_patient_identity() -> None:
    ds = pydicom.dcmread(DICOM_DIR / "966_fixed.dcm", stop_before_pixels=True)
    secrets = [str(ds.PatientID), str(ds.PatientName)]
    record = _record("966_fixed.dcm")
    shown = " ".join([*record.metadata.values(), *record.pipeline, record.model_input_rule])
    for secret in secrets:
        if secret.strip():
            assert secret not in shown
    assert record.metadata["modality"] == "DX"
    assert record.metadata["photometric_interpretation"] == "MONOCHROME1"
    assert record.metadata["size"] == "2000x2128"
