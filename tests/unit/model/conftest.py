"""Fixtures for the model tests: the fidelity fixture produced by the original CARZero code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from carzero_viewer.model.loader import LoadedModel, load_model
from carzero_viewer.paths import resolve_weights_folder

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "carzero-tiny"


@pytest.fixture(scope="session")
def fixture_dir() -> Path:
    return FIXTURE


@pytest.fixture(scope="session")
def expected() -> dict[str, np.ndarray]:
    with np.load(FIXTURE / "expected.npz") as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="session")
def expected_text() -> Any:
    return json.loads((FIXTURE / "expected_text.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def prompts() -> list[str]:
    return list(json.loads((FIXTURE / "prompts.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def tiny_model() -> LoadedModel:
    return load_model(resolve_weights_folder(FIXTURE))
