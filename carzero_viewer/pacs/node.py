"""A DICOM network node (``AET@HOST:PORT``) and the checks its parts must pass before any connection.

An Application Entity title is 1-16 characters of the default character repertoire without backslash or
control characters and not only spaces (PS3.5 6.2, VR AE); a port is 1-65535. Titles are compared by PACS
servers after removing padding spaces, so leading and trailing spaces are removed here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from carzero_viewer.pacs.errors import PacsError

# Our own title when the user gives none: what a PACS administrator sees in the logs and registers.
DEFAULT_CALLING_AET = "CARZERO"
MAX_AET_LENGTH = 16
_AET_CHARS = re.compile(r"[\x20-\x5b\x5d-\x7e]+")  # printable ASCII without backslash
_NODE = re.compile(r"(?P<aet>[^@]+)@(?P<host>\[[^\]]+\]|[^:\[\]]+):(?P<port>\d{1,5})")


@dataclass(frozen=True)
class PacsNode:
    """A remote DICOM Application Entity.

    Attributes:
        aet: the called AE title (checked, without padding spaces).
        host: host name or IP address (IPv6 without brackets).
        port: TCP port, 1-65535.
    """

    aet: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.aet}@{host}:{self.port}"


def check_aet(title: str, what: str = "AE title") -> str:
    """``title`` without padding spaces, or :class:`PacsError` saying why it cannot be an AE title."""
    stripped = title.strip(" ")
    if not stripped:
        raise PacsError(f"{what} is empty")
    if len(stripped) > MAX_AET_LENGTH:
        raise PacsError(f"{what} {stripped!r} is longer than {MAX_AET_LENGTH} characters")
    if not _AET_CHARS.fullmatch(stripped):
        raise PacsError(f"{what} {stripped!r} may hold printable ASCII characters other than backslash only")
    return stripped


def make_node(aet: str, host: str, port: int) -> PacsNode:
    """A checked :class:`PacsNode` (for nodes typed into a form or read from the settings)."""
    host = host.strip()
    if not host or any(c.isspace() for c in host):
        raise PacsError(f"host {host!r} is not a host name or address")
    if not 1 <= port <= 65535:
        raise PacsError(f"port {port} is outside 1-65535")
    return PacsNode(check_aet(aet, "called AE title"), host, port)


def parse_node(text: str) -> PacsNode:
    """``AET@HOST:PORT`` (IPv6 hosts in brackets) as a checked :class:`PacsNode`."""
    match = _NODE.fullmatch(text.strip())
    if match is None:
        raise PacsError(f"{text!r} is not AET@HOST:PORT")
    return make_node(match["aet"], match["host"].strip("[]"), int(match["port"]))
