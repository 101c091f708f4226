"""The calibration profile loaded in the viewer, the chosen operating point, and what they say of a row.

A profile (:mod:`carzero_viewer.calibration`) turns a finding's raw score into a probability and an
operating-point call; it holds only for the weights it was fitted with, so it is checked against the loaded
model's SHA-256 when it is loaded and again whenever another model loads (a mismatch drops it, and
``refused`` carries the one-line reason naming the file). Without a profile a row is described by its rank
among the image's rows and :data:`RAW_SCORE_MEANING`. Numpy only, no Qt: the window and tests drive it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from psygnal import Signal

from carzero_viewer.calibration import (
    DEFAULT_POINT,
    POINTS,
    CalibrationError,
    CalibrationProfile,
    FindingCalibration,
    read_profile,
)

RAW_SCORE_MEANING = (
    "Raw score = CARZero's logit: higher = the image matches the text better than a lower-scored prompt; "
    "not a probability, no threshold."
)
NOT_CALIBRATED = "not calibrated"


@dataclass(frozen=True)
class RowCalibration:
    """What the profile says of one row's raw score.

    Attributes:
        probability: the calibrated probability in [0, 1]; None when the row is not calibrated.
        above: whether the raw score reaches the chosen operating point's threshold; None when not calibrated.
        reason: why the row is not calibrated ("" when it is).
    """

    probability: float | None
    above: bool | None
    reason: str = ""


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ..., ``11th``, ``21st``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_text(score: float, scores: Sequence[float]) -> str:
    """``"2nd of 6"``: the place of ``score`` among the image's ``scores`` (ties share the better place)."""
    place = 1 + sum(1 for other in scores if other > score)
    return f"{ordinal(place)} of {len(scores)}"


class Calibration:
    """The loaded profile (None: none) and the operating point its calls use."""

    changed = Signal()  # the profile or the operating point changed
    refused = Signal(str)  # a profile was refused or dropped: the one-line reason

    def __init__(self) -> None:
        self._profile: CalibrationProfile | None = None
        self._point = DEFAULT_POINT

    @property
    def profile(self) -> CalibrationProfile | None:
        return self._profile

    @property
    def point(self) -> str:
        return self._point

    def load(self, path: Path, weights_sha256: str) -> CalibrationProfile:
        """Read ``path`` and use it (``weights_sha256`` "" when no model is loaded yet: checked on load).

        Raises:
            CalibrationError: malformed, from a future version, or for other weights (one line, the file
                named); the profile in use stays.
        """
        profile = read_profile(path)
        if weights_sha256:
            profile.check_weights(weights_sha256)
        self._profile = profile
        self.changed.emit()
        return profile

    def clear(self) -> None:
        if self._profile is not None:
            self._profile = None
            self.changed.emit()

    def set_point(self, point: str) -> None:
        if point not in POINTS:
            raise CalibrationError(f"unknown operating point {point!r}; one of {', '.join(POINTS)}")
        if point != self._point:
            self._point = point
            self.changed.emit()

    def model_loaded(self, weights_sha256: str) -> None:
        """Another model: a profile of other weights is dropped and ``refused`` says why."""
        if self._profile is None or not weights_sha256:
            return
        try:
            self._profile.check_weights(weights_sha256)
        except CalibrationError as exc:
            self.clear()
            self.refused.emit(exc.message)

    def row(self, name: str, phrasings: tuple[str, ...], raw_score: float) -> RowCalibration:
        """The probability and operating-point call of a row whose raw score is the mean of ``phrasings``.

        Args:
            name: the finding's name, or the typed prompt for a single prompt (as ``score`` names it).
        """
        profile = self._profile
        if profile is None:
            return RowCalibration(None, None, "no calibration profile loaded")
        if not profile.calibrates(name):
            return RowCalibration(None, None, f"{NOT_CALIBRATED}: {name!r} is not in the profile")
        if not profile.calibrates(name, phrasings):
            return RowCalibration(
                None, None, f"{NOT_CALIBRATED}: the profile fitted {name!r} with other phrasings"
            )
        return RowCalibration(
            profile.probability(name, raw_score),
            profile.above_operating_point(name, raw_score, self._point),
        )

    def finding(self, name: str, phrasings: tuple[str, ...]) -> FindingCalibration | None:
        """The stored calibration a row of ``name`` and ``phrasings`` uses (its plots), or None."""
        profile = self._profile
        if profile is None or not profile.calibrates(name, phrasings):
            return None
        return profile.finding(name)

    def summary(self, row: RowCalibration) -> str:
        """One line for exports: the row's probability and call, or why it has none, with the profile's
        provenance ("" without a profile, so figures without one keep their exact text)."""
        profile = self._profile
        if profile is None:
            return ""
        p = profile.provenance
        name = profile.source.name if profile.source else "(unnamed)"
        source = (
            f"profile {name}: weights {p.weights_sha256[:12]}, labels {p.labels_file}, {p.images_scored} images, "
            f"{p.created_utc}{'; UNTRAINED weights' if p.weights_untrained else ''}"
        )
        if row.probability is None:
            return f"Calibrated probability: none ({row.reason}; {source})"
        side = "at or above" if row.above else "below"
        return f"Calibrated probability: {row.probability:.3f}, {side} the {self._point} operating point ({source})"

    def provenance(self) -> str:
        """The profile's name and provenance, one item a line ("" without a profile)."""
        profile = self._profile
        if profile is None:
            return ""
        p = profile.provenance
        lines = [
            f"Calibration profile: {profile.source.name if profile.source else '(unnamed)'}",
            f"weights SHA-256: {p.weights_sha256}",
            f"labels: {p.labels_file} · images: {p.images_folder} ({p.images_scored} scored)",
            f"fitted {p.created_utc} with carzero-viewer {p.app_version}; operating point: {self._point}",
        ]
        if p.weights_untrained:
            lines.insert(1, "UNTRAINED weights: these probabilities mean nothing clinically")
        return "\n".join(lines)
