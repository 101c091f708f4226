"""``score --official``: the original code's numbers on a 16-bit PNG (raw text + OpenCV's high-byte decode).

The expectation is computed the way the original code does it: ``cv2.imread(path, IMREAD_GRAYSCALE)`` of the
very file, then the official-way reference path (padded text, per-image fusion calls), so the test does not
trust our own decoder. Without ``--official`` the app renders the 16-bit range in full, which must give other
numbers: that keeps the positive check able to fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from carzero_viewer.cli import main
from carzero_viewer.inference.device import select_device
from carzero_viewer.inference.engine import InferenceEngine
from carzero_viewer.inference.selftest import SIXTEEN_BIT_CASE, official_arrays, run_selftest
from carzero_viewer.model.loader import load_model
from carzero_viewer.paths import resolve_weights_folder
from tests.tolerances import assert_close, assert_differs
from tests.unit.model.conftest import FIXTURE


def _sixteen_bit_png(path: Path, shift: int) -> Path:
    """The fixture image widened to 16 bits (``v << shift``) with seeded noise in the bits below.

    ``shift = 8`` keeps the fixture's pixels as the high byte, so the original code reads exactly the fixture
    image; ``shift = 6`` is a 14-bit image whose high byte (``v >> 2``) is a dark version of it.
    """
    base = cv2.imread(str(FIXTURE / "image.png"), cv2.IMREAD_GRAYSCALE).astype(np.uint16)
    noise = np.random.default_rng(11).integers(0, 1 << shift, base.shape, dtype=np.uint16)
    assert cv2.imwrite(str(path), (base << shift) | noise)
    return path


def _score(image: Path, out: Path, *options: str) -> dict[str, np.ndarray]:
    arguments = ["score", str(image), "--weights", str(FIXTURE), "--device", "cpu"]
    arguments += ["--prompts-file", str(FIXTURE / "prompts.json"), "--arrays", str(out), *options]
    assert main(arguments) == 0
    with np.load(out) as arrays:
        return {key: arrays[key] for key in arrays.files}


def _original_code(image: Path) -> dict[str, np.ndarray]:
    """The original pipeline on ``image``: OpenCV's grayscale read, raw prompts, the official-way path."""
    prompts = json.loads((FIXTURE / "prompts.json").read_text(encoding="utf-8"))
    engine = InferenceEngine(
        load_model(resolve_weights_folder(FIXTURE)), select_device("cpu"), pack_weights=False
    )
    return official_arrays(engine, prompts, cv2.imread(str(image), cv2.IMREAD_GRAYSCALE))


def test_official_reproduces_the_original_code_on_a_sixteen_bit_png(tmp_path: Path) -> None:
    image = _sixteen_bit_png(tmp_path / "fourteen_bit.png", shift=6)
    expected = _original_code(image)
    official = _score(image, tmp_path / "official.npz", "--official")
    for name in ("scores", "i2t_logits", "t2i_logits", "grounding_map_14"):
        assert_close(official[name], expected[name], name)
    assert str(official["pipeline"]) == "official"
    app = _score(image, tmp_path / "app.npz", "--raw")
    assert str(app["pipeline"]) == "app"
    assert_differs(app["scores"], expected["scores"], "scores without --official")


def test_official_high_byte_is_the_fixture_image_so_the_original_numbers_come_back(tmp_path: Path) -> None:
    """With the fixture's pixels as the high byte, the original code scored exactly this: ``expected.npz``."""
    image = _sixteen_bit_png(tmp_path / "sixteen_bit.png", shift=8)
    with np.load(FIXTURE / "expected.npz") as data:
        expected = {key: data[key] for key in ("scores", "i2t_logits", "t2i_logits", "grounding_map_14")}
    official = _score(image, tmp_path / "official.npz", "--official", "--json", str(tmp_path / "out.json"))
    for name, reference in expected.items():
        assert_close(official[name], reference, name)
    document = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert document["pipeline"] == "official"
    assert document["template"] is None
    assert "high byte" in document["images"][0]["model_input_rule"]


@pytest.mark.parametrize(
    ("option", "message"), [(["--template", "{} seen."], "--template"), (["--precision", "bf16"], "float32")]
)
def test_official_refuses_options_that_change_the_pipeline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str], message: str
) -> None:
    arguments = ["score", str(FIXTURE / "image.png"), "--weights", str(FIXTURE), "--device", "cpu"]
    assert main([*arguments, "--prompt", "There is pneumonia.", "--official", *option]) != 0
    assert message in capsys.readouterr().err


def test_selftest_checks_the_sixteen_bit_case_and_that_case_can_fail(tmp_path: Path) -> None:
    checks = {check.name: check for check in run_selftest()}
    sixteen = [name for name in checks if name.startswith("16-bit")]
    assert len(sixteen) == 3
    assert all(checks[name].passed for name in sixteen)
    assert checks["16-bit decode (high byte)"].deviation == 0.0
    case = FIXTURE / SIXTEEN_BIT_CASE
    with np.load(case / "expected.npz") as expected:
        app = _score(case / "image.png", tmp_path / "app.npz", "--raw")
        assert_differs(app["scores"], expected["scores"], "16-bit scores with the app's full-range decode")


def test_official_on_dicom_keeps_the_app_rendering_and_says_so(
    tmp_path: Path, test_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The original code reads no DICOM: the app's DICOM rule is the only one, with or without --official."""
    dicom = next((test_data_dir / "dicom").glob("SIIM_*.dcm"))
    out = tmp_path / "out.json"
    official = _score(dicom, tmp_path / "official.npz", "--official", "--json", str(out))
    assert "original code reads no DICOM" in capsys.readouterr().err
    assert json.loads(out.read_text(encoding="utf-8"))["images"][0]["model_input_rule"].startswith(
        "DICOM rule"
    )
    app = _score(dicom, tmp_path / "app.npz", "--raw")
    assert "DICOM" not in capsys.readouterr().err
    assert_close(official["scores"], app["scores"], "DICOM scores, --official vs --raw")
