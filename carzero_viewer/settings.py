"""Versioned, Qt-free user settings stored as JSON in the user config folder.

Qt's QSettings would tie the CLI and tests to Qt; a small JSON file is readable, diffable and written
through the one atomic writer (:mod:`carzero_viewer.files`) so a crash or a full disk never leaves half a file.
It is read through the untrusted-file boundary (:mod:`carzero_viewer.untrusted`): a hand-edited or damaged file
(deep nesting, a list of numbers where texts belong, a FIFO in its place) is kept as a backup and replaced by
the defaults, never fatal. Unknown keys are kept, and a file from a newer version is read for the keys this
version knows.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from carzero_viewer.errors import CarzeroError
from carzero_viewer.files import write_text_atomic
from carzero_viewer.paths import user_config_dir
from carzero_viewer.untrusted import read_json

LOG = logging.getLogger(__name__)
SETTINGS_VERSION = 1
SETTINGS_FILE = "settings.json"
# A settings file holds a few short lists (prompts, recent files); 4 MiB is generous and keeps a damaged or
# foreign file from being parsed at length on every start.
MAX_SETTINGS_BYTES = 4 * 1024 * 1024


class SettingsError(CarzeroError):
    """The settings file cannot be used (it is then backed up and the defaults apply)."""


@dataclass
class Settings:
    """What persists across sessions.

    ``last_folders`` maps a kind of file dialog (``"open_images"``, ``"export_image"``, ...) to the folder it
    was last used in, so each kind reopens where the user left it rather than in the working folder.

    ``hidden_panels`` names the side panels (dock titles) the user hid from the View menu.

    ``fast_preview``: where the device computes bf16 natively, show an approximate bf16 result first and
    replace it by the exact fp32 one (on by default; nowhere else does it do anything). Exports and saved
    results are always the exact fp32 computation; reduced precision for batch scoring is the command line's
    ``--precision``.
    """

    prompt_template: str = "There is {}."
    prompts: list[str] = field(default_factory=list)
    recent_files: list[str] = field(default_factory=list)
    weights_path: str = ""
    device: str = "auto"
    last_folders: dict[str, str] = field(default_factory=dict)
    hidden_panels: list[str] = field(default_factory=list)
    fast_preview: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        known = {f.name for f in fields(cls)} - {"extra"}
        defaults = cls()
        values: dict[str, Any] = {}
        for name in known:
            if name in data and _same_shape(data[name], getattr(defaults, name)):
                values[name] = data[name]
        extra = {k: v for k, v in data.items() if k not in known and k not in ("version", "extra")}
        return cls(**values, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        return {"version": SETTINGS_VERSION, **extra, **data}


def _same_shape(value: object, default: object) -> bool:
    """Whether a stored value can stand in for the default: same type, and a list or object holds only strings."""
    if not isinstance(value, type(default)):
        return False
    if isinstance(value, dict):
        return all(isinstance(item, str) for item in value.values())
    return not isinstance(value, list) or all(isinstance(item, str) for item in value)


def settings_path() -> Path:
    return user_config_dir() / SETTINGS_FILE


def load_settings(path: Path | None = None) -> Settings:
    """Read settings; a corrupt file is kept as a backup and replaced by the defaults (never fatal)."""
    path = path or settings_path()
    if not path.exists():
        return Settings()
    try:
        data = read_json(path, SettingsError, "settings file", MAX_SETTINGS_BYTES)
    except SettingsError as exc:
        _back_up_corrupt(path, exc.reason)
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
    """Write atomically. Raises :class:`~carzero_viewer.files.WriteError` (e.g. disk full) with the previous
    file intact."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(settings.to_dict(), indent=2), force=True)
