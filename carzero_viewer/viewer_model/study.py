"""The study: the files the user opened, which of them failed to open and why, and the current one.

The list is the model of the study panel and the thumbnail strip: paths are kept resolved so the same file
opened twice (relative and absolute, via a link) is listed once, and a file's failure reason stays attached
to it until it opens after all. Events say what changed so views update only that.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from psygnal import Signal

from carzero_viewer.errors import CarzeroError
from carzero_viewer.imaging import scan_folder

FileStatus = Literal["pending", "opened", "failed"]


@dataclass(frozen=True)
class StudyFile:
    """One listed file: ``reason`` says why it could not be opened (empty unless ``status == "failed"``)."""

    path: Path
    status: FileStatus = "pending"
    reason: str = ""


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Files as given, folders as their image files (study order); returns (files, problems)."""
    files: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            try:
                entries = scan_folder(path)
            except (CarzeroError, OSError) as exc:
                problems.append(f"{path}: {getattr(exc, 'message', exc)}")
                continue
            if not entries:
                problems.append(f"{path}: no images found")
            files.extend(entry.path for entry in entries)
        elif path.exists():
            files.append(path)
        else:
            problems.append(f"{path}: does not exist")
    return files, problems


class Study:
    """The ordered, de-duplicated files of the study and the current one."""

    files_changed = Signal()  # files were added or removed
    status_changed = Signal(object)  # StudyFile whose status changed
    current_changed = Signal(object)  # the current Path, or None when the study is empty

    def __init__(self) -> None:
        self._files: dict[Path, StudyFile] = {}
        self._current: Path | None = None

    @property
    def files(self) -> list[Path]:
        return list(self._files)

    @property
    def current(self) -> Path | None:
        return self._current

    def entry(self, path: Path) -> StudyFile | None:
        """The listed file ``path`` (any spelling of it), or None when it is not in the study."""
        return self._files.get(Path(path).resolve())

    def add(self, paths: list[Path]) -> list[Path]:
        """Append the files not listed yet (resolved); returns them, in order. The current file stays."""
        added = [
            resolved
            for resolved in dict.fromkeys(Path(p).resolve() for p in paths)
            if resolved not in self._files
        ]
        for path in added:
            self._files[path] = StudyFile(path)
        if added:
            self.files_changed.emit()
        return added

    def select(self, path: Path | None) -> None:
        """Make ``path`` current (ignored when it is not listed); None: no current file."""
        resolved = Path(path).resolve() if path is not None else None
        if resolved is not None and resolved not in self._files:
            return
        if resolved != self._current:
            self._current = resolved
            self.current_changed.emit(resolved)

    def step(self, delta: int) -> None:
        """Move the current file ``delta`` places (PgDn/PgUp), stopping at the ends."""
        files = self.files
        if not files:
            return
        row = files.index(self._current) if self._current in self._files else -1
        self.select(files[min(max(row + delta, 0), len(files) - 1)])

    def remove(self, path: Path) -> None:
        """Close ``path``: the file after it (else the one before) becomes current when it was current."""
        resolved = Path(path).resolve()
        if resolved not in self._files:
            return
        files = self.files
        row = files.index(resolved)
        del self._files[resolved]
        self.files_changed.emit()
        if resolved == self._current:
            rest = self.files
            self.select(rest[min(row, len(rest) - 1)] if rest else None)

    def clear(self) -> None:
        """Close the study."""
        self._files.clear()
        self.files_changed.emit()
        self.select(None)

    def mark_opened(self, path: Path) -> None:
        self._set_status(path, "opened", "")

    def mark_failed(self, path: Path, reason: str) -> None:
        self._set_status(path, "failed", reason)

    def _set_status(self, path: Path, status: FileStatus, reason: str) -> None:
        entry = self.entry(path)
        if entry is None or (entry.status, entry.reason) == (status, reason):
            return
        updated = StudyFile(entry.path, status, reason)
        self._files[entry.path] = updated
        self.status_changed.emit(updated)
