"""Findings: aggregation of phrasings, the built-in libraries, user files, merging and label matching."""

from __future__ import annotations

import json
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest

from carzero_viewer.annotations import LabelMap
from carzero_viewer.findings import (
    LIBRARIES,
    Finding,
    FindingsError,
    aggregate,
    aggregate_scores,
    all_phrasings,
    finding_for_label,
    library,
    load_findings,
    mean_map,
    parse_findings,
    read_findings_file,
)
from carzero_viewer.findings.library import MAX_PHRASINGS
from carzero_viewer.inference.prompts import explain_prompt, process_prompt
from carzero_viewer.types import ModelInputGeometry, ProcessedPrompt, PromptResult

REPO = Path(__file__).resolve().parents[3]
GEOMETRY = ModelInputGeometry((256, 256), (256, 256), (0, 0), 256, (16, 16), 224)


def _result(text: str, score: float, grounding_map: np.ndarray) -> PromptResult:
    words = ("[CLS]", "there", "is", "[SEP]")
    return PromptResult(
        prompt=ProcessedPrompt(text, text, text.lower(), False),
        words=words,
        truncated=False,
        score=score,
        i2t=score,
        t2i=score,
        grounding_map=grounding_map.astype(np.float32),
        word_attention=np.zeros(98, np.float32),
        word_maps=np.zeros((len(words), 2, 2), np.float32),
        padding_word_map=np.zeros((2, 2), np.float32),
        geometry=GEOMETRY,
    )


