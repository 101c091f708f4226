"""Profiles: written through files.py, read back through the boundary; every bad profile is one typed line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from carzero_viewer.calibration import (
    CalibrationError,
    CalibrationProfile,
    Exclusion,
    FindingCalibration,
    Provenance,
    calibrate_finding,
    read_profile,
    write_profile,
)
from carzero_viewer.calibration.fitting import sigmoid
from carzero_viewer.files import WriteError

SHA = "ab" * 32


def _profile() -> CalibrationProfile:
    rng = np.random.default_rng(0)
    scores = rng.normal(0.0, 2.0, 300)
    labels = rng.random(300) < sigmoid(1.5 * scores - 0.5)
    calibrated = calibrate_finding("Effusion", ("There is pleural effusion.",), scores, labels, n_boot=50)
    excluded = calibrate_finding("Hernia", ("There is hernia.",), scores, scores > 4.5, n_boot=50)
    assert isinstance(calibrated, FindingCalibration) and isinstance(excluded, Exclusion)
    provenance = Provenance(
        SHA, True, "labels.csv", "images", 300, "2026-01-01T00:00:00Z", "1.0", 5, 50, 0, 10, 10
    )
    return CalibrationProfile(provenance, {"Effusion": calibrated}, (excluded,))


@pytest.fixture
def written(tmp_path: Path) -> Path:
    return write_profile(tmp_path / "profile.json", _profile())


def _edit(path: Path, change: Any) -> Path:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_round_trip_keeps_every_value(written: Path) -> None:
    original = _profile()
    loaded = read_profile(written)
    assert loaded.provenance == original.provenance
    assert loaded.excluded == original.excluded
    assert loaded.findings == original.findings  # JSON floats round-trip exactly (repr)
    assert loaded.source == written


def test_probability_and_operating_points(written: Path) -> None:
    profile = read_profile(written)
    grid = np.linspace(-50.0, 50.0, 1001)
    p = [profile.probability("Effusion", float(s)) for s in grid]
    assert all(0.0 <= v <= 1.0 for v in p)
    assert np.all(np.diff(p) >= 0.0)
    thresholds = {p.name: p.threshold for p in profile.findings["Effusion"].points}
    threshold = thresholds["youden"]
    assert profile.above_operating_point("Effusion", threshold)
    assert not profile.above_operating_point("Effusion", float(np.nextafter(threshold, -np.inf)))
    assert profile.above_operating_point("Effusion", threshold, "specificity_0.95") is (
        threshold >= thresholds["specificity_0.95"]
    )
    with pytest.raises(CalibrationError, match="'Hernia' is not calibrated in this profile"):
        profile.probability("Hernia", 0.0)
    with pytest.raises(CalibrationError, match="unknown operating point 'sens'"):
        profile.above_operating_point("Effusion", 0.0, "sens")


def test_findings_are_found_by_any_label_spelling(written: Path) -> None:
    profile = read_profile(written)
    assert profile.calibrates("effusion") and profile.calibrates("Pleural_Effusion")
    assert profile.probability("pleural effusion", 1.0) == profile.probability("Effusion", 1.0)
    assert not profile.calibrates("Hernia")


def test_other_weights_are_refused_in_one_line(written: Path) -> None:
    profile = read_profile(written)
    profile.check_weights(SHA.upper())
    with pytest.raises(CalibrationError) as info:
        profile.check_weights("cd" * 32)
    assert str(info.value).startswith(f"{written}: made for weights with SHA-256 abababab")
    assert "\n" not in str(info.value)


def test_a_profile_without_exclusions_reads(written: Path) -> None:
    assert read_profile(_edit(written, lambda d: d.update(excluded=[]))).excluded == ()


def test_untrained_weights_are_said(written: Path) -> None:
    document = json.loads(written.read_text(encoding="utf-8"))
    assert document["provenance"]["weights_untrained"] is True
    assert "UNTRAINED" in document["untrained_warning"]


def test_an_existing_profile_is_not_overwritten(written: Path) -> None:
    with pytest.raises(WriteError, match="already exists"):
        write_profile(written, _profile())
    write_profile(written, _profile(), force=True)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.update(schema_version=2), "schema_version: 2 is not supported by this version"),
        (lambda d: d.update(format="other"), "format: 'other' is not one of"),
        (lambda d: d.pop("provenance"), "provenance: is missing"),
        (lambda d: d["provenance"].update(weights_sha256="xyz"), "weights_sha256: must be 64 lower-case"),
        (lambda d: d["findings"][0]["platt"].update(slope=-1.0), r"findings\[0\].platt.slope: -1 is outside"),
        (lambda d: d["findings"][0]["platt"].update(slope="2"), "slope: must be a number, not a string"),
        (lambda d: d["findings"][0].update(auroc=1.5), r"findings\[0\].auroc: 1.5 is outside"),
        (lambda d: d["findings"][0]["operating_points"].pop("youden"), "operating_points.youden: is missing"),
        (lambda d: d["findings"][0].update(auroc_ci=[0.5]), r"auroc_ci: must be a \[low, high\] pair"),
        (lambda d: d["findings"].append(d["findings"][0]), r"findings\[1\].name: 'Effusion' appears twice"),
        (lambda d: d["findings"][0]["reliability_after"]["counts"].pop(), "differ in length"),
        (lambda d: d.update(findings={}), "findings: must be a list, not an object"),
        (lambda d: d.update(findings=[]), "findings: is an empty list"),
    ],
)
def test_malformed_profiles_are_one_line_errors(written: Path, change: Any, reason: str) -> None:
    with pytest.raises(CalibrationError, match=reason) as info:
        read_profile(_edit(written, change))
    assert str(info.value).startswith(f"{written}: ")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{", "calibration profile is not valid JSON"),
        ('{"format": NaN}', "NaN is not valid JSON"),
        ("[]", "must be an object, not a list"),
    ],
)
def test_unreadable_profiles_are_one_line_errors(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CalibrationError, match=reason):
        read_profile(path)
    with pytest.raises(CalibrationError, match="does not exist"):
        read_profile(tmp_path / "missing.json")
