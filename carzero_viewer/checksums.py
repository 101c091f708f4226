"""SHA-256 of weight files, cached, and the checksum manifest that ``weights verify`` checks against.

Hashing the 0.9-2.6 GB release takes seconds, so results are cached by (resolved path, size, mtime) in the user
data folder: the model status line and every export can cite the checksum without re-reading the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from carzero_viewer.files import ensure_directory, write_json_atomic
from carzero_viewer.paths import app_root, resources_dir, user_data_dir

LOG = logging.getLogger(__name__)
MANIFEST_NAME = "manifest.json"
_CHUNK = 1 << 22


def _cache_path() -> Path:
    return user_data_dir() / "checksums.json"


def _read_cache() -> dict[str, Any]:
    try:
        data = json.loads(_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def sha256_file(path: Path, use_cache: bool = True) -> str:
    """Hex SHA-256 of a file, reusing a cached value while the file's size and mtime are unchanged."""
    resolved = path.resolve()
    stat = resolved.stat()
    stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
    cache = _read_cache() if use_cache else {}
    entry = cache.get(str(resolved))
    if isinstance(entry, dict) and entry.get("stamp") == stamp and isinstance(entry.get("sha256"), str):
        return str(entry["sha256"])
    digest = hashlib.sha256()
    with resolved.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    value = digest.hexdigest()
    if use_cache:
        cache[str(resolved)] = {"stamp": stamp, "sha256": value}
        try:
            _cache_path().parent.mkdir(parents=True, exist_ok=True)
            tmp = _cache_path().with_suffix(".tmp")
            tmp.write_text(json.dumps(cache, indent=1), encoding="utf-8")
            tmp.replace(_cache_path())
        except OSError as exc:  # a read-only data folder only costs a re-hash next time
            LOG.info("checksum cache not written: %s", exc)
    return value


@dataclass(frozen=True)
class ManifestEntry:
    """A file whose checksum is known: ``trained`` says whether results from it mean anything clinically."""

    name: str
    sha256: str
    trained: bool
    description: str


def user_manifest_path() -> Path:
    """The user's own manifest in the user data folder: checksums recorded by ``weights download``.

    The released checkpoint has no published checksum, so the first download records what it got; later
    ``weights verify`` runs then catch a file that changed since (and colleagues compare the printed value).
    It lives outside the application folder, which may be read-only or replaced by an update.
    """
    return user_data_dir() / MANIFEST_NAME


def manifest_paths() -> list[Path]:
    """``weights/manifest.json`` next to the application, the user's manifest, then the bundle's copy.

    A bundle keeps its data inside itself while ``weights/`` beside the executable belongs to the user, so the
    project's reference checksums ship as a resource (without them the demo model would not be recognised as
    untrained). The manifest beside the application comes first, so entries a user adds there win.
    """
    return [
        app_root() / "weights" / MANIFEST_NAME,
        user_manifest_path(),
        resources_dir() / "weights" / MANIFEST_NAME,
    ]


def load_manifest(path: Path | None = None) -> list[ManifestEntry]:
    """Entries of ``path``, else of every manifest in :func:`manifest_paths` (absent or unreadable: none)."""
    entries: list[ManifestEntry] = []
    for candidate in [path] if path else manifest_paths():
        entries += _read_manifest(candidate)
    return entries


def _read_manifest(path: Path) -> list[ManifestEntry]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    entries = []
    for item in data.get("files", []) if isinstance(data, dict) else []:
        if isinstance(item, dict) and isinstance(item.get("sha256"), str):
            entries.append(
                ManifestEntry(
                    name=str(item.get("name", "")),
                    sha256=item["sha256"].lower(),
                    trained=bool(item.get("trained", False)),
                    description=str(item.get("description", "")),
                )
            )
    return entries


def record_checksum(entry: ManifestEntry) -> Path:
    """Add ``entry`` to the user's manifest, replacing an entry of the same name (a re-download).

    Returns:
        The manifest written.

    Raises:
        WriteError: the user data folder cannot be written.
    """
    path = user_manifest_path()
    kept = [e for e in _read_manifest(path) if e.name != entry.name]
    document = {
        "about": "Checksums recorded by `carzero-viewer weights download` on this computer (no published "
        "reference exists: compare them with colleagues who downloaded the same file).",
        "files": [asdict(e) for e in [*kept, entry]],
    }
    ensure_directory(path.parent)
    return write_json_atomic(path, document, force=True)


def lookup(sha256: str, manifest: list[ManifestEntry] | None = None) -> ManifestEntry | None:
    """The manifest entry with this checksum, if any."""
    for entry in load_manifest() if manifest is None else manifest:
        if entry.sha256 == sha256.lower():
            return entry
    return None
