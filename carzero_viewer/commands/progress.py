"""The one progress display of the ``weights`` commands: a tqdm bar on a terminal, one line per stage otherwise.

On a terminal each stage gets a byte bar on stderr (stdout stays for results). When stderr is a file or a
pipe (CI logs, ``2> log``) bars would be thousands of carriage-return updates, so nothing is shown while a
stage runs and a final line says what it did once everything succeeded.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any

STAGE_LABELS = {"bert": "BERT files", "checkpoint": "checkpoint", "check": "structural check"}


class StageProgress:
    """Callable as ``progress(stage, done, total)``; a context manager that closes the last stage."""

    def __init__(self, interactive: bool | None = None) -> None:
        self._interactive = sys.stderr.isatty() if interactive is None else interactive
        self._stage: str | None = None
        self._bar: Any = None
        self._started = 0.0
        self._done = 0
        self._summary: list[str] = []

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage != self._stage:
            self.close()
            self._stage, self._started = stage, time.monotonic()
            if self._interactive and stage == "checkpoint":
                from tqdm import tqdm

                self._bar = tqdm(
                    total=total,
                    initial=done,
                    unit="B",
                    unit_scale=True,
                    desc=STAGE_LABELS[stage],
                    file=sys.stderr,
                )
        if self._bar is not None:
            if total is not None and self._bar.total != total:
                self._bar.total = total
            self._bar.update(done - self._bar.n)
        self._done = done

    def close(self) -> None:
        """Finish the current stage: close its bar, or keep its summary line for :meth:`__exit__`."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._stage == "checkpoint":
            seconds = time.monotonic() - self._started
            self._summary.append(f"{STAGE_LABELS[self._stage]}: {self._done:,} bytes in {seconds:.1f} s")
        self._stage = None

    def __enter__(self) -> StageProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
        if kind is None:  # after a failure its one error line is all the user should have to read
            for line in self._summary:
                print(line, file=sys.stderr)
