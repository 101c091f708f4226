"""The one error type of the PACS package."""

from __future__ import annotations

from carzero_viewer.errors import CarzeroError


class PacsError(CarzeroError):
    """A PACS could not be reached or refused a request; the path, when set, is the file or URL concerned."""
