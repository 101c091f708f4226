"""The findings-and-calibration shots of ``take_screenshots.py``: the scores with a profile loaded (probability
column) and the reliability dialog, saved as ``calibrated_scores_WxH.png`` and ``reliability_dialog_WxH.png``.

Kept in its own module so the main script only calls :func:`shoot_calibration`. The profile is a real
``calibrate`` run with the demo (UNTRAINED) weights on the NIH test images and their labels: only Atelectasis
has 2 positives and 2 negatives there, so it is the one finding calibrated (``--min-cases 2``; its numbers mean
nothing, the mechanics are real) and the other rows say why they are not.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication
from screenshot_helpers import ROOT, dispose, fresh_window, screen_size, shoot_sized, wait

from carzero_viewer.cli import main as cli_main
from carzero_viewer.findings import finding_for_label, library
from carzero_viewer.paths import demo_model_dir
from carzero_viewer.viewer_model.findings import finding_key

DATA = ROOT / "tests" / "data"


def calibrate_demo(folder: Path) -> Path:
    """``calibrate --findings chestxray14`` of the demo weights on the labelled NIH test images."""
    images = folder / "nih"
    images.mkdir()
    for path in [*(DATA / "annotations" / "images").glob("*.png"), *(DATA / "cxr").glob("0000*.png")]:
        shutil.copyfile(path, images / path.name)
    out = folder / "demo_profile.json"
    argv = ["calibrate", "--images", str(images), "--findings", "chestxray14", "--out", str(out)]
    argv += ["--labels", str(DATA / "annotations" / "Data_Entry_2017.csv")]
    argv += ["--weights", str(demo_model_dir()), "--device", "cpu", "--min-cases", "2"]
    if cli_main(argv) != 0:
        raise RuntimeError("calibrate failed")
    return out


def shoot_calibration(app: QApplication) -> None:
    """Two findings and the prompts with a profile loaded (probability column), then the reliability dialog."""
    window = fresh_window(app)
    width, height = screen_size(app)
    window.open_paths([ROOT / "resources" / "samples" / "00000344_003.png"])
    wait(app, lambda: window.map_view is not None)
    findings = library("chestxray14")
    for label in ("Atelectasis", "Effusion"):
        finding = finding_for_label(findings, label)
        assert finding is not None
        window.prompt_panel.add_finding(finding)
    key = finding_key("Atelectasis")
    wait(app, lambda: key in window.scores_panel.shown_prompts())
    with tempfile.TemporaryDirectory() as folder:
        assert window.calibration_view.load_profile(calibrate_demo(Path(folder)))
        wait(app, lambda: window.scores_panel.calibrated_text(key).startswith(("0", "1")))
        window.scores_panel.select_prompt(key)
        wait(app, lambda: window.map_view is not None and window.map_view.prompt_text == "Atelectasis")
        shoot_sized(app, "calibrated_scores")
        window.calibration_view.show_reliability(key)
        dialog = window.calibration_view.dialog
        assert dialog is not None
        dialog.move(width // 5, height // 7)
        wait(app, dialog.isVisible)
        shoot_sized(app, "reliability_dialog")
    dispose(app, window)
