"""Peer conformance: pydicom's own image files, rendered by our loader and by a reference from pydicom's API.

The corpus is every image-bearing DICOM shipped inside the installed pydicom wheel: the folder
``pydicom/data/test_files`` as installed (files present offline only; pydicom's download manager is never
called). For each file holding Pixel Data / Float Pixel Data, frame 0 is rendered to 8 bits twice:

* ours: ``load_image(path).render()`` (the default VOI, inversion, ``rint(255 * v)``);
* the reference: ``pixel_array`` -> ``apply_modality_lut`` -> ``apply_voi_lut`` (first VOI LUT item, else the
  first window) -> MONOCHROME1 / Presentation LUT Shape INVERSE inversion -> the VOI output range mapped onto
  0..255 and rounded. That range is the one pydicom's windowing maps onto (``y_min..y_max``), read back by
  windowing two sentinel values far below and far above the window. A grey file without VOI gets the
  standard's default: the whole stored range (through the modality LUT) black to white. Colour: pydicom's RGB
  (palette through ``apply_color_lut``), deeper than 8 bits scaled from ``0..2**BitsStored - 1`` (palette:
  16-bit entries) to 0..255, the rule our loader documents.

Each file is then *bit-identical*, an *explained difference* (listed below with the reason and the largest
difference allowed), or *legitimately refused* (our ImageLoadError, listed with its reason, and pydicom's own
pipeline cannot render it either). Anything else fails: an unlisted difference, an unexpected exception, a
refusal of a file pydicom renders, or a listed file that disappeared from the wheel.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pydicom
import pydicom.data
import pytest
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_voi_lut, pixel_array
from pydicom.valuerep import DSfloat

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.imaging import Window, load_image

CORPUS = Path(pydicom.data.__file__).resolve().parent / "test_files"
PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
SENTINEL = 1e300  # far outside any window: windowing maps -SENTINEL to y_min and +SENTINEL to y_max


@dataclass(frozen=True)
class Explained:
    """A known difference from the reference.

    Attributes:
        reason: why our rendering differs (the test data a reviewer reads).
        our_window: the file has no VOI and ours is the automatic window: compare with the reference run with
            our window injected as its Window Center/Width, so modality, windowing, inversion and rounding
            are still checked against pydicom.
        max_diff: largest allowed absolute difference in 8-bit levels.
    """

    reason: str
    our_window: bool = False
    max_diff: int = 0


AUTO = (
    "no VOI in the file and more than 8 stored bits: ours is the automatic window (1st-99th percentile of the "
    "exposed field) where the standard's default maps the whole stored range"
)

EXPLAINED: dict[str, Explained] = {
    "CT_small.dcm": Explained(AUTO, our_window=True),
    "JPEG2000.dcm": Explained(AUTO, our_window=True),
    "JPEGLSNearLossless_16.dcm": Explained(AUTO, our_window=True),
    "JPGExtended.dcm": Explained(AUTO, our_window=True),
    "rtdose.dcm": Explained(AUTO, our_window=True),
    "rtdose_1frame.dcm": Explained(AUTO, our_window=True),
    "rtdose_expb.dcm": Explained(AUTO, our_window=True),
    "rtdose_expb_1frame.dcm": Explained(AUTO, our_window=True),
    "rtdose_rle.dcm": Explained(AUTO, our_window=True),
    "rtdose_rle_1frame.dcm": Explained(AUTO, our_window=True),
}

# file -> (regex our one-line reason must match, why refusing is right).
REFUSED: dict[str, tuple[str, str]] = {
    "JPEG-lossy.dcm": (r"JPEG codestream is damaged", "its JPEG stream has a misplaced marker segment"),
    "JPEG2000-embedded-sequence-delimiter.dcm": (
        r"codestream header cannot be read \(JPEG 2000 SIZ declares [\d,]+ tiles",
        "the fragment's SIZ header is not a valid JPEG 2000 header (refused before decoding)",
    ),
    "MR_truncated.dcm": (r"truncated", "Pixel Data is 62 bytes shorter than Rows x Columns x 2"),
    "badVR.dcm": (r"cannot be decoded", "an image attribute holds '1A' where an integer is required"),
    "meta_missing_tsyntax.dcm": (
        r"image size 0x0",
        "Pixel Data without Rows/Columns (and no transfer syntax)",
    ),
    "nested_priv_SQ.dcm": (r"image size 0x0", "Pixel Data inside a private sequence; no image attributes"),
}


def _dicom_files() -> Iterator[tuple[str, bool]]:
    """(name relative to the corpus, holds pixel data) for every file pydicom parses as DICOM."""
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file()):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(path, defer_size=1024)
        except Exception:
            continue  # not DICOM (json, dumps, ICC profile, README, gzip): not part of the corpus
        yield path.relative_to(CORPUS).as_posix(), any(keyword in ds for keyword in PIXEL_KEYWORDS)


_ALL = list(_dicom_files())
IMAGE_FILES = [name for name, is_image in _ALL if is_image]
OTHER_FILES = [name for name, is_image in _ALL if not is_image]


# --- the reference ---------------------------------------------------------------------------------------------


def _read(name: str) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(CORPUS / name)


def _inject_window(ds: Dataset, center: float, width: float, function: str) -> None:
    ds.WindowCenter = DSfloat(center, auto_format=True)  # keeps the full float value, formats the string
    ds.WindowWidth = DSfloat(width, auto_format=True)
    ds.VOILUTFunction = function


def _standard_default_window(ds: Dataset) -> tuple[float, float]:
    """No VOI attributes: the modality LUT output over the whole stored range, black to white."""
    bits = int(ds.BitsStored)
    signed = int(ds.get("PixelRepresentation", 0)) == 1
    stored = np.array([-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] if signed else [0, 2**bits - 1])
    low, high = sorted(float(v) for v in apply_modality_lut(stored, ds))
    return (low + high) / 2.0, high - low


def _grey_reference(ds: Dataset, stored: np.ndarray) -> npt.NDArray[np.uint8]:
    assert "VOILUTSequence" not in ds, "a VOI LUT file: extend the reference with its descriptor's range"
    values = np.asarray(apply_modality_lut(stored, ds), dtype=np.float64)
    padded = np.concatenate([values.ravel(), [-SENTINEL, SENTINEL]])
    with np.errstate(over="ignore"):  # SIGMOID's exp() of the sentinels
        out = np.asarray(apply_voi_lut(padded, ds, index=0), dtype=np.float64)
    y_min, y_max = out[-2], out[-1]
    normalised = ((out[:-2] - y_min) / (y_max - y_min)).reshape(values.shape)
    shape = str(ds.get("PresentationLUTShape", "")).upper()
    if ds.PhotometricInterpretation == "MONOCHROME1" or shape == "INVERSE":
        normalised = 1.0 - normalised
    rendered: npt.NDArray[np.uint8] = np.rint(np.clip(normalised, 0.0, 1.0) * 255.0).astype(np.uint8)
    return rendered


def _colour_reference(ds: Dataset, stored: np.ndarray) -> npt.NDArray[np.uint8]:
    rgb = (
        np.asarray(apply_color_lut(stored, ds)) if ds.PhotometricInterpretation == "PALETTE COLOR" else stored
    )
    if rgb.dtype.itemsize == 1:
        return rgb.astype(np.uint8)
    bits = 16 if ds.PhotometricInterpretation == "PALETTE COLOR" else int(ds.BitsStored)
    scaled: npt.NDArray[np.uint8] = np.rint(rgb.astype(np.float64) * 255.0 / (2**bits - 1)).astype(np.uint8)
    return scaled


def reference_render(ds: Dataset, window: Window | None = None) -> npt.NDArray[np.uint8]:
    """Frame 0 of ``ds`` in 8 bits by pydicom's pipeline; ``window`` replaces the file's VOI when given."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stored = np.asarray(pixel_array(ds, index=0))
    if ds.PhotometricInterpretation not in ("MONOCHROME1", "MONOCHROME2"):
        return _colour_reference(ds, stored)
    if window is not None:
        _inject_window(ds, window.center, window.width, window.function.value)
    elif "WindowCenter" not in ds and "VOILUTSequence" not in ds:
        _inject_window(ds, *_standard_default_window(ds), "LINEAR_EXACT")
    return _grey_reference(ds, stored)


