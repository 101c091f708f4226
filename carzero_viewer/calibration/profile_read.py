"""Reading a calibration profile back through the untrusted-file boundary.

A profile is a file a user hands us (shared between sites, edited by hand), so every field is checked and
every refusal is one :class:`~carzero_viewer.calibration.profile.CalibrationError` line
``<file>: <field>: <reason>``. Bounds, and why:

- at most :data:`MAX_PROFILE_BYTES` (4 MiB): a profile of 100 findings with full reliability tables and
  curves is about 300 kB;
- at most :data:`MAX_FINDINGS` findings and :data:`MAX_PHRASINGS` phrasings each (the built-in libraries
  have 14-19 findings of a few phrasings);
- a ``schema_version`` other than :data:`~carzero_viewer.calibration.profile.SCHEMA_VERSION` is refused:
  a newer profile may mean something this version cannot honour, so it is not read "as best we can";
- numbers are finite; probabilities, rates and AUROC lie in [0, 1]; slopes are >= 0 (the fitter's
  constraint, which keeps the probability monotonic); interval bounds may be ``null`` (not available).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from carzero_viewer.calibration.finding import ROC_POINTS, Exclusion, FindingCalibration
from carzero_viewer.calibration.fitting import PlattFit, Reliability
from carzero_viewer.calibration.operating import POINTS, OperatingPoint
from carzero_viewer.calibration.profile import (
    FORMAT,
    SCHEMA_VERSION,
    CalibrationError,
    CalibrationProfile,
    Provenance,
)
from carzero_viewer.untrusted import (
    fail,
    read_json,
    require_bool,
    require_choice,
    require_float,
    require_int,
    require_list,
    require_object,
    require_str,
)

MAX_PROFILE_BYTES = 4 * 1024 * 1024
MAX_FINDINGS = 1000
MAX_PHRASINGS = 100
MAX_TEXT = 1000
MAX_BINS = 100
MAX_COUNT = 10**9
MAX_SCORE = 1e6  # raw scores are logits of order 1-100; a threshold beyond this is not a score
MAX_SLOPE = 1e9
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _at(field: str, key: str) -> str:
    """The path of ``key`` inside ``field`` (``findings[0].platt.slope``; a top-level key is itself)."""
    return f"{field}.{key}" if field else key


class _Reader:
    """Field checks for one profile file, naming each field by its path in the document."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def obj(self, value: object, field: str) -> dict[str, Any]:
        return require_object(value, self.path, CalibrationError, field)

    def get(self, data: dict[str, Any], key: str, field: str) -> object:
        if key not in data:
            fail(CalibrationError, self.path, _at(field, key), "is missing")
        return data[key]

    def integer(self, data: dict[str, Any], key: str, field: str, low: int = 0, high: int = MAX_COUNT) -> int:
        return require_int(
            self.get(data, key, field), self.path, CalibrationError, _at(field, key), low, high
        )

    def num(self, data: dict[str, Any], key: str, field: str, low: float, high: float) -> float:
        value = self.get(data, key, field)
        return require_float(value, self.path, CalibrationError, _at(field, key), low, high)

    def text(self, data: dict[str, Any], key: str, field: str) -> str:
        return require_str(self.get(data, key, field), self.path, CalibrationError, _at(field, key), MAX_TEXT)

    def interval(
        self, data: dict[str, Any], key: str, field: str, low: float, high: float
    ) -> tuple[float, float]:
        where = _at(field, key)
        items = require_list(self.get(data, key, field), self.path, CalibrationError, where, 2)
        if len(items) != 2:
            fail(CalibrationError, self.path, where, "must be a [low, high] pair")
        bounds = [
            math.nan
            if v is None
            else require_float(v, self.path, CalibrationError, f"{where}[{i}]", low, high)
            for i, v in enumerate(items)
        ]
        return bounds[0], bounds[1]

    def floats(
        self, data: dict[str, Any], key: str, field: str, size: int, low: float, high: float
    ) -> tuple[float, ...]:
        where = _at(field, key)
        items = require_list(self.get(data, key, field), self.path, CalibrationError, where, size)
        return tuple(
            require_float(v, self.path, CalibrationError, f"{where}[{i}]", low, high)
            for i, v in enumerate(items)
        )


