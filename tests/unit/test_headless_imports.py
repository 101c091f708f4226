"""The headless core imports neither torch nor Qt (architecture rule 1).

Each module is imported in a fresh interpreter, because this test process may already have torch or Qt
loaded by other tests. Modules that do not exist yet are skipped rather than failed.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

HEADLESS_MODULES = [
    "carzero_viewer",
    "carzero_viewer.cli",
    "carzero_viewer.errors",
    "carzero_viewer.calibration",
    "carzero_viewer.types",
    "carzero_viewer.findings",
    "carzero_viewer.model",
    "carzero_viewer.model.preprocessing",
    "carzero_viewer.viewer_model",
    "carzero_viewer.weights_download.pipeline",
    "carzero_viewer.pacs.dimse",
    "carzero_viewer.pacs.dicomweb",
    "carzero_viewer.imaging.source",
]
HEAVY_MODULES = ["torch", "transformers", "PySide6", "pyqtgraph", "superqt"]

_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
heavy = json.loads(sys.argv[2])
print(json.dumps(sorted(name for name in heavy if name in sys.modules)))
"""


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


@pytest.mark.parametrize("module", HEADLESS_MODULES)
def test_module_imports_without_torch_or_qt(module: str, repo_root: Path) -> None:
    if not _exists(module):
        pytest.skip(f"{module} does not exist yet")
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, module, json.dumps(HEAVY_MODULES)],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"importing {module} failed:\n{result.stderr}"
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == [], f"importing {module} pulled in {', '.join(loaded)}"