# --- the corpus ------------------------------------------------------------------------------------------------


def test_the_corpus_is_the_installed_wheel_and_the_lists_match_it() -> None:
    assert len(IMAGE_FILES) >= 80, f"pydicom's test files not found under {CORPUS}"
    missing = sorted((set(EXPLAINED) | set(REFUSED)) - set(IMAGE_FILES))
    assert not missing, f"listed files not in the installed pydicom wheel: {missing}"
    assert not set(EXPLAINED) & set(REFUSED)


@pytest.mark.parametrize("name", IMAGE_FILES)
def test_image_file_matches_the_pydicom_reference(name: str) -> None:
    path = CORPUS / name
    if name in REFUSED:
        pattern, _why = REFUSED[name]
        with pytest.raises(ImageLoadError) as info:
            load_image(path)
        assert re.search(pattern, info.value.message), info.value.message
        with pytest.raises(Exception):  # noqa: B017 - pydicom fails in its own way; we only need "it fails"
            reference_render(_read(name))
        return
    record = load_image(path)
    ours = record.render()
    explained = EXPLAINED.get(name)
    window = record.default_voi if explained is not None and explained.our_window else None
    assert window is None or isinstance(window, Window)
    reference = reference_render(_read(name), window)
    assert ours.shape == reference.shape
    diff = int(np.abs(ours.astype(np.int16) - reference.astype(np.int16)).max())
    allowed = explained.max_diff if explained is not None else 0
    assert diff <= allowed, (
        f"{name}: differs from pydicom by up to {diff} levels ({np.mean(ours != reference):.1%})"
    )


@pytest.mark.parametrize("name", OTHER_FILES)
def test_dicom_without_an_image_is_refused_in_one_line(name: str) -> None:
    with pytest.raises(ImageLoadError, match=r"no image|DICOMDIR|not a recognised image format"):
        load_image(CORPUS / name)


def test_corpus_counts() -> None:
    """The counts the issue asks for; each file's class is asserted by the parametrised test above."""
    refused = sum(name in REFUSED for name in IMAGE_FILES)
    explained = sum(name in EXPLAINED for name in IMAGE_FILES)
    identical = len(IMAGE_FILES) - refused - explained
    print(
        f"pydicom {pydicom.__version__} corpus: {len(IMAGE_FILES)} image-bearing files "
        f"({len(OTHER_FILES)} other DICOM files refused as 'no image'): {identical} bit-identical, "
        f"{explained} explained, {refused} refused"
    )
    assert identical + explained + refused == len(IMAGE_FILES)
