"""Display-only flips and quarter turns, and the patient-orientation letters they put at each screen edge.

Why a 2x2 integer matrix: every combination of horizontal/vertical flips and 90-degree rotations is one of the
eight signed permutation matrices, so the state composes by matrix product and never drifts (no float angles).
The matrix maps image directions to screen directions, both with x to the right and y *down* (image rows).
The pixels, the model input and every stored coordinate stay in image space; only the display changes.

Patient Orientation (0020,0020) gives two direction codes: the patient direction of increasing column index
(image +x) and of increasing row index (image +y), each one or more of L/R, A/P, H/F (PS3.3 C.7.6.1.1.1).
"""

from __future__ import annotations

from dataclasses import dataclass

Matrix = tuple[int, int, int, int]  # (a, b, c, d): screen x = a*x + b*y, screen y = c*x + d*y
IDENTITY: Matrix = (1, 0, 0, 1)
_OPPOSITE = {"L": "R", "R": "L", "A": "P", "P": "A", "H": "F", "F": "H"}
# Screen edges as unit directions (x right, y down).
EDGES: dict[str, tuple[int, int]] = {"left": (-1, 0), "right": (1, 0), "top": (0, -1), "bottom": (0, 1)}


def _product(outer: Matrix, inner: Matrix) -> Matrix:
    a, b, c, d = outer
    e, f, g, h = inner
    return (a * e + b * g, a * f + b * h, c * e + d * g, c * f + d * h)


@dataclass(frozen=True)
class DisplayOrientation:
    """The current flip/rotation of the display, as an image-to-screen signed permutation matrix."""

    matrix: Matrix = IDENTITY

    def flipped_horizontally(self) -> DisplayOrientation:
        """Mirror left-right *on screen* (whatever rotation is already applied)."""
        return DisplayOrientation(_product((-1, 0, 0, 1), self.matrix))

    def flipped_vertically(self) -> DisplayOrientation:
        """Mirror top-bottom on screen."""
        return DisplayOrientation(_product((1, 0, 0, -1), self.matrix))

    def rotated_clockwise(self) -> DisplayOrientation:
        """Turn the displayed image 90 degrees clockwise (screen +x goes to screen +y)."""
        return DisplayOrientation(_product((0, -1, 1, 0), self.matrix))

    def to_image(self, screen: tuple[int, int]) -> tuple[int, int]:
        """The image direction shown along screen direction ``screen`` (the inverse is the transpose)."""
        a, b, c, d = self.matrix
        return (a * screen[0] + c * screen[1], b * screen[0] + d * screen[1])


def opposite(code: str) -> str:
    """The reverse patient direction of a code ("LF" -> "RH"); "" when any letter is not a direction."""
    letters = [_OPPOSITE.get(letter) for letter in code]
    return "" if not code or None in letters else "".join(letter for letter in letters if letter)


def edge_labels(patient_orientation: str, orientation: DisplayOrientation) -> dict[str, str]:
    """Patient-direction letters for each screen edge ("left", "right", "top", "bottom").

    Args:
        patient_orientation: the metadata string, two codes joined by a backslash (e.g. "L\\F"); anything
            else (empty, one code, unknown letters) gives no labels rather than a guess.
        orientation: the current display flips/rotation.

    Returns:
        {} when the orientation is unknown; otherwise the letters at each edge after the flips/rotation.
    """
    parts = [part.strip().upper() for part in patient_orientation.split("\\")]
    if len(parts) != 2 or not all(opposite(part) for part in parts):
        return {}
    along = {(1, 0): parts[0], (-1, 0): opposite(parts[0]), (0, 1): parts[1], (0, -1): opposite(parts[1])}
    return {edge: along[orientation.to_image(direction)] for edge, direction in EDGES.items()}
