"""Checks made before any connection: node strings, AE titles, DICOMweb URLs, a PACS's QIDO answer."""

from __future__ import annotations

import pytest

from carzero_viewer.pacs import PacsError, PacsNode, parse_node
from carzero_viewer.pacs.dicomweb import _summary
from carzero_viewer.pacs.node import make_node
from carzero_viewer.pacs.url import DicomWebRef, is_dicomweb_url, parse_dicomweb_url


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("ORTHANC@pacs.example:4242", PacsNode("ORTHANC", "pacs.example", 4242)),
        (" MY AE @127.0.0.1:104", PacsNode("MY AE", "127.0.0.1", 104)),
        ("A@[::1]:11112", PacsNode("A", "::1", 11112)),
    ],
)
def test_a_node_string_parses(text: str, node: PacsNode) -> None:
    assert parse_node(text) == node


def test_a_node_from_a_form_checks_each_field() -> None:
    with pytest.raises(PacsError, match="called AE title is empty"):
        make_node("   ", "host", 104)
    with pytest.raises(PacsError, match="is not a host name"):
        make_node("A", "my host", 104)


def test_an_ipv6_node_prints_with_brackets() -> None:
    assert str(PacsNode("A", "::1", 104)) == "A@[::1]:104"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("pacs:104", "is not AET@HOST:PORT"),
        ("A@host", "is not AET@HOST:PORT"),
        ("A@host:0", "port 0 is outside 1-65535"),
        ("A@host:70000", "port 70000 is outside 1-65535"),
        ("SEVENTEEN_CHARS_X@host:104", "longer than 16 characters"),
        ("A\\B@host:104", "printable ASCII characters other than backslash"),
        ("   @host:104", "is not AET@HOST:PORT"),
    ],
)
def test_a_bad_node_string_says_why(text: str, reason: str) -> None:
    with pytest.raises(PacsError, match=reason.replace("\\", "\\\\")):
        parse_node(text)


@pytest.mark.parametrize(
    ("url", "ref"),
    [
        (
            "dicomweb+http://127.0.0.1:8042/dicom-web/studies/1.2.3",
            DicomWebRef("http://127.0.0.1:8042/dicom-web", "1.2.3"),
        ),
        (
            "dicomweb+https://pacs.example/wado/rs/studies/1.2.3/series/1.2.3.4/",
            DicomWebRef("https://pacs.example/wado/rs", "1.2.3", "1.2.3.4"),
        ),
        ("DICOMWEB+HTTP://host:80/studies/2.25.0", DicomWebRef("http://host:80", "2.25.0")),
    ],
)
def test_a_dicomweb_url_splits_into_service_and_uids(url: str, ref: DicomWebRef) -> None:
    assert is_dicomweb_url(url)
    assert parse_dicomweb_url(url) == ref


def test_a_ref_prints_as_the_url_it_came_from() -> None:
    url = "dicomweb+http://h:1/dicom-web/studies/1.2/series/1.3"
    assert str(parse_dicomweb_url(url)) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://h/studies/1.2", "does not start with dicomweb"),
        ("dicomweb+http://h/studies/1.02", "must end in /studies/UID"),
        ("dicomweb+http://h/studies/1.2/instances/1.3", "must end in /studies/UID"),
        ("dicomweb+http://h/studies/1.2?x=1", "takes no query"),
        ("dicomweb+http://h:99999/studies/1.2", "port is not a number in 1-65535"),
        ("dicomweb+http://u:p@h/studies/1.2", "credentials"),
        ("dicomweb+http:///studies/1.2", "no host"),
        ("dicomweb+http://h/studies/" + "1." * 40 + "1", "longer than 64 characters"),
    ],
)
def test_a_bad_url_says_why(url: str, reason: str) -> None:
    with pytest.raises(PacsError, match=reason):
        parse_dicomweb_url(url)


def test_a_local_path_is_not_a_url() -> None:
    assert not is_dicomweb_url("/data/dicomweb+http/studies/1.2")


STUDY = {
    "0020000D": {"vr": "UI", "Value": ["1.2.3"]},
    "00100010": {"vr": "PN", "Value": [{"Alphabetic": "DOE^JANE"}]},
    "00100020": {"vr": "LO", "Value": ["ID42"]},
    "00080020": {"vr": "DA", "Value": ["20240102"]},
    "00080061": {"vr": "CS", "Value": ["CR", "SR"]},
    "00201208": {"vr": "IS", "Value": [3]},
}


def test_a_qido_study_becomes_a_row() -> None:
    row = _summary(STUDY, "svc")
    assert (row.patient_name, row.patient_id, row.study_date, row.modalities, row.images) == (
        "DOE JANE",
        "ID42",
        "20240102",
        "CR\\SR",
        3,
    )
    assert row.description == ""
    assert "DOE" not in repr(row) and "ID42" not in repr(row)


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ([], "not a JSON object"),
        ({**STUDY, "0020000D": {"vr": "UI"}}, "no Study Instance UID"),
        ({**STUDY, "00100020": {"vr": "LO", "Value": "ID42"}}, "00100020 is malformed"),
        ({**STUDY, "00100020": {"vr": "LO", "Value": [[1]]}}, "00100020 holds a list"),
    ],
)
def test_a_malformed_qido_answer_is_an_error_not_a_crash(item: object, reason: str) -> None:
    with pytest.raises(PacsError, match=reason):
        _summary(item, "svc")
