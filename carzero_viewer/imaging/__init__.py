"""Reading radiology images (DICOM, PNG, JPEG, TIFF, BMP) into display- and model-ready records.

numpy/OpenCV/pydicom only -- no Qt, no torch -- so the CLI, batch scoring and tests use exactly the grey
levels the viewer shows. Start with :func:`load_image`; :func:`model_view` gives the 224x224 crop the model
sees; :func:`check_applicability` says whether it is an image the model was trained to read;
:func:`scan_folder` lists a study folder. pydicom is imported lazily (on the first DICOM), so importing this
package is cheap.
"""

from pathlib import Path

from carzero_viewer.imaging.applicability import Applicability, check_applicability
from carzero_viewer.imaging.detect import FileKind, detect
from carzero_viewer.imaging.loader import load_image
from carzero_viewer.imaging.model_input import content_hash, model_view, render_model_input
from carzero_viewer.imaging.record import MAX_PIXELS, METADATA_KEYS, ImageRecord, SixteenBitRule, SourceFormat
from carzero_viewer.imaging.study import StudyEntry, scan_folder
from carzero_viewer.imaging.voi import (
    VoiFunction,
    VoiLut,
    VoiPreset,
    Window,
    apply_rescale,
    apply_voi,
    apply_window,
    auto_window,
    to_display,
    to_uint8,
)


def full_tag_dump(path: str | Path) -> list[str]:
    """Every DICOM tag as text, *including patient identity*: only for an explicit "show all tags" request."""
    from carzero_viewer.imaging.dicom_meta import full_tag_dump as _dump

    return _dump(path)


__all__ = [
    "MAX_PIXELS",
    "METADATA_KEYS",
    "Applicability",
    "FileKind",
    "ImageRecord",
    "SixteenBitRule",
    "SourceFormat",
    "StudyEntry",
    "VoiFunction",
    "VoiLut",
    "VoiPreset",
    "Window",
    "apply_rescale",
    "apply_voi",
    "apply_window",
    "auto_window",
    "check_applicability",
    "content_hash",
    "detect",
    "full_tag_dump",
    "load_image",
    "model_view",
    "render_model_input",
    "scan_folder",
    "to_display",
    "to_uint8",
]