def _reliability(r: _Reader, data: dict[str, Any], key: str, field: str) -> Reliability:
    where = _at(field, key)
    table = r.obj(r.get(data, key, field), where)
    predicted = r.floats(table, "predicted", where, MAX_BINS, 0.0, 1.0)
    observed = r.floats(table, "observed", where, MAX_BINS, 0.0, 1.0)
    counts_list = require_list(
        r.get(table, "counts", where), r.path, CalibrationError, f"{where}.counts", MAX_BINS
    )
    counts = tuple(
        require_int(v, r.path, CalibrationError, f"{where}.counts[{i}]", 1, MAX_COUNT)
        for i, v in enumerate(counts_list)
    )
    if not len(predicted) == len(observed) == len(counts):
        fail(CalibrationError, r.path, where, "predicted, observed and counts differ in length")
    return Reliability(predicted, observed, counts)


def _point(r: _Reader, name: str, data: dict[str, Any], field: str) -> OperatingPoint:
    return OperatingPoint(
        name=name,
        threshold=r.num(data, "threshold", field, -MAX_SCORE, MAX_SCORE),
        threshold_ci=r.interval(data, "threshold_ci", field, -MAX_SCORE, MAX_SCORE),
        sensitivity=r.num(data, "sensitivity", field, 0.0, 1.0),
        sensitivity_ci=r.interval(data, "sensitivity_ci", field, 0.0, 1.0),
        specificity=r.num(data, "specificity", field, 0.0, 1.0),
        specificity_ci=r.interval(data, "specificity_ci", field, 0.0, 1.0),
    )


def _finding(r: _Reader, value: object, field: str) -> FindingCalibration:
    data = r.obj(value, field)
    phrasing_list = require_list(
        r.get(data, "phrasings", field), r.path, CalibrationError, f"{field}.phrasings", MAX_PHRASINGS
    )
    phrasings = tuple(
        require_str(p, r.path, CalibrationError, f"{field}.phrasings[{i}]", MAX_TEXT)
        for i, p in enumerate(phrasing_list)
    )
    platt = r.obj(r.get(data, "platt", field), f"{field}.platt")
    points = r.obj(r.get(data, "operating_points", field), f"{field}.operating_points")
    roc = r.obj(r.get(data, "roc", field), f"{field}.roc")
    fpr = r.floats(roc, "fpr", f"{field}.roc", ROC_POINTS, 0.0, 1.0)
    tpr = r.floats(roc, "tpr", f"{field}.roc", ROC_POINTS, 0.0, 1.0)
    if len(fpr) != len(tpr):
        fail(CalibrationError, r.path, f"{field}.roc", "fpr and tpr differ in length")
    return FindingCalibration(
        name=r.text(data, "name", field),
        phrasings=phrasings,
        n_positive=r.integer(data, "n_positive", field, 1),
        n_negative=r.integer(data, "n_negative", field, 1),
        platt=PlattFit(
            slope=r.num(platt, "slope", f"{field}.platt", 0.0, MAX_SLOPE),
            intercept=r.num(platt, "intercept", f"{field}.platt", -MAX_SLOPE, MAX_SLOPE),
            slope_se=r.num(platt, "slope_se", f"{field}.platt", 0.0, math.inf),
            intercept_se=r.num(platt, "intercept_se", f"{field}.platt", 0.0, math.inf),
            clamped=require_bool(
                r.get(platt, "clamped", f"{field}.platt"), r.path, CalibrationError, f"{field}.platt.clamped"
            ),
        ),
        auroc=r.num(data, "auroc", field, 0.0, 1.0),
        auroc_ci=r.interval(data, "auroc_ci", field, 0.0, 1.0),
        before=_reliability(r, data, "reliability_before", field),
        after=_reliability(r, data, "reliability_after", field),
        folds=r.integer(data, "folds", field, 2),
        points=tuple(
            _point(
                r,
                name,
                r.obj(r.get(points, name, f"{field}.operating_points"), f"{field}.operating_points.{name}"),
                f"{field}.operating_points.{name}",
            )
            for name in POINTS
        ),
        roc=(fpr, tpr),
    )


