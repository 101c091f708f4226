"""Resumable HTTP(S) download into a ``.part`` file: Range requests, retries with backoff, cancel between chunks.

A multi-gigabyte transfer over a flaky link must never restart from zero: every byte received is appended to
the ``.part`` file at once, an interrupted transfer (dropped connection, Ctrl+C, Cancel) leaves it in place,
and the next attempt asks for the rest with ``Range: bytes=<have>-``. A server that ignores Range (answers 200)
restarts the file; a ``206`` whose ``Content-Range`` does not start where we stopped is refused rather than
spliced. Transient failures (connection errors, timeouts, 408/429/5xx) are retried with exponential backoff
(1, 2, 4, ... seconds, at most :data:`MAX_BACKOFF_S`), each retry resuming; other statuses fail at once.

The ``.part`` file is only ever appended to; giving it its final name is the caller's job (after the
structural check), so a half-written file never carries the checkpoint's name.
"""

from __future__ import annotations

import http.client
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from carzero_viewer import __version__
from carzero_viewer.errors import Cancelled
from carzero_viewer.files import os_error
from carzero_viewer.weights_download.errors import DownloadError
from carzero_viewer.weights_download.space import require_free_space

ByteProgress = Callable[[int, "int | None"], None]
CHUNK = 1 << 20
MAX_BACKOFF_S = 60.0
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_UNSATISFIED_RANGE = re.compile(r"bytes\s+\*/(\d+)")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry: ``retries`` extra attempts, ``backoff_s`` doubling each time."""

    retries: int = 5
    backoff_s: float = 1.0
    timeout_s: float = 60.0


DEFAULT_RETRY = RetryPolicy()


class _Transient(Exception):
    """A failure worth retrying (the next attempt resumes from what is on disk)."""


def download_resumable(
    url: str,
    part: Path,
    progress: ByteProgress | None = None,
    cancel: threading.Event | None = None,
    policy: RetryPolicy = DEFAULT_RETRY,
) -> int:
    """Fetch ``url`` into ``part``, resuming what is already there; returns the file's size in bytes.

    Raises:
        DownloadError: a non-retryable HTTP status, retries exhausted, not enough free space.
        WriteError: the ``.part`` file cannot be written (read-only folder, disk full).
        Cancelled: ``cancel`` was set; the ``.part`` file is kept for a later resume.
    """
    if not url.lower().startswith(("http://", "https://")):
        raise DownloadError("only http:// and https:// URLs can be downloaded", url)
    stop = cancel or threading.Event()
    attempt = 0
    while True:
        try:
            return _attempt(url, part, progress, stop, policy.timeout_s)
        except _Transient as exc:
            attempt += 1
            if attempt > policy.retries:
                have = part.stat().st_size if part.exists() else 0
                server = str(exc).startswith("HTTP")
                advice = (
                    "the server keeps failing: try again later or another mirror"
                    if server
                    else ("check the network connection")
                )
                raise DownloadError(
                    f"{exc}; gave up after {policy.retries} retries with {have:,} bytes kept in {part.name}: "
                    f"{advice}, and run the same command again to resume",
                    url,
                    "http" if server else "network",
                ) from exc
            if stop.wait(min(MAX_BACKOFF_S, policy.backoff_s * 2 ** (attempt - 1))):
                raise Cancelled("download cancelled; the partial file is kept for a resume") from exc


def _open(url: str, have: int, timeout: float) -> http.client.HTTPResponse:
    headers = {"User-Agent": f"carzero-viewer/{__version__}", "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response: http.client.HTTPResponse = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code in TRANSIENT_STATUS:
            raise _Transient(f"HTTP {exc.code} {exc.reason}") from exc
        if exc.code == 416:
            raise
        raise DownloadError(
            f"the server answered HTTP {exc.code} {exc.reason}; check the URL (is the mirror still there?)",
            url,
            "http",
        ) from exc
    except urllib.error.URLError as exc:
        raise _Transient(f"cannot reach the server ({exc.reason}); no network connection?") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise _Transient(f"connection failed ({exc})") from exc
    return response


def _attempt(
    url: str, part: Path, progress: ByteProgress | None, cancel: threading.Event, timeout: float
) -> int:
    have = part.stat().st_size if part.exists() else 0
    try:
        response = _open(url, have, timeout)
    except urllib.error.HTTPError as exc:  # 416: nothing left to send, or our partial file is wrong
        match = _UNSATISFIED_RANGE.match(exc.headers.get("Content-Range", ""))
        if match and int(match.group(1)) == have:
            return have
        part.unlink()
        raise _Transient("the server refused to resume the partial file; starting again") from exc
    with response:
        total = _expected_total(response, have, url)
        if response.status != 206:
            have = 0
        if total is not None:
            require_free_space(part.parent, total - have)
        try:
            handle = part.open("ab" if have else "wb")
        except OSError as exc:
            raise os_error(exc, part) from exc
        with handle:
            while True:
                if cancel.is_set():
                    raise Cancelled("download cancelled; the partial file is kept for a resume")
                try:
                    chunk = response.read(CHUNK)
                except (OSError, http.client.HTTPException) as exc:
                    raise _Transient(f"connection lost after {have:,} bytes ({exc})") from exc
                if not chunk:
                    break
                try:
                    handle.write(chunk)
                    handle.flush()
                except OSError as exc:
                    raise os_error(exc, part) from exc
                have += len(chunk)
                if progress is not None:
                    progress(have, total)
    if total is not None and have != total:
        raise _Transient(f"connection closed after {have:,} of {total:,} bytes")
    return have


def _expected_total(response: http.client.HTTPResponse, have: int, url: str) -> int | None:
    """The complete file's size from ``Content-Range`` (206) or ``Content-Length`` (200); None if unknown."""
    if response.status == 206:
        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        if match is None or int(match.group(1)) != have:
            raise DownloadError(
                "the server resumed at the wrong offset; delete the .part file and download again",
                url,
                "http",
            )
        return None if match.group(3) == "*" else int(match.group(3))
    length = response.headers.get("Content-Length")
    return int(length) if length is not None and length.isdigit() else None
