"""PACS nodes kept in the user settings (``settings.extra["pacs_nodes"]``), read through the untrusted-file
boundary.

The settings file is hand-editable, so each stored node is checked here like any value from a user's file
(:mod:`carzero_viewer.untrusted` for the JSON shape, :func:`~carzero_viewer.pacs.node.make_node` for titles,
host and port, :func:`check_service` for the DICOMweb address). A node that fails is left out with a one-line
reason, never fatal: the other nodes and the rest of the settings stay usable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from carzero_viewer.pacs.errors import PacsError
from carzero_viewer.pacs.node import DEFAULT_CALLING_AET, PacsNode, check_aet, make_node
from carzero_viewer.settings import Settings, SettingsError, settings_path
from carzero_viewer.untrusted import require_int, require_list, require_object, require_str

SETTINGS_KEY = "pacs_nodes"
# A site has a handful of archives; more is a damaged file.
MAX_NODES = 64
MAX_TEXT = 256


@dataclass(frozen=True)
class SavedNode:
    """A PACS the user configured.

    Attributes:
        name: the label shown in lists.
        node: its DICOM address (for Echo and Send).
        calling_aet: the title this application uses towards it (as registered on that PACS).
        dicomweb: its DICOMweb service root (``http(s)://HOST:PORT/PREFIX``) for Open from PACS, or "".
    """

    name: str
    node: PacsNode
    calling_aet: str = DEFAULT_CALLING_AET
    dicomweb: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "aet": self.node.aet,
            "host": self.node.host,
            "port": self.node.port,
            "calling_aet": self.calling_aet,
            "dicomweb": self.dicomweb,
        }


def check_service(text: str) -> str:
    """A DICOMweb service root as typed (``""`` for none), or :class:`PacsError` saying what is wrong."""
    url = text.strip().rstrip("/")
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PacsError(f"DICOMweb address {url!r} is not http(s)://HOST[:PORT]/PREFIX")
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise PacsError("a DICOMweb address takes no credentials, query or fragment")
    return url


def _node(item: object, field: str) -> SavedNode:
    where = settings_path()
    entry = require_object(item, where, SettingsError, field)
    name = require_str(entry.get("name"), where, SettingsError, f"{field}.name", MAX_TEXT).strip()
    if not name:
        raise SettingsError(f"{field}.name: is empty", where)
    try:
        node = make_node(
            require_str(entry.get("aet"), where, SettingsError, f"{field}.aet", MAX_TEXT),
            require_str(entry.get("host"), where, SettingsError, f"{field}.host", MAX_TEXT),
            require_int(entry.get("port"), where, SettingsError, f"{field}.port", 1, 65535),
        )
        calling = entry.get("calling_aet", DEFAULT_CALLING_AET)
        calling = check_aet(require_str(calling, where, SettingsError, f"{field}.calling_aet", MAX_TEXT))
        service = check_service(
            require_str(entry.get("dicomweb", ""), where, SettingsError, f"{field}.dicomweb")
        )
    except PacsError as exc:
        raise SettingsError(f"{field}: {exc.reason}", where) from None
    return SavedNode(name, node, calling, service)


def load_nodes(settings: Settings) -> tuple[list[SavedNode], list[str]]:
    """The valid stored nodes, and one line per entry left out (``<settings file>: <field>: <reason>``)."""
    raw = settings.extra.get(SETTINGS_KEY)
    if raw is None or raw == []:
        return [], []
    try:
        items = require_list(raw, settings_path(), SettingsError, SETTINGS_KEY, MAX_NODES)
    except SettingsError as exc:
        return [], [exc.message]
    nodes: list[SavedNode] = []
    problems: list[str] = []
    for index, item in enumerate(items):
        try:
            nodes.append(_node(item, f"{SETTINGS_KEY}[{index}]"))
        except SettingsError as exc:
            problems.append(exc.message)
    return nodes, problems


def store_nodes(settings: Settings, nodes: list[SavedNode]) -> None:
    """Put ``nodes`` into ``settings`` (saving the settings file is the caller's, as for every setting)."""
    if len(nodes) > MAX_NODES:
        raise PacsError(f"at most {MAX_NODES} PACS nodes can be kept")
    settings.extra[SETTINGS_KEY] = [node.to_json() for node in nodes]
