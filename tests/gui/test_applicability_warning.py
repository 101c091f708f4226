"""The applicability warning: shown on the canvas and in the scores panel for a non-chest image, hidden for a
chest radiograph, and never a refusal (the image is still the one shown)."""

from __future__ import annotations

from pathlib import Path

import pytest

from carzero_viewer.ui.applicability_banner import ApplicabilityBanner, reason_head, warning_html
from carzero_viewer.ui.main_window import MainWindow

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]
MR = ROOT / "tests" / "data" / "dicom" / "emri_small.dcm"  # a 64x64 magnetic-resonance DICOM
CHEST = ROOT / "resources" / "samples" / "00000344_003.png"  # an NIH frontal chest radiograph


@pytest.fixture
def window(open_window):
    return open_window()


def _show(qtbot, win: MainWindow, path: Path) -> None:
    win.show_file(path)
    qtbot.waitUntil(lambda: win.record is not None and win.record.path == path, timeout=30_000)


def _warnings(win: MainWindow) -> list[ApplicabilityBanner]:
    return [win.applicability_banner, win.scores_panel.applicability]


def test_a_non_chest_dicom_is_shown_with_a_warning_listing_the_reasons(qtbot, window) -> None:
    _show(qtbot, window, MR)
    for banner in _warnings(window):
        assert banner.isVisibleTo(window)
        assert "Modality is MR" in banner.text()
        assert "64x64 pixels" in banner.text()
        assert "enlarged before scoring" in banner.toolTip()  # the full sentences
        assert banner.wordWrap()


def test_the_warning_hides_for_a_chest_radiograph(qtbot, window) -> None:
    _show(qtbot, window, MR)
    _show(qtbot, window, CHEST)
    for banner in _warnings(window):
        assert not banner.isVisibleTo(window)
        assert banner.reasons() == () and banner.toolTip() == ""


def test_a_reason_head_is_what_was_found() -> None:
    assert (
        reason_head("view position is LL (lateral): the model was trained on")
        == "view position is LL (lateral)"
    )
    assert reason_head("the image is in colour (RGB); the model reads") == "the image is in colour (RGB)"
    assert reason_head("no explanation") == "no explanation"


def test_reasons_quoting_the_file_are_escaped() -> None:
    assert "<b>x</b>" not in warning_html(["Body part is <b>x</b>"])
    assert "&lt;b&gt;x&lt;/b&gt;" in warning_html(["Body part is <b>x</b>"])
