"""The text of the four corner overlays, composed without Qt so it is testable and the same everywhere.

PACS viewers (Weasis, OHIF, RadiAnt) print what the reader needs to trust the picture in the image corners:
what the image is, which frame, the window, the zoom and where the measurement scale comes from. Only
acquisition facts from the PHI-free metadata are used: patient name, ID and birth date never reach a record,
and the file name (which often carries them) is deliberately not shown either.
"""

from __future__ import annotations

from dataclasses import dataclass

from carzero_viewer.imaging.record import ImageRecord, SourceFormat
from carzero_viewer.imaging.voi import window_text


@dataclass(frozen=True)
class CornerText:
    """Lines for each corner, top to bottom (orientation letters come from ``display_orientation``)."""

    top_left: tuple[str, ...]
    top_right: tuple[str, ...]
    bottom_left: tuple[str, ...]
    bottom_right: tuple[str, ...]


def _description(record: ImageRecord) -> tuple[str, ...]:
    meta = record.metadata
    if record.source_format is not SourceFormat.DICOM:
        return (record.source_format.value,)
    kind = " ".join(part for part in (meta.get("modality", ""), meta.get("body_part", "")) if part)
    view = meta.get("view_position", "")
    lines = [" ".join(part for part in (kind, view) if part) or "DICOM"]
    series = meta.get("series_description", "")
    if series:
        lines.append(f"Series: {series}")
    return tuple(lines)


def _spacing(record: ImageRecord) -> str:
    if record.spacing_mm is None:
        return "Spacing: unknown (lengths in px)"
    row_mm, col_mm = record.spacing_mm
    source = f" ({record.spacing_source})" if record.spacing_source else ""
    return f"Spacing: {row_mm:.3g} x {col_mm:.3g} mm{source}"


def corner_text(record: ImageRecord, window: tuple[float, float], zoom: float) -> CornerText:
    """Compose the corner overlays for ``record`` as displayed.

    Args:
        record: the image shown.
        window: (centre, width) of the current window in modality units.
        zoom: screen pixels per image pixel (1.0 = 1:1), shown as a percentage.
    """
    height, width = record.shape
    return CornerText(
        top_left=_description(record),
        top_right=(f"Frame {record.frame + 1}/{record.frame_count}", f"{width} x {height} px"),
        bottom_left=(window_text(*window, record.integer_data), f"Zoom {zoom * 100:.0f}%"),
        bottom_right=(_spacing(record),),
    )


def cursor_readout(record: ImageRecord, row: int, col: int) -> str:
    """The status bar's pixel readout: position, stored value (per channel for colour) and, with a pixel
    spacing, the position in millimetres."""
    value = record.pixel_value(row, col)
    shown = f"{value:.1f}" if isinstance(value, float) else ", ".join(f"{v:.0f}" for v in value)
    text = f"x {col}  y {row}  value {shown}"
    if record.spacing_mm is not None:
        sy, sx = record.spacing_mm
        text += f"  ({col * sx:.1f}, {row * sy:.1f}) mm"
    return text
