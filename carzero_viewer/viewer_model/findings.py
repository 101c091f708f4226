"""Findings in the viewer: a finding is one row of the prompt list, scored through its phrasings.

A finding (:class:`~carzero_viewer.findings.Finding`) enters the prompt list under a key,
``"Finding: <name>"`` (:func:`finding_key`), so selection, ordering, enabling and persistence work as for a
typed prompt. What is sent to the model are its phrasings, each a prompt of its own, so the
:class:`~carzero_viewer.viewer_model.score_book.ScoreBook` scores every distinct text once whichever rows share
it. Once every phrasing is known, :func:`finding_prompt_result` stands the finding's row in for a result:
its score is the mean of the phrasings' official scores, its prompt map their mean map
(:func:`~carzero_viewer.findings.aggregate`), so the scores table, the canvas, the grounding metrics, the
prompt grid, compare images and the exports show the finding like any prompt. It has no word maps (they
belong to one sentence each); its "model text" is the finding's name, which is also what the grounding
metrics match box labels against.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from carzero_viewer.findings import Finding, FindingResult, aggregate
from carzero_viewer.types import ProcessedPrompt, PromptResult

FINDING_PREFIX = "Finding: "


def finding_key(name: str) -> str:
    """The prompt-list key of the finding ``name``."""
    return f"{FINDING_PREFIX}{name}"


def finding_prompt_result(
    key: str, finding: Finding, results_by_text: Mapping[str, PromptResult]
) -> tuple[PromptResult, FindingResult] | None:
    """The finding's row as a result, and its aggregate; None until every phrasing has a result.

    Args:
        key: the finding's prompt-list key (the row's typed text).
        results_by_text: the known results by typed text (the phrasings are sent as typed).

    Returns:
        A :class:`PromptResult` whose score is the phrasings' mean score, ``i2t``/``t2i`` their means, and
        grounding map their mean map (``(g, g)`` float32 over the model's crop, NaN only where every phrasing
        is NaN), with no words; and the :class:`FindingResult` with each phrasing's score and the spread.
    """
    if any(text not in results_by_text for text in finding.phrasings):
        return None
    aggregated = aggregate(finding, results_by_text)
    phrasings = [results_by_text[text] for text in finding.phrasings]
    first = phrasings[0]
    grid = aggregated.map if aggregated.map is not None else first.grounding_map
    count = len(phrasings)
    row = PromptResult(
        prompt=ProcessedPrompt(typed=key, text=finding.name, cleaned=finding.name.lower(), templated=False),
        words=(),
        truncated=any(r.truncated for r in phrasings),
        score=aggregated.score,
        i2t=float(sum(r.i2t for r in phrasings) / count),
        t2i=float(sum(r.t2i for r in phrasings) / count),
        grounding_map=grid,
        word_attention=np.zeros(1, np.float32),
        word_maps=np.zeros((0, *grid.shape), np.float32),
        padding_word_map=np.full(grid.shape, np.nan, np.float32),
        geometry=first.geometry,
        precision=next((r.precision for r in phrasings if r.approximate), "fp32"),
    )
    return row, aggregated
