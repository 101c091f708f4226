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

    @property
    def summary(self) -> str:
        return f"{self.checkpoint} · {self.short_checksum} · {self.status} · {self.device}"
