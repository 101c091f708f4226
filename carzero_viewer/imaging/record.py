"""The image record: everything the viewer, the model and the exporters need from one opened image.

A frozen dataclass of plain data (numpy arrays made read-only, strings, tuples) so it can cross threads and
layers without anyone mutating shared pixels. The record deliberately carries two renderings:

* ``pixels`` (modality values, full resolution, float32) plus VOI presets: the *display* path, which follows
  the user's window/level;
* ``model_input`` (uint8): the *model* path, fixed at load time by one deterministic rule (see
  :mod:`carzero_viewer.imaging.model_input`), so dragging the window never changes the scores.

Metadata is a PHI-free subset; patient name, ID, birth date and private tags never enter the record. The full
tag dump is a separate, explicit call (:func:`carzero_viewer.imaging.dicom_meta.full_tag_dump`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.imaging.voi import (
    FloatArray,
    VoiPreset,
    fill_non_finite,
    integer_valued,
    to_display,
    to_uint8,
)

# Huge-image policy: refuse images above this many pixels (per frame) before decoding them. 64 MP is ~3.5x the
# largest detector in clinical use (43x43 cm at 100 um = 4300x4300 = 18.5 MP) and keeps the float32 display
# buffer at <= 256 MB; a 10000x10000 image (100 MP) is refused with a clear message instead of risking the
# memory of a 2-core laptop.
MAX_PIXELS = 64_000_000

# Keys of the PHI-free metadata subset, in display order.
METADATA_KEYS: tuple[str, ...] = (
    "format",
    "modality",
    "view_position",
    "patient_orientation",
    "body_part",
    "series_description",
    "study_date",
    "manufacturer",
    "transfer_syntax",
    "bits_stored",
    "photometric_interpretation",
    "size",
    "frames",
)


class SixteenBitRule(StrEnum):
    """How a raster image deeper than 8 bits becomes the model's 8-bit input.

    FULL_RANGE (the app's default): the image's default window (min..max, linear) scaled to 0..255, the same
    rule as for DICOM. OPENCV_HIGH_BYTE: what the official code does (``cv2.imread(..., IMREAD_GRAYSCALE)``
    keeps ``v >> 8``), which turns a 12-bit-in-16 PNG into an almost black image (values 0..15) the model
    never saw in training. Choose it only to reproduce official scores bit-for-bit on such files.
    """

    FULL_RANGE = "full-range"
    OPENCV_HIGH_BYTE = "opencv-high-byte"


class SourceFormat(StrEnum):
    """The container the pixels came from (detected from content, not from the extension)."""

    DICOM = "DICOM"
    PNG = "PNG"
    JPEG = "JPEG"
    TIFF = "TIFF"
    BMP = "BMP"


def check_pixel_count(rows: int, columns: int, path: Path) -> None:
    """Refuse degenerate or huge sizes before any pixel buffer is allocated.

    Raises:
        ImageLoadError: zero/negative size, or more than :data:`MAX_PIXELS` pixels.
    """
    if rows <= 0 or columns <= 0:
        raise ImageLoadError(f"image size {columns}x{rows} is not valid", path)
    if rows * columns > MAX_PIXELS:
        raise ImageLoadError(
            f"image is {columns}x{rows} ({rows * columns / 1e6:.0f} megapixels), above the "
            f"{MAX_PIXELS / 1e6:.0f}-megapixel limit for display",
            path,
        )


def finite_pixels(values: FloatArray, path: Path, log: list[str]) -> FloatArray:
    """Pixels with a defined value everywhere, before any window statistic or rendering sees them.

    NaN and -inf become the finite minimum, +inf the finite maximum (see
    :func:`~carzero_viewer.imaging.voi.fill_non_finite`); how many were replaced is appended to ``log``.

    Raises:
        ImageLoadError: no pixel is finite, so there is nothing to display.
    """
    try:
        filled, count = fill_non_finite(values)
    except ValueError as exc:
        raise ImageLoadError(
            "pixel data has no finite value (all NaN or infinite); nothing to display", path
        ) from exc
    if count:
        log.append(
            f"{count} non-finite pixel value(s) shown as the finite minimum (NaN, -inf) or maximum (+inf)"
        )
    return filled


@dataclass(frozen=True, eq=False)
class ImageRecord:
    """One frame of one file, ready for display and for the model.

    Attributes:
        path: the source file.
        source_format: container format.
        pixels: (H, W) float32 modality values (greyscale) or (H, W, 3) float32 RGB in 0..255 (colour), full
            resolution, row-major, (row, column) = (y, x). Read-only.
        presets: every VOI preset the file offers (VOI LUTs, each listed window), then "Auto"; for raster
            images the natural range. The UI lists them; window/level dragging creates new :class:`Window`
            objects.
        default_voi: the preset used for the default display and for the model input.
        invert: True for MONOCHROME1 (or Presentation LUT Shape INVERSE): black and white swap *after* VOI.
        spacing_mm: (row, column) pixel spacing in millimetres for measurements, or None when unknown.
        spacing_source: which attribute the spacing came from ("Pixel Spacing", "Imager Pixel Spacing", "").
        frame: the frame index this record holds (0-based).
        frame_count: number of frames in the file.
        metadata: PHI-free subset (keys in :data:`METADATA_KEYS`), values as display strings.
        pipeline: human-readable steps applied to get the display and the model input, in order.
        model_input: (H, W) uint8, the deterministic 8-bit rendering the model's preprocessing consumes.
        model_input_rule: one line saying which rule produced ``model_input``.
        content_hash: sha256 hex of the model input pixels, its shape and the frame index (inference cache
            key).
    """

    path: Path
    source_format: SourceFormat
    pixels: FloatArray
    presets: tuple[VoiPreset, ...]
    default_voi: VoiPreset
    invert: bool
    spacing_mm: tuple[float, float] | None
    spacing_source: str
    frame: int
    frame_count: int
    metadata: Mapping[str, str]
    pipeline: tuple[str, ...]
    model_input: npt.NDArray[np.uint8]
    model_input_rule: str
    content_hash: str

    @cached_property
    def integer_data(self) -> bool:
        """Whether the modality values are whole numbers, so window values are shown as integers."""
        return integer_valued(self.pixels)

    @property
    def is_color(self) -> bool:
        """True when ``pixels`` has three channels."""
        return self.pixels.ndim == 3

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) in pixels."""
        return int(self.pixels.shape[0]), int(self.pixels.shape[1])

    def display(self, preset: VoiPreset | None = None) -> FloatArray:
        """Normalised display values in [0, 1] (0 = black) for ``preset`` (default: the file's VOI)."""
        return to_display(self.pixels, preset if preset is not None else self.default_voi, self.invert)

    def render(self, preset: VoiPreset | None = None) -> npt.NDArray[np.uint8]:
        """8-bit display rendering, (H, W) or (H, W, 3), for ``preset`` (default: the file's default VOI)."""
        return to_uint8(self.display(preset))

    def pixel_value(self, row: int, column: int) -> float | tuple[float, ...]:
        """The modality value under the cursor (what a radiologist's viewer shows next to the position)."""
        value = self.pixels[row, column]
        if self.is_color:
            return tuple(float(v) for v in value)
        return float(value)
