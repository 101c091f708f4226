"""Where a PyInstaller onedir bundle finds its parts, simulated without building one.

PyInstaller sets ``sys.frozen`` and ``sys._MEIPASS`` (the ``_internal`` folder that holds the bundled data)
and ``sys.executable`` is the app itself: resources and the demo model come from inside the bundle, while
``weights/`` beside the executable is the user's, and the shipped checksum manifest still counts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from carzero_viewer.checksums import load_manifest, lookup, manifest_paths, user_manifest_path
from carzero_viewer.paths import (
    app_root,
    demo_model_dir,
    resources_dir,
    sample_study_dir,
    weights_candidates,
)

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake onedir bundle: ``<bundle>/carzero-viewer`` and ``<bundle>/_internal/resources/...``."""
    root = tmp_path / "carzero-viewer-0.1.0"
    (root / "_internal" / "resources" / "carzero-tiny").mkdir(parents=True)
    (root / "_internal" / "resources" / "samples").mkdir()
    (root / "carzero-viewer").write_bytes(b"")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(root / "_internal"), raising=False)
    monkeypatch.setattr(sys, "executable", str(root / "carzero-viewer"))
    return root


def _write_manifest(path: Path, sha256: str, trained: bool, name: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"name": name, "sha256": sha256, "trained": trained, "description": name}
    path.write_text(json.dumps({"files": [entry]}), encoding="utf-8")


def test_checkout_layout() -> None:
    assert app_root() == CHECKOUT
    assert resources_dir() == CHECKOUT / "resources"
    assert demo_model_dir() == CHECKOUT / "tests" / "data" / "carzero-tiny"
    assert (demo_model_dir() / "checkpoint.ckpt").is_file()
    assert sample_study_dir() == CHECKOUT / "resources" / "samples"


def test_bundle_data_inside_weights_beside_the_executable(bundle: Path) -> None:
    internal = bundle / "_internal"
    assert app_root() == bundle
    assert resources_dir() == internal / "resources"
    assert demo_model_dir() == internal / "resources" / "carzero-tiny"
    assert sample_study_dir() == internal / "resources" / "samples"
    assert ("application folder", bundle / "weights") in weights_candidates()
    assert manifest_paths() == [
        bundle / "weights" / "manifest.json",
        user_manifest_path(),
        internal / "resources" / "weights" / "manifest.json",
    ]


def test_bundled_manifest_counts_and_the_users_comes_first(bundle: Path) -> None:
    bundled = bundle / "_internal" / "resources" / "weights" / "manifest.json"
    _write_manifest(bundled, "ab" * 32, trained=False, name="shipped")
    entry = lookup("AB" * 32)
    assert entry is not None and entry.name == "shipped" and not entry.trained

    _write_manifest(bundle / "weights" / "manifest.json", "ab" * 32, trained=True, name="user")
    assert [e.name for e in load_manifest()] == ["user", "shipped"]
    entry = lookup("ab" * 32)
    assert entry is not None and entry.name == "user" and entry.trained
