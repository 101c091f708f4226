"""Corner overlay text and orientation letters: real DICOM and PNG files, flips and quarter turns."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from carzero_viewer.imaging import load_image
from carzero_viewer.imaging.corner_text import corner_text, cursor_readout
from carzero_viewer.imaging.display_orientation import DisplayOrientation, edge_labels, opposite

DICOM = Path(__file__).resolve().parents[2] / "data" / "dicom" / "966_fixed.dcm"


def test_dicom_corners_show_acquisition_window_zoom_and_spacing_source() -> None:
    record = load_image(DICOM)
    text = corner_text(record, (2047.6, 4095.0), 0.25)
    assert text.top_left == ("DX CHEST PA", "Series: pa")
    assert text.top_right == ("Frame 1/1", "2000 x 2128 px")
    assert text.bottom_left == ("C 2048 / W 4095", "Zoom 25%")  # integer data: whole numbers (window_text)
    assert text.bottom_right == ("Spacing: 0.16 x 0.16 mm (Pixel Spacing)",)


def test_no_patient_identity_or_file_name_in_the_corners() -> None:
    record = load_image(DICOM)
    shown = " ".join(
        line for corner in vars(corner_text(record, (0.0, 1.0), 1.0)).values() for line in corner
    )
    assert DICOM.stem not in shown and "966" not in shown


def test_png_corners_say_the_format_and_that_lengths_are_in_pixels(tmp_path: Path) -> None:
    path = tmp_path / "jane_doe.png"
    cv2.imwrite(str(path), np.arange(64 * 48, dtype=np.uint16).reshape(48, 64) % 256)
    record = load_image(path)
    text = corner_text(record, (127.5, 255.0), 1.0)
    assert text.top_left == ("PNG",)
    assert text.top_right == ("Frame 1/1", "64 x 48 px")
    assert text.bottom_left == ("C 128 / W 255", "Zoom 100%")
    assert text.bottom_right == ("Spacing: unknown (lengths in px)",)


def test_edge_labels_follow_flips_and_rotations() -> None:
    upright = DisplayOrientation()
    assert edge_labels("L\\F", upright) == {"left": "R", "right": "L", "top": "H", "bottom": "F"}
    assert edge_labels("L\\F", upright.flipped_horizontally()) == {
        "left": "L",
        "right": "R",
        "top": "H",
        "bottom": "F",
    }
    assert edge_labels("L\\F", upright.flipped_vertically())["top"] == "F"
    # A clockwise quarter turn brings the image's right edge (L) to the bottom of the screen.
    assert edge_labels("L\\F", upright.rotated_clockwise()) == {
        "left": "F",
        "right": "H",
        "top": "R",
        "bottom": "L",
    }


def test_four_quarter_turns_and_double_flips_are_the_identity() -> None:
    turned = DisplayOrientation()
    for _ in range(4):
        turned = turned.rotated_clockwise()
    assert turned == DisplayOrientation()
    assert DisplayOrientation().flipped_horizontally().flipped_horizontally() == DisplayOrientation()


@pytest.mark.parametrize("value", ["", "L", "L\\F\\A", "X\\F", "L\\"])
def test_unknown_orientation_gives_no_letters_rather_than_a_guess(value: str) -> None:
    assert edge_labels(value, DisplayOrientation()) == {}


def test_opposite_of_oblique_codes() -> None:
    assert opposite("LF") == "RH" and opposite("AP") == "PA" and opposite("Q") == ""


def test_cursor_readout_gives_the_stored_value_and_millimetres_with_a_spacing(tmp_path: Path) -> None:
    record = load_image(DICOM)
    sy, sx = record.spacing_mm
    text = cursor_readout(record, 10, 20)
    assert text.startswith("x 20  y 10  value ")
    assert text.endswith(f"({20 * sx:.1f}, {10 * sy:.1f}) mm")
    path = tmp_path / "grey.png"
    cv2.imwrite(str(path), np.full((8, 8), 77, dtype=np.uint8))
    assert cursor_readout(load_image(path), 1, 2) == "x 2  y 1  value 77.0"
