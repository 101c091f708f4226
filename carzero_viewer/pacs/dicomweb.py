"""DICOMweb: the study list (QIDO-RS, :func:`search_studies`) and the retrieval of a study or series with
dicomweb-client (WADO-RS, :func:`retrieve`) into the owner-only cache (:mod:`carzero_viewer.pacs.cache`).

Instances are requested in the transfer syntax they are stored in (``application/dicom; transfer-syntax=*``),
so a compressed image is decoded by the same code as the file it was uploaded from and scores the same. Only
images are kept (Pixel Data present, not a segmentation): an SR, a parametric map or a presentation state in
the study is counted in :attr:`Retrieved.skipped`, since none can be opened as an image.

Bounds: each HTTP request has a connect and a read timeout (no automatic retries, which would multiply them),
a retrieval stops after :data:`MAX_INSTANCES` instances (a chest X-ray study has a handful; more is a CT or
a wrong UID) and a study list after :data:`MAX_STUDIES` studies and :data:`MAX_ANSWER_BYTES`. A study list
is parsed by the untrusted-JSON boundary (:func:`carzero_viewer.untrusted.parse_json`: depth and value
limits, no NaN) and each value checked here (:func:`_texts`): a malformed answer is a :class:`PacsError`, not
a crash in the list.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from carzero_viewer.files import write_bytes_atomic
from carzero_viewer.pacs.cache import cache_root, folder_for
from carzero_viewer.pacs.errors import PacsError
from carzero_viewer.pacs.url import MAX_UID_LENGTH, UID_PATTERN, DicomWebRef
from carzero_viewer.untrusted import parse_json

MAX_INSTANCES = 1000
MAX_STUDIES = 500
# 500 studies of DICOM JSON take about 1 MiB; a larger answer is not a study list.
MAX_ANSWER_BYTES = 16 * 2**20
# Seconds to connect, and to wait for each piece of an answer (not for the whole transfer).
TIMEOUT = (5.0, 60.0)
_ANY_TRANSFER_SYNTAX = (("application/dicom", "*"),)
_NOT_IMAGES = frozenset({"1.2.840.10008.5.1.4.1.1.66.4"})  # Segmentation Storage (a label mask)
_STUDY_FIELDS = {
    "StudyInstanceUID": "0020000D",
    "PatientName": "00100010",
    "PatientID": "00100020",
    "StudyDate": "00080020",
    "ModalitiesInStudy": "00080061",
    "StudyDescription": "00081030",
    "NumberOfStudyRelatedInstances": "00201208",
}


@dataclass(frozen=True)
class StudySummary:
    """One row of a PACS's study list, as the server returns it (identity shown on screen, never logged).

    Attributes:
        study_uid: Study Instance UID.
        patient_name / patient_id: as the PACS returns them ("" when absent).
        study_date: YYYYMMDD or "".
        modalities: e.g. "CR\\DX" joined with backslashes, as DICOM lists them.
        description: Study Description.
        images: Number of Study Related Instances (-1 when the server does not say).
    """

    study_uid: str
    patient_name: str
    patient_id: str
    study_date: str
    modalities: str
    description: str
    images: int

    def __repr__(self) -> str:  # a row in a traceback or a log must not carry identity
        return f"StudySummary(study_uid={self.study_uid!r}, images={self.images})"


@dataclass(frozen=True)
class Retrieved:
    """A study or series in the cache.

    Attributes:
        folder: its cache folder (open it like a local folder).
        files: the image files, in retrieval order.
        skipped: instances that are not images (SR, parametric map, segmentation...).
    """

    folder: Path
    files: tuple[Path, ...]
    skipped: int


def _client(service: str, timeout: tuple[float, float]) -> Any:
    from dicomweb_client.api import DICOMwebClient

    client = DICOMwebClient(url=service, timeout=timeout)
    client.set_http_retry_params(retry=False)
    return client


@contextlib.contextmanager
def _network_errors(where: str, timeout: tuple[float, float]) -> Iterator[None]:
    """requests' and the client's exceptions as one-line :class:`PacsError` naming ``where``."""
    import requests

    try:
        yield
    except requests.exceptions.Timeout:
        raise PacsError(f"{where}: no answer within {timeout[1]:g} s") from None
    except requests.exceptions.ConnectionError:
        raise PacsError(f"{where}: cannot connect (connection refused, or unknown host)") from None
    except requests.exceptions.HTTPError as exc:
        code = exc.response.status_code if exc.response is not None else "?"
        meaning = " (no such study or series, or no DICOMweb service at this address)" if code == 404 else ""
        raise PacsError(f"{where}: the server answered HTTP {code}{meaning}") from None
    except requests.exceptions.RequestException as exc:
        raise PacsError(f"{where}: request failed ({type(exc).__name__})") from None


def _is_image(dataset: Any) -> bool:
    return "PixelData" in dataset and str(dataset.get("SOPClassUID", "")) not in _NOT_IMAGES


def _file_name(dataset: Any, count: int, folder: Path) -> str:
    """``<SOP Instance UID>.dcm`` (exports made from the file are then named after the instance, and a UID
    identifies no patient); the retrieval count when the UID is not a valid UID or is already taken."""
    uid = str(dataset.get("SOPInstanceUID", ""))
    name = f"{uid}.dcm"
    if re.fullmatch(UID_PATTERN, uid) and len(uid) <= MAX_UID_LENGTH and not (folder / name).exists():
        return name
    return f"instance-{count:05d}.dcm"


def _encode(dataset: Any, where: str) -> bytes:
    import pydicom

    buffer = io.BytesIO()
    try:
        pydicom.dcmwrite(buffer, dataset, enforce_file_format=True)
    except Exception:  # a server's instance without usable file meta information
        raise PacsError(
            f"{where}: an instance cannot be stored as a DICOM file (file meta information)"
        ) from None
    return buffer.getvalue()


def retrieve(
    ref: DicomWebRef,
    on_instance: Callable[[int], None] | None = None,
    timeout: tuple[float, float] = TIMEOUT,
) -> Retrieved:
    """Retrieve ``ref``'s images into the cache, replacing an earlier retrieval of the same study/series.

    Args:
        ref: the study or series.
        on_instance: called with the count of instances received so far, after each one; it may raise
            :class:`~carzero_viewer.errors.Cancelled` to stop (the earlier cached copy, if any, is left as
            it was).
        timeout: (connect, read) seconds.

    Raises:
        PacsError: unreachable server, HTTP error, too many instances, no image in the study/series.
    """
    where = str(ref)
    client = _client(ref.service, timeout)
    staging = Path(tempfile.mkdtemp(prefix=".retrieving-", dir=cache_root()))  # mode 0700
    try:
        count = skipped = 0
        with _network_errors(where, timeout):
            if ref.series_uid:
                instances = client.iter_series(
                    ref.study_uid, ref.series_uid, media_types=_ANY_TRANSFER_SYNTAX
                )
            else:
                instances = client.iter_study(ref.study_uid, media_types=_ANY_TRANSFER_SYNTAX)
            for dataset in instances:
                count += 1
                if count > MAX_INSTANCES:
                    raise PacsError(f"{where}: more than {MAX_INSTANCES} instances; open one series instead")
                if _is_image(dataset):
                    name = _file_name(dataset, count, staging)
                    write_bytes_atomic(staging / name, _encode(dataset, where), mode=0o600)
                else:
                    skipped += 1
                if on_instance is not None:
                    on_instance(count)
        if count == skipped:
            what = "series" if ref.series_uid else "study"
            raise PacsError(f"{where}: the {what} holds no image ({skipped} other objects)")
        target = folder_for(ref)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Retrieved(target, tuple(sorted(target.glob("*.dcm"))), skipped)


def _texts(item: object, tag: str, where: str) -> list[str]:
    """The values of one attribute of a DICOM JSON object (PS3.18 F.2) as texts; [] when absent."""
    if not isinstance(item, dict):
        raise PacsError(f"{where}: a study in the answer is not a JSON object")
    element = item.get(tag)
    if element is None:
        return []
    values = element.get("Value", []) if isinstance(element, dict) else None
    if not isinstance(values, list):
        raise PacsError(f"{where}: attribute {tag} is malformed in the answer")
    texts = []
    for value in values:
        # A person name is an object of name groups; only the alphabetic group is shown.
        plain = value.get("Alphabetic", "") if isinstance(value, dict) else value
        if not isinstance(plain, str | int) or isinstance(plain, bool):
            raise PacsError(f"{where}: attribute {tag} holds a {type(plain).__name__} in the answer")
        texts.append(str(plain))
    return texts


def _summary(item: object, where: str) -> StudySummary:
    values = {name: _texts(item, tag, where) for name, tag in _STUDY_FIELDS.items()}
    uid = values["StudyInstanceUID"]
    if len(uid) != 1:
        raise PacsError(f"{where}: a study in the answer has no Study Instance UID")
    images = values["NumberOfStudyRelatedInstances"]
    return StudySummary(
        study_uid=uid[0],
        patient_name=" ".join(values["PatientName"][:1]).replace("^", " ").strip(),
        patient_id=" ".join(values["PatientID"][:1]),
        study_date=" ".join(values["StudyDate"][:1]),
        modalities="\\".join(values["ModalitiesInStudy"]),
        description=" ".join(values["StudyDescription"][:1]),
        images=int(images[0]) if images and images[0].isdigit() else -1,
    )


def _get_json(
    service: str, resource: str, params: list[tuple[str, str]], timeout: tuple[float, float]
) -> object:
    """GET a DICOM JSON answer of at most :data:`MAX_ANSWER_BYTES`, parsed at the untrusted boundary.

    Query values keep ``*`` and ``?`` as they are: they are QIDO-RS wildcards, and a server may take a
    percent-encoded ``%2A`` literally (Orthanc 1.10 does, which is why the study list is not asked through
    dicomweb-client, which encodes them).
    """
    import requests

    query = "&".join(f"{quote(key)}={quote(value, safe='*?,')}" for key, value in params)
    body = bytearray()
    with _network_errors(service, timeout):
        headers = {"Accept": "application/dicom+json"}
        with requests.get(
            f"{service}/{resource}?{query}", headers=headers, timeout=timeout, stream=True
        ) as answer:
            answer.raise_for_status()
            for chunk in answer.iter_content(64 * 1024):
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise PacsError(f"{service}: the answer is larger than {MAX_ANSWER_BYTES // 2**20} MiB")
    if not body.strip():  # 204 No Content: nothing matched
        return []
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PacsError(f"{service}: the answer is not UTF-8 text") from None
    return parse_json(text, None, PacsError, f"{service}: the study list")


def search_studies(
    service: str, filters: Mapping[str, str] | None = None, timeout: tuple[float, float] = TIMEOUT
) -> list[StudySummary]:
    """The PACS's studies (at most :data:`MAX_STUDIES`), newest study date first.

    Args:
        service: DICOMweb service root, e.g. ``http://127.0.0.1:8042/dicom-web``.
        filters: QIDO-RS matching keys, e.g. ``{"PatientID": "123*"}`` (``*``/``?`` wildcards, as the server
            supports them).
        timeout: (connect, read) seconds.
    """
    params = [("includefield", tag) for tag in _STUDY_FIELDS.values()]
    params += [*dict(filters or {}).items(), ("limit", str(MAX_STUDIES))]
    items = _get_json(service, "studies", params, timeout)
    if not isinstance(items, list):
        raise PacsError(f"{service}: the answer is not a list of studies")
    studies = [_summary(item, service) for item in items[:MAX_STUDIES]]
    return sorted(studies, key=lambda s: s.study_date, reverse=True)