def test_score_is_the_mean_spread_and_map_of_the_phrasings() -> None:
    finding = Finding("Effusion", ("There is pleural effusion.", "There is fluid in the pleural space."))
    results = {
        "There is pleural effusion.": _result("a", 1.5, np.array([[1.0, 2.0], [3.0, np.nan]])),
        "There is fluid in the pleural space.": _result("b", -0.5, np.array([[3.0, 2.0], [np.nan, np.nan]])),
        "There is cardiomegaly.": _result("c", 9.0, np.zeros((2, 2))),  # another finding's: ignored
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an all-NaN pixel is NaN, not a "mean of empty slice" warning
        result = aggregate(finding, results)
    assert result.score == 0.5
    assert [(p.text, p.score) for p in result.phrasing_scores] == [
        (t, s) for t, s in zip(finding.phrasings, (1.5, -0.5), strict=True)
    ]
    assert (result.spread.min, result.spread.max, result.spread.std) == (-0.5, 1.5, 1.0)  # population std
    assert result.map is not None and result.map.dtype == np.float32
    np.testing.assert_array_equal(result.map, [[2.0, 2.0], [3.0, np.nan]])
    assert result.geometry == GEOMETRY
    assert result.to_json() == {
        "name": "Effusion",
        "score": 0.5,
        "phrasings": [
            {"text": "There is pleural effusion.", "score": 1.5},
            {"text": "There is fluid in the pleural space.", "score": -0.5},
        ],
        "spread": {"min": -0.5, "max": 1.5, "std": 1.0},
    }


def test_one_phrasing_is_exactly_that_prompt() -> None:
    grounding = np.arange(4.0).reshape(2, 2) / 7
    result = aggregate(
        Finding("Mass", ("There is a lung mass.",)), {"There is a lung mass.": _result("m", 0.1, grounding)}
    )
    assert result.score == 0.1 and result.spread.std == 0.0
    np.testing.assert_array_equal(result.map, grounding.astype(np.float32))


def test_scores_alone_and_a_missing_phrasing() -> None:
    finding = Finding("Mass", ("a b.", "c d."))
    assert aggregate_scores(finding, {"a b.": 1.0, "c d.": 2.0}).map is None
    with pytest.raises(FindingsError, match=r"finding 'Mass': no result for its phrasing 'c d\.'"):
        aggregate_scores(finding, {"a b.": 1.0})
    with pytest.raises(ValueError, match="no map"):
        mean_map([])


def test_phrasings_are_scored_once_across_findings() -> None:
    findings = (Finding("A", ("x y.", "z w.")), Finding("B", ("z w.", "u v.")))
    assert all_phrasings(findings) == ("x y.", "z w.", "u v.")
    with pytest.raises(ValueError, match="repeats a phrasing"):
        Finding("A", ("x y.", "x y."))


@pytest.mark.parametrize(
    ("name", "count"),
    [("chestxray14", 14), ("chexpert", 14), ("chexpert-competition", 5), ("chestx-det10", 10)],
)
def test_builtin_libraries(name: str, count: int) -> None:
    findings = library(name)
    assert len(findings) == count
    assert all(len(f.phrasings) >= 2 for f in findings)
    for finding in findings:
        first = finding.phrasings[0]
        assert first.startswith(("There is ", "There are ")), first  # the paper's prompt form comes first
        for (
            text
        ) in finding.phrasings:  # full sentences: no template, and the official cleaning keeps every word
            prompt = process_prompt(text)
            assert not prompt.templated and explain_prompt(prompt).reasons == (), text


def test_library_names_line_up_with_ground_truth_labels() -> None:
    labels = LabelMap.builtin()
    nih = library("chestxray14")
    assert {labels.canonical(f.name) for f in nih} <= set(labels.findings)  # every NIH name is a known label
    for label, name in (
        ("Infiltrate", "Infiltration"),
        ("Pleural Thickening", "Pleural_Thickening"),
        ("Effusion", "Effusion"),
    ):
        found = finding_for_label(nih, label)
        assert found is not None and found.name == name
    chexpert = finding_for_label(library("chexpert"), "Effusion")
    assert chexpert is not None and chexpert.name == "Pleural Effusion"
    assert chexpert.phrasings == finding_for_label(nih, "Effusion").phrasings  # type: ignore[union-attr]
    assert finding_for_label(nih, "Fracture") is None
    assert len(library("chexpert-competition")) == len(
        {f.name for f in library("chexpert")} & {f.name for f in library("chexpert-competition")}
    )


def test_a_file_alone_defines_its_findings_and_later_specs_win(tmp_path: Path) -> None:
    extra = tmp_path / "extra.json"
    extra.write_text(
        json.dumps(
            {
                "Pleural Thickening": ["There is pleural thickening.", "The pleura is thick."],
                "Lung Opacity": ["There is lung opacity."],
            }
        ),
        encoding="utf-8",
    )
    alone = load_findings(extra)
    assert [f.name for f in alone] == ["Pleural Thickening", "Lung Opacity"]
    assert read_findings_file(extra) == alone
    merged = load_findings("ChestXray14", str(extra))
    names = [f.name for f in merged]
    assert len(merged) == 15 and names[-1] == "Lung Opacity"
    assert names.index("Pleural Thickening") == [f.name for f in library("chestxray14")].index(
        "Pleural_Thickening"
    )
    assert merged[names.index("Pleural Thickening")].phrasings == (
        "There is pleural thickening.",
        "The pleura is thick.",
    )
    later = load_findings(str(extra), "chestxray14")  # the library, last, wins; the file's new finding stays
    assert set(later) == {*library("chestxray14"), alone[1]} and len(later) == 15


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('["There is a mass."]', r"must be an object, not a list"),
        ("{}", r"finding file holds no finding"),
        ('{"Mass": "There is a mass."}', r"\['Mass'\]: must be a list, not a string"),
        ('{"Mass": []}', r"\['Mass'\]: is an empty list"),
        ('{"Mass": ["There is a mass.", 3]}', r"\['Mass'\]\[1\]: must be a string, not an integer"),
        ('{"Mass": ["  "]}', r"\['Mass'\]\[0\]: is empty"),
        ('{" ": ["There is a mass."]}', r"\[' '\]: name: is empty"),
        ('{"Mass": ["There is a mass.", "There is a mass. "]}', r"\['Mass'\]\[1\]: repeats the phrasing"),
        (
            '{"Infiltrate": ["a b."], "Infiltration": ["c d."]}',
            r"\['Infiltration'\]: names the same finding as 'Infiltrate'",
        ),
        (
            '{"Mass": [' + ", ".join([f'"p{i} q."' for i in range(MAX_PHRASINGS + 1)]) + "]}",
            r"at most 32 are accepted",
        ),
        ('{"Mass": ["' + "w " * 600 + '"]}', r"\['Mass'\]\[0\]: is 1,200 characters long; at most 1,000"),
        ('{"Mass": [["There is a mass."]]}', r"nested deeper than 2 levels"),
        ('{"Mass": [NaN]}', r"not valid JSON"),
    ],
)
def test_bad_finding_files_are_one_line_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "findings.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FindingsError, match=rf"^{path}: .*{message}") as caught:
        load_findings("chestxray14", path)
    assert "\n" not in caught.value.message


def test_unknown_library_or_missing_file() -> None:
    with pytest.raises(FindingsError, match=r"^'nih' is neither a finding library \(chestxray14, chexpert"):
        load_findings("nih")
    with pytest.raises(FindingsError, match=r"missing\.json: finding file does not exist"):
        load_findings("missing.json")
    with pytest.raises(FindingsError, match="no finding library or file given"):
        load_findings()


def test_libraries_ship_with_the_package_and_the_bundle() -> None:
    data = REPO / "carzero_viewer" / "findings" / "data"
    shipped = {p.name for p in data.iterdir()}
    assert shipped == {"phrasings.json", "libraries.json"}
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]
    assert "findings/data/*.json" in package_data["carzero_viewer"]
    assert '"findings" / "data"' in (REPO / "build_installer.spec").read_text(encoding="utf-8")
    assert set(json.loads((data / "libraries.json").read_text(encoding="utf-8"))) == set(LIBRARIES)


def test_findings_kept_in_the_settings_are_checked_as_a_file() -> None:
    kept = {"Effusion": ["There is pleural effusion.", "There is fluid in the pleural space."]}
    assert parse_findings(kept, "settings: findings") == (Finding("Effusion", tuple(kept["Effusion"])),)
    with pytest.raises(FindingsError) as caught:
        parse_findings({"Effusion": [1]}, "settings: findings")
    assert caught.value.message.startswith("settings: findings: ")
