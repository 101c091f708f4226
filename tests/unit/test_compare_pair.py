"""Compare images' two rules: the default reference image and whether one window/level suits both images."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from carzero_viewer.imaging import load_image
from carzero_viewer.ui.compare_pair import default_reference, same_modality

STUDY = [Path("a.png"), Path("b.png"), Path("c.png")]


@pytest.mark.parametrize(
    ("current", "expected"),
    [(Path("b.png"), Path("a.png")), (Path("c.png"), Path("b.png")), (Path("a.png"), Path("b.png"))],
)
def test_the_reference_is_the_previous_image_or_the_next_for_the_first(current: Path, expected: Path) -> None:
    assert default_reference(STUDY, current) == expected


@pytest.mark.parametrize(
    ("files", "current"),
    [([Path("a.png")], Path("a.png")), (STUDY, None), (STUDY, Path("elsewhere.png")), ([], None)],
)
def test_no_reference_without_another_image(files: list[Path], current: Path | None) -> None:
    assert default_reference(files, current) is None


def test_same_modality(test_data_dir: Path) -> None:
    png = load_image(test_data_dir / "cxr" / "00000001_000.png")
    other_png = load_image(test_data_dir / "carzero-tiny" / "image.png")
    cr = load_image(
        test_data_dir / "dicom" / "SIIM_1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm"
    )
    mr = load_image(test_data_dir / "dicom" / "emri_small.dcm")
    assert cr.metadata["modality"] == "CR" and mr.metadata["modality"] == "MR"
    assert same_modality(png, other_png)
    assert same_modality(cr, replace(mr, metadata={**mr.metadata, "modality": "cr"}))
    assert not same_modality(cr, mr)
    assert not same_modality(png, cr)
    assert not same_modality(cr, png)


def test_module_imports_without_qt(repo_root: Path) -> None:
    probe = (
        "import json, sys, carzero_viewer.ui.compare_pair; "
        "print(json.dumps([m for m in ('PySide6', 'pyqtgraph', 'superqt', 'torch') if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo_root, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
