"""Grey levels of the canvas without Qt: the uint16 index image, its VOI lookup table and the chest presets.

Window/level must be instant on a 2000×2000 image, so the image is indexed once (:func:`index_image`) and each
change of window only recomputes a 65,536-entry table (:func:`voi_table`) through the record's own VOI
pipeline; the chest presets are percentiles of the exposed field, since a radiograph has no Hounsfield scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from carzero_viewer.imaging.record import ImageRecord
from carzero_viewer.imaging.voi import VoiFunction, VoiLut, VoiPreset, Window, apply_voi, to_uint8

LUT_SIZE = 65536
# (name, low percentile, high percentile) of the exposed-field values, for MONOCHROME2 orientation.
CHEST_PRESETS: tuple[tuple[str, float, float], ...] = (
    ("Lung", 2.0, 60.0),
    ("Mediastinum", 30.0, 90.0),
    ("Bone", 60.0, 99.5),
)
MAX_SAMPLES = 1_000_000


@dataclass(frozen=True)
class IndexedImage:
    """A grey image as uint16 indices: index ``i`` stands for the modality value ``offset + i * step``."""

    index: npt.NDArray[np.uint16]
    offset: float
    step: float

    def values(self) -> npt.NDArray[np.float32]:
        """(65536,) modality value of every index (what the VOI table is computed on)."""
        return (self.offset + np.arange(LUT_SIZE, dtype=np.float64) * self.step).astype(np.float32)


def index_image(pixels: npt.NDArray[np.float32]) -> IndexedImage:
    """Convert (H, W) modality values once to a uint16 index image (exact for integer data within 16 bits)."""
    low, high = float(pixels.min()), float(pixels.max())
    span = high - low
    if span <= LUT_SIZE - 1 and np.array_equal(pixels, np.rint(pixels)):
        return IndexedImage(np.asarray(pixels - np.float32(low), dtype=np.uint16), low, 1.0)
    step = span / (LUT_SIZE - 1) if span > 0 else 1.0
    scaled = np.rint((pixels.astype(np.float64) - low) / step)
    return IndexedImage(np.clip(scaled, 0, LUT_SIZE - 1).astype(np.uint16), low, step)


def voi_table(indexed: IndexedImage, preset: VoiPreset, invert: bool) -> npt.NDArray[np.uint8]:
    """(65536,) uint8 grey table: VOI of each index's value, then inversion (the record's own pipeline)."""
    display = apply_voi(indexed.values(), preset)
    if invert:
        display = np.float32(1.0) - display
    return to_uint8(display)


def _exposed_sample(pixels: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Values inside the collimated field: central 80 %, strided to <= 1M samples, without min/max plateaus."""
    h, w = pixels.shape[:2]
    step = max(1, math.ceil(math.sqrt(h * w / MAX_SAMPLES)))
    sample = pixels[int(h * 0.1) : h - int(h * 0.1) : step, int(w * 0.1) : w - int(w * 0.1) : step].ravel()
    if sample.size < 16:
        sample = pixels[::step, ::step].ravel()
    lo, hi = float(pixels.min()), float(pixels.max())
    inside = sample[(sample != lo) & (sample != hi) & np.isfinite(sample)]
    return inside if inside.size >= 16 else sample


def chest_presets(record: ImageRecord) -> list[Window]:
    """Radiograph windows relative to the image: "Lung", "Mediastinum", "Bone".

    A radiograph has no Hounsfield scale, so CT windows (lung W 1500 / C -600) are meaningless here. Each
    window instead spans percentiles of the values inside the collimated field (the central 80 % of the
    image, minus the flat minimum/maximum plateaus of blades and saturation): Lung 2nd..60th, Mediastinum
    30th..90th, Bone 60th..99.5th. These are for MONOCHROME2 (low value = dark = air); for MONOCHROME1
    (``record.invert``) the percentiles are mirrored (p -> 100 - p) so "Lung" still covers the air-filled
    lung values. Windows are LINEAR_EXACT. Colour records get no chest presets (an empty list).
    """
    if record.is_color:
        return []
    sample = _exposed_sample(record.pixels)
    out: list[Window] = []
    for name, p_low, p_high in CHEST_PRESETS:
        lo_pct, hi_pct = (100.0 - p_high, 100.0 - p_low) if record.invert else (p_low, p_high)
        lo, hi = (float(v) for v in np.percentile(sample, [lo_pct, hi_pct]))
        width = max(hi - lo, 1e-3)
        out.append(Window((lo + hi) / 2.0, width, VoiFunction.LINEAR_EXACT, name))
    return out


def window_of(preset: VoiPreset) -> tuple[float, float]:
    """(center, width) of a preset; a VOI LUT reports the range of modality values its table covers."""
    if isinstance(preset, VoiLut):
        n = float(preset.table.size)
        return preset.first_mapped + n / 2.0, n
    return float(preset.center), float(preset.width)
