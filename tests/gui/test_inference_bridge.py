"""The inference bridge with the tiny fixture weights: results for the latest request only, clean shutdown."""

from __future__ import annotations

from pathlib import Path

import pytest

from carzero_viewer.imaging import load_image
from carzero_viewer.ui.inference_bridge import InferenceBridge
from carzero_viewer.viewer_model.responses import ModelState

pytestmark = [pytest.mark.gui, pytest.mark.slow]
TIMEOUT_MS = 60_000


@pytest.fixture
def bridge(qtbot):
    instance = InferenceBridge()
    yield instance
    instance.shutdown()
    assert not instance.is_running(), "the inference thread must be stopped after each test"


@pytest.fixture
def loaded_bridge(bridge, qtbot, test_data_dir: Path):
    with qtbot.waitSignal(bridge.model_ready, timeout=TIMEOUT_MS) as blocker:
        bridge.load_model([test_data_dir / "carzero-tiny"], "cpu")
    state = blocker.args[0]
    assert isinstance(state, ModelState)
    assert state.is_untrained
    assert state.status == "untrained"
    assert len(state.short_checksum) == 12
    return bridge


def test_results_for_the_fixture_image(loaded_bridge, qtbot, test_data_dir: Path) -> None:
    record = load_image(test_data_dir / "carzero-tiny" / "image.png")
    prompts = ["There is pneumothorax.", "cardiomegaly"]
    with qtbot.waitSignal(loaded_bridge.results_ready, timeout=TIMEOUT_MS) as blocker:
        request_id = loaded_bridge.submit(record.model_input, prompts, "There is {}.")
    got_id, response = blocker.args
    results = response.results
    assert got_id == request_id
    assert [r.prompt.typed for r in results] == prompts
    assert results[1].prompt.text == "There is cardiomegaly."
    for result in results:
        assert result.grounding_map.shape == (14, 14)
        assert result.geometry.original_size == record.shape


def test_stale_requests_are_cancelled_and_their_results_dropped(
    loaded_bridge, qtbot, test_data_dir: Path
) -> None:
    record = load_image(test_data_dir / "carzero-tiny" / "image.png")
    received: list[int] = []
    loaded_bridge.results_ready.connect(lambda rid, _results: received.append(rid))
    first = loaded_bridge.submit(record.model_input, ["pneumothorax"], "There is {}.")
    second = loaded_bridge.submit(record.model_input, ["effusion"], "There is {}.")
    assert second > first
    with qtbot.waitSignal(loaded_bridge.results_ready, timeout=TIMEOUT_MS) as blocker:
        pass
    assert blocker.args[0] == second
    assert blocker.args[1].results[0].prompt.typed == "effusion"
    # A late result for an old id (as if the worker finished it anyway) never reaches the widgets.
    with qtbot.assertNotEmitted(loaded_bridge.results_ready):
        loaded_bridge._on_results(first, blocker.args[1])
    qtbot.wait(200)
    assert received == [second]


def test_missing_weights_report_no_model_and_requests_fail(bridge, qtbot, tmp_path: Path) -> None:
    with qtbot.waitSignal(bridge.model_failed, timeout=TIMEOUT_MS) as blocker:
        bridge.load_model([tmp_path / "nowhere"], "cpu")
    assert blocker.args[0].startswith("no model")
    import numpy as np

    with qtbot.waitSignal(bridge.request_failed, timeout=TIMEOUT_MS) as failed:
        bridge.submit(np.zeros((32, 32), np.uint8), ["pneumothorax"], "There is {}.")
    assert "no model" in failed.args[1]


def test_negations_and_word_maps_come_back(loaded_bridge, qtbot, test_data_dir: Path) -> None:
    record = load_image(test_data_dir / "carzero-tiny" / "image.png")
    with qtbot.waitSignal(loaded_bridge.results_ready, timeout=TIMEOUT_MS) as blocker:
        loaded_bridge.submit(
            record.model_input,
            ["Pneumothorax"],
            "There is {}.",
            (("Pneumothorax", "There is no pneumothorax."),),
        )
    response = blocker.args[1]
    negation = response.negations["Pneumothorax"]
    assert negation.prompt.text == "There is no pneumothorax."
    assert negation.score != response.results[0].score
    assert response.results[0].word_maps.shape == (len(response.results[0].words), 14, 14)


def test_progress_stages_are_reported(loaded_bridge, qtbot, test_data_dir: Path) -> None:
    record = load_image(test_data_dir / "carzero-tiny" / "image.png")
    stages: list[str] = []
    loaded_bridge.progress.connect(stages.append)
    with qtbot.waitSignal(loaded_bridge.results_ready, timeout=TIMEOUT_MS):
        loaded_bridge.submit(record.model_input, ["There is edema."], "There is {}.")
    assert stages[0] == "encoding the image"
    assert stages[-1] == "scoring"


def test_a_request_on_another_channel_does_not_drop_the_default_channels(
    loaded_bridge, qtbot, test_data_dir: Path
) -> None:
    record = load_image(test_data_dir / "carzero-tiny" / "image.png")
    compare = loaded_bridge.channel("compare")
    assert loaded_bridge.channel("compare") is compare  # one channel per name
    main_ids: list[int] = []
    compare_ids: list[int] = []
    loaded_bridge.results_ready.connect(lambda rid, _response: main_ids.append(rid))
    compare.results_ready.connect(lambda rid, _response: compare_ids.append(rid))
    main = loaded_bridge.submit(record.model_input, ["pneumothorax"], "There is {}.")
    other = compare.submit(record.model_input, ["effusion"], "There is {}.")
    assert other != main
    qtbot.waitUntil(lambda: bool(main_ids and compare_ids), timeout=TIMEOUT_MS)
    qtbot.wait(200)
    assert main_ids == [main] and compare_ids == [other]


def test_stale_requests_are_dropped_per_channel(loaded_bridge, qtbot, test_data_dir: Path) -> None:
    record = load_image(test_data_dir / "carzero-tiny" / "image.png")
    compare = loaded_bridge.channel("compare")
    main_ids: list[int] = []
    compare_ids: list[int] = []
    loaded_bridge.results_ready.connect(lambda rid, _response: main_ids.append(rid))
    compare.results_ready.connect(lambda rid, _response: compare_ids.append(rid))
    first = compare.submit(record.model_input, ["pneumothorax"], "There is {}.")
    second = compare.submit(record.model_input, ["effusion"], "There is {}.")
    with qtbot.waitSignal(compare.results_ready, timeout=TIMEOUT_MS) as blocker:
        pass
    assert blocker.args[0] == second
    # A late result of the channel's older request reaches nobody, on this channel or the default one.
    loaded_bridge._on_results(first, blocker.args[1])
    # Invalidating the channel drops its running request; the default channel is untouched by it.
    third = compare.submit(record.model_input, ["edema"], "There is {}.")
    main = loaded_bridge.submit(record.model_input, ["edema"], "There is {}.")
    compare.invalidate()
    loaded_bridge._on_results(third, blocker.args[1])
    qtbot.waitUntil(lambda: main_ids == [main], timeout=TIMEOUT_MS)
    qtbot.wait(200)
    assert compare_ids == [second]
