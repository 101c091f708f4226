"""Findings and a calibration profile in the real window with the tiny fixture (untrained weights: the numbers
mean nothing, the mechanics are real): a two-phrasing finding is one row whose score is the mean of its two
phrasings' single-prompt scores and whose map is their mean; a profile for these weights shows probabilities
and the reliability dialog; one for other weights is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carzero_viewer.findings import Finding
from carzero_viewer.settings import Settings
from carzero_viewer.ui.app import create_application
from carzero_viewer.ui.main_window import MainWindow
from carzero_viewer.viewer_model.findings import finding_key
from tests.profiles import write_test_profile
from tests.tolerances import bound

pytestmark = [pytest.mark.e2e, pytest.mark.gui, pytest.mark.slow]
TIMEOUT_MS = 60_000
EFFUSION = Finding("Effusion", ("There is pleural effusion.", "There is fluid in the pleural space."))


@pytest.fixture
def window(qtbot, test_data_dir: Path):
    create_application()
    win = MainWindow(Settings(prompts=list(EFFUSION.phrasings)))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.bridge.model_ready, timeout=TIMEOUT_MS):
        win.start_model([test_data_dir / "carzero-tiny"], "cpu")
    with qtbot.waitSignal(win.bridge.results_ready, timeout=TIMEOUT_MS):
        win.open_paths([test_data_dir / "carzero-tiny" / "image.png"])
    yield win
    win.close()


def test_finding_row_profile_and_reliability(window: MainWindow, qtbot, tmp_path: Path) -> None:
    key = finding_key("Effusion")
    singles = {t: window.response.result_for(t) for t in EFFUSION.phrasings}  # type: ignore[union-attr]
    assert all(r is not None for r in singles.values())
    window.prompt_panel.add_finding(EFFUSION)  # its phrasings are known: no inference needed
    qtbot.waitUntil(lambda: key in window.scores_panel.shown_prompts(), timeout=TIMEOUT_MS)
    row = window.response.result_for(key)  # type: ignore[union-attr]
    assert row is not None and len(window.scores_panel.shown_prompts()) == 3
    mean = sum(r.score for r in singles.values() if r is not None) / 2
    assert abs(row.score - mean) <= bound(mean, 1e-6)  # the 1e-6 on the same scores
    maps = [r.grounding_map for r in singles.values() if r is not None]
    np.testing.assert_allclose(row.grounding_map, np.mean(maps, axis=0), rtol=0, atol=bound(maps))
    window.scores_panel.select_prompt(key)
    assert window.map_view is not None and window.map_view.prompt_text == "Effusion"
    assert window.settings.extra["findings"] == {"Effusion": list(EFFUSION.phrasings)}

    state = window.model_state
    assert state is not None and len(state.sha256) == 64
    profile = write_test_profile(tmp_path / "tiny.json", {"Effusion": EFFUSION.phrasings}, state.sha256)
    assert window.calibration_view.load_profile(profile)
    qtbot.waitUntil(lambda: window.scores_panel.calibrated_text(key) != "", timeout=TIMEOUT_MS)
    probability = float(window.scores_panel.calibrated_text(key).split()[0])
    assert 0.0 <= probability <= 1.0
    assert window.scores_panel.calibrated_text(EFFUSION.phrasings[0]) == "not calibrated"
    assert "UNTRAINED" in window.scores_panel.calibration.caption.text()

    window.scores_panel.select_prompt(key)
    legend = window.chrome.exports.legend(window.response.result_for(key), -1)  # type: ignore[union-attr]
    assert legend.calibration.startswith(f"Calibrated probability: {probability:.3f}")
    assert "profile tiny.json" in legend.calibration and "UNTRAINED" in legend.calibration
    assert "Calibrated probability" in window.chrome.exports._description("prompt map")
    window.scores_panel.calibration.reliability_button.click()
    dialog = window.calibration_view.dialog
    assert dialog is not None and dialog.isVisible() and all(not p.isNull() for p in dialog.plots())
    dialog.close()

    other = write_test_profile(tmp_path / "other.json", {"Effusion": EFFUSION.phrasings}, "cd" * 32)
    assert not window.calibration_view.load_profile(other)
    assert any("other.json" in m and "SHA-256" in m for m in window.notifications.messages())
    assert window.model.calibration.profile is not None  # the good profile stays in use, and remembered
    assert window.settings.extra["calibration_profile"] == str(profile)
