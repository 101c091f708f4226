"""How the image is drawn: window/level, inversion, flips and rotation, the heatmap style, corner overlays.

Display only: none of it changes a score, a map or a box in image pixels. Kept here so the levels panel, the
Invert checkbox, the key shortcuts, the canvas and the compare views follow one state rather than each
other (the ``I`` key and the checkbox once disagreed). Window values are in the record's modality units.
"""

from __future__ import annotations

from psygnal import Signal

from carzero_viewer.export.heatmap_style import HeatmapStyle
from carzero_viewer.imaging.display_orientation import DisplayOrientation


class Display:
    """The display state of the main view."""

    window_changed = Signal(float, float)  # center, width
    inverted_changed = Signal(bool)
    orientation_changed = Signal(object)  # DisplayOrientation
    style_changed = Signal(object)  # HeatmapStyle
    corners_changed = Signal(bool)

    def __init__(self, style: HeatmapStyle | None = None) -> None:
        self._window = (0.0, 0.0)
        self._inverted = False
        self._orientation = DisplayOrientation()
        self._style = style if style is not None else HeatmapStyle()
        self._corners = True

    @property
    def window(self) -> tuple[float, float]:
        """(center, width); (0, 0) before an image has set one."""
        return self._window

    @property
    def inverted(self) -> bool:
        return self._inverted

    @property
    def orientation(self) -> DisplayOrientation:
        return self._orientation

    @property
    def style(self) -> HeatmapStyle:
        return self._style

    @property
    def corners(self) -> bool:
        return self._corners

    def set_window(self, center: float, width: float) -> None:
        window = (float(center), float(width))
        if window != self._window:
            self._window = window
            self.window_changed.emit(*window)

    def set_inverted(self, inverted: bool) -> None:
        if bool(inverted) != self._inverted:
            self._inverted = bool(inverted)
            self.inverted_changed.emit(self._inverted)

    def toggle_inverted(self) -> None:
        self.set_inverted(not self._inverted)

    def set_orientation(self, orientation: DisplayOrientation) -> None:
        if orientation != self._orientation:
            self._orientation = orientation
            self.orientation_changed.emit(orientation)

    def flip_horizontal(self) -> None:
        self.set_orientation(self._orientation.flipped_horizontally())

    def flip_vertical(self) -> None:
        self.set_orientation(self._orientation.flipped_vertically())

    def rotate_clockwise(self) -> None:
        self.set_orientation(self._orientation.rotated_clockwise())

    def set_style(self, style: HeatmapStyle) -> None:
        if style != self._style:
            self._style = style
            self.style_changed.emit(style)

    def set_corners(self, shown: bool) -> None:
        if bool(shown) != self._corners:
            self._corners = bool(shown)
            self.corners_changed.emit(self._corners)
