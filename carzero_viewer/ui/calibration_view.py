"""Findings and the calibration profile in the window: the wiring between the panels and the view model.

Kept out of :mod:`carzero_viewer.ui.main_window` (one job each): this object restores the listed findings and
the last profile from the settings and keeps them there, registers the findings the prompt panel adds with
the model, reads a user's finding file, loads a profile chosen in Settings (a malformed or other-weights one
is a one-line notification naming the file and the reason, and is not remembered), passes the scores panel
what the profile says of each row, applies the operating point chosen there, and opens the reliability
dialog. The state itself (findings, profile, point) lives in the :class:`~carzero_viewer.viewer_model.
ViewerModel`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Slot

from carzero_viewer.calibration import DEFAULT_POINT, POINTS, CalibrationError
from carzero_viewer.findings import Finding, FindingsError, parse_findings, read_findings_file
from carzero_viewer.ui import file_dialogs
from carzero_viewer.ui.calibration_dialog import ReliabilityDialog
from carzero_viewer.ui.file_dialogs import SettingsOwner
from carzero_viewer.ui.main_chrome import MainChrome
from carzero_viewer.viewer_model import ScoreResponse, ViewerModel
from carzero_viewer.viewer_model.calibration import RowCalibration

LOG = logging.getLogger(__name__)
FINDINGS_KEY = "findings"  # settings.extra: {"name": ["phrasing", ...]} of the listed findings
PROFILE_KEY = "calibration_profile"  # settings.extra: the profile's path
POINT_KEY = "operating_point"  # settings.extra: the chosen operating point
CALIBRATION_TOPIC = "calibration"  # notices about the profile: void once one loads
OPEN_FINDINGS = "open_findings"
OPEN_PROFILE = "open_profile"


class CalibrationView(QObject):
    """Connects the chrome's prompt and scores panels, its Settings actions, the settings and the
    notifications to the model's findings and calibration."""

    def __init__(self, model: ViewerModel, owner: SettingsOwner, chrome: MainChrome) -> None:
        super().__init__(chrome.window)
        self.model, self.owner, self.parent_widget = model, owner, chrome.window
        prompts, scores = chrome.views.prompts, chrome.views.scores
        self.prompts, self.scores, self.notifications = prompts, scores, chrome.views.notifications
        self.dialog: ReliabilityDialog | None = None
        chrome.profile_requested.connect(self.choose_profile)
        chrome.profile_cleared.connect(self.forget_profile)
        prompts.finding_added.connect(self._on_finding_added)
        prompts.findings_file_requested.connect(self.choose_findings_file)
        scores.calibration.point_changed.connect(self._on_point_chosen)
        scores.reliability_requested.connect(self.show_reliability)
        model.prompts.changed.connect(self._keep_findings)
        model.calibration.changed.connect(self._on_calibration_changed)
        model.calibration.refused.connect(self._on_refused)
        model.results.model_changed.connect(self._on_model_changed)

    # --- settings ----------------------------------------------------------------------------------------
    def restore(self) -> None:
        """The findings listed last time (before the prompt list is restored) and the last profile."""
        settings = self.owner.settings
        stored = settings.extra.get(FINDINGS_KEY)
        if stored:
            try:
                findings = parse_findings(stored, "settings: findings")
            except FindingsError as exc:
                LOG.warning("listed findings not restored: %s", exc.message)
                findings = ()
            for finding in findings:
                self.model.prompts.register_finding(finding)
            self.prompts.set_findings(list(findings))
        point = settings.extra.get(POINT_KEY)
        self.model.calibration.set_point(point if point in POINTS else DEFAULT_POINT)
        path = settings.extra.get(PROFILE_KEY)
        if isinstance(path, str) and path:
            self.load_profile(Path(path))

    def _keep_findings(self) -> None:
        listed = self.model.prompts.listed_findings()
        self.owner.settings.extra[FINDINGS_KEY] = {f.name: list(f.phrasings) for f in listed}

    # --- findings ----------------------------------------------------------------------------------------
    @Slot(object)
    def _on_finding_added(self, finding: Finding) -> None:
        self.model.prompts.register_finding(finding)

    @Slot()
    def choose_findings_file(self) -> None:
        paths = file_dialogs.open_file_names(
            self.owner, self.parent_widget, OPEN_FINDINGS, "Add findings from a file", "Findings (*.json)"
        )
        for path in paths:
            self.add_findings_file(path)

    def add_findings_file(self, path: Path) -> None:
        """List every finding of the user's JSON file ``{"name": ["phrasing", ...]}`` (a bad file: notified)."""
        try:
            findings = read_findings_file(path)
        except FindingsError as exc:
            self.notifications.notify(exc.message, "error")
            return
        for finding in findings:
            self.prompts.add_finding(finding)

    # --- calibration -------------------------------------------------------------------------------------
    @Slot()
    def choose_profile(self) -> None:
        """Settings > Calibration profile…"""
        paths = file_dialogs.open_file_names(
            self.owner, self.parent_widget, OPEN_PROFILE, "Load a calibration profile", "Profiles (*.json)"
        )
        if paths:
            self.load_profile(paths[0])

    def load_profile(self, path: Path) -> bool:
        """Use the profile at ``path`` and remember it; a bad one is a notification (the profile in use stays,
        and a remembered path that went bad is forgotten)."""
        try:
            self.model.load_profile(path)
        except CalibrationError as exc:
            self.notifications.notify(exc.message, "error", topic=CALIBRATION_TOPIC)
            if self.owner.settings.extra.get(PROFILE_KEY) == str(path):
                self._remember_profile("")
            return False
        self.notifications.clear_topic(CALIBRATION_TOPIC)
        self._remember_profile(str(path))
        return True

    @Slot()
    def forget_profile(self) -> None:
        """Settings > No calibration profile: back to raw scores and ranks."""
        self.model.calibration.clear()
        self._remember_profile("")

    def _remember_profile(self, path: str) -> None:
        if self.owner.settings.extra.get(PROFILE_KEY, "") != path:
            self.owner.settings.extra[PROFILE_KEY] = path
            self.owner.save_settings()

    def _on_refused(self, message: str) -> None:
        self.notifications.notify(message, "error", topic=CALIBRATION_TOPIC)
        self._remember_profile("")

    @Slot(str)
    def _on_point_chosen(self, point: str) -> None:
        self.model.calibration.set_point(point)
        self.owner.settings.extra[POINT_KEY] = point
        self.owner.save_settings()

    def _on_calibration_changed(self) -> None:
        """Show the profile; the shown scores again with its values (the model re-announces them)."""
        self._show_profile()
        if self.model.results.response is not None:
            self.model.show_known()

    def _on_model_changed(self, _state: object) -> None:
        self._show_profile()

    def _show_profile(self) -> None:
        calibration, state = self.model.calibration, self.model.results.model
        profile = calibration.profile
        untrained = profile is not None and (
            profile.provenance.weights_untrained or (state is not None and state.is_untrained)
        )
        self.scores.set_profile(calibration.provenance(), calibration.point, untrained)

    def rows(self, response: ScoreResponse) -> dict[str, RowCalibration]:
        """What the profile says of each shown row (empty without a profile)."""
        if self.model.calibration.profile is None:
            return {}
        return {r.prompt.typed: self.model.row_calibration(r.prompt.typed, r.score) for r in response.results}

    @Slot(str)
    def show_reliability(self, typed: str) -> None:
        """The reliability diagram and ROC curve of row ``typed`` (nothing when it is not calibrated)."""
        fit, profile = self.model.row_fit(typed), self.model.calibration.profile
        if fit is None or profile is None:
            return
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = ReliabilityDialog(
            fit,
            self.model.calibration.point,
            profile.provenance.weights_untrained,
            self.model.calibration.provenance(),
            self.parent_widget,
        )
        self.dialog.show()