def _exclusion(r: _Reader, value: object, field: str) -> Exclusion:
    data = r.obj(value, field)
    return Exclusion(
        r.text(data, "name", field),
        r.integer(data, "n_positive", field),
        r.integer(data, "n_negative", field),
        r.text(data, "reason", field),
    )


def _provenance(r: _Reader, value: object) -> Provenance:
    data = r.obj(value, "provenance")
    sha = r.text(data, "weights_sha256", "provenance")
    if not _SHA256.fullmatch(sha):
        fail(
            CalibrationError, r.path, "provenance.weights_sha256", "must be 64 lower-case hexadecimal digits"
        )
    untrained = require_bool(
        r.get(data, "weights_untrained", "provenance"),
        r.path,
        CalibrationError,
        "provenance.weights_untrained",
    )
    return Provenance(
        weights_sha256=sha,
        weights_untrained=untrained,
        labels_file=r.text(data, "labels_file", "provenance"),
        images_folder=r.text(data, "images_folder", "provenance"),
        images_scored=r.integer(data, "images_scored", "provenance"),
        created_utc=r.text(data, "created_utc", "provenance"),
        app_version=r.text(data, "app_version", "provenance"),
        folds=r.integer(data, "folds", "provenance", 2, 1000),
        bootstrap=r.integer(data, "bootstrap", "provenance"),
        seed=r.integer(data, "seed", "provenance"),
        min_cases=r.integer(data, "min_cases", "provenance"),
        ece_bins=r.integer(data, "ece_bins", "provenance", 1, MAX_BINS),
    )


def read_profile(path: str | Path) -> CalibrationProfile:
    """Read and check a profile written by :func:`~carzero_viewer.calibration.profile.write_profile`.

    Raises:
        CalibrationError: not a regular file, too large, not JSON, another format, a future schema version,
            or any field missing or out of bounds (one line naming the file and the field).
    """
    path = Path(path)
    r = _Reader(path)
    data = r.obj(read_json(path, CalibrationError, "calibration profile", MAX_PROFILE_BYTES), "")
    require_choice(r.get(data, "format", ""), path, CalibrationError, "format", (FORMAT,))
    version = r.integer(data, "schema_version", "", 1)
    if version != SCHEMA_VERSION:
        fail(
            CalibrationError,
            path,
            "schema_version",
            f"{version} is not supported by this version of the app (it reads {SCHEMA_VERSION}); update the app",
        )
    provenance = _provenance(r, r.get(data, "provenance", ""))
    finding_list = require_list(r.get(data, "findings", ""), path, CalibrationError, "findings", MAX_FINDINGS)
    findings: dict[str, FindingCalibration] = {}
    for index, value in enumerate(finding_list):
        finding = _finding(r, value, f"findings[{index}]")
        if finding.name in findings:
            fail(CalibrationError, path, f"findings[{index}].name", f"{finding.name[:60]!r} appears twice")
        findings[finding.name] = finding
    excluded_value = r.get(data, "excluded", "")
    # no finding left out is the usual case; require_list refuses an empty list, which here means none
    excluded_list = (
        []
        if excluded_value == []
        else require_list(excluded_value, path, CalibrationError, "excluded", MAX_FINDINGS)
    )
    excluded = tuple(_exclusion(r, v, f"excluded[{i}]") for i, v in enumerate(excluded_list))
    return CalibrationProfile(provenance, findings, excluded, path)
