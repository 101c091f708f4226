"""Patient identity must never reach the log file (it is shown on screen and kept in DICOM files only)."""

from __future__ import annotations

from pathlib import Path

import pydicom

from carzero_viewer.paths import user_log_dir


def assert_no_identity_logged(source: Path) -> None:
    """The app's log files (this test's own, see tests/conftest.py) hold neither the name nor the ID."""
    ds = pydicom.dcmread(source, stop_before_pixels=True)
    identity = [str(ds.PatientID), str(ds.PatientName), str(ds.PatientName).replace("^", " ")]
    logs = [p for p in user_log_dir().glob("*") if p.is_file()]
    assert logs, "the command wrote no log file: nothing was checked"
    for log in logs:
        text = log.read_text(errors="replace")
        assert not [value for value in identity if value and value in text], log
