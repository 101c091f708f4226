"""The main window: a view of a :class:`~carzero_viewer.viewer_model.ViewerModel` (napari's ``QtViewer``).

The state (study, shown record, prompts, selection, results, display, ground truth) lives in the Qt-free view
model; this class creates the panels, the inference bridge and the image loader, turns the panels' user
signals into the model's intents, redraws the panels on the model's events, feeds the model what the loader
and the bridge deliver, and persists settings. Nothing here computes a map, decodes a file or touches torch.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QMainWindow, QVBoxLayout, QWidget

from carzero_viewer.annotations.discovery import CANDIDATE_SUFFIXES
from carzero_viewer.errors import CarzeroError
from carzero_viewer.export.heatmap_style import HeatmapStyle
from carzero_viewer.files import WriteError
from carzero_viewer.imaging import ImageRecord, check_applicability, model_view
from carzero_viewer.imaging.corner_text import cursor_readout
from carzero_viewer.settings import Settings, load_settings, save_settings
from carzero_viewer.ui.applicability_banner import ApplicabilityBanner
from carzero_viewer.ui.calibration_view import CalibrationView
from carzero_viewer.ui.canvas import ImageCanvas
from carzero_viewer.ui.grey_levels import chest_presets
from carzero_viewer.ui.ground_truth_panel import GroundTruthPanel
from carzero_viewer.ui.ground_truth_reader import GroundTruthReader
from carzero_viewer.ui.heatmap_controls import HeatmapControls
from carzero_viewer.ui.image_loader import ImageLoader
from carzero_viewer.ui.inference_bridge import InferenceBridge
from carzero_viewer.ui.latest_job import LatestJob
from carzero_viewer.ui.levels_panel import LevelsPanel
from carzero_viewer.ui.main_chrome import ChromeViews, MainChrome
from carzero_viewer.ui.metadata_panel import MetadataPanel
from carzero_viewer.ui.notifications import NotificationArea
from carzero_viewer.ui.prompt_panel import DEFAULT_PROMPTS, PromptPanel
from carzero_viewer.ui.scores_panel import ScoresPanel, negation_of
from carzero_viewer.ui.study_panel import StudyPanel
from carzero_viewer.ui.untrained_banner import UntrainedBanner
from carzero_viewer.ui.word_panel import WordPanel
from carzero_viewer.viewer_model import ModelState, ScoreResponse, ViewerModel
from carzero_viewer.viewer_model.grounding import GroundingMetrics, compute_grounding
from carzero_viewer.viewer_model.map_view import MapView
from carzero_viewer.viewer_model.study import StudyFile

LOG = logging.getLogger(__name__)
DISABLED_KEY = "disabled_prompts"
DEBOUNCE_MS = 300
MAX_RECENT = 10
MODEL_TOPIC = "model"  # notices about the model or a scoring request: void once a model loads


def _open_topic(path: Path | None) -> str:
    """The notification topic of a failed open of ``path``: cleared when that file opens after all."""
    return f"open:{Path(path).resolve()}" if path is not None else "open:"


class MainWindow(QMainWindow):
    scores_shown = Signal()  # the shown results changed (views of the results, e.g. the prompt grid, redraw)

    def __init__(self, settings: Settings | None = None, bridge: InferenceBridge | None = None) -> None:
        super().__init__()
        self.setWindowTitle("CARZero Viewer")
        self.resize(1500, 950)
        self.setAcceptDrops(True)
        self.settings = settings if settings is not None else load_settings()
        self.weights_searched = ""
        self._opening: Path | None = None  # the file of the newest load request
        self._auto_selecting = False  # True while the window itself selects a row
        self._scoring = False  # a scoring request is running (Esc has something to cancel)
        self._metrics_caption = ""

        self.heatmap_controls = HeatmapControls()
        self.model = ViewerModel(self.settings.prompt_template, self.heatmap_controls.style())
        self._build_central()

        self.study_panel = StudyPanel()
        self.levels_panel = LevelsPanel()
        self.metadata_panel = MetadataPanel()
        self.prompt_panel = PromptPanel()
        self.scores_panel = ScoresPanel()
        self.word_panel = WordPanel()
        self.ground_truth_panel = GroundTruthPanel()
        self.ground_truth_panel.set_template(self.settings.prompt_template)
        self.bridge = bridge if bridge is not None else InferenceBridge()  # gui's: already loading
        self.bridge.setParent(self)
        self.chrome = MainChrome(self, self.model, self._chrome_views(), self, self.bridge)
        self.calibration_view = CalibrationView(self.model, self, self.chrome)
        self.calibration_view.restore()  # the listed findings before the list itself

        self.prompt_panel.set_template(self.settings.prompt_template)
        disabled = self.settings.extra.get(DISABLED_KEY, [])
        self.prompt_panel.set_prompts(
            self.settings.prompts or list(DEFAULT_PROMPTS), disabled if isinstance(disabled, list) else []
        )
        self.model.prompts.set_prompts(self.prompt_panel.all_prompts(), self.prompt_panel.disabled_prompts())

        self.loader = ImageLoader(self)
        self.metrics_job = LatestJob("computing grounding metrics", self)
        self.truth_reader = GroundTruthReader(self.model, self)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.request_scores)
        self._connect()
        self._connect_model()

    # --- read-only views of the model's state (tests and the smoke test read them) -------------------------
    @property
    def record(self) -> ImageRecord | None:
        return self.model.record

    @property
    def response(self) -> ScoreResponse | None:
        return self.model.results.response

    @property
    def map_view(self) -> MapView | None:
        return self.model.results.map_view

    @property
    def model_state(self) -> ModelState | None:
        return self.model.results.model

    def _chrome_views(self) -> ChromeViews:
        panels = (self.study_panel, self.levels_panel, self.metadata_panel, self.ground_truth_panel)
        right = (self.prompt_panel, self.scores_panel, self.word_panel, self.heatmap_controls)
        return ChromeViews(self.canvas, self.central_layout, self.notifications, *panels, *right)

    def _build_central(self) -> None:
        """Banner, notifications and the canvas, stacked; the chrome adds the frame bar and notices."""
        self.canvas = ImageCanvas()
        self.notifications = NotificationArea()
        self.banner = UntrainedBanner(self.model)
        self.applicability_banner = ApplicabilityBanner()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.applicability_banner)
        column.addWidget(self.notifications)
        column.addWidget(self.canvas, 1)
        self.central_layout = column
        self.setCentralWidget(central)

    def _connect(self) -> None:
        """The panels' user signals become the model's intents (or requests to the loader and the bridge)."""
        model = self.model
        self.study_panel.file_selected.connect(model.study.select)
        self.study_panel.unreadable.connect(model.load_failed)
        self.chrome.frame_changed.connect(self._on_frame_changed)
        self.chrome.open_requested.connect(self.open_paths)
        self.chrome.annotations_requested.connect(self.open_annotations)
        self.chrome.close_image_requested.connect(self.close_image)
        self.chrome.close_study_requested.connect(self.close_study)
        self.chrome.model_requested.connect(self.start_model)
        self.chrome.cancel_requested.connect(self.cancel_scoring)
        self.chrome.error.connect(self.show_error)
        self.loader.loaded.connect(self._on_record_loaded)
        self.loader.failed.connect(self._on_load_failed)
        self.metrics_job.finished.connect(self._on_metrics)
        self.metrics_job.failed.connect(self.show_error)
        self.truth_reader.problem.connect(self.show_error)
        self.prompt_panel.prompts_changed.connect(self._on_prompts_changed)
        self.prompt_panel.template_changed.connect(self._on_template_changed)
        self.prompt_panel.line_edit.textChanged.connect(self._on_draft_edited)
        self.prompt_panel.template_changed.connect(self.ground_truth_panel.set_template)
        self.ground_truth_panel.visible_labels_changed.connect(self._on_visible_labels_changed)
        self.ground_truth_panel.add_prompts_requested.connect(self._on_add_label_prompts)
        self.scores_panel.prompt_selected.connect(self._on_prompt_selected)
        self.scores_panel.negation_mode_changed.connect(self._on_negation_mode)
        self.word_panel.word_selected.connect(self._on_word_selected)
        self.heatmap_controls.style_changed.connect(model.display.set_style)
        self.heatmap_controls.model_input_toggled.connect(self._on_model_input_toggled)
        self.levels_panel.window_requested.connect(self.canvas.set_window)
        self.levels_panel.preset_requested.connect(self.canvas.set_preset)
        self.levels_panel.invert_toggled.connect(model.display.set_inverted)
        self.canvas.window_changed.connect(model.display.set_window)
        self.canvas.inverted_changed.connect(model.display.set_inverted)
        self.canvas.orientation_changed.connect(model.display.set_orientation)  # e.g. R resets it
        model.display.orientation_changed.connect(self.canvas.set_orientation)  # the View menu's flips
        self.canvas.cursor_moved.connect(self._on_cursor_moved)
        self.canvas.measurement_changed.connect(self.chrome.show_measurement)
        self.bridge.model_ready.connect(self._on_model_ready)
        self.bridge.model_failed.connect(self._on_model_failed)
        self.bridge.results_ready.connect(self._on_results)
        self.bridge.request_failed.connect(self._on_request_failed)
        self.bridge.busy_changed.connect(self.chrome.set_busy)
        self.bridge.busy_changed.connect(self._on_scoring_busy)
        self.bridge.progress.connect(self.chrome.set_progress)
        self.bridge.notice.connect(self._on_notice)

    def _connect_model(self) -> None:
        """The model's events redraw the panels."""
        model = self.model
        model.study.files_changed.connect(self._on_study_files)
        model.study.current_changed.connect(self._on_current_file)
        model.prompts.changed.connect(self._on_model_prompts)
        model.study.status_changed.connect(self._on_file_status)
        model.record_changed.connect(self._on_record_changed)
        model.scores_shown.connect(self._on_scores_shown)
        model.ground_truth_changed.connect(self._update_boxes)
        model.display.window_changed.connect(self.levels_panel.set_window)
        model.display.inverted_changed.connect(self.canvas.set_inverted)
        model.display.inverted_changed.connect(self.levels_panel.set_inverted)
        model.display.style_changed.connect(self._on_style_changed)
        model.display.corners_changed.connect(self._on_corners)

    # --- model -------------------------------------------------------------------------------------------
    def start_model(self, candidates: list[Path], device: str = "auto") -> None:
        """Load the first working weights folder of ``candidates`` in the inference thread."""
        if not candidates:
            self._on_model_failed("no weights to load")
            return
        self.chrome.set_model_text("model: loading…", "")
        self.bridge.load_model(candidates, device)

    def show_missing_weights(self, searched: str) -> None:
        """No weights found: say where we looked, offer the demo model and the weights dialog."""
        self.weights_searched = searched
        self.chrome.show_no_weights(searched)

    # --- files -------------------------------------------------------------------------------------------
    def open_paths(self, paths: list[Path]) -> None:
        """Add files and folders to the study and show the first new file; their ground truth follows."""
        problems, folders = self.model.open_images([Path(p) for p in paths])  # the first new file is current
        for problem in problems:
            self.show_error(problem)
        self.truth_reader.read(folders, [])
        self._remember_recent([Path(p) for p in paths])

    def open_annotations(self, paths: list[Path]) -> None:
        self.truth_reader.read([], paths)  # the model announces what it indexed: _update_boxes

    @Slot()
    def close_image(self) -> None:
        """Ctrl+W: drop the current image from the study; the next one opens, or the viewer empties."""
        current = self.model.study.current
        if current is None:
            return
        self._stop_image_work()
        self.model.study.remove(current)  # the next file (or none) becomes current

    @Slot()
    def close_study(self) -> None:
        """Ctrl+Shift+W: empty the study list, the image, its scores and the session's ground truth."""
        self._stop_image_work()
        self.model.close_study()

    def _stop_image_work(self) -> None:
        """Cancel what runs for the shown image: its load, its scoring and its metrics are dropped."""
        self._debounce.stop()
        self.loader.cancel()
        self.bridge.invalidate()
        self.metrics_job.invalidate()
        self._opening = None
        self.chrome.set_loading("")

    def _on_current_file(self, path: Path | None) -> None:
        if path is None:  # the model clears the record itself
            return
        self.study_panel.select_file(path)
        self.show_file(path)

    def _on_study_files(self) -> None:
        """List the study's files: closed ones leave the list, new ones are appended (their thumbnails follow)."""
        listed = self.model.study.files
        if not listed:
            self.study_panel.clear()
            return
        for path in set(self.study_panel.files()) - set(listed):
            self.study_panel.remove_file(path)
        self.study_panel.add_files(listed)

    def _on_file_status(self, entry: StudyFile) -> None:
        if entry.status == "failed":
            self.study_panel.mark_failed(entry.path, entry.reason)
        else:
            self.study_panel.mark_opened(entry.path)

    def _show_no_image(self) -> None:
        self.canvas.clear_record()
        self.metadata_panel.set_record(None)
        self.chrome.set_frames(0, 1)
        self.scores_panel.clear("No image open")
        self.word_panel.clear()
        self.ground_truth_panel.set_boxes([])
        self.ground_truth_panel.set_image_labels([])
        self.setWindowTitle("")

    @Slot(object)
    def show_file(self, path: Path) -> None:
        """Start loading ``path`` in the background (frame 0)."""
        self.chrome.set_loading(Path(path).name)
        self._opening = Path(path)
        self.loader.load(Path(path), 0)

    @Slot(int)
    def _on_frame_changed(self, frame: int) -> None:
        record = self.model.record
        if record is not None and frame != record.frame:
            self._opening = record.path
            self.loader.load(record.path, frame)

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        """The newest open failed: the status returns to the shown image, the list marks the file."""
        self.chrome.set_loading("")
        if self._opening is not None:
            self.model.load_failed(self._opening, message)
        self.notifications.notify(message, "error", topic=_open_topic(self._opening))

    @Slot(object)
    def _on_record_loaded(self, record: ImageRecord) -> None:
        self.notifications.clear_topic(_open_topic(record.path))
        self.bridge.invalidate()
        self.model.record_loaded(record)  # redraws through _on_record_changed
        self.request_scores()

    def _on_record_changed(self, record: ImageRecord | None) -> None:
        if record is None:
            self._show_no_image()
            return
        self.canvas.set_record(record)
        self.canvas.set_heatmap(None, self.model.display.style)
        self.levels_panel.set_histogram(*self.canvas.levels_histogram())
        self.levels_panel.set_presets([*record.presets, *chest_presets(record)])
        self.levels_panel.set_integer_data(record.integer_data)
        self.levels_panel.set_window(*self.canvas.window())
        self.levels_panel.set_inverted(self.canvas.inverted())
        self.metadata_panel.set_record(record)
        reasons = check_applicability(record).reasons
        self.applicability_banner.show_reasons(reasons)
        self.scores_panel.set_applicability(reasons)
        self.chrome.set_frames(record.frame, record.frame_count)
        self.chrome.set_loading("")
        self.scores_panel.clear("Scoring…")
        self.word_panel.clear()
        self.setWindowTitle(record.path.name)  # Qt appends " — <application display name>" itself
        self._update_boxes()

    def _update_boxes(self) -> None:
        if self.model.record is None:
            return
        boxes, note = self.model.boxes()
        self.ground_truth_panel.set_image_labels(*self.model.image_labels())
        self.ground_truth_panel.set_boxes(boxes, note)  # its signal redraws the visible classes
        if self.model.results.response is not None:  # new boxes: apply the selection rule again, new metrics
            self.model.show_known()
        if note:
            self.notifications.notify(note, "info")

    @Slot(list)
    def _on_visible_labels_changed(self, _labels: list[str]) -> None:
        self.canvas.set_boxes(self.ground_truth_panel.visible_boxes())

    @Slot(list)
    def _on_add_label_prompts(self, prompts: list[str]) -> None:
        existing = {p.casefold() for p in self.prompt_panel.all_prompts()}
        for text in prompts:
            if text.casefold() not in existing:
                self.prompt_panel.add_prompt(text)

    def show_error(self, message: str) -> None:
        """User-facing problems: a non-modal notification (and the log)."""
        self.notifications.notify(message, "error")

    def _remember_recent(self, paths: list[Path]) -> None:
        recent = [str(p.resolve()) for p in paths] + self.settings.recent_files
        self.settings.recent_files = list(dict.fromkeys(recent))[:MAX_RECENT]
        self.chrome.set_recent(self.settings.recent_files)
        self.save_settings()

    # --- prompts and scoring -------------------------------------------------------------------------------
    @Slot()
    def request_scores(self) -> None:
        """Ask the bridge for what the model says is missing; show what is known when nothing is."""
        need, record = self.model.scoring_need(), self.model.record
        if need is None or record is None:
            return
        if not need.wanted:
            self.bridge.invalidate()
            self.model.clear_results()
            self.scores_panel.clear("No prompt enabled")
            self.canvas.set_heatmap(None, self.model.display.style)
            self.ground_truth_panel.clear_metrics()
            return
        if need.complete:  # everything is known: no inference
            self.bridge.invalidate()
            self.model.show_known()
            return
        template = self.model.prompts.template
        negated = tuple((typed, negation_of(typed, template)) for typed in need.negative)
        self.bridge.submit(record.model_input, list(need.positive), template, negated, record.content_hash)

    @Slot(str)
    def _on_draft_edited(self, text: str) -> None:
        """Live preview: the prompt being typed is scored (debounced) and its map shown before Enter."""
        self.model.prompts.set_draft(text)
        self._debounce.start()

    @Slot(list)
    def _on_prompts_changed(self, enabled: list[str]) -> None:
        self.model.prompts_edited(self.prompt_panel.all_prompts(), self.prompt_panel.disabled_prompts())
        if self.model.prompts.draft in enabled or not self.prompt_panel.line_edit.text().strip():
            self.model.prompts.set_draft("")
        self.settings.prompts = self.model.prompts.all
        self.settings.extra[DISABLED_KEY] = self.model.prompts.disabled
        self.save_settings()
        self._debounce.start()

    def _on_model_prompts(self) -> None:
        """Show a list set on the model (restored, or by a script) in the panel; the panel's own edits match."""
        prompts = self.model.prompts
        if (self.prompt_panel.all_prompts(), self.prompt_panel.disabled_prompts()) != (
            prompts.all,
            prompts.disabled,
        ):
            self.prompt_panel.set_prompts(prompts.all, prompts.disabled)

    @Slot(str)
    def _on_template_changed(self, template: str) -> None:
        self.model.prompts.set_template(template)
        self.settings.prompt_template = template
        self.save_settings()
        self._debounce.start()

    @Slot(bool)
    def _on_negation_mode(self, enabled: bool) -> None:
        self.model.prompts.set_negations(enabled)
        self.request_scores()

    @Slot(int, object)
    def _on_results(self, _request_id: int, response: ScoreResponse) -> None:
        for message in response.skipped:
            self.show_error(message)
        self.model.results_arrived(response)  # announces the prompt to select: _on_scores_shown

    def _on_scores_shown(self, response: ScoreResponse, keep: str | None) -> None:
        """Show the known results and select the prompt the model picked (its map is drawn on selection)."""
        self._auto_selecting = True
        try:
            self.scores_panel.show_response(response, keep, self.calibration_view.rows(response))  # emits
            selected = self.scores_panel.selected_prompt()
            if selected is not None and self.model.results.map_view is None:  # selection unchanged: redraw
                self._on_prompt_selected(selected)
        finally:
            self._auto_selecting = False
        self.scores_shown.emit()

    @Slot(str)
    def _on_prompt_selected(self, typed: str) -> None:
        self.model.prompt_selected(typed, by_user=not self._auto_selecting)
        response = self.model.results.response
        self.word_panel.set_result(response.result_for(typed) if response is not None else None)
        slot = self.model.selection.word_for(typed, self.word_panel.chip_slots())
        self.word_panel.select_slot(slot)
        self._show_map(typed, slot)

    @Slot(int)
    def _on_word_selected(self, slot: int) -> None:
        typed = self.model.selection.shown[0]
        if typed is not None:
            self.model.word_selected(typed, slot)
            self._show_map(typed, slot)

    def _show_map(self, typed: str, slot: int) -> None:
        try:
            view = self.model.show_map(typed, slot)
        except CarzeroError as exc:
            self.show_error(exc.message)
            return
        if view is None:
            return
        style = self.model.display.style
        self.canvas.set_heatmap(view.values, style)
        self.canvas.set_field_of_view(view.field_of_view if style.show_field_of_view else None)
        self.canvas.set_marker(view.peak)
        self.heatmap_controls.set_legend_range(view.low, view.high, view.caption)
        # All boxes, not only the classes shown: hiding a class on screen must not change the metrics. They
        # take up to a few hundred ms on a large image, so they are computed off the GUI thread.
        self._metrics_caption = view.caption
        self.metrics_job.start(compute_grounding, view.values, self.model.boxes()[0], view.prompt_text)
        if self.canvas.showing_model_input():
            self._on_model_input_toggled(True)

    def set_heatmap_style(self, style: HeatmapStyle) -> None:
        """Apply a style from outside the controls (e.g. the H shortcut) and redraw."""
        self.model.display.set_style(style)

    @Slot(object)
    def _on_metrics(self, metrics: object) -> None:
        self.ground_truth_panel.set_metrics(
            metrics if isinstance(metrics, GroundingMetrics) else None, self._metrics_caption
        )

    def _on_style_changed(self, style: HeatmapStyle) -> None:
        if self.heatmap_controls.style() != style:  # a style set from outside the controls (H key)
            self.heatmap_controls.set_style(style)  # shows it without emitting
        typed, slot = self.model.selection.shown
        if typed is not None:
            self._show_map(typed, slot)
        else:
            self.canvas.set_heatmap_style(style)

    def _on_corners(self, shown: bool) -> None:
        self.canvas.corners.setVisible(shown)

    @Slot(bool)
    def _on_model_input_toggled(self, enabled: bool) -> None:
        record = self.model.record
        if not enabled or record is None:
            self.canvas.show_model_input(None)
            return
        crop = model_view(record).crop
        view = self.model.results.map_view
        values = view.crop_values(crop.shape[0]) if view is not None else None
        self.canvas.show_model_input(crop, values)

    @Slot(int, str)
    def _on_request_failed(self, _request_id: int, message: str) -> None:
        self.scores_panel.set_status(message)
        self.notifications.notify(message, "error", topic=MODEL_TOPIC)

    @Slot(bool)
    def _on_scoring_busy(self, busy: bool) -> None:
        self._scoring = busy

    @Slot()
    def cancel_scoring(self) -> None:
        """Esc / Cancel: stop the running scoring; with nothing running nothing visible changes."""
        if not self._scoring:
            return
        self.bridge.invalidate()
        self.scores_panel.set_status("cancelled")

    @Slot(str)
    def _on_notice(self, message: str) -> None:
        self.notifications.notify(message, "info")

    @Slot(object)
    def _on_model_ready(self, state: ModelState) -> None:
        self.model.model_loaded(state)
        self.notifications.clear_topic(MODEL_TOPIC)  # "no model loaded yet" and older model errors are void
        self.scores_panel.set_untrained(state.is_untrained)
        self.ground_truth_panel.set_untrained(state.is_untrained)
        if state.note:
            self.notifications.notify(f"using {state.checkpoint}: {state.note}", "info")
        self.request_scores()

    @Slot(str)
    def _on_model_failed(self, message: str) -> None:
        self.model.model_failed()
        self.chrome.set_model_text("no model", message)
        self.notifications.notify(message, "error", topic=MODEL_TOPIC)
        self.scores_panel.clear("No model loaded")

    # --- status -----------------------------------------------------------------------------------------------
    @Slot(int, int)
    def _on_cursor_moved(self, row: int, col: int) -> None:
        record = self.model.record
        self.chrome.show_cursor(cursor_readout(record, row, col) if record is not None and row >= 0 else "")

    def save_settings(self) -> None:
        try:
            save_settings(self.settings)
        except WriteError as exc:
            self.show_error(f"cannot save settings: {exc.message}")

    # --- Qt events ------------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt API name)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt API name)
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        annotations = [p for p in paths if p.suffix.lower() in CANDIDATE_SUFFIXES]
        self.open_annotations(annotations)  # none: nothing to read
        images = [p for p in paths if p not in annotations]
        if images:
            self.open_paths(images)
        event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API name)
        self._debounce.stop()
        self.study_panel.thumbnailer.cancel()
        self.bridge.shutdown()
        self.loader.shutdown()
        self.metrics_job.shutdown()
        self.truth_reader.shutdown()
        super().closeEvent(event)
