"""DICOM files to :class:`ImageRecord`: decode (pydicom 3 + pylibjpeg plugins), then the PS3.3 C.11 pipeline.

Order of operations, as the standard defines it and as a PACS viewer shows it:

1. decode the stored values of one frame (pydicom handles bits stored, signed pixels, YBR -> RGB); colour
   deeper than 8 bits is scaled from its stored range 0..2**BitsStored - 1 to 0..255 (8-bit colour as is);
2. Modality LUT: the Modality LUT Sequence if present, else Rescale Slope/Intercept;
3. VOI: VOI LUT Sequence preferred, else Window Center/Width (every listed preset is kept, LINEAR /
   LINEAR_EXACT / SIGMOID), else, for 8 stored bits or fewer, the whole stored range black to white (the
   standard's default without VOI), else an automatic percentile window. Non-finite modality values (float
   pixel data, an overflowing rescale) are given the finite minimum (NaN, -inf) or maximum (+inf) first, so
   no window statistic ever sees them; an image with no finite value is refused;
4. MONOCHROME1 (or Presentation LUT Shape INVERSE) inversion **after** VOI. pydicom never inverts MONOCHROME1
   by itself, so forgetting this step shows a chest film as a negative.

Failure policy: every problem becomes :class:`ImageLoadError` with a plain-words reason ("JPEG 2000 codestream
is damaged", "transfer syntax X needs plugin Y"). Compressed syntaxes are checked against the installed
decoders *before* decoding, and the size is checked before any pixel buffer is allocated.
"""

from __future__ import annotations

import io
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels import apply_color_lut, get_decoder, pixel_array
from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.imaging import dicom_meta as meta
from carzero_viewer.imaging.budget import check_codestreams, check_deflated, check_frames
from carzero_viewer.imaging.model_input import RULE_DICOM, content_hash, render_model_input
from carzero_viewer.imaging.record import ImageRecord, SourceFormat, finite_pixels
from carzero_viewer.imaging.voi import (
    FloatArray,
    VoiFunction,
    VoiPreset,
    Window,
    apply_lut,
    apply_rescale,
    auto_window,
    span_window,
)

DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
COLOUR_PHOTOMETRICS = frozenset(
    {
        "RGB",
        "YBR_FULL",
        "YBR_FULL_422",
        "YBR_PARTIAL_420",
        "YBR_PARTIAL_422",
        "YBR_ICT",
        "YBR_RCT",
        "PALETTE COLOR",
    }
)
PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


def _family(syntax: UID) -> str:
    """Plain name of the compression used, for error messages."""
    name = (getattr(syntax, "name", "") or str(syntax)).lower()
    families = (
        ("high-throughput", "HTJ2K"),
        ("jpeg 2000", "JPEG 2000"),
        ("jpeg-ls", "JPEG-LS"),
        ("jpeg", "JPEG"),
        ("rle", "RLE"),
        ("deflate", "deflated"),
    )
    return next((family for key, family in families if key in name), "pixel")


