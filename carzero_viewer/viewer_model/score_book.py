"""Results already computed for the shown image, so a request asks the worker only for what is missing.

A result depends only on (model, image, template, prompt). While those stay the same, toggling, reordering or
re-enabling prompts needs no inference at all, and while the user types, each preview scores only the draft:
the other prompts come from here. Plain data only (no Qt); the view model owns one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from carzero_viewer.findings import Finding, FindingResult
from carzero_viewer.types import PromptResult
from carzero_viewer.viewer_model.findings import finding_prompt_result
from carzero_viewer.viewer_model.responses import ScoreResponse


class ScoreBook:
    """Positive and negation results by typed prompt, valid for one (image, template) key."""

    def __init__(self) -> None:
        self._key: tuple[str, str] | None = None
        self._positive: dict[str, PromptResult] = {}
        self._negative: dict[str, PromptResult] = {}

    def clear(self) -> None:
        """Forget everything (e.g. another model was loaded)."""
        self._key = None
        self._positive.clear()
        self._negative.clear()

    def bind(self, image_hash: str, template: str) -> None:
        """Use the book for this image and template; a change empties it."""
        key = (image_hash, template)
        if key != self._key:
            self.clear()
            self._key = key

    def missing(self, prompts: Sequence[str], negations: bool) -> tuple[list[str], list[str]]:
        """Prompts without an exact result, and prompts without an exact negation result (when negations are
        wanted): an approximate preview is shown but still missing, so a new request computes it exactly."""
        positive = [p for p in prompts if p not in self._positive or self._positive[p].approximate]
        negative = [
            p for p in prompts if negations and (p not in self._negative or self._negative[p].approximate)
        ]
        return positive, negative

    def add(self, response: ScoreResponse) -> None:
        self._positive.update({result.prompt.typed: result for result in response.results})
        self._negative.update(response.negations)

    def collect(
        self, prompts: Sequence[str], negations: bool, findings: Mapping[str, Finding] | None = None
    ) -> ScoreResponse:
        """What is known for the rows ``prompts``, in their order.

        Args:
            findings: the rows that are findings (by key): each is shown once all its phrasings are known,
                as their aggregate (:func:`~carzero_viewer.viewer_model.findings.finding_prompt_result`);
                findings have no negation.
        """
        findings = findings or {}
        results: list[PromptResult] = []
        aggregates: dict[str, FindingResult] = {}
        for typed in prompts:
            finding = findings.get(typed)
            if finding is None:
                results.extend([self._positive[typed]] if typed in self._positive else [])
            elif (known := finding_prompt_result(typed, finding, self._positive)) is not None:
                results.append(known[0])
                aggregates[typed] = known[1]
        negative = {
            p: self._negative[p] for p in prompts if negations and p not in findings and p in self._negative
        }
        return ScoreResponse(results=results, negations=negative, findings=aggregates)
