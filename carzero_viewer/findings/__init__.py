"""Findings: a name plus one or more phrasings, scored as the mean of its phrasings' official scores.

Numpy only (no torch, no Qt). :mod:`~carzero_viewer.findings.finding` holds the data types and the
aggregation (score = mean, spread, map = mean of the prompt maps); :mod:`~carzero_viewer.findings.library`
reads the built-in libraries (ChestX-ray14, CheXpert, CheXpert competition, ChestX-Det10; package data) and
users' JSON files, and merges them.
"""

from carzero_viewer.findings.finding import (
    Finding,
    FindingResult,
    FindingsError,
    PhrasingScore,
    Spread,
    aggregate,
    aggregate_scores,
    all_phrasings,
    mean_map,
)
from carzero_viewer.findings.library import (
    LIBRARIES,
    finding_for_label,
    library,
    load_findings,
    parse_findings,
    read_findings_file,
)

__all__ = [
    "LIBRARIES",
    "Finding",
    "FindingResult",
    "FindingsError",
    "PhrasingScore",
    "Spread",
    "aggregate",
    "aggregate_scores",
    "all_phrasings",
    "finding_for_label",
    "library",
    "load_findings",
    "mean_map",
    "parse_findings",
    "read_findings_file",
]
