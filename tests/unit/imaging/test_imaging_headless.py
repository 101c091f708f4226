"""The imaging package stays headless (no torch, transformers, Qt) and keeps patient identity out of sight."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pydicom

from carzero_viewer.imaging import full_tag_dump, load_image

DATA = Path(__file__).resolve().parents[2] / "data"
PROBE = """
import json, sys
from carzero_viewer.imaging import load_image, model_view
record = load_image(sys.argv[1])
model_view(record)
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in
      ('torch', 'transformers', 'PySide6', 'pyqtgraph', 'superqt'))))
"""


def test_loading_a_dicom_imports_neither_torch_nor_qt() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(DATA / "dicom" / "emri_small.dcm")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_full_tag_dump_is_explicit_and_the_only_place_with_identity() -> None:
    path = DATA / "dicom" / "966_fixed.dcm"
    patient_id = str(pydicom.dcmread(path, stop_before_pixels=True).PatientID)
    dump = "\n".join(full_tag_dump(path))
    assert patient_id in dump  # the user asked for everything
    record = load_image(path)
    assert patient_id not in repr(dict(record.metadata))
    assert record.pixel_value(0, 0) == float(record.pixels[0, 0])
