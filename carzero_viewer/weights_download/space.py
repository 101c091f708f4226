"""Free-space check before a transfer, so a full disk is reported before gigabytes have been fetched."""

from __future__ import annotations

import shutil
from pathlib import Path

from carzero_viewer.weights_download.errors import DownloadError

# Room left beside the file for the checksum cache, the manifest and the file system's own bookkeeping.
SPACE_MARGIN = 64 * 1024 * 1024


def require_free_space(folder: Path, needed: int) -> None:
    """Raise ``no_space`` when ``folder``'s file system cannot take ``needed`` more bytes (plus a margin)."""
    free = shutil.disk_usage(folder).free
    if free < needed + SPACE_MARGIN:
        raise DownloadError(
            f"not enough free space: the download needs {human_size(needed)} and {human_size(free)} is free; "
            "free some space or choose another folder (--to DIR)",
            folder,
            "no_space",
        )


def human_size(size: int) -> str:
    """``2.60 GB`` or ``2.4 MB``: what the user compares with a file manager's numbers (decimal units)."""
    return f"{size / 1e9:.2f} GB" if size >= 10**9 else f"{size / 1e6:.1f} MB"
