"""The one deterministic rule from an opened image to the 8-bit greyscale image the model consumes.

CARZero was trained on MIMIC-CXR-JPG, i.e. 8-bit renderings of radiographs, and the official code decodes
files with ``cv2.imread(path, IMREAD_GRAYSCALE)`` (spec section 3). DICOM is outside the official pipeline
(spec section 8, item 26), so the viewer defines the rendering itself. The rule, by source:

* **8-bit PNG / JPEG / BMP / TIFF (grey or colour)**: exactly the official decode,
  :func:`carzero_viewer.model.preprocessing.decode_grayscale` -- byte-identical, including the decoder's luma
  conversion of RGB(A) and JPEG EXIF orientation. Official scores are reproduced bit for bit.
* **16-bit (or float) PNG / TIFF**: :class:`~carzero_viewer.imaging.record.SixteenBitRule`. The app default is
  ``FULL_RANGE``: the image's min..max linearly scaled to 0..255, rounded. The official decode keeps only the
  high byte (``OPENCV_HIGH_BYTE``), which renders the common 12-bit-in-16 PNG almost black (0..15), far from
  any training image; it stays selectable (``load_image(..., sixteen_bit_rule=...)``) for bit-exact
  comparisons.
* **DICOM**: modality LUT -> the file's *default* VOI (first VOI LUT Sequence item, else the first Window
  Center/Width, else the stored range for <= 8 bits, else the automatic percentile window) -> MONOCHROME1 /
  INVERSE inversion -> ``rint(255 * v)`` as uint8. Colour DICOM: the RGB rendering converted with
  ``cv2.cvtColor(RGB2GRAY)``.

The interactive window never enters this rule: the record stores the uint8 result at load time. The content
hash (the inference cache key) is taken over these bytes, their shape and the frame index, so two files with
the same model input share cached scores while a different frame or rule never does.
"""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
import numpy.typing as npt

from carzero_viewer.imaging.record import ImageRecord
from carzero_viewer.imaging.voi import FloatArray, VoiPreset, to_display, to_uint8
from carzero_viewer.model.preprocessing import PreparedImage, prepare

RULE_OFFICIAL_DECODE = "official OpenCV grayscale decode (cv2 IMREAD_GRAYSCALE), byte-identical"
RULE_HIGH_BYTE = "official OpenCV grayscale decode: 16-bit keeps its high byte (v >> 8)"
RULE_FULL_RANGE = "full-range rendering: min..max scaled linearly to 0..255"
RULE_DICOM = "DICOM rule: modality LUT -> default VOI ({voi}) -> {inversion} -> rint(255 * v)"


def render_model_input(pixels: FloatArray, preset: VoiPreset, invert: bool) -> npt.NDArray[np.uint8]:
    """Render modality values to the model's uint8 greyscale input with a fixed VOI preset.

    Args:
        pixels: (H, W) modality values, or (H, W, 3) RGB in 0..255.
        preset: the file's default VOI (never the interactive window).
        invert: MONOCHROME1 / INVERSE inversion, applied after VOI.

    Returns:
        (H, W) uint8, C-contiguous.
    """
    rendered = to_uint8(to_display(pixels, preset, invert))
    if rendered.ndim == 3:
        return np.ascontiguousarray(cv2.cvtColor(rendered, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
    return np.ascontiguousarray(rendered, dtype=np.uint8)


def content_hash(model_input: npt.NDArray[np.uint8], frame: int) -> str:
    """sha256 hex over the model input bytes, its shape and the frame index."""
    digest = hashlib.sha256()
    digest.update(
        f"carzero-model-input-v1:{model_input.shape[0]}x{model_input.shape[1]}:frame{frame}:".encode()
    )
    digest.update(np.ascontiguousarray(model_input).tobytes())
    return digest.hexdigest()


def model_view(record: ImageRecord) -> PreparedImage:
    """The exact resize/pad/centre-crop of the record's model input: ``.crop`` is "what the model sees".

    Returns the official preprocessing result (224x224 uint8 crop, padded 256 square and the geometry that
    maps heatmaps back to ``record`` pixels).
    """
    return prepare(record.model_input)
