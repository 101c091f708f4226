"""``dicomweb+http(s)://HOST[:PORT]/PREFIX/studies/UID[/series/UID]``: a DICOMweb study or series as a path.

The ``dicomweb+`` prefix makes the URL unmistakable where a file path is expected (a plain ``http://`` could be
a web page) and keeps it apart from local names. What comes before ``/studies/`` is the service root
(``http://HOST:PORT/PREFIX``, e.g. Orthanc's ``/dicom-web``). Credentials in the URL are refused: the URL is
shown and logged, so a password in it would leak. Query strings and fragments are refused as well; they have
no meaning here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from carzero_viewer.pacs.errors import PacsError

SCHEME_PREFIX = "dicomweb+"
_SCHEMES = ("dicomweb+http://", "dicomweb+https://")
# PS3.5 9.1: at most 64 characters, components of digits without leading zeros, separated by dots.
UID_PATTERN = r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*"
_PATH = re.compile(
    rf"(?P<prefix>.*)/studies/(?P<study>{UID_PATTERN})(?:/series/(?P<series>{UID_PATTERN}))?/?"
)
MAX_UID_LENGTH = 64


@dataclass(frozen=True)
class DicomWebRef:
    """A study, or one series of it, on a DICOMweb server.

    Attributes:
        service: the service root without a trailing slash, e.g. ``http://127.0.0.1:8042/dicom-web``.
        study_uid: Study Instance UID.
        series_uid: Series Instance UID, or None for the whole study.
    """

    service: str
    study_uid: str
    series_uid: str | None = None

    def __str__(self) -> str:
        series = f"/series/{self.series_uid}" if self.series_uid else ""
        return f"{SCHEME_PREFIX}{self.service}/studies/{self.study_uid}{series}"


def is_dicomweb_url(text: str) -> bool:
    """Whether ``text`` is meant as a DICOMweb URL (it may still be malformed: :func:`parse_dicomweb_url`)."""
    return text.lower().startswith(_SCHEMES)


def parse_dicomweb_url(text: str) -> DicomWebRef:
    """Split a ``dicomweb+http(s)://`` URL; :class:`PacsError` naming what is wrong with it."""
    if not is_dicomweb_url(text):
        raise PacsError(f"{text!r} does not start with dicomweb+http:// or dicomweb+https://")
    parts = urlsplit(text[len(SCHEME_PREFIX) :])
    if parts.username is not None or parts.password is not None:
        raise PacsError("credentials in a DICOMweb URL are not supported (the URL is shown and logged)")
    if parts.query or parts.fragment:
        raise PacsError(f"{text}: a DICOMweb URL takes no query or fragment")
    try:
        port = parts.port
    except ValueError:
        raise PacsError(f"{text}: the port is not a number in 1-65535") from None
    if not parts.hostname or port == 0:
        raise PacsError(f"{text}: no host, or port 0")
    match = _PATH.fullmatch(parts.path)
    if match is None:
        raise PacsError(f"{text}: the path must end in /studies/UID or /studies/UID/series/UID")
    study, series = match["study"], match["series"]
    if len(study) > MAX_UID_LENGTH or (series is not None and len(series) > MAX_UID_LENGTH):
        raise PacsError(f"{text}: a UID is longer than {MAX_UID_LENGTH} characters")
    service = f"{parts.scheme}://{parts.netloc}{match['prefix']}".rstrip("/")
    return DicomWebRef(service, study, series)
