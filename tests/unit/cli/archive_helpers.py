"""Helpers of the ``score --out`` tests: small distinct images, the fixture's weights, reading tables back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from tests.unit.model.conftest import FIXTURE

PROMPTS = ["effusion", "pneumothorax", "-leading dash"]
KEY = ["path", "prompt"]


def make_images(folder: Path, count: int, size: int = 96) -> list[Path]:
    """``count`` distinct grayscale PNGs (seeded noise over a gradient) in ``folder/sub`` and ``folder``."""
    rng = np.random.default_rng(7)
    paths = []
    for index in range(count):
        where = folder / "sub" if index % 2 else folder
        where.mkdir(parents=True, exist_ok=True)
        ramp = np.linspace(0, 200, size)[None, :] + rng.integers(0, 55, (size, size))
        path = where / f"img{index:03d}.png"
        Image.fromarray(ramp.astype(np.uint8)).save(path)
        paths.append(path)
    return paths


def truncated_png(path: Path, source: Path) -> Path:
    """A PNG whose header is fine and whose pixel data is cut short: it passes sniffing, fails decoding."""
    path.write_bytes(source.read_bytes()[:200])
    return path


def prompts_file(folder: Path) -> Path:
    path = folder / "prompts.json"
    path.write_text(json.dumps(PROMPTS))
    return path


def score_args(inputs: list[Path], out: Path, prompts: Path, *extra: str) -> list[str]:
    return [
        "score",
        *map(str, inputs),
        "--prompts-file",
        str(prompts),
        "--weights",
        str(FIXTURE),
        "--device",
        "cpu",
        "--out",
        str(out),
        *extra,
    ]


def read_table(out: Path) -> pd.DataFrame:
    """The rows of a Parquet part folder or a CSV table, sorted by path and prompt (maps as float32 arrays,
    geometry as lists of ints)."""
    if out.suffix == ".csv":
        frame = pd.read_csv(out, keep_default_na=False)
        frame["prompt"] = frame["prompt"].str.replace(r"^'(?=[-=+@])", "", regex=True)
        if "map_14" in frame:
            frame["map_14"] = [np.asarray(json.loads(cell), np.float32) for cell in frame["map_14"]]
            frame["geometry"] = [json.loads(cell) for cell in frame["geometry"]]
    else:
        frame = pd.read_parquet(out)
        if "map_14" in frame:
            frame["map_14"] = [np.asarray(cell, np.float32) for cell in frame["map_14"]]
            frame["geometry"] = [list(cell) for cell in frame["geometry"]]
    return frame.sort_values(KEY).reset_index(drop=True)
