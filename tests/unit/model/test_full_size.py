"""A randomly initialised full-size model in the official layout: strict load and lossless conversion.

Uses the real 220M-parameter architecture (434 checkpoint keys, as in ``shared/carzero/state_dict_keys.json``),
so it takes tens of seconds; the arrays it compares are exact (conversion must not change one bit).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from carzero_viewer.cli import main
from carzero_viewer.inference.device import select_device
from carzero_viewer.inference.engine import InferenceEngine
from carzero_viewer.model.checkpoint import read_official_checkpoint
from carzero_viewer.model.loader import WeightsStatus, load_model
from carzero_viewer.model.random_init import released_config, write_weights_folder
from carzero_viewer.paths import resolve_weights_folder

pytestmark = pytest.mark.slow
PROMPTS = ["There is a large left pleural effusion.", "No pneumothorax is seen."]
RELEASED_KEY_COUNT = 434
RELEASED_PARAMETERS = 220_770_306


@pytest.fixture(scope="module")
def official_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("full-official")
    write_weights_folder(folder, released_config(), seed=7, fmt="ckpt")
    return folder


def _outputs(folder: Path) -> tuple[np.ndarray, np.ndarray, WeightsStatus]:
    loaded = load_model(resolve_weights_folder(folder))
    engine = InferenceEngine(loaded, select_device("cpu"))
    gray = (np.arange(300 * 260, dtype=np.uint32).reshape(300, 260) % 251).astype(np.uint8)
    results = engine.score_texts(gray, PROMPTS, word_maps=False)
    return (
        np.array([r.score for r in results]),
        np.stack([r.grounding_map for r in results]),
        loaded.info.status,
    )


def test_official_layout_has_every_released_key(official_folder: Path) -> None:
    raw = read_official_checkpoint(official_folder / "carzero_demo.ckpt")
    assert len(raw.tensors) == RELEASED_KEY_COUNT
    with zipfile.ZipFile(official_folder / "carzero_demo.ckpt") as archive:
        assert any(name.endswith("data.pkl") for name in archive.namelist())


def test_full_size_loads_strictly_and_counts_parameters(official_folder: Path) -> None:
    loaded = load_model(resolve_weights_folder(official_folder))
    assert loaded.info.tensor_count == RELEASED_KEY_COUNT  # what `weights verify`/`download` report
    unique = sum(p.numel() for p in loaded.model.parameters())
    unused = 10_046_209  # fusion self-attention + norm1, logit_scale and the BERT pooler (spec section 2)
    assert unique == RELEASED_PARAMETERS - unused
    assert loaded.info.status is WeightsStatus.UNTRAINED


def test_convert_to_safetensors_and_back_is_lossless(official_folder: Path, tmp_path: Path) -> None:
    reference = _outputs(official_folder)
    assert (
        main(["weights", "convert", str(official_folder), str(tmp_path / "st"), "--to", "safetensors"]) == 0
    )
    converted = _outputs(tmp_path / "st")
    assert main(["weights", "convert", str(tmp_path / "st"), str(tmp_path / "back"), "--to", "ckpt"]) == 0
    back = _outputs(tmp_path / "back")
    for other in (converted, back):
        np.testing.assert_array_equal(other[0], reference[0])
        np.testing.assert_array_equal(other[1], reference[1])
        assert other[2] is WeightsStatus.UNTRAINED
    original = read_official_checkpoint(official_folder / "carzero_demo.ckpt").tensors
    returned = read_official_checkpoint(tmp_path / "back" / "carzero_demo.ckpt").tensors
    assert set(returned) == set(original)
    assert all(torch.equal(returned[key], value) for key, value in original.items())
