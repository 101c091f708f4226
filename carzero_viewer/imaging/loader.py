"""The single public entry point for opening one image: :func:`load_image`.

Why one function: the UI, the CLI and batch scoring must all get the same grey levels and the same model input
for the same file. It detects the format from content, dispatches to the DICOM or raster reader and enforces
the error contract: whatever goes wrong (damaged data, missing codec, a decoder raising something unexpected,
memory) surfaces as :class:`ImageLoadError` naming the file and the reason -- never another exception type.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.imaging.detect import FileKind, read_head, sniff
from carzero_viewer.imaging.record import ImageRecord, SixteenBitRule, SourceFormat

_log = logging.getLogger(__name__)

_RASTER = {
    FileKind.PNG: SourceFormat.PNG,
    FileKind.JPEG: SourceFormat.JPEG,
    FileKind.TIFF: SourceFormat.TIFF,
    FileKind.BMP: SourceFormat.BMP,
}


def load_image(
    path: str | Path, frame: int = 0, sixteen_bit_rule: SixteenBitRule = SixteenBitRule.FULL_RANGE
) -> ImageRecord:
    """Open one frame of an image file (DICOM, PNG, JPEG, TIFF, BMP) as a display- and model-ready record.

    Args:
        path: the file; its extension is ignored, the content decides.
        frame: 0-based frame index for multi-frame DICOM (must be 0 for other files).
        sixteen_bit_rule: how >8-bit raster images become the model's 8-bit input
            (see :mod:`carzero_viewer.imaging.model_input`).

    Raises:
        ImageLoadError: the file cannot be opened as an image; ``.message`` is ``"<path>: <reason>"``.
    """
    file_path = Path(path)
    head = read_head(file_path)
    kind = sniff(head)
    try:
        with warnings.catch_warnings():
            # pydicom/Pillow warn about malformed values in real-world files; the pipeline notes what matters.
            warnings.simplefilter("ignore")
            return _dispatch(file_path, kind, frame, sixteen_bit_rule)
    except ImageLoadError:
        raise
    except MemoryError as exc:
        raise ImageLoadError("not enough memory to load this image", file_path) from exc
    except RecursionError as exc:
        raise ImageLoadError("file structure is nested too deeply (damaged file)", file_path) from exc
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        # A decoder or parser failed in a way we did not anticipate (including pyo3 PanicException from Rust
        # decoders, which is not an Exception): still a file problem, not a crash.
        _log.debug("unexpected %s while loading %s", type(exc).__name__, file_path, exc_info=True)
        raise ImageLoadError(f"file is damaged or not supported ({type(exc).__name__})", file_path) from exc


def _dispatch(path: Path, kind: FileKind, frame: int, rule: SixteenBitRule) -> ImageRecord:
    if kind is FileKind.DICOM:
        from carzero_viewer.imaging.dicom import load_dicom

        return load_dicom(path, frame)
    if kind in _RASTER:
        if frame != 0:
            raise ImageLoadError(f"frame {frame} does not exist (the file has 1 frame)", path)
        from carzero_viewer.imaging.raster import load_raster

        return load_raster(path, _RASTER[kind], rule)
    if kind is FileKind.JPEG2000:
        raise ImageLoadError(
            "bare JPEG 2000 files are not supported; open the DICOM that contains them", path
        )
    raise ImageLoadError("not a recognised image format (DICOM, PNG, JPEG, TIFF or BMP expected)", path)
