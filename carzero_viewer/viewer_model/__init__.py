"""The viewer's state as a Qt-free, evented model (psygnal signals), of which the window and panels are views.

Numpy only: no Qt, no torch (enforced by import-linter), so the CLI and the headless tests drive it directly.
"""

from carzero_viewer.viewer_model.responses import ModelState, ScoreResponse
from carzero_viewer.viewer_model.viewer_model import ScoringNeed, ViewerModel

__all__ = ["ModelState", "ScoreResponse", "ScoringNeed", "ViewerModel"]
