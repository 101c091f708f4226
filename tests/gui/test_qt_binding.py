"""Guards against known defects of the Qt binding that would crash the viewer or the test run."""

from __future__ import annotations

import sys

import pytest

pytestmark = pytest.mark.gui


def test_process_events_keeps_the_reference_to_none(qapp) -> None:
    """PySide6 6.12.0 loses one reference to None per processEvents() call and the process aborts."""
    before = sys.getrefcount(None)
    for _ in range(500):
        qapp.processEvents()
    assert sys.getrefcount(None) - before > -250
