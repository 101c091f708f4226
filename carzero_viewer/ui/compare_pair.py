"""Which image is the reference in compare images, and whether its window/level can follow (Qt-free).

Kept apart from the dialog (:mod:`carzero_viewer.ui.compare_view`) so the two rules are unit-tested
headless. Lives under ``ui/`` because only the compare view uses them, but imports no Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from carzero_viewer.imaging import ImageRecord, SourceFormat


def default_reference(files: Sequence[Path], current: Path | None) -> Path | None:
    """The image to compare ``current`` with when the user chose none: the one before it in the study.

    A prior usually comes before the current image in a study sorted by name or date; for the first image
    the next one is taken instead. None when the study has no other image (or ``current`` is not in it).
    """
    paths = list(files)
    if current is None or current not in paths or len(paths) < 2:
        return None
    index = paths.index(current)
    return paths[index - 1] if index > 0 else paths[1]


def same_modality(first: ImageRecord, second: ImageRecord) -> bool:
    """Whether the two images' grey values are in comparable units, so one window/level suits both.

    Two DICOM files of the same Modality (CR with CR, DX with DX) or two raster files (PNG, JPEG, ...:
    8- or 16-bit display values with no modality). A DICOM next to a raster file, or CR next to MR, is not.
    """
    first_dicom = first.source_format is SourceFormat.DICOM
    second_dicom = second.source_format is SourceFormat.DICOM
    if first_dicom != second_dicom:
        return False
    return first.metadata.get("modality", "").upper() == second.metadata.get("modality", "").upper()
