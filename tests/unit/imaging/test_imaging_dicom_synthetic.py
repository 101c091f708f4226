"""Each DICOM rule on small synthetic files written with pydicom, plus the error contract for bad files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate, get_frame
from pydicom.uid import DeflatedExplicitVRLittleEndian, ImplicitVRLittleEndian, RLELossless

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.imaging import MAX_PIXELS, VoiFunction, Window, load_image
from carzero_viewer.imaging import dicom as dicom_module
from tests.tolerances import GREY_LEVEL, assert_close

DICOM_DIR = Path(__file__).resolve().parents[2] / "data" / "dicom"
RAMP = (np.arange(64 * 48, dtype=np.uint16).reshape(64, 48) * 7 % 4096).astype(np.uint16)


@pytest.mark.parametrize(
    "syntax", ["1.2.840.10008.1.2.1", ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian, RLELossless]
)
def test_uncompressed_deflate_and_rle_decode_losslessly(make_dicom: Any, syntax: str) -> None:
    record = load_image(make_dicom(RAMP, syntax=syntax, bits_stored=12))
    np.testing.assert_array_equal(record.pixels, RAMP.astype(np.float32))


def test_preamble_less_implicit_vr_file_without_extension_is_detected(make_dicom: Any) -> None:
    path = make_dicom(RAMP, name="IM000001", preamble=False)
    assert path.read_bytes()[128:132] != b"DICM"
    record = load_image(path)
    np.testing.assert_array_equal(record.pixels, RAMP.astype(np.float32))


def test_rescale_and_signed_pixels_give_modality_values(make_dicom: Any) -> None:
    stored = np.array([[-1000, 0], [500, 1000]], dtype=np.int16)
    record = load_image(make_dicom(stored, RescaleSlope="2", RescaleIntercept="-1024"))
    np.testing.assert_array_equal(record.pixels, [[-3024.0, -1024.0], [-24.0, 976.0]])
    assert any("slope 2, intercept -1024" in step for step in record.pipeline)


def test_every_window_preset_is_listed_and_the_first_is_default(make_dicom: Any) -> None:
    path = make_dicom(
        RAMP,
        bits_stored=12,
        WindowCenter=["2048", "600"],
        WindowWidth=["4096", "400"],
        WindowCenterWidthExplanation=["FULL", "LUNG"],
        VOILUTFunction="LINEAR_EXACT",
    )
    record = load_image(path)
    windows = [p for p in record.presets if isinstance(p, Window)]
    assert [w.name for w in windows] == ["FULL", "LUNG", "Auto"]
    assert record.default_voi == Window(2048.0, 4096.0, VoiFunction.LINEAR_EXACT, "FULL")
    lung = record.display(windows[1])
    expected = np.clip((RAMP.astype(np.float64) - 600.0) / 400.0 + 0.5, 0, 1)
    assert_close(lung, expected, "LUNG window")
    # The model input uses the default window, never the one being displayed.
    np.testing.assert_array_equal(record.model_input, np.rint(RAMP / 4096.0 * 255.0))


def test_sigmoid_function_is_honoured(make_dicom: Any) -> None:
    record = load_image(make_dicom(RAMP, WindowCenter="2000", WindowWidth="1000", VOILUTFunction="SIGMOID"))
    expected = 1.0 / (1.0 + np.exp(-4.0 * (RAMP.astype(np.float64) - 2000.0) / 1000.0))
    assert_close(record.display(), expected, "SIGMOID window")


def test_presentation_lut_inverse_on_monochrome2_inverts(make_dicom: Any) -> None:
    record = load_image(
        make_dicom(RAMP, WindowCenter="2048", WindowWidth="4096", PresentationLUTShape="INVERSE")
    )
    assert record.invert
    assert record.render()[0, 0] == 255  # stored 0 -> white


def test_monochrome1_without_window_is_inverted_after_the_auto_window(make_dicom: Any) -> None:
    record = load_image(make_dicom(RAMP, photometric="MONOCHROME1", bits_stored=12))
    assert record.invert
    window = record.default_voi
    assert isinstance(window, Window)
    assert window.name == "Auto"
    expected = 1.0 - np.clip((RAMP - window.center) / window.width + 0.5, 0, 1)
    assert_close(record.display(), expected, "auto window, inverted")


def test_rgb_dicom_is_colour_and_model_input_is_its_luma(make_dicom: Any) -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    record = load_image(make_dicom(rgb))
    assert record.is_color
    np.testing.assert_array_equal(record.render(), rgb)
    luma = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    assert np.abs(record.model_input.astype(float) - luma).max() <= GREY_LEVEL


def test_ybr_full_is_converted_to_rgb(make_dicom: Any) -> None:
    ybr = np.zeros((4, 4, 3), dtype=np.uint8)
    ybr[..., 0] = 76  # pure red in YCbCr (Y 76, Cb 85, Cr 255)
    ybr[..., 1] = 85
    ybr[..., 2] = 255
    record = load_image(make_dicom(ybr, photometric="YBR_FULL"))
    red, green, blue = record.pixels[0, 0]
    assert red > 240
    assert green < 15
    assert blue < 15


def test_functional_group_spacing_and_window(make_dicom: Any) -> None:
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    measures = Dataset()
    measures.PixelSpacing = ["0.1", "0.2"]
    voi = Dataset()
    voi.WindowCenter = "100"
    voi.WindowWidth = "50"
    shared = Dataset()
    shared.PixelMeasuresSequence = Sequence([measures])
    shared.FrameVOILUTSequence = Sequence([voi])
    record = load_image(make_dicom(RAMP, SharedFunctionalGroupsSequence=Sequence([shared])))
    assert record.spacing_mm == (0.1, 0.2)
    assert isinstance(record.default_voi, Window)
    assert record.default_voi.center == 100.0


def test_imager_pixel_spacing_is_used_when_pixel_spacing_is_zero(make_dicom: Any) -> None:
    record = load_image(make_dicom(RAMP, PixelSpacing=["0", "0"], ImagerPixelSpacing=["0.15", "0.15"]))
    assert record.spacing_mm == (0.15, 0.15)
    assert record.spacing_source == "Imager Pixel Spacing"


# --- errors -------------------------------------------------------------------------------------------------


def _j2k_with_fragment(tmp_path: Path, fragment: bytes) -> Path:
    ds = pydicom.dcmread(DICOM_DIR / "RG1_J2KI.dcm")
    ds.PixelData = encapsulate([fragment])
    out = tmp_path / "damaged.dcm"
    ds.save_as(out)
    return out


def test_damaged_jpeg2000_codestream_is_reported_in_plain_words(tmp_path: Path) -> None:
    ds = pydicom.dcmread(DICOM_DIR / "RG1_J2KI.dcm")
    codestream = get_frame(ds.PixelData, 0, number_of_frames=1)
    path = _j2k_with_fragment(tmp_path, codestream[: len(codestream) // 3])
    with pytest.raises(ImageLoadError, match="JPEG 2000 codestream is damaged") as info:
        load_image(path)
    assert info.value.message.startswith(str(path))


def test_missing_codec_names_the_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    class _Unavailable:
        is_available = False
        missing_dependencies = ("pylibjpeg - requires pylibjpeg and pylibjpeg-openjpeg",)

    monkeypatch.setattr(dicom_module, "get_decoder", lambda uid: _Unavailable())
    with pytest.raises(
        ImageLoadError, match="needs plugin: pylibjpeg - requires pylibjpeg and pylibjpeg-openjpeg"
    ):
        load_image(DICOM_DIR / "RG1_J2KI.dcm")


def test_unsupported_transfer_syntax(make_dicom: Any, tmp_path: Path) -> None:
    ds = pydicom.dcmread(make_dicom(RAMP))
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2
    ds.PixelData = encapsulate([b"\x00" * 64])
    ds.save_as(tmp_path / "mpeg.dcm")
    with pytest.raises(ImageLoadError, match=r"MPEG2 .* is not supported"):
        load_image(tmp_path / "mpeg.dcm")


def test_truncated_pixel_data(make_dicom: Any, tmp_path: Path) -> None:
    data = make_dicom(RAMP).read_bytes()
    (tmp_path / "cut.dcm").write_bytes(data[: len(data) - 1000])
    with pytest.raises(ImageLoadError, match="truncated"):
        load_image(tmp_path / "cut.dcm")


def test_dicom_without_pixels_and_dicomdir_are_refused(make_dicom: Any, tmp_path: Path) -> None:
    ds = pydicom.dcmread(make_dicom(RAMP))
    del ds.PixelData
    del ds.Rows
    del ds.Columns
    ds.save_as(tmp_path / "sr.dcm")
    with pytest.raises(ImageLoadError, match="contains no image"):
        load_image(tmp_path / "sr.dcm")
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.1.3.10"
    ds.save_as(tmp_path / "DICOMDIR")
    with pytest.raises(ImageLoadError, match="DICOMDIR"):
        load_image(tmp_path / "DICOMDIR")


def test_huge_dimensions_are_refused_before_decoding(make_dicom: Any, tmp_path: Path) -> None:
    ds = pydicom.dcmread(make_dicom(RAMP))
    ds.Rows = 10000
    ds.Columns = 10000
    ds.save_as(tmp_path / "huge.dcm")
    with pytest.raises(ImageLoadError, match="megapixel limit"):
        load_image(tmp_path / "huge.dcm")
    assert MAX_PIXELS < 10000 * 10000


def test_jpeg2000_lossless_round_trip(make_dicom: Any, tmp_path: Path) -> None:
    ds = pydicom.dcmread(make_dicom(RAMP, bits_stored=12))
    ds.compress("1.2.840.10008.1.2.4.90")
    ds.save_as(tmp_path / "j2k.dcm")
    record = load_image(tmp_path / "j2k.dcm")
    np.testing.assert_array_equal(record.pixels, RAMP.astype(np.float32))
    assert record.pipeline[0].startswith("decoded JPEG 2000 data")


def test_explicit_big_endian(make_dicom: Any, tmp_path: Path) -> None:
    from pydicom.filewriter import dcmwrite

    ds = pydicom.dcmread(make_dicom(RAMP, bits_stored=12))
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.2"
    ds.PixelData = RAMP.byteswap().tobytes()  # big-endian words on disk
    ds.RescaleSlope = "2"
    dcmwrite(tmp_path / "be.dcm", ds, little_endian=False, implicit_vr=False, force_encoding=True)
    record = load_image(tmp_path / "be.dcm")
    np.testing.assert_array_equal(record.pixels, RAMP.astype(np.float32) * 2.0)
    assert "Big Endian" in record.metadata["transfer_syntax"]
