"""``carzero-viewer calibrate`` end to end: real NIH images and labels, the tiny fixture model (UNTRAINED).

The fixture's numbers mean nothing; the mechanics are real: which images are scored, which findings are
calibrated or left out and why, the provenance, the one-line refusals.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from carzero_viewer.calibration import read_profile
from carzero_viewer.checksums import sha256_file
from carzero_viewer.cli import main
from carzero_viewer.findings import library
from carzero_viewer.metrics import roc_auc

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data"
FIXTURE = DATA / "carzero-tiny"
LABELS = DATA / "annotations" / "Data_Entry_2017.csv"
# 4 of these 6 NIH images are in the label file: Atelectasis 2 positive / 2 negative, Cardiomegaly 1 / 3
IMAGES = [*(DATA / "annotations" / "images").glob("*.png"), *(DATA / "cxr").glob("0000*.png")]
PROMPTS = ("There is atelectasis.", "There is cardiomegaly.", "There is a fracture.")


LABELLED = {"00000344_003.png": True, "00000865_006.png": True, "00001369_000.png": False}
LABELLED["00002578_000.png"] = False  # Atelectasis in the label file


def _calibrate(images: Path, out: Path, *extra: str) -> int:
    argv = ["calibrate", "--images", str(images), "--labels", str(LABELS), "--out", str(out)]
    argv += ["--weights", str(FIXTURE), "--device", "cpu", "--bootstrap", "50"]
    if "--findings" not in extra:
        for prompt in PROMPTS:
            argv += ["--prompt", prompt]
    return main([*argv, *extra])


def _scores(images: Path, prompts: tuple[str, ...], out: Path) -> np.ndarray:
    """``score --prompt`` of the labelled images, (images, prompts) in LABELLED order."""
    argv = ["score", *(str(images / n) for n in LABELLED), "--json", str(out)]
    for prompt in prompts:
        argv += ["--prompt", prompt]
    assert main([*argv, "--weights", str(FIXTURE), "--device", "cpu"]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    return np.array([[p["score"] for p in image["prompts"]] for image in document["images"]])


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("labelled")
    for path in IMAGES:
        shutil.copyfile(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def profile_path(images: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("profile") / "profile.json"
    assert _calibrate(images, out, "--min-cases", "2") == 0
    return out


def test_profile_records_provenance_and_says_untrained(profile_path: Path, images: Path) -> None:
    profile = read_profile(profile_path)
    provenance = profile.provenance
    assert provenance.weights_untrained is True
    assert provenance.weights_sha256 == sha256_file(FIXTURE / "checkpoint.ckpt", use_cache=False)
    assert (provenance.labels_file, provenance.images_folder) == ("Data_Entry_2017.csv", images.name)
    assert provenance.images_scored == 4  # the two images the label file does not list are not scored
    assert (provenance.min_cases, provenance.bootstrap) == (2, 50)
    assert "UNTRAINED" in json.loads(profile_path.read_text(encoding="utf-8"))["untrained_warning"]


def test_findings_calibrated_or_left_out_with_the_reason(profile_path: Path) -> None:
    profile = read_profile(profile_path)
    assert list(profile.findings) == ["There is atelectasis."]
    atelectasis = profile.findings["There is atelectasis."]
    assert (atelectasis.n_positive, atelectasis.n_negative) == (2, 2)
    reasons = {e.name: e.reason for e in profile.excluded}
    assert reasons == {
        "There is cardiomegaly.": "1 positive(s) and 3 negative(s); at least 2 of each are needed",
        "There is a fracture.": "no label in Data_Entry_2017.csv names this finding",
    }
    p = [profile.probability("There is atelectasis.", s) for s in np.linspace(-20.0, 20.0, 401)]
    assert min(p) >= 0.0 and max(p) <= 1.0 and np.all(np.diff(p) >= 0.0)


def test_auroc_is_that_of_the_score_command(profile_path: Path, images: Path, tmp_path: Path) -> None:
    scores = _scores(images, PROMPTS[:1], tmp_path / "scores.json")[:, 0]
    expected = roc_auc(list(LABELLED.values()), scores)
    assert read_profile(profile_path).findings[PROMPTS[0]].auroc == pytest.approx(expected, abs=1e-12)


def test_library_findings_are_calibrated_on_their_phrasing_means(images: Path, tmp_path: Path) -> None:
    out = tmp_path / "library.json"
    assert _calibrate(images, out, "--findings", "chestxray14", "--min-cases", "2") == 0
    profile = read_profile(out)
    atelectasis = next(f for f in library("chestxray14") if f.name == "Atelectasis")
    assert list(profile.findings) == ["Atelectasis"]
    assert profile.findings["Atelectasis"].phrasings == atelectasis.phrasings
    assert len(profile.findings) + len(profile.excluded) == len(library("chestxray14"))
    # the finding's raw score is the mean of its phrasings' `score --prompt` results
    means = _scores(images, atelectasis.phrasings, tmp_path / "scores.json").mean(axis=1)
    expected = roc_auc(list(LABELLED.values()), means)
    assert profile.findings["Atelectasis"].auroc == pytest.approx(expected, abs=1e-12)
    # every threshold is one of those means (or just above the highest); 1e-6 relative is the bound
    # for "mean of the phrasings", far above the 1-ulp difference of fsum and numpy's mean
    for point in profile.findings["Atelectasis"].points:
        assert np.min(np.abs(means - point.threshold)) <= 1e-6 * max(1.0, abs(point.threshold))
    # the acceptance path: score --findings chestxray14 --calibration gives probabilities for it, null elsewhere
    scored = tmp_path / "calibrated.json"
    assert _score_json(images, scored, "--findings", "chestxray14", "--calibration", str(out)) == 0
    for image in json.loads(scored.read_text(encoding="utf-8"))["images"]:
        by_name = {f["name"]: f for f in image["findings"]}
        assert 0.0 <= by_name["Atelectasis"]["probability"] <= 1.0
        assert by_name["Atelectasis"]["probability"] == profile.probability(
            "Atelectasis", by_name["Atelectasis"]["score"]
        )
        assert by_name["Effusion"]["probability"] is None


def test_refusals_are_one_line(
    profile_path: Path, images: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert _calibrate(images, profile_path) == 1
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith(f"{profile_path}: already exists; not overwritten (use --force to replace it)")
    )
    assert _calibrate(images, tmp_path / "p.json", "--min-cases", "1") == 1
    assert (
        capsys.readouterr().err.strip()
        == "carzero-viewer calibrate: error: --min-cases 1 is outside 2..1000000000"
    )
    assert _calibrate(images, tmp_path / "p.json") == 1  # default --min-cases 10: nothing to calibrate
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"carzero-viewer calibrate: error: {LABELS}: no finding could be calibrated (")
    assert not (tmp_path / "p.json").exists()


def _score_json(images: Path, out: Path, *extra: str) -> int:
    argv = ["score", *(str(images / n) for n in LABELLED), "--json", str(out), *extra]
    return main([*argv, "--weights", str(FIXTURE), "--device", "cpu"])


def test_score_with_the_profile_adds_monotonic_probabilities(
    profile_path: Path, images: Path, tmp_path: Path
) -> None:
    out = tmp_path / "calibrated.json"
    prompts = ["--prompt", PROMPTS[0], "--prompt", PROMPTS[1]]
    assert _score_json(images, out, *prompts, "--calibration", str(profile_path)) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["calibration"]["weights_untrained"] is True
    assert document["calibration"]["calibrated_findings"] == [PROMPTS[0]]
    calibrated = [image["prompts"][0] for image in document["images"]]
    for entry in calibrated:
        assert 0.0 <= entry["probability"] <= 1.0
        assert isinstance(entry["above_operating_point"], bool)
    ordered = sorted(calibrated, key=lambda e: e["score"])
    assert np.all(np.diff([e["probability"] for e in ordered]) >= 0.0)
    uncalibrated = document["images"][0]["prompts"][1]  # cardiomegaly was left out of the profile
    assert (uncalibrated["probability"], uncalibrated["above_operating_point"]) == (None, None)


def test_score_refuses_a_profile_of_other_weights_in_one_line(
    profile_path: Path, images: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(profile_path.read_text(encoding="utf-8"))
    document["provenance"]["weights_sha256"] = "0" * 64
    other = tmp_path / "other.json"
    other.write_text(json.dumps(document), encoding="utf-8")
    capsys.readouterr()
    assert _score_json(images, tmp_path / "s.json", "--prompt", PROMPTS[0], "--calibration", str(other)) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(
        f"carzero-viewer score: error: {other}: made for weights with SHA-256 0000000000000000"
    )
    assert not (tmp_path / "s.json").exists()
    other.write_text("{}", encoding="utf-8")
    assert _score_json(images, tmp_path / "s.json", "--prompt", PROMPTS[0], "--calibration", str(other)) == 1
    assert capsys.readouterr().err.strip() == f"carzero-viewer score: error: {other}: format: is missing"


@pytest.mark.slow  # two eval runs over 6 images with box metrics (~8 s)
def test_eval_writes_the_same_profile_from_its_own_scores(
    profile_path: Path, images: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, profile = tmp_path / "eval", tmp_path / "eval_profile.json"
    argv = [
        "eval",
        "--images",
        str(images),
        "--annotations",
        str(DATA / "annotations" / "BBox_List_2017.csv"),
    ]
    argv += ["--labels", str(LABELS), "--out", str(out), "--weights", str(FIXTURE), "--device", "cpu"]
    argv += ["--bootstrap", "50", "--calibration-out", str(profile)]
    assert main([*argv, "--min-cases", "2"]) == 0
    from_eval = read_profile(profile)
    assert from_eval.provenance.images_scored == 4 and from_eval.provenance.weights_untrained
    assert list(from_eval.findings) == ["Atelectasis"]  # the label's own prompt, "There is atelectasis."
    # the same images, prompt and seed as `calibrate --prompt "There is atelectasis."`: the same fit
    ours, theirs = from_eval.findings["Atelectasis"], read_profile(profile_path).findings[PROMPTS[0]]
    assert (ours.platt, ours.auroc, ours.points) == (theirs.platt, theirs.auroc, theirs.points)
    report = (out / "report.html").read_text(encoding="utf-8")  # the report shows the same calibration
    assert "<h2>Calibration profile eval_profile.json</h2>" in report
    assert f"{ours.after.ece:.3f}" in report and f"{ours.point('youden').threshold:.3f}" in report  # type: ignore[union-attr]
    capsys.readouterr()
    assert main([*argv, "--force", "--min-cases", "5"]) == 1  # nothing to calibrate: eval's outputs stay
    assert (
        capsys.readouterr()
        .err.strip()
        .splitlines()[-1]
        .startswith(
            f"carzero-viewer eval: error: {LABELS}: no finding could be calibrated (Atelectasis: 2 positive(s)"
        )
    )
    assert (out / "summary.json").exists()
    without_labels = [a for a in argv if a not in ("--labels", str(LABELS))]
    assert main([*without_labels, "--force"]) == 1
    assert capsys.readouterr().err.strip() == (
        "carzero-viewer eval: error: --calibration-out needs --labels (the image-level labels it is fitted on)"
    )
