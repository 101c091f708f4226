"""PNG / JPEG / TIFF / BMP files to :class:`ImageRecord`, keeping full bit depth for display.

Decoding uses OpenCV, the same library as the official model code, with ``IMREAD_ANYDEPTH | IMREAD_ANYCOLOR``:
16-bit greyscale stays 16-bit (the display keeps every grey level), colour stays colour, alpha is dropped and
JPEG EXIF orientation is applied exactly as in the model's own decode, so display and model input line up
pixel for pixel. Gray-valued RGB/RGBA files (two NIH ChestX-ray14 PNGs are RGBA) become greyscale; true colour
images stay RGB for display.

The size is read from the header with Pillow (lazy, no pixel decode) and checked against the one pixel budget
(:data:`~carzero_viewer.imaging.record.MAX_PIXELS`) before OpenCV allocates anything. Pillow's own
decompression-bomb guard is set to the same budget (it warns above it, which is silenced because our check
refuses the same sizes, and raises above twice it, which becomes the same typed error), so no library limit
other than ours decides (OpenCV's ``OPENCV_IO_MAX_IMAGE_PIXELS``, 2**30 by default and read
once when cv2 is imported, stays a backstop behind the header check).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from types import MappingProxyType

import cv2
import numpy as np
from PIL import Image

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.imaging.model_input import (
    RULE_FULL_RANGE,
    RULE_HIGH_BYTE,
    RULE_OFFICIAL_DECODE,
    content_hash,
    render_model_input,
)
from carzero_viewer.imaging.record import (
    MAX_PIXELS,
    ImageRecord,
    SixteenBitRule,
    SourceFormat,
    check_pixel_count,
    finite_pixels,
)
from carzero_viewer.imaging.voi import (
    FloatArray,
    VoiFunction,
    VoiPreset,
    Window,
    auto_window,
    full_range_window,
)
from carzero_viewer.model.preprocessing import decode_grayscale

EIGHT_BIT_WINDOW = Window(center=127.5, width=255.0, function=VoiFunction.LINEAR_EXACT, name="Stored values")
# Pillow warns above this many pixels and refuses above twice as many: make that our budget, process-wide.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def _header_size(path: Path, fmt: SourceFormat) -> tuple[int, int]:
    """(width, height) from the file header, without decoding pixels; above the budget is refused."""
    try:
        with warnings.catch_warnings():
            # Between one and two budgets Pillow only warns: the size check below gives the typed error.
            warnings.simplefilter("ignore")
            with Image.open(path) as image:
                width, height = image.size
    except Image.DecompressionBombError as exc:
        raise ImageLoadError(
            f"{fmt.value} header declares an image above twice the {MAX_PIXELS / 1e6:.0f}-megapixel limit",
            path,
        ) from exc
    except Exception as exc:
        raise ImageLoadError(
            f"{fmt.value} header is damaged or not supported ({type(exc).__name__})", path
        ) from exc
    return int(width), int(height)


def _decode(path: Path, fmt: SourceFormat) -> np.ndarray:
    """Full-depth decode: (H, W) grey or (H, W, 3) BGR, uint8 / uint16 / float32."""
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
        image = cv2.imdecode(data, cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    except MemoryError as exc:
        raise ImageLoadError("not enough memory to decode the image", path) from exc
    except (cv2.error, OSError, ValueError) as exc:
        raise ImageLoadError(f"{fmt.value} data is damaged ({type(exc).__name__})", path) from exc
    if image is None or image.size == 0:
        raise ImageLoadError(f"{fmt.value} data is damaged, truncated or uses an unsupported variant", path)
    return np.asarray(image)


def _to_pixels(image: np.ndarray, steps: list[str]) -> FloatArray:
    """Grey (H, W) or RGB (H, W, 3) float32; gray-valued colour collapses to grey."""
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
        steps.append("alpha channel dropped")
    if image.ndim == 3 and image.shape[2] == 3:
        blue, green, red = image[:, :, 0], image[:, :, 1], image[:, :, 2]
        if np.array_equal(blue, green) and np.array_equal(green, red):
            steps.append("gray-valued colour image -> greyscale (channels identical)")
            return blue.astype(np.float32)
        steps.append("colour image kept as RGB for display")
        return np.ascontiguousarray(image[:, :, ::-1]).astype(np.float32)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim != 2:
        raise ValueError(f"unsupported channel layout {image.shape}")
    return image.astype(np.float32)


def load_raster(
    path: Path, fmt: SourceFormat, sixteen_bit_rule: SixteenBitRule = SixteenBitRule.FULL_RANGE
) -> ImageRecord:
    """Load a raster image into a record (see the module docstring for the display and model rules).

    Raises:
        ImageLoadError: damaged, truncated, unsupported or too large.
    """
    width, height = _header_size(path, fmt)
    check_pixel_count(height, width, path)
    image = _decode(path, fmt)
    depth = image.dtype
    steps: list[str] = [
        f"decoded {fmt.value} ({depth}, {'colour' if image.ndim == 3 else 'grey'}) with OpenCV"
    ]
    if fmt is SourceFormat.JPEG:
        steps.append("EXIF orientation applied by the decoder")
    try:
        pixels = _to_pixels(image, steps)
    except ValueError as exc:
        raise ImageLoadError(f"{fmt.value} image has {exc}", path) from exc
    pixels = finite_pixels(pixels, path, steps)
    presets: tuple[VoiPreset, ...]
    if depth == np.uint8:
        default: VoiPreset = EIGHT_BIT_WINDOW
        presets = (EIGHT_BIT_WINDOW, auto_window(pixels)) if pixels.ndim == 2 else (EIGHT_BIT_WINDOW,)
        steps.append("display: stored 8-bit values as they are")
        model_input, rule = decode_grayscale(path), RULE_OFFICIAL_DECODE
    else:
        default = full_range_window(pixels)
        presets = (default, auto_window(pixels)) if pixels.ndim == 2 else (default,)
        steps.append(f"display: full {depth} depth kept, default window = full range {default.label()}")
        if sixteen_bit_rule is SixteenBitRule.OPENCV_HIGH_BYTE:
            # The official decoder itself: 16-bit keeps its high byte; a file it cannot read (float TIFF)
            # is refused, since the original code could not have scored it either.
            model_input, rule = decode_grayscale(path), RULE_HIGH_BYTE
        else:
            model_input, rule = render_model_input(pixels, default, False), RULE_FULL_RANGE
        steps.append(f"model input ({sixteen_bit_rule.value}): {rule}")
    if model_input.shape != pixels.shape[:2]:
        raise ImageLoadError("display and model decodes disagree on the image size", path)
    model_input = np.ascontiguousarray(model_input, dtype=np.uint8)
    pixels = np.ascontiguousarray(pixels, dtype=np.float32)
    pixels.setflags(write=False)
    model_input.setflags(write=False)
    bits = {np.dtype(np.uint8): "8", np.dtype(np.uint16): "16"}.get(np.dtype(depth), str(depth))
    metadata: dict[str, str] = {
        "format": fmt.value,
        "bits_stored": bits,
        "photometric_interpretation": "RGB" if pixels.ndim == 3 else "MONOCHROME2",
        "size": f"{pixels.shape[1]}x{pixels.shape[0]}",
        "frames": "1",
    }
    return ImageRecord(
        path=path,
        source_format=fmt,
        pixels=pixels,
        presets=presets,
        default_voi=default,
        invert=False,
        spacing_mm=None,
        spacing_source="",
        frame=0,
        frame_count=1,
        metadata=MappingProxyType(metadata),
        pipeline=tuple(steps),
        model_input=model_input,
        model_input_rule=rule,
        content_hash=content_hash(model_input, 0),
    )
