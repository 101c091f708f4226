"""The DICOM grey-level pipeline as pure numpy functions: modality LUT -> VOI -> presentation (inversion).

Why a separate, file-format-free module: the grey levels a radiologist sees are defined by PS3.3 C.11
(Modality LUT, VOI LUT, Presentation LUT) and must be testable on hand-built arrays, without pydicom, Qt or a
file on disk. Everything here maps arrays to arrays; the DICOM reader only extracts the parameters.

Value spaces:
    * stored values: what the decoder returns (signed or unsigned integers);
    * modality values: after the Modality LUT (rescale slope/intercept or LUT sequence), float32; these are
      the "pixels" of an :class:`~carzero_viewer.imaging.record.ImageRecord` and what window/level acts on;
    * normalised display values: float32 in [0, 1] after VOI, 0 = black, 1 = white, *after* the MONOCHROME1 /
      INVERSE inversion (inversion comes after VOI, as C.11 orders the transforms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

# Auto window: percentiles of the values inside the exposed field (see auto_window).
AUTO_LOW_PERCENTILE = 1.0
AUTO_HIGH_PERCENTILE = 99.0
# At most this many samples feed the percentile computation (a strided subsample keeps it fast on big images).
AUTO_MAX_SAMPLES = 1_000_000
# Window values of non-integer data are shown with this many significant digits: enough to tell two windows
# apart on a 16-bit range, few enough to read at a glance ("C 223.2 / W 567.5", not "C 223.22 / W 567.513").
LEVEL_SIGNIFICANT_DIGITS = 4


class VoiFunction(StrEnum):
    """VOI LUT Function (0028,1056); LINEAR is the DICOM default when the attribute is absent."""

    LINEAR = "LINEAR"
    LINEAR_EXACT = "LINEAR_EXACT"
    SIGMOID = "SIGMOID"


@dataclass(frozen=True)
class Window:
    """A window center/width preset (PS3.3 C.11.2.1.2) acting on modality values.

    Attributes:
        center: Window Center in modality units.
        width: Window Width in modality units (> 0; >= 1 for LINEAR, enforced by the constructor helpers).
        function: how values inside the window are mapped.
        name: human-readable label (Window Center & Width Explanation, "Auto", "Full range", ...).
    """

    center: float
    width: float
    function: VoiFunction = VoiFunction.LINEAR
    name: str = ""

    def __post_init__(self) -> None:
        # A NaN or infinite window renders every pixel as NaN (then an arbitrary byte) and shows "C nan" in
        # the UI; refusing it here makes "never a non-finite window" a property of the type, not of callers.
        if not (math.isfinite(self.center) and math.isfinite(self.width)):
            raise ValueError(f"window center/width must be finite, got C {self.center} / W {self.width}")

    @property
    def low(self) -> float:
        """Lowest modality value mapped above black (the "min level" a viewer's level slider shows)."""
        return self.center - self.width / 2.0

    @property
    def high(self) -> float:
        """Highest modality value mapped below white."""
        return self.center + self.width / 2.0

    def label(self, integer_data: bool = False) -> str:
        """Short text for menus, the levels readout and the ``inspect`` output (see :func:`format_level`)."""
        base = window_text(self.center, self.width, integer_data)
        extra = "" if self.function is VoiFunction.LINEAR else f" {self.function.value}"
        return f"{self.name}: {base}{extra}" if self.name else base + extra


def format_level(value: float, integer_data: bool = False) -> str:
    """One window value (centre or width) as a radiologist reads it.

    Integer data (8/16-bit stored values with an integer rescale) is shown as a whole number, rounded half up;
    anything else with :data:`LEVEL_SIGNIFICANT_DIGITS` significant digits in fixed notation (never an exponent;
    trailing zeros dropped), so a dragged window reads "223.2", not "223.22" or "2.232e+02".
    """
    if integer_data:
        return str(math.floor(value + 0.5))
    if value == 0.0:
        return "0"
    decimals = max(0, LEVEL_SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def window_text(center: float, width: float, integer_data: bool = False) -> str:
    """``"C <centre> / W <width>"`` with :func:`format_level`: the one place window values become text."""
    return f"C {format_level(center, integer_data)} / W {format_level(width, integer_data)}"


def integer_valued(values: FloatArray) -> bool:
    """Whether the modality values are whole numbers (so windows are shown as integers).

    Checked on a regular subsample of at most :data:`AUTO_MAX_SAMPLES` values: a non-integer rescale slope or
    intercept, or float pixel data, makes almost every pixel fractional, so the subsample cannot miss it in
    practice; non-finite values count as not integer.
    """
    flat = values.ravel()
    sample = flat[:: max(1, int(np.ceil(flat.size / AUTO_MAX_SAMPLES)))]
    return bool(sample.size) and bool(np.all(sample == np.rint(sample)))


@dataclass(frozen=True, eq=False)
class VoiLut:
    """One item of a VOI LUT Sequence: a lookup table from modality values to display values.

    Attributes:
        first_mapped: the modality value mapped by ``table[0]``; lower values use the first entry, higher
            values past the end use the last one (C.11.2.1.1).
        table: (N,) float32 LUT entries as stored.
        bits: LUT Descriptor third value; entries are normalised by ``2**bits - 1`` (or the table maximum when
            a file's descriptor understates it, which real files do).
        name: LUT Explanation.
    """

    first_mapped: int
    table: FloatArray
    bits: int
    name: str = ""
    _max: float = field(init=False, repr=False, default=1.0)

    def __post_init__(self) -> None:
        nominal = float(2 ** max(1, min(self.bits, 32)) - 1)
        actual = float(self.table.max()) if self.table.size else 0.0
        object.__setattr__(self, "_max", max(nominal if actual <= nominal else actual, 1.0))

    @property
    def output_max(self) -> float:
        """The value that maps to white."""
        return self._max

    def label(self) -> str:
        """Short text for menus and the ``inspect`` output."""
        return f"VOI LUT{': ' + self.name if self.name else ''} ({self.table.size} entries)"


VoiPreset = Window | VoiLut


def apply_rescale(stored: npt.NDArray[np.generic], slope: float, intercept: float) -> FloatArray:
    """Modality LUT by Rescale Slope/Intercept: ``slope * stored + intercept`` in float32.

    float32 is exact for every integer up to 2**24, which covers all stored bit depths up to 16 bits with
    slope 1, and keeps a 2000x2000 image at 16 MB.
    """
    out = stored.astype(np.float32, copy=True)
    if slope != 1.0:
        out *= np.float32(slope)
    if intercept != 0.0:
        out += np.float32(intercept)
    return out


def apply_lut(values: npt.NDArray[np.generic], first_mapped: int, table: FloatArray) -> FloatArray:
    """Look up integer values in a DICOM LUT, clamping below/above its range (Modality and VOI LUTs alike)."""
    if table.size == 0:
        raise ValueError("LUT has no entries")
    index = np.rint(values.astype(np.float64)) - float(first_mapped)
    np.clip(index, 0, table.size - 1, out=index)
    return table[index.astype(np.intp)].astype(np.float32, copy=False)


def apply_window(values: FloatArray, window: Window) -> FloatArray:
    """Map modality values to [0, 1] with a window, using the exact formulas of PS3.3 C.11.2.1.2.

    LINEAR keeps the standard's ``-0.5`` / ``width - 1`` offsets (it was defined for integer output), so a
    window of C 2048 / W 4096 is not exactly ``v / 4095``; LINEAR_EXACT is the plain linear ramp.
    """
    c, w = float(window.center), float(window.width)
    x = values.astype(np.float32, copy=False)
    if window.function is VoiFunction.SIGMOID:
        w = max(w, 1e-6)
        sigmoid = 1.0 / (1.0 + np.exp(np.clip(-4.0 * (x - np.float32(c)) / np.float32(w), -80.0, 80.0)))
        return sigmoid.astype(np.float32, copy=False)
    if window.function is VoiFunction.LINEAR_EXACT:
        w = max(w, 1e-6)
        out: FloatArray = ((x - np.float32(c)) / np.float32(w) + np.float32(0.5)).astype(np.float32)
    else:
        w = max(w, 1.0)
        if w == 1.0:
            # Width 1 is a hard threshold: values <= c - 0.5 are black, the rest white.
            return (x > np.float32(c - 0.5)).astype(np.float32)
        out = ((x - np.float32(c - 0.5)) / np.float32(w - 1.0) + np.float32(0.5)).astype(np.float32)
    return np.clip(out, 0.0, 1.0).astype(np.float32, copy=False)


def apply_voi_lut(values: FloatArray, lut: VoiLut) -> FloatArray:
    """Map modality values to [0, 1] through a VOI LUT Sequence item."""
    return apply_lut(values, lut.first_mapped, lut.table) / np.float32(lut.output_max)


def apply_voi(values: FloatArray, preset: VoiPreset) -> FloatArray:
    """Dispatch to :func:`apply_window` or :func:`apply_voi_lut`."""
    if isinstance(preset, VoiLut):
        return apply_voi_lut(values, preset)
    return apply_window(values, preset)


def to_display(values: FloatArray, preset: VoiPreset, invert: bool) -> FloatArray:
    """Modality values -> normalised display values in [0, 1]: VOI, then inversion (MONOCHROME1 / INVERSE).

    Colour images ((H, W, 3)) go through the same VOI per channel; they are never inverted.
    """
    out = apply_voi(values, preset)
    if invert:
        out = np.float32(1.0) - out
    return out


def to_uint8(display: FloatArray) -> npt.NDArray[np.uint8]:
    """[0, 1] display values -> 0..255 with round-half-to-even (deterministic, what numpy's rint does)."""
    scaled: FloatArray = np.clip(display, 0.0, 1.0) * np.float32(255.0)
    return np.rint(scaled).astype(np.uint8)


def finite_range(values: FloatArray) -> tuple[float, float]:
    """(min, max) over the finite values only: NaN and +-inf never define a range.

    Raises:
        ValueError: no value is finite (an all-NaN or all-infinite image has nothing to window).
    """
    low, high = float(np.min(values)), float(np.max(values))
    if math.isfinite(low) and math.isfinite(high):
        return low, high  # np.min/np.max propagate NaN and would be +-inf if any pixel were: all finite
    finite = np.isfinite(values)
    if not finite.any():
        raise ValueError("no pixel value is finite (all NaN or infinite)")
    kept = values[finite]
    return float(np.min(kept)), float(np.max(kept))


def fill_non_finite(values: FloatArray) -> tuple[FloatArray, int]:
    """Give non-finite pixels a defined value: NaN and -inf become the finite minimum, +inf the maximum.

    Why these values: float data (Float Pixel Data, a rescale that overflows float32) marks "no data" with
    NaN; mapping it onto the finite minimum renders it like the darkest real value (black under MONOCHROME2)
    without widening the range, and because it lands *on* the minimum the automatic window (which ignores
    the min/max plateaus) never counts it. +inf saturates like the brightest real value.

    Returns:
        (values, count): ``values`` itself when everything is finite, else a filled copy; ``count`` is the
        number of pixels replaced.

    Raises:
        ValueError: no value is finite.
    """
    if math.isfinite(float(np.min(values))) and math.isfinite(float(np.max(values))):
        return values, 0  # the cheap test: NaN propagates through min/max and +-inf would be one of them
    count = int(values.size - np.count_nonzero(np.isfinite(values)))
    low, high = finite_range(values)
    filled = np.where(np.isposinf(values), np.float32(high), values)
    filled[~np.isfinite(filled)] = np.float32(low)
    return filled.astype(np.float32, copy=False), count


def span_window(low: float, high: float, name: str) -> Window:
    """The LINEAR_EXACT window mapping ``low`` to black and ``high`` to white (width 1 when flat)."""
    width = high - low if high > low else 1.0
    return Window(center=(low + high) / 2.0, width=width, function=VoiFunction.LINEAR_EXACT, name=name)


def full_range_window(values: FloatArray, name: str = "Full range") -> Window:
    """The LINEAR_EXACT window spanning the finite min..max of the image (a flat image gets width 1).

    Raises:
        ValueError: no value is finite.
    """
    return span_window(*finite_range(values), name=name)


def auto_window(values: FloatArray, padding_value: float | None = None) -> Window:
    """A robust automatic window for files that carry none: percentiles inside the exposed field.

    Method (deterministic, no randomness): subsample on a regular grid to at most ``AUTO_MAX_SAMPLES`` values;
    drop the outer 10 % on each side (collimator blades, burned-in labels and detector edges live there); drop
    values equal to the image minimum or maximum and the Pixel Padding Value (flat collimation/padding and
    saturated areas would otherwise dominate the histogram); then window from the 1st to the 99th percentile
    of what is left. Falls back to the full range when too few values survive or the result is flat.
    Non-finite values never enter the statistics.

    Raises:
        ValueError: no value is finite.
    """
    if values.ndim != 2 or values.size == 0:
        return full_range_window(values, name="Auto")
    h, w = values.shape
    step = max(1, int(np.ceil(np.sqrt(h * w / AUTO_MAX_SAMPLES))))
    sample = values[int(h * 0.1) : h - int(h * 0.1) : step, int(w * 0.1) : w - int(w * 0.1) : step]
    if sample.size < 16:
        sample = values[::step, ::step]
    flat = sample.ravel()
    lo_all, hi_all = finite_range(values)
    keep = (flat != lo_all) & (flat != hi_all) & np.isfinite(flat)
    if padding_value is not None:
        keep &= flat != np.float32(padding_value)
    inside = flat[keep]
    if inside.size < 16:
        return full_range_window(values, name="Auto")
    lo, hi = np.percentile(inside, [AUTO_LOW_PERCENTILE, AUTO_HIGH_PERCENTILE])
    if not hi > lo:
        return full_range_window(values, name="Auto")
    return Window(
        center=(float(lo) + float(hi)) / 2.0,
        width=float(hi) - float(lo),
        function=VoiFunction.LINEAR_EXACT,
        name="Auto",
    )