def _short(exc: BaseException) -> str:
    """First line of an exception message, bounded, for a one-line user message."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return first if len(first) <= 120 else first[:117] + "..."


def read_dataset(path: Path) -> Dataset:
    """Parse the DICOM header and elements (pixel data stays encoded until decoded).

    Raises:
        ImageLoadError: not DICOM, truncated or damaged header.
    """
    try:
        # Parse from memory: a damaged length field then yields a short read instead of a multi-GB allocation
        # (reading a real file asks the OS for the declared length up front).
        data = path.read_bytes()
        check_deflated(data, path)
        return pydicom.dcmread(io.BytesIO(data), force=True)
    except ImageLoadError:
        raise
    except InvalidDicomError as exc:
        raise ImageLoadError(f"not a valid DICOM file ({_short(exc)})", path) from exc
    except (EOFError, OSError) as exc:
        raise ImageLoadError(f"DICOM file is truncated or unreadable ({_short(exc)})", path) from exc
    except MemoryError as exc:
        raise ImageLoadError("DICOM header declares absurd element lengths (out of memory)", path) from exc
    except Exception as exc:
        raise ImageLoadError(f"DICOM header is damaged ({type(exc).__name__}: {_short(exc)})", path) from exc


def _check_codec(ds: Dataset, path: Path) -> UID:
    """Fail early, with the plugin to install, when no decoder can handle the transfer syntax."""
    file_meta = getattr(ds, "file_meta", None)
    syntax_value = file_meta.get("TransferSyntaxUID") if file_meta is not None else None
    if syntax_value:
        syntax = UID(str(syntax_value))
    else:
        # Preamble-less (ACR-NEMA style) file: the encoding pydicom detected while parsing is the syntax.
        implicit, little = getattr(ds, "original_encoding", (True, True))
        if implicit is False:
            syntax = ExplicitVRLittleEndian if little is not False else ExplicitVRBigEndian
        else:
            syntax = ImplicitVRLittleEndian
        if file_meta is None:
            ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = syntax
    if not syntax.is_valid or not syntax.is_transfer_syntax:
        raise ImageLoadError(f"unknown transfer syntax {syntax}", path)
    try:
        decoder = get_decoder(syntax)
    except NotImplementedError as exc:
        raise ImageLoadError(f"transfer syntax {syntax.name} ({syntax}) is not supported", path) from exc
    if not decoder.is_available:
        needs = "; ".join(decoder.missing_dependencies) or "a decoding plugin"
        raise ImageLoadError(f"transfer syntax {syntax.name} needs plugin: {needs}", path)
    return syntax


def _dimensions(ds: Dataset, path: Path, syntax: UID, frame: int) -> tuple[int, int, int]:
    """(rows, columns, frames), checked against the pixel budget and the codestreams before decoding."""
    rows = int(meta.first_float(ds.get("Rows"), 0))
    columns = int(meta.first_float(ds.get("Columns"), 0))
    frames = max(int(meta.first_float(ds.get("NumberOfFrames"), 1)), 1)
    check_frames(rows, columns, frames, path)
    samples = int(meta.first_float(ds.get("SamplesPerPixel"), 1))
    if samples not in (1, 3):
        raise ImageLoadError(f"Samples per Pixel {samples} is not supported (expected 1 or 3)", path)
    if not 0 <= frame < frames:
        raise ImageLoadError(f"frame {frame} does not exist (the file has {frames} frame(s))", path)
    check_codestreams(ds, syntax, path, rows, columns, samples, frames, frame)
    return rows, columns, frames


def _decode(ds: Dataset, path: Path, syntax: UID, frame: int) -> np.ndarray:
    """Stored values of one frame: (H, W) or (H, W, 3)."""
    try:
        arr = pixel_array(ds, index=frame)
    except MemoryError as exc:
        raise ImageLoadError("not enough memory to decode the pixel data", path) from exc
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        # BaseException on purpose: Rust-based plugins (pylibjpeg-rle) report a damaged stream as a pyo3
        # PanicException, which does not derive from Exception.
        detail = _short(exc)
        plugin_lines = [line.strip() for line in str(exc).splitlines()[1:] if line.strip()]
        if "plugins" in detail and plugin_lines:
            # pydicom lists one failure per plugin; the first (pylibjpeg when installed) is informative.
            detail = plugin_lines[0][:120]
        if syntax.is_compressed:
            reason = f"{_family(syntax)} codestream is damaged ({detail})"
        elif "length" in detail.lower() or "expected" in detail.lower():
            reason = f"pixel data is truncated or has the wrong length ({detail})"
        else:
            reason = f"pixel data cannot be decoded ({type(exc).__name__}: {detail})"
        raise ImageLoadError(reason, path) from exc
    return np.asarray(arr)


def _colour(ds: Dataset, arr: np.ndarray, photometric: str, steps: list[str]) -> FloatArray:
    """RGB float32 in 0..255 from any colour photometric interpretation (pydicom converted YBR already)."""
    if photometric == "PALETTE COLOR":
        arr = np.asarray(apply_color_lut(arr, ds))
        steps.append("PALETTE COLOR -> RGB through the palette LUTs")
    elif photometric.startswith("YBR"):
        steps.append(f"{photometric} -> RGB (pydicom colour conversion)")
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise ValueError(f"colour pixel array has shape {arr.shape}")
    if arr.dtype.itemsize == 1:
        return arr.astype(np.float32)
    # Deeper colour: the stored range 0..2**bits - 1 maps linearly onto 0..255, the rule a grey image without
    # VOI gets (see _stored_range). Palette LUT entries are 16-bit words. Computed in float64 because
    # 2**32 - 1 is not exact in float32; a Bits Stored the values exceed is ignored for the container's depth.
    container = 8 * arr.dtype.itemsize
    bits = 16 if photometric == "PALETTE COLOR" else int(meta.first_float(ds.get("BitsStored"), container))
    bits = max(1, min(bits, container))
    if int(arr.max()) > 2**bits - 1:
        steps.append(f"colour values exceed Bits Stored {bits}; the {container}-bit range is used")
        bits = container
    maximum = float(2**bits - 1)
    steps.append(f"colour scaled from 0..{maximum:.0f} to 0..255")
    return (arr.astype(np.float64) * (255.0 / maximum)).astype(np.float32)


def _modality(ds: Dataset, stored: np.ndarray, frame: int, steps: list[str], notes: list[str]) -> FloatArray:
    """Stored values -> modality values (Modality LUT Sequence, else rescale)."""
    if int(meta.first_float(ds.get("PixelRepresentation"), 0)) == 1:
        steps.append("signed stored values (Pixel Representation 1)")
    lut = meta.modality_lut(ds, notes)
    if lut is not None:
        first, table = lut
        steps.append(f"Modality LUT Sequence ({table.size} entries, first mapped {first})")
        return apply_lut(stored, first, table)
    slope, intercept = _rescale(ds, frame, notes)
    if slope != 1.0 or intercept != 0.0:
        steps.append(f"Modality LUT: rescale slope {slope:g}, intercept {intercept:g}")
    else:
        steps.append("Modality LUT: identity (slope 1, intercept 0)")
    return apply_rescale(stored, slope, intercept)


def _rescale(ds: Dataset, frame: int, notes: list[str]) -> tuple[float, float]:
    """(Rescale Slope, Rescale Intercept) for ``frame``; a zero slope is replaced by 1 and noted."""
    slope = meta.first_float(meta.lookup(ds, "RescaleSlope", frame), 1.0)
    intercept = meta.first_float(meta.lookup(ds, "RescaleIntercept", frame), 0.0)
    if slope == 0.0:
        notes.append("Rescale Slope 0 ignored (would flatten the image); slope 1 used")
        slope = 1.0
    return slope, intercept


def _inversion(ds: Dataset, photometric: str, frame: int, steps: list[str]) -> bool:
    """Whether to invert after VOI (MONOCHROME1, or Presentation LUT Shape INVERSE on MONOCHROME2).

    A MONOCHROME1 file that says IDENTITY is a labelling error far more often than a request for a negative,
    so Photometric Interpretation wins and the contradiction is noted.
    """
    shape = meta.text(meta.lookup(ds, "PresentationLUTShape", frame)).upper()
    if photometric == "MONOCHROME1":
        if shape == "INVERSE":
            steps.append(
                "MONOCHROME1 -> inverted after VOI (Presentation LUT Shape INVERSE agrees; inverted once)"
            )
        elif shape == "IDENTITY":
            steps.append(
                "MONOCHROME1 -> inverted after VOI (Presentation LUT Shape IDENTITY contradicts it, ignored)"
            )
        else:
            steps.append("MONOCHROME1 -> inverted after VOI")
        return True
    if shape == "INVERSE":
        steps.append(f"{photometric} with Presentation LUT Shape INVERSE -> inverted after VOI")
        return True
    steps.append(f"{photometric}: no inversion")
    return False


def _grey_presets(
    ds: Dataset, values: FloatArray, frame: int, steps: list[str], notes: list[str]
) -> tuple[tuple[VoiPreset, ...], VoiPreset]:
    """All VOI presets (VOI LUTs, windows, Auto) and the default one, recording the choice."""
    luts = meta.voi_luts(ds, notes)
    wins = meta.windows(ds, frame, notes)
    padding = meta.floats(ds.get("PixelPaddingValue"))
    auto = auto_window(values, padding[0] if padding else None)
    presets: tuple[VoiPreset, ...] = (*luts, *wins, auto)
    if luts:
        default: VoiPreset = luts[0]
        steps.append(f"VOI: VOI LUT Sequence '{luts[0].name}' ({luts[0].table.size} entries)")
        if wins:
            steps.append(f"({len(wins)} window preset(s) also available)")
    elif wins:
        default = wins[0]
        steps.append(f"VOI: window from file, {wins[0].label()}")
    elif (stored := _stored_range(ds, values, frame)) is not None:
        default = stored
        presets = (default, *presets)
        steps.append(
            f"VOI: no window in file, the {stored.name.lower()} {stored.low:g}..{stored.high:g} "
            "shown in full (the DICOM default without VOI)"
        )
    else:
        default = auto
        steps.append(
            f"VOI: no window in file -> automatic window {auto.label()} (1st-99th percentile, exposed field)"
        )
    return presets, default


def _stored_range(ds: Dataset, values: FloatArray, frame: int) -> Window | None:
    """The window spanning the whole stored range, for images of 8 bits or fewer that carry no VOI.

    Without VOI attributes the standard sends the Modality LUT output straight to the Presentation LUT, which
    spans the full range the Bits Stored allow: 0..2**n - 1 (signed: -2**(n-1)..2**(n-1) - 1), through the
    rescale. For 8 bits this keeps a secondary capture or a converted PNG/JPEG exactly as stored (so the SIIM
    DICOM gives the same model input as its NIH PNG); below 8 bits it shows a 1-bit mask or a 7-bit image
    black-to-white instead of almost black. Deeper images keep the automatic window, which is far more useful
    on a 12-bit radiograph than its nominal range. None when the rule does not apply: more than 8 bits, a
    Modality LUT Sequence (whose output range is the LUT's, not the stored one), or values outside the
    declared range (the header is wrong, so the data decide).
    """
    bits = int(meta.first_float(ds.get("BitsStored"), 16))
    if not 1 <= bits <= 8 or "ModalityLUTSequence" in ds:
        return None
    signed = int(meta.first_float(ds.get("PixelRepresentation"), 0)) == 1
    first, last = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    # The same float32 rescale as the pixels, so the ends compare exactly with the modality values.
    ends = apply_rescale(np.array([first, last]), *_rescale(ds, frame, []))
    low, high = sorted(float(v) for v in ends)
    if float(values.min()) < low or float(values.max()) > high:
        return None
    return span_window(low, high, "Stored values" if bits == 8 else f"{bits}-bit stored range")


def load_dicom(path: Path, frame: int = 0) -> ImageRecord:
    """Load one frame of a DICOM file into a display- and model-ready record.

    Raises:
        ImageLoadError: for every file that cannot be shown correctly, with the reason.
    """
    ds = read_dataset(path)
    if meta.text(ds.get("MediaStorageSOPClassUID") or ds.get("SOPClassUID")) == DICOMDIR_SOP_CLASS or (
        "DirectoryRecordSequence" in ds
    ):
        raise ImageLoadError("is a DICOMDIR (a study index); open its folder instead", path)
    if not any(k in ds for k in PIXEL_KEYWORDS):
        if "Rows" in ds and "Columns" in ds:
            raise ImageLoadError("image data is missing: the file is probably truncated", path)
        sop = meta.text(ds.get("SOPClassUID")) or "unknown SOP class"
        raise ImageLoadError(f"DICOM file contains no image (no Pixel Data; {sop})", path)
    syntax = _check_codec(ds, path)
    rows, columns, frames = _dimensions(ds, path, syntax, frame)
    photometric = meta.text(ds.get("PhotometricInterpretation")).upper() or "MONOCHROME2"
    steps: list[str] = [f"decoded {_family(syntax)} data ({syntax.name})"]
    if frames > 1:
        steps.append(f"frame {frame + 1} of {frames}")
    notes: list[str] = []
    arr = _decode(ds, path, syntax, frame)
    if arr.ndim == 3 and arr.shape[-1] == 3 and photometric in COLOUR_PHOTOMETRICS - {"PALETTE COLOR"}:
        pixels = _colour(ds, arr, photometric, steps)
        default: VoiPreset = Window(127.5, 255.0, VoiFunction.LINEAR_EXACT, "Full range")
        presets: tuple[VoiPreset, ...] = (default,)
        invert = False
    elif photometric == "PALETTE COLOR" and arr.ndim == 2:
        pixels = _colour(ds, arr, photometric, steps)
        default = Window(127.5, 255.0, VoiFunction.LINEAR_EXACT, "Full range")
        presets = (default,)
        invert = False
    elif arr.ndim == 2 and photometric in ("MONOCHROME1", "MONOCHROME2"):
        values = finite_pixels(_modality(ds, arr, frame, steps, notes), path, notes)
        presets, default = _grey_presets(ds, values, frame, steps, notes)
        invert = _inversion(ds, photometric, frame, steps)
        pixels = values
    else:
        raise ImageLoadError(
            f"Photometric Interpretation {photometric} with pixel array shape {arr.shape} is not supported",
            path,
        )
    if pixels.shape[:2] != (rows, columns):
        raise ImageLoadError(
            f"decoded size {pixels.shape[:2]} does not match Rows/Columns {rows}x{columns}", path
        )
    spacing, spacing_source = meta.pixel_spacing(ds, frame, notes)
    model_input = render_model_input(pixels, default, invert)
    voi_label = default.label()
    inversion = "MONOCHROME1/INVERSE inverted" if invert else "no inversion"
    pixels = np.ascontiguousarray(pixels, dtype=np.float32)
    pixels.setflags(write=False)
    model_input.setflags(write=False)
    return ImageRecord(
        path=path,
        source_format=SourceFormat.DICOM,
        pixels=pixels,
        presets=presets,
        default_voi=default,
        invert=invert,
        spacing_mm=spacing,
        spacing_source=spacing_source,
        frame=frame,
        frame_count=frames,
        metadata=MappingProxyType(meta.phi_free_metadata(ds, rows, columns, frames, frame)),
        pipeline=tuple(steps + [f"note: {n}" for n in notes]),
        model_input=model_input,
        model_input_rule=RULE_DICOM.format(voi=voi_label, inversion=inversion),
        content_hash=content_hash(model_input, frame),
    )
