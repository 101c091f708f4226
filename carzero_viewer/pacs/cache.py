"""The owner-only folder retrieved studies are kept in: ``<user cache dir>/pacs``.

Retrieved files hold patient identity, so every folder is created with mode 0700 and every file 0600
(written through :mod:`carzero_viewer.files` with that mode), and a cache folder that another user owns or
that is a symbolic link is refused rather than written into. Each study or series has its own folder, named by
a hash of the service root and its UIDs (no identity in a file name), replaced as a whole on each retrieval so
instances deleted on the server do not linger.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

from carzero_viewer.pacs.errors import PacsError
from carzero_viewer.pacs.url import DicomWebRef
from carzero_viewer.paths import user_cache_dir

CACHE_FOLDER = "pacs"


def owner_only_dir(path: Path) -> Path:
    """``path`` as an existing folder with mode 0700 owned by this user (created if needed)."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.lstat()
        if not stat.S_ISDIR(info.st_mode):
            raise PacsError("cache folder is not a folder (a link or a file is in its place)", path)
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise PacsError("cache folder belongs to another user", path)
        if stat.S_IMODE(info.st_mode) != 0o700:
            path.chmod(0o700)
    except OSError as exc:
        raise PacsError(f"cannot prepare the cache folder ({exc.strerror or exc})", path) from exc
    return path


def cache_root() -> Path:
    """The PACS cache folder (created owner-only)."""
    return owner_only_dir(user_cache_dir() / CACHE_FOLDER)


def folder_for(ref: DicomWebRef) -> Path:
    """Where ``ref`` is kept in the cache (not created)."""
    key = hashlib.sha256(str(ref).encode("utf-8")).hexdigest()[:24]
    return cache_root() / key


def clear_cache() -> int:
    """Delete every retrieved study; returns how many study/series folders were removed."""
    root = cache_root()
    removed = 0
    for child in root.iterdir():
        try:
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        except OSError as exc:
            raise PacsError(f"cannot clear the cache ({exc.strerror or exc})", child) from exc
        removed += 1
    return removed
