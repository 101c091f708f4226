"""The official CARZero image preprocessing (spec section 3), numpy + OpenCV only, with recorded geometry.

Kept free of torch on purpose: the imaging layer needs the exact 224x224 crop ("what the model sees") and its
geometry without loading the model stack. The torch side only converts :func:`normalise` output to a tensor.

Steps: grayscale uint8 -> INTER_AREA resize (long side 256, short side truncated, square images take the
"tall" branch) -> zero pad to 256x256 (floor before, ceil after) -> centre crop 224 (offset 16) ->
``(v/255 - 0.4978) / 0.2449`` in float32.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.types import ModelInputGeometry

RESIZE_TO = 256
CROP_SIZE = 224
NORM_MEAN = 0.4978
NORM_STD = 0.2449


@dataclass(frozen=True)
class PreparedImage:
    """One image after the geometric part of the preprocessing.

    Attributes:
        padded: (256, 256) uint8, the resized image zero-padded to a square.
        crop: (224, 224) uint8, the centre crop: exactly the pixels the network sees.
        geometry: how ``crop`` relates to the original image.
    """

    padded: npt.NDArray[np.uint8]
    crop: npt.NDArray[np.uint8]
    geometry: ModelInputGeometry


def decode_grayscale(path: str | Path) -> npt.NDArray[np.uint8]:
    """Decode a raster file the way the official code does (``cv2.imread(path, IMREAD_GRAYSCALE)``).

    8-bit images come out as stored, 16-bit ones keep their high byte, colour is converted to luma by the
    decoder and JPEG EXIF orientation is applied. Decoding from bytes (``imdecode``) gives the same pixels
    and also works for non-ASCII paths.

    Raises:
        ImageLoadError: the file cannot be read or is not an image OpenCV can decode.
    """
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise ImageLoadError(f"cannot read file ({exc.strerror or exc})", path) from exc
    if data.size == 0:
        raise ImageLoadError("file is empty", path)
    image = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise ImageLoadError("not an image format the model's decoder (OpenCV) can read", path)
    return np.ascontiguousarray(image, dtype=np.uint8)


def prepare(
    gray: npt.NDArray[np.uint8], resize_to: int = RESIZE_TO, crop_size: int = CROP_SIZE
) -> PreparedImage:
    """Resize, pad and centre-crop an 8-bit grayscale image exactly as the official code does.

    Args:
        gray: (H, W) uint8 image.
        resize_to: long side after resizing and side of the padded square.
        crop_size: side of the centre crop.
    """
    if gray.ndim != 2 or gray.dtype != np.uint8:
        raise ValueError(f"expected a 2-D uint8 image, got {gray.dtype} with shape {gray.shape}")
    h, w = gray.shape
    if h == 0 or w == 0:
        raise ValueError("image has no pixels")
    if h >= w:
        scale = resize_to / float(h)
        new_h, new_w = resize_to, int(w * scale)
    else:
        scale = resize_to / float(w)
        new_h, new_w = int(h * scale), resize_to
    # The official code would crash on a short side that truncates to 0 (an extreme sliver); keep one pixel.
    new_h, new_w = max(new_h, 1), max(new_w, 1)
    resized = cv2.resize(gray, (new_w, new_h), interpolation=cv2.INTER_AREA)
    top = (resize_to - new_h) // 2
    left = (resize_to - new_w) // 2
    padded = np.zeros((resize_to, resize_to), dtype=np.uint8)
    padded[top : top + new_h, left : left + new_w] = resized
    offset = round((resize_to - crop_size) / 2)
    crop = np.ascontiguousarray(padded[offset : offset + crop_size, offset : offset + crop_size])
    geometry = ModelInputGeometry(
        original_size=(h, w),
        resized_size=(new_h, new_w),
        pad_offset=(top, left),
        pad_size=resize_to,
        crop_offset=(offset, offset),
        crop_size=crop_size,
    )
    return PreparedImage(padded=padded, crop=crop, geometry=geometry)


def normalise(
    crop: npt.NDArray[np.uint8], mean: float = NORM_MEAN, std: float = NORM_STD
) -> npt.NDArray[np.float32]:
    """``(v/255 - mean) / std`` in float32 arithmetic, as torchvision's ToTensor + Normalize compute it."""
    x = crop.astype(np.float32) / np.float32(255.0)
    return ((x - np.float32(mean)) / np.float32(std)).astype(np.float32, copy=False)
