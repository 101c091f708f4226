"""Typed errors that cross layers.

Every error a user can cause (a bad file, missing weights, a cancelled request) is one of these, so the CLI
can print a one-line reason and the UI can show it without a traceback. Each carries the offending path where
there is one, because "which file?" is the first question a user asks.
"""

from __future__ import annotations

from pathlib import Path


class CarzeroError(Exception):
    """Base class of every error the application reports to the user as a plain message."""

    def __init__(self, reason: str, path: str | Path | None = None) -> None:
        # Reasons quote values from files (a UID, a label); a line break in one must not break the one-line rule.
        self.reason = " ".join(reason.split())
        self.path = Path(path) if path is not None else None
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """One line: ``<file>: <reason>`` or just the reason when no file is involved."""
        if self.path is None:
            return self.reason
        return f"{self.path}: {self.reason}"


class ImageLoadError(CarzeroError):
    """A file could not be read as an image (corrupt, unsupported, truncated, missing codec...)."""


class WeightsError(CarzeroError):
    """Model weights are missing, incomplete, tampered with or unsafe to load."""


class ModelLoadError(CarzeroError):
    """Weights were read but the model could not be built from them (inconsistent sizes, bad config)."""


class PromptError(CarzeroError):
    """A prompt cannot be scored (empty after cleaning in raw mode, unreadable prompts file...)."""


class Cancelled(CarzeroError):
    """A request was cancelled by a newer one or by the user; never shown as an error."""

    def __init__(self, reason: str = "cancelled") -> None:
        super().__init__(reason)
