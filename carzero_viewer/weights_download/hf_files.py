"""The BERT folder's ``config.json`` and ``vocab.txt`` from Hugging Face, through ``huggingface_hub``.

``hf_hub_download`` brings the Hub's cache (a second download is free and works offline), its resume and its
``HF_ENDPOINT`` mirror handling. ``HF_ENDPOINT`` is read when the download starts rather than when
``huggingface_hub`` was imported, so a mirror set later in the process (the viewer's environment, tests)
counts too. The cached files are then copied into the weights folder, because the lookup wants a plain
``bert/`` folder beside the checkpoint, independent of the cache's layout and lifetime.

A mirror in ``HF_ENDPOINT`` that serves the files at the Hub's paths but without the Hub's metadata headers
(``X-Repo-Commit``, ``ETag``: a static web server in an air-gapped site) is not usable by ``huggingface_hub``;
for such a mirror the two small files are fetched as plain HTTP downloads from the same URLs instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from carzero_viewer.files import ensure_directory, write_bytes_atomic
from carzero_viewer.untrusted import read_bytes
from carzero_viewer.weights_download.errors import DownloadError
from carzero_viewer.weights_download.http_transfer import download_resumable
from carzero_viewer.weights_download.sources import BERT_FILES, HF_BERT_REPO, HF_REVISION

ENDPOINT_ENV = "HF_ENDPOINT"
DEFAULT_ENDPOINT = "https://huggingface.co"


def endpoint() -> str:
    """The Hub (or mirror) used now: ``$HF_ENDPOINT`` when set, else huggingface.co."""
    return os.environ.get(ENDPOINT_ENV, "").rstrip("/") or DEFAULT_ENDPOINT


def fetch_bert_files(folder: Path, force: bool = False, cache_dir: Path | None = None) -> Path:
    """Put the BERT repository's :data:`BERT_FILES` into ``folder``; returns ``folder``.

    A file already there with the same bytes is kept (re-running after an interrupted checkpoint transfer
    is not an error); a different one is replaced only with ``force``.

    Raises:
        DownloadError: the Hub cannot be reached, refuses, or lacks the file.
        WriteError: ``folder`` cannot be written.
    """
    ensure_directory(folder)
    for name in BERT_FILES:
        data = _file_bytes(name, folder, cache_dir)
        target = folder / name
        if target.is_file() and read_bytes(target, DownloadError) == data:
            continue
        write_bytes_atomic(target, data, force=force)
    return folder


def _file_bytes(name: str, folder: Path, cache_dir: Path | None) -> bytes:
    try:
        return read_bytes(_hub_file(name, cache_dir), DownloadError)
    except _NotHubLike:
        part = folder / f".{name}.part"
        download_resumable(_file_url(name), part)
        try:
            return read_bytes(part, DownloadError)
        finally:
            part.unlink(missing_ok=True)


class _NotHubLike(Exception):
    """The endpoint answered, but without the Hub's metadata headers (a plain static mirror)."""


def _file_url(name: str) -> str:
    return f"{endpoint()}/{HF_BERT_REPO}/resolve/{HF_REVISION}/{name}"


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _hub_file(name: str, cache_dir: Path | None) -> Path:
    """One file of the BERT repository, from the cache or the Hub, every failure one line with advice."""
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        FileMetadataError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    hub = endpoint()
    where = _file_url(name)
    try:
        return Path(
            hf_hub_download(
                HF_BERT_REPO, name, revision=HF_REVISION, endpoint=hub, cache_dir=cache_dir or None
            )
        )
    except (LocalEntryNotFoundError, OfflineModeIsEnabled, FileMetadataError) as exc:
        if hub != DEFAULT_ENDPOINT and _caused_by(exc, FileMetadataError):
            raise _NotHubLike from exc
        offline = (
            " (offline mode: unset HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE)"
            if constants.HF_HUB_OFFLINE
            else ""
        )
        raise DownloadError(
            f"cannot reach {hub} and the file is not in the Hugging Face cache{offline}; check the network "
            f"connection or proxy, or point {ENDPOINT_ENV} at a reachable mirror",
            where,
            "network",
        ) from exc
    except (RepositoryNotFoundError, RevisionNotFoundError, EntryNotFoundError) as exc:
        raise DownloadError(
            f"not found on {hub}; if {ENDPOINT_ENV} points at a mirror, check that it serves {HF_BERT_REPO}",
            where,
            "http",
        ) from exc
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "error"
        raise DownloadError(
            f"the Hub answered HTTP {status}; try again later or set {ENDPOINT_ENV} to a mirror",
            where,
            "http",
        ) from exc
    except OSError as exc:  # requests' connection errors, an unwritable cache folder
        raise DownloadError(
            f"download failed ({type(exc).__name__}: {exc}); check the network connection and that the "
            "Hugging Face cache folder (HF_HOME) is writable",
            where,
            "network",
        ) from exc
