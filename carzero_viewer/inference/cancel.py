"""Cooperative cancellation: a newer request sets the token, the engine checks it between stages."""

from __future__ import annotations

import threading

from carzero_viewer.errors import Cancelled


class CancelToken:
    """Thread-safe flag; :meth:`check` raises :class:`Cancelled` once set."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()
