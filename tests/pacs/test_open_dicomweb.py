"""Opening a study or series from a PACS by its DICOMweb URL, against a real Orthanc."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pydicom
import pytest

from carzero_viewer.cli import build_parser, main
from carzero_viewer.commands.common import resolve_sources
from carzero_viewer.pacs.cache import cache_root, clear_cache
from carzero_viewer.pacs.dicomweb import search_studies
from carzero_viewer.paths import user_cache_dir
from tests.orthanc_server import Orthanc, free_port
from tests.pacs.identity import assert_no_identity_logged

# A real PACS on the network stack, and the tiny model for exports and scores: seconds, not milliseconds.
pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parents[1] / "data"
WEIGHTS = DATA / "carzero-tiny"
# Lossless JPEG 2000: retrieved in its stored transfer syntax, it decodes to the same pixels as the file.
DICOM = DATA / "dicom" / "RG3_J2KR.dcm"
# Baseline JPEG (lossy): the same holds only if the server sends the stored codestream, not a re-encoding.
LOSSY = DATA / "dicom" / "SIIM_1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm"


def _url(orthanc: Orthanc, path: Path, series: bool = False) -> str:
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    tail = f"/series/{ds.SeriesInstanceUID}" if series else ""
    return f"dicomweb+{orthanc.dicomweb}/studies/{ds.StudyInstanceUID}{tail}"


def _scores(image: str, out: Path, *debug: str) -> list[float]:
    args = [*debug, "score", image, "--weights", str(WEIGHTS), "--device", "cpu", "--json", str(out)]
    assert main([*args, "--prompt", "effusion", "--prompt", "There is cardiomegaly."]) == 0
    document = json.loads(out.read_text())
    return [r["score"] for image in document["images"] for r in image["prompts"]]


@pytest.mark.parametrize("path", [DICOM, LOSSY], ids=["j2k-lossless", "jpeg-baseline"])
def test_scoring_a_study_url_gives_the_scores_of_the_file_on_disk(
    orthanc: Orthanc, tmp_path: Path, capsys: pytest.CaptureFixture[str], path: Path
) -> None:
    orthanc.upload(path)
    # --debug: every library's debug records (dicomweb-client's requests included) go to the log file too.
    remote = _scores(_url(orthanc, path), tmp_path / "remote.json", "--debug")
    assert "1 image(s) retrieved into the cache" in capsys.readouterr().err
    local = _scores(str(path), tmp_path / "local.json")
    # Same bytes decoded by the same code on the same machine: any difference beyond float round-off (1e-6
    # relative, far below the fixture's 1e-5 policy) would mean the retrieved pixels differ.
    assert remote == pytest.approx(local, rel=1e-6, abs=1e-6)
    assert_no_identity_logged(path)


def test_inspect_takes_a_series_url(orthanc: Orthanc, capsys: pytest.CaptureFixture[str]) -> None:
    orthanc.upload(DICOM)
    assert main(["inspect", _url(orthanc, DICOM, series=True), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["metadata"]["size"] == "1760x1760"
    # Retrieved in the syntax it is stored in, not transcoded by the server.
    assert report["metadata"]["transfer_syntax"].endswith("(1.2.840.10008.1.2.4.90)")


def test_the_cache_is_owner_only_and_can_be_cleared(orthanc: Orthanc) -> None:
    orthanc.upload(DICOM)
    assert main(["inspect", _url(orthanc, DICOM)]) == 0
    files = [p for p in cache_root().rglob("*") if p.is_file()]
    folders = [cache_root(), *(p for p in cache_root().rglob("*") if p.is_dir())]
    assert cache_root().is_relative_to(user_cache_dir())
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in folders)
    assert clear_cache() == 1
    assert not any(cache_root().iterdir())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("dicomweb+{web}/studies/1.2.3.999", "the server answered HTTP 404 (no such study or series"),
        ("dicomweb+http://127.0.0.1:{free}/dicom-web/studies/1.2.3", "cannot connect (connection refused"),
        ("dicomweb+{web}/studies/01.2", "the path must end in /studies/UID or /studies/UID/series/UID"),
        (
            "dicomweb+http://user:secret@127.0.0.1:1/studies/1.2",
            "credentials in a DICOMweb URL are not supported",
        ),
    ],
    ids=["unknown-study", "wrong-port", "bad-uid", "credentials"],
)
def test_a_url_that_cannot_be_opened_is_one_line(
    orthanc: Orthanc, capsys: pytest.CaptureFixture[str], url: str, expected: str
) -> None:
    name = url.format(web=orthanc.dicomweb, free=free_port())
    assert main(["score", name, "--weights", str(WEIGHTS), "--prompt", "effusion"]) == 1
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()[-1:]
    assert expected in line
    assert line.startswith("carzero-viewer score: error: ")
    assert "secret" not in captured.err


def test_the_study_list_shows_what_a_radiologist_finds_a_study_by(orthanc: Orthanc) -> None:
    orthanc.upload(DICOM)
    source = pydicom.dcmread(DICOM, stop_before_pixels=True)
    (study,) = [s for s in search_studies(orthanc.dicomweb) if s.study_uid == source.StudyInstanceUID]
    assert study.patient_id == source.PatientID
    assert study.patient_name == str(source.PatientName).replace("^", " ").strip()
    assert study.study_date == source.StudyDate
    assert study.modalities == source.Modality
    assert study.images >= 1
    assert source.PatientID not in repr(study)


def test_export_of_a_study_url_names_outputs_after_the_instance_and_files_them_in_its_study(
    orthanc: Orthanc, tmp_path: Path
) -> None:
    orthanc.upload(DICOM)
    source = pydicom.dcmread(DICOM, stop_before_pixels=True)
    args = ["export", _url(orthanc, DICOM), "--weights", str(WEIGHTS), "--prompt", "effusion"]
    assert main([*args, "--out", str(tmp_path), "--format", "dcm", "--device", "cpu"]) == 0
    capture = pydicom.dcmread(tmp_path / f"{source.SOPInstanceUID}__effusion.dcm")
    assert capture.StudyInstanceUID == source.StudyInstanceUID
    assert capture.SourceImageSequence[0].ReferencedSOPInstanceUID == source.SOPInstanceUID


def test_inspect_of_a_study_of_two_images_asks_for_a_series(
    orthanc: Orthanc, capsys: pytest.CaptureFixture[str]
) -> None:
    pair = [DATA / "dicom" / "RG2_JPLL.dcm", DATA / "dicom" / "RG2_JPLY_fixed.dcm"]  # one series of two
    for path in pair:
        orthanc.upload(path)
    for series in (False, True):
        assert main(["inspect", _url(orthanc, pair[0], series)]) == 1
        line = capsys.readouterr().err.strip().splitlines()[-1]
        assert line.startswith("carzero-viewer inspect: error: dicomweb+http://")
        assert line.endswith("stands for 2 images where one is expected")


def test_the_viewer_command_gets_the_retrieved_files_as_paths(orthanc: Orthanc) -> None:
    orthanc.upload(DICOM)
    local = Path("some/local/folder")
    args = build_parser().parse_args(["gui", str(local), _url(orthanc, DICOM)])
    resolve_sources(args)
    assert args.paths[0] == local
    (retrieved,) = args.paths[1:]
    assert isinstance(retrieved, Path)
    assert pydicom.dcmread(retrieved).SOPInstanceUID == pydicom.dcmread(DICOM).SOPInstanceUID
