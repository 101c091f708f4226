"""Test-wide setup: offscreen Qt, offline Hugging Face, and user dirs that never touch the real ones.

The environment is set at import time (before any test module can import Qt or transformers, the reference
the app's BERT is tested against). Settings and
data dirs point into a throw-away directory for the whole session, and every test additionally gets its own
pair through the autouse ``isolated_user_dirs`` fixture (labelme-style: one settings file per test), so a
test can never read state written by another test or by the developer's own copy of the app.
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

REPO_ROOT = Path(__file__).resolve().parents[1]

_SESSION_DIR_KEY = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Point every user dir at a fresh session directory before collection imports anything."""
    session_dir = Path(tempfile.mkdtemp(prefix="carzero-tests-"))
    config.stash[_SESSION_DIR_KEY] = session_dir
    for name, sub in (
        ("CARZERO_CONFIG_DIR", "config"),
        ("CARZERO_DATA_DIR", "data"),
        # Qt (QSettings, QStandardPaths) and platformdirs follow the XDG variables on Linux.
        ("XDG_CONFIG_HOME", "xdg-config"),
        ("XDG_DATA_HOME", "xdg-data"),
    ):
        path = session_dir / sub
        path.mkdir()
        os.environ[name] = str(path)
    if "XDG_RUNTIME_DIR" not in os.environ:
        runtime = session_dir / "runtime"
        runtime.mkdir(mode=0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)

    try:
        from hypothesis import settings
    except ImportError:  # hypothesis is a dev extra; the suite must still import without it
        return
    # CI machines are small and shared: no per-example deadline, reproducible examples.
    settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
    if os.environ.get("CI"):
        settings.load_profile("ci")


def pytest_unconfigure(config: pytest.Config) -> None:
    session_dir = config.stash.get(_SESSION_DIR_KEY, None)
    if session_dir is not None:
        shutil.rmtree(session_dir, ignore_errors=True)


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """Give each test its own settings and data dirs; yields ``(config_dir, data_dir)``."""
    config_dir = tmp_path / "user-config"
    data_dir = tmp_path / "user-data"
    config_dir.mkdir()
    data_dir.mkdir()
    monkeypatch.setenv("CARZERO_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("CARZERO_DATA_DIR", str(data_dir))
    yield config_dir, data_dir


@pytest.fixture(autouse=True)
def collect_qt_garbage(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a GUI test, collect cycles (closed windows and their panels) here, in the GUI thread, between
    tests, rather than whenever the collector would next run (the app confines collection to the GUI thread:
    carzero_viewer.ui.gui_gc). Only GUI and end-to-end tests pay the ~0.1 s a full collection costs; the
    others get Python's automatic collector back."""
    gui = bool({"gui", "e2e"} & set(request.node.path.parts))
    if not gui:
        gc.enable()  # headless tests run with Python's own collector, as the CLI does
    yield
    if gui:
        gc.collect()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository checkout (the directory holding pyproject.toml)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def test_data_dir(repo_root: Path) -> Path:
    """Small committed test inputs: ``tests/data``."""
    return repo_root / "tests" / "data"


@pytest.fixture(scope="session")
def shared_dir(repo_root: Path) -> Path:
    """The ``shared`` directory beside the checkout (reference material); skips the test when absent."""
    path = repo_root.parent / "shared"
    if not path.is_dir():
        pytest.skip(f"{path} is not available on this machine")
    return path


@pytest.fixture(scope="session")
def dciodvfy() -> Callable[[Path], list[str]]:
    """A function giving the ``Error`` lines of dicom3tools' ``dciodvfy`` for a DICOM file (IOD validation).

    Skips the test when dciodvfy is not installed, except on CI (``CI=true``), where it fails: there the tool
    comes with ``make sysdeps`` and the check must never silently disappear.
    """
    executable = shutil.which("dciodvfy")
    if executable is None:
        message = "dciodvfy (Debian package dicom3tools) is not installed; run `make sysdeps`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)

    def errors(path: Path) -> list[str]:
        done = subprocess.run(
            [executable, str(path)], capture_output=True, text=True, timeout=60, check=False
        )
        lines = (done.stdout + done.stderr).splitlines()
        return [line for line in lines if line.startswith("Error")]

    return errors
