"""What the inference thread sends back to the viewer: scores of one request and the loaded model's state.

Plain frozen data (numpy arrays inside :class:`~carzero_viewer.types.PromptResult`), so it crosses from the
worker thread to the view model and its views unchanged, and the view model can be driven headless with
hand-built responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from carzero_viewer.findings import FindingResult
from carzero_viewer.types import PromptResult


@dataclass(frozen=True)
class ScoreResponse:
    """The results of one scoring request, or what is known of the wanted prompts.

    Attributes:
        results: one result per scored typed prompt, in request order.
        negations: typed prompt -> result of its negation ("contrast with negation" mode).
        skipped: one message per prompt the engine refused (e.g. empty after cleaning).
        findings: finding key -> its aggregate (phrasing scores, spread) for the finding rows of ``results``.
    """

    results: list[PromptResult]
    negations: dict[str, PromptResult] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()
    findings: dict[str, FindingResult] = field(default_factory=dict)

    @property
    def approximate(self) -> bool:
        """Some result is a reduced-precision preview (the viewer's fast mode); the exact one replaces it."""
        return any(r.approximate for r in self.results) or any(r.approximate for r in self.negations.values())

    @property
    def precision(self) -> str:
        """The reduced precision of the approximate results, else ``"fp32"``."""
        every = [*self.results, *self.negations.values()]
        return next((r.precision for r in every if r.approximate), "fp32")

    def result_for(self, typed: str | None) -> PromptResult | None:
        """The result of the typed prompt ``typed``, or None when it was not scored."""
        return next((result for result in self.results if result.prompt.typed == typed), None)


@dataclass(frozen=True)
class ModelState:
    """What the viewer shows about the loaded model (built in the worker after loading)."""

    checkpoint: str
    short_checksum: str
    status: str
    status_detail: str
    device: str
    is_untrained: bool
    weights_path: str = ""
    note: str = ""
    sha256: str = ""  # the checkpoint's full SHA-256 (hex), which a calibration profile must match
    fast_precision: str = (
        ""  # the fast mode's precision on this device ("bf16", "fp16"); "" where there is none
    )

    @property
    def summary(self) -> str:
        return f"{self.checkpoint} · {self.short_checksum} · {self.status} · {self.device}"
