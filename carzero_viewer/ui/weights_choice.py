"""Which weights the viewer tries, in order, and what it tells the user when there are none.

Only paths are checked here (cheap, no torch): the inference thread loads the first candidate that works.
Order: an explicit ``--weights``, else the saved setting, else the normal lookup of
:func:`carzero_viewer.paths.find_weights`. The bundled untrained demo model (the tiny test fixture) is added
only when the user asked for it (``--demo`` or the "Use the demo model" button).
"""

from __future__ import annotations

from pathlib import Path

from carzero_viewer.errors import WeightsError
from carzero_viewer.paths import demo_model_dir, find_weights, weights_candidates


def searched_locations(explicit: str | None = None) -> str:
    """The lookup order as lines ``source: path`` (shown when no weights are found)."""
    return "\n".join(f"{source}: {path}" for source, path in weights_candidates(explicit))


def candidates(explicit: str | None, saved: str, demo: bool) -> tuple[list[Path], list[str]]:
    """Weights to try in order, and the lookup problems met on the way."""
    problems: list[str] = []
    found: list[Path] = []
    choice = explicit or saved or None
    try:
        found.append(find_weights(choice).checkpoint)
    except WeightsError as exc:
        problems.append(exc.message)
    if demo and demo_model_dir().is_dir():
        found.append(demo_model_dir())
    return found, problems
