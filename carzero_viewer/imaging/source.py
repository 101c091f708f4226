"""Image sources: what a user names where a file is expected, turned into local files.

A local path stays as it is. A DICOMweb URL (``dicomweb+http(s)://HOST:PORT/PREFIX/studies/UID[/series/UID]``,
:mod:`carzero_viewer.pacs.url`) is retrieved into the owner-only cache by :mod:`carzero_viewer.pacs` and
stands for its image files, in the order a study list shows them (:func:`scan_folder`: series, then instance
number). This module is the only way ``imaging`` reaches the network package, and it is called where a
command's image arguments are read (:func:`carzero_viewer.commands.common.resolve_sources`) and where the
viewer opens what was retrieved, so every command and the viewer accept the same URLs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from carzero_viewer.imaging.study import scan_folder


@dataclass(frozen=True)
class SourceFiles:
    """The local files a source name stands for.

    Attributes:
        name: what the user gave.
        files: local files, in study-list order (one file for a local path).
        remote: whether they were retrieved from a PACS.
        skipped: retrieved objects that are not images (SR, parametric maps...), not in ``files``.
    """

    name: str
    files: tuple[Path, ...]
    remote: bool = False
    skipped: int = 0


def is_remote(name: str | Path) -> bool:
    """Whether ``name`` is a DICOMweb URL rather than a local path."""
    from carzero_viewer.pacs.url import is_dicomweb_url

    return isinstance(name, str) and is_dicomweb_url(name)


def source_files(name: str | Path, on_instance: Callable[[int], None] | None = None) -> SourceFiles:
    """The local files ``name`` stands for; a DICOMweb URL is retrieved first (``on_instance`` counts).

    Raises:
        PacsError: the URL is malformed or the retrieval failed (one line, no patient identity).
    """
    if not is_remote(name):
        return SourceFiles(str(name), (Path(name),))
    from carzero_viewer.pacs.dicomweb import retrieve
    from carzero_viewer.pacs.url import parse_dicomweb_url

    retrieved = retrieve(parse_dicomweb_url(str(name)), on_instance)
    ordered = tuple(entry.path for entry in scan_folder(retrieved.folder))
    return SourceFiles(str(name), ordered, remote=True, skipped=retrieved.skipped)
