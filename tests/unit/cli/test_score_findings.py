"""``score --findings``: a finding's score and map are the means of its phrasings' single-prompt results."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from carzero_viewer.cli import main

WEIGHTS = Path(__file__).resolve().parents[2] / "data" / "carzero-tiny"
IMAGE = str(WEIGHTS / "image.png")
MODEL = ["--weights", str(WEIGHTS), "--device", "cpu"]
PHRASINGS = ("There is pleural effusion.", "There is fluid in the pleural space.")
# Scoring prompts together or one by one differs only by float noise (<= 3e-7 on the fixtures, model spec
# section 5); the mean of two such scores stays within that, so 1e-6 (times the magnitude when above 1) is
# float noise with margin and far below any difference between phrasings.
TOLERANCE = 1e-6


def _score(tmp_path: Path, name: str, *args: str) -> tuple[dict, dict[str, np.ndarray]]:
    out = tmp_path / name
    assert main(["score", IMAGE, *args, "--json", f"{out}.json", "--arrays", f"{out}.npz", *MODEL]) == 0
    with np.load(f"{out}.npz") as arrays:
        return json.loads(Path(f"{out}.json").read_text(encoding="utf-8")), dict(arrays)


def test_a_two_phrasing_finding_is_the_mean_of_the_two_single_prompt_scores(tmp_path: Path) -> None:
    path = tmp_path / "effusion.json"
    path.write_text(json.dumps({"Effusion": list(PHRASINGS)}), encoding="utf-8")
    document, arrays = _score(tmp_path, "finding", "--findings", str(path))
    singles = [_score(tmp_path, f"single{i}", "--prompt", text) for i, text in enumerate(PHRASINGS)]
    scores = [doc["images"][0]["prompts"][0]["score"] for doc, _ in singles]
    maps = [a["grounding_map_14"][0, 0] for _, a in singles]

    (finding,) = document["images"][0]["findings"]
    assert finding["name"] == "Effusion"
    assert [p["text"] for p in finding["phrasings"]] == list(PHRASINGS)
    assert [p["score"] for p in finding["phrasings"]] == pytest.approx(scores, rel=TOLERANCE, abs=TOLERANCE)
    assert finding["score"] == pytest.approx(np.mean(scores), rel=TOLERANCE, abs=TOLERANCE)
    assert finding["spread"]["min"] == pytest.approx(min(scores), rel=TOLERANCE, abs=TOLERANCE)
    assert finding["spread"]["max"] == pytest.approx(max(scores), rel=TOLERANCE, abs=TOLERANCE)
    assert "not a probability" in document["finding_score_meaning"]
    assert arrays["finding_names"].tolist() == ["Effusion"]
    assert arrays["finding_scores"].shape == (1, 1)
    assert arrays["finding_scores"][0, 0] == pytest.approx(finding["score"], rel=TOLERANCE, abs=TOLERANCE)
    np.testing.assert_allclose(
        arrays["finding_map_14"][0, 0], np.mean(maps, axis=0), rtol=TOLERANCE, atol=TOLERANCE
    )
    assert not np.allclose(maps[0], maps[1])  # the two maps differ, so the mean is a real check


def test_libraries_merge_and_every_phrasing_is_scored_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = tmp_path / "extra.json"
    extra.write_text(
        json.dumps({"Pleural Effusion": [PHRASINGS[0]], "Lung Opacity": ["There is lung opacity."]})
    )
    out = tmp_path / "det10.json"
    args = ["--findings", "chestx-det10", "--findings", str(extra), "--json", str(out)]
    assert main(["score", IMAGE, *args, *MODEL]) == 0
    image = json.loads(out.read_text(encoding="utf-8"))["images"][0]
    names = [f["name"] for f in image["findings"]]
    assert len(names) == 11 and names[-1] == "Lung Opacity"
    assert names[names.index("Pleural Effusion")] == "Pleural Effusion" and "Effusion" not in names
    texts = [p["typed"] for p in image["prompts"]]
    assert len(texts) == len(set(texts)) == 9 * 3 + 2  # Effusion's three phrasings replaced by one
    table = capsys.readouterr().out
    assert re.search(r"^  [+-]\d\.\d{6}  Lung Opacity  \(mean of 1; min ", table, re.MULTILINE)
    assert re.search(r"^      [+-]\d\.\d{6}  There is lung opacity\.$", table, re.MULTILINE)


def test_bad_findings_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", IMAGE, "--findings", "nih", *MODEL]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (
        "carzero-viewer score: error: 'nih' is neither a finding library (chestxray14, chexpert, "
        "chexpert-competition, chestx-det10) nor a file"
    )
    with pytest.raises(SystemExit) as usage:
        main(["score", IMAGE, "--findings", "chexpert", "--prompt", "There is a mass.", *MODEL])
    assert usage.value.code == 2
