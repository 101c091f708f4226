"""Versioned, Qt-free user settings stored as JSON in the user config folder.

Qt's QSettings would tie the CLI and tests to Qt; a small JSON file is readable, diffable and written
atomically (temp file + rename) so a crash or a full disk never leaves half a file. Unknown keys are kept, and a
file from a newer version is read for the keys this version knows.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from carzero_viewer.paths import user_config_dir

LOG = logging.getLogger(__name__)
SETTINGS_VERSION = 1
SETTINGS_FILE = "settings.json"


@dataclass
class Settings:
    """What persists across sessions.

    There is no precision setting: the viewer always shows the exact fp32 computation; reduced precision is a
    batch-scoring option of the command line (``--precision``).
    """

    prompt_template: str = "There is {}."
    prompts: list[str] = field(default_factory=list)
    recent_files: list[str] = field(default_factory=list)
    weights_path: str = ""
    device: str = "auto"
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        known = {f.name for f in fields(cls)} - {"extra"}
        defaults = cls()
        values: dict[str, Any] = {}
        for name in known:
            if name in data and isinstance(data[name], type(getattr(defaults, name))):
                values[name] = data[name]
        extra = {k: v for k, v in data.items() if k not in known and k not in ("version", "extra")}
        return cls(**values, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        return {"version": SETTINGS_VERSION, **extra, **data}


def settings_path() -> Path:
    return user_config_dir() / SETTINGS_FILE


def load_settings(path: Path | None = None) -> Settings:
    """Read settings; a corrupt file is kept as a backup and replaced by the defaults (never fatal)."""
    path = path or settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        _back_up_corrupt(path, str(exc))
        return Settings()
    if not isinstance(data, dict):
        _back_up_corrupt(path, "not a JSON object")
        return Settings()
    return Settings.from_dict(data)


def _back_up_corrupt(path: Path, reason: str) -> None:
    backup = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        path.replace(backup)
        LOG.warning(
            "settings file %s was unreadable (%s); kept it as %s and started from defaults",
            path,
            reason,
            backup,
        )
    except OSError as exc:
        LOG.warning("settings file %s unreadable (%s) and could not be backed up (%s)", path, reason, exc)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically. Raises OSError (e.g. disk full) with the previous file intact."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(settings.to_dict(), indent=2), encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
