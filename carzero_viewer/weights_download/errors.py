"""The one error type of a failed download, with a kind the viewer uses to choose its advice."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from carzero_viewer.errors import CarzeroError

FailureKind = Literal["network", "http", "refused", "no_space", "corrupt", "other"]


class DownloadError(CarzeroError):
    """A download step failed; the reason says what happened and what the user can do about it.

    ``where`` is the file or the URL the failure concerns; it leads the one-line message either way.

    Attributes:
        kind: ``"network"`` (no connection, timeouts), ``"http"`` (the server answered an error status),
            ``"refused"`` (Google Drive's quota or sharing page instead of the file), ``"no_space"``,
            ``"corrupt"`` (the structural check refused the file) or ``"other"``.
    """

    def __init__(self, reason: str, where: str | Path | None = None, kind: FailureKind = "other") -> None:
        self.kind: FailureKind = kind
        if isinstance(where, str) and "://" in where:  # a URL is no file path: keep its "//" intact
            super().__init__(f"{where}: {reason}")
        else:
            super().__init__(reason, where)
