"""The fast mode in the viewer (issue 17): where bf16 is native, an approximate bf16 answer comes first on the
same request id and the exact fp32 answer replaces it; elsewhere the mode is refused and only fp32 arrives.

This CPU may lack native bf16; the capability probe is monkeypatched (bf16 numerics are the same emulated).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carzero_viewer.imaging import load_image
from carzero_viewer.inference import device as device_module
from carzero_viewer.ui.inference_bridge import InferenceBridge
from carzero_viewer.ui.scores_panel import ScoresPanel
from carzero_viewer.viewer_model import ScoreResponse

pytestmark = [pytest.mark.gui, pytest.mark.slow]
TIMEOUT_MS = 60_000
PROMPTS = ["There is pneumothorax.", "cardiomegaly"]


def _scored(bridge: InferenceBridge, qtbot, test_data_dir: Path, native: bool, monkeypatch) -> list[object]:
    """Every (id, response, busy) event of one request, until the request is no longer busy."""
    monkeypatch.setattr(device_module, "cpu_supports_bf16", lambda: native)
    with qtbot.waitSignal(bridge.model_ready, timeout=TIMEOUT_MS) as ready:
        bridge.load_model([test_data_dir / "carzero-tiny"], "cpu")
    assert ready.args[0].fast_precision == ("bf16" if native else "")
    events: list[object] = []
    bridge.results_ready.connect(lambda rid, response: events.append((rid, response)))
    bridge.busy_changed.connect(events.append)
    record = load_image(test_data_dir / "carzero-tiny" / "image.png")
    with qtbot.waitSignal(bridge.busy_changed, timeout=TIMEOUT_MS, check_params_cb=lambda busy: not busy):
        request = bridge.submit(record.model_input, PROMPTS, "There is {}.", content_hash=record.content_hash)
    events.append(request)
    return events


@pytest.fixture
def bridge(qtbot):
    instance = InferenceBridge()
    yield instance
    instance.shutdown()


def test_the_approximate_answer_comes_first_and_the_exact_one_ends_the_request(
    bridge, qtbot, test_data_dir: Path, monkeypatch
) -> None:
    *events, request = _scored(bridge, qtbot, test_data_dir, True, monkeypatch)
    answers = [e for e in events if isinstance(e, tuple)]
    assert [e for e in events if isinstance(e, bool)] == [True, False]  # busy once, until the exact answer
    assert events.index(False) > events.index(answers[0])
    assert [rid for rid, _ in answers] == [request, request]
    approximate, exact = (response for _, response in answers)
    assert approximate.approximate and {r.precision for r in approximate.results} == {"bf16"}
    assert not exact.approximate and {r.precision for r in exact.results} == {"fp32"}
    # Same prompts; bf16 keeps ~3 significant digits, the tiny model's scores move by <1e-2 (measured 5e-3).
    for a, b in zip(approximate.results, exact.results, strict=True):
        assert a.prompt == b.prompt and abs(a.score - b.score) <= 2e-2 * max(1.0, abs(b.score))


def test_exact_results_are_those_of_the_plain_fp32_path(
    bridge, qtbot, test_data_dir: Path, monkeypatch
) -> None:
    preview_events = _scored(bridge, qtbot, test_data_dir, True, monkeypatch)
    exact = [e for e in preview_events if isinstance(e, tuple)][-1][1]
    plain = InferenceBridge()
    try:
        plain_events = _scored(plain, qtbot, test_data_dir, False, monkeypatch)
    finally:
        plain.shutdown()
    only = [e for e in plain_events if isinstance(e, tuple)]
    assert len(only) == 1  # no native bf16: no preview, one exact answer
    for a, b in zip(exact.results, only[0][1].results, strict=True):
        assert a.score == b.score and np.array_equal(a.grounding_map, b.grounding_map)


def test_no_preview_when_the_setting_is_off(bridge, qtbot, test_data_dir: Path, monkeypatch) -> None:
    bridge.set_fast_preview(False)
    events = _scored(bridge, qtbot, test_data_dir, True, monkeypatch)
    answers = [e for e in events if isinstance(e, tuple)]
    assert len(answers) == 1 and not answers[0][1].approximate


def test_the_scores_panel_labels_the_preview_until_the_exact_answer(
    bridge, qtbot, test_data_dir: Path, monkeypatch
) -> None:
    *events, _ = _scored(bridge, qtbot, test_data_dir, True, monkeypatch)
    approximate, exact = (e[1] for e in events if isinstance(e, tuple))
    panel = ScoresPanel()
    qtbot.addWidget(panel)
    panel.show()
    assert isinstance(approximate, ScoreResponse)
    panel.show_response(approximate, None, {})
    assert panel.precision_label.isVisible() and "approximate (bf16)" in panel.precision_label.text()
    panel.show_response(exact, None, {})
    assert not panel.precision_label.isVisible()


@pytest.mark.parametrize(("fast", "note"), [("bf16", "approximate"), ("", "Not available")])
def test_the_model_dialog_offers_the_fast_preview(qtbot, fast: str, note: str) -> None:
    from carzero_viewer.ui.model_dialog import ModelDialog

    dialog = ModelDialog("", "cpu", "")
    qtbot.addWidget(dialog)
    dialog.set_fast_preview(True, fast)
    assert dialog.fast_preview() and note in dialog.fast_note.text()
    dialog.fast_checkbox.setChecked(False)
    assert not dialog.fast_preview()
