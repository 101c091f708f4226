"""The main window: creates the panels, the inference bridge and the image loader, and wires their signals.

Every job lives in its own module (canvas, levels, heatmap controls, prompt list, scores, words, metadata,
study list, notifications, bridge, loader, presenter); this class only connects them, keeps the current
record / results / selection, and persists settings. Nothing here computes a map, decodes a file or touches
torch.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from carzero_viewer.annotations.discovery import CANDIDATE_SUFFIXES
from carzero_viewer.annotations.prompt_choice import choose_prompt
from carzero_viewer.export.heatmap_style import HeatmapStyle
from carzero_viewer.files import WriteError
from carzero_viewer.imaging import ImageRecord, check_applicability, model_view
from carzero_viewer.settings import Settings, load_settings, save_settings
from carzero_viewer.types import PromptResult
from carzero_viewer.ui.applicability_banner import ApplicabilityBanner
from carzero_viewer.ui.canvas import ImageCanvas
from carzero_viewer.ui.grey_levels import chest_presets
from carzero_viewer.ui.ground_truth_panel import GroundTruthPanel
from carzero_viewer.ui.heatmap_controls import HeatmapControls
from carzero_viewer.ui.image_loader import ImageLoader
from carzero_viewer.ui.inference_bridge import InferenceBridge
from carzero_viewer.ui.latest_job import LatestJob
from carzero_viewer.ui.levels_panel import LevelsPanel
from carzero_viewer.ui.main_chrome import MainChrome
from carzero_viewer.ui.metadata_panel import MetadataPanel
from carzero_viewer.ui.notifications import NotificationArea
from carzero_viewer.ui.prompt_panel import DEFAULT_PROMPTS, PromptPanel
from carzero_viewer.ui.scores_panel import ScoresPanel, negation_of
from carzero_viewer.ui.study_panel import StudyPanel, expand_paths
from carzero_viewer.ui.word_panel import WordPanel
from carzero_viewer.viewer_model.ground_truth import GroundTruth
from carzero_viewer.viewer_model.grounding import GroundingMetrics, compute_grounding
from carzero_viewer.viewer_model.map_view import MapView, build_map_view
from carzero_viewer.viewer_model.responses import ModelState, ScoreResponse
from carzero_viewer.viewer_model.score_book import ScoreBook

LOG = logging.getLogger(__name__)
UNTRAINED_TEXT = "UNTRAINED DEMO MODEL — outputs are meaningless"
DISABLED_KEY = "disabled_prompts"
DEBOUNCE_MS = 300
MAX_RECENT = 10
MODEL_TOPIC = "model"  # notices about the model or a scoring request: void once a model loads


def _open_topic(path: Path | None) -> str:
    """The notification topic of a failed open of ``path``: cleared when that file opens after all."""
    return f"open:{Path(path).resolve()}" if path is not None else "open:"


class MainWindow(QMainWindow):
    scores_shown = Signal()  # self.response changed (views of the results, e.g. the prompt grid, redraw)

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("CARZero Viewer")
        self.resize(1500, 950)
        self.setAcceptDrops(True)
        self.settings = settings if settings is not None else load_settings()
        self.record: ImageRecord | None = None
        self.model_state: ModelState | None = None
        self.response: ScoreResponse | None = None
        self.map_view: MapView | None = None
        self.weights_searched = ""
        self._opening: Path | None = None  # the file of the newest load request
        # The prompt (and word slot, -1 = whole prompt) the user chose by clicking, adding or typing it: kept
        # across images (rule in carzero_viewer.annotations.prompt_choice).
        self._chosen_prompt: str | None = None
        self._chosen_word = -1
        self._auto_selecting = False  # True while the window itself selects a row
        self._scoring = False  # a scoring request is running (Esc has something to cancel)
        self._metrics_caption = ""
        self.book = ScoreBook()
        self._wanted: list[str] = []
        self.draft = ""  # the text being typed in the prompt box, scored live as a preview

        self._build_central()

        self.study_panel = StudyPanel()
        self.levels_panel = LevelsPanel()
        self.metadata_panel = MetadataPanel()
        self.prompt_panel = PromptPanel()
        self.scores_panel = ScoresPanel()
        self.word_panel = WordPanel()
        self.heatmap_controls = HeatmapControls()
        self.ground_truth_panel = GroundTruthPanel()
        self.ground_truth_panel.set_template(self.settings.prompt_template)
        self.chrome = MainChrome(self)
        self.ground_truth = GroundTruth()

        self.prompt_panel.set_template(self.settings.prompt_template)
        disabled = self.settings.extra.get(DISABLED_KEY, [])
        self.prompt_panel.set_prompts(
            self.settings.prompts or list(DEFAULT_PROMPTS), disabled if isinstance(disabled, list) else []
        )

        self.bridge = InferenceBridge(self)
        self.loader = ImageLoader(self)
        self.metrics_job = LatestJob("computing grounding metrics", self)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.request_scores)
        self._connect()

    def _build_central(self) -> None:
        """Banner, notifications and the canvas, stacked; the chrome adds the frame bar and notices."""
        self.canvas = ImageCanvas()
        self.notifications = NotificationArea()
        self.banner = QLabel(UNTRAINED_TEXT)
        self.banner.setObjectName("untrainedBanner")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setWordWrap(True)  # wraps in a narrow window rather than being cut (or widening it)
        self.banner.setToolTip(
            f"{UNTRAINED_TEXT}: the demo weights are random, so its scores and maps show how the viewer works "
            "and say nothing about the image."
        )
        self.banner.setStyleSheet(
            "QLabel { background: #c62828; color: white; font-weight: bold; font-size: 13px; padding: 4px; }"
        )
        self.banner.setVisible(False)
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
        self.study_panel.file_selected.connect(self.show_file)
        self.chrome.frame_changed.connect(self._on_frame_changed)
        self.loader.loaded.connect(self._on_record_loaded)
        self.loader.failed.connect(self._on_load_failed)
        self.metrics_job.finished.connect(self._on_metrics)
        self.metrics_job.failed.connect(self.show_error)
        self.prompt_panel.prompts_changed.connect(self._on_prompts_changed)
        self.prompt_panel.template_changed.connect(self._on_template_changed)
        self.prompt_panel.line_edit.textChanged.connect(self._on_draft_edited)
        self.prompt_panel.template_changed.connect(self.ground_truth_panel.set_template)
        self.ground_truth_panel.visible_labels_changed.connect(self._on_visible_labels_changed)
        self.ground_truth_panel.add_prompts_requested.connect(self._on_add_label_prompts)
        self.scores_panel.prompt_selected.connect(self._on_prompt_selected)
        self.scores_panel.negation_mode_changed.connect(self._on_negation_mode)
        self.word_panel.word_selected.connect(self._on_word_selected)
        self.heatmap_controls.style_changed.connect(self._on_style_changed)
        self.heatmap_controls.model_input_toggled.connect(self._on_model_input_toggled)
        self.levels_panel.window_requested.connect(self.canvas.set_window)
        self.levels_panel.preset_requested.connect(self.canvas.set_preset)
        self.levels_panel.invert_toggled.connect(self.canvas.set_inverted)
        self.canvas.window_changed.connect(self.levels_panel.set_window)
        self.canvas.inverted_changed.connect(self.levels_panel.set_inverted)
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
        """Add files and folders to the study list and show the first new file."""
        files, problems = expand_paths([Path(p) for p in paths])
        for problem in problems:
            self.show_error(problem)
        for folder in dict.fromkeys(Path(p) if Path(p).is_dir() else Path(p).parent for p in paths):
            for message in self.ground_truth.add_folder(folder):
                self.show_error(message)
        before = len(self.study_panel.files())
        self.study_panel.add_files(files)
        listed = self.study_panel.files()
        if len(listed) > before:
            self.study_panel.select_file(listed[before])
        self._remember_recent([Path(p) for p in paths])

    def open_annotations(self, paths: list[Path]) -> None:
        for message in self.ground_truth.add_files(paths):
            self.show_error(message)
        self._update_boxes()

    @Slot()
    def close_image(self) -> None:
        """Ctrl+W: drop the current image from the study; the next one opens, or the viewer empties."""
        current = self.study_panel.current_file()
        if current is None:
            return
        self._stop_image_work()
        self.study_panel.remove_file(current)  # announces the next file, which show_file loads
        if self.study_panel.current_file() is None:
            self._show_no_image()

    @Slot()
    def close_study(self) -> None:
        """Ctrl+Shift+W: empty the study list, the image, its scores and the session's ground truth."""
        self._stop_image_work()
        self.study_panel.clear()
        self.ground_truth = GroundTruth()
        self._show_no_image()

    def _stop_image_work(self) -> None:
        """Cancel what runs for the shown image: its load, its scoring and its metrics are dropped."""
        self._debounce.stop()
        self.loader.cancel()
        self.bridge.invalidate()
        self.metrics_job.invalidate()
        self._opening = None
        self.chrome.set_loading("")

    def _show_no_image(self) -> None:
        self.record = None
        self.response = None
        self.map_view = None
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
        if self.record is not None and frame != self.record.frame:
            self._opening = self.record.path
            self.loader.load(self.record.path, frame)

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        """The newest open failed: the status returns to the shown image, the list marks the file."""
        self.chrome.set_loading("")
        if self._opening is not None:
            self.study_panel.mark_failed(self._opening, message)
        self.notifications.notify(message, "error", topic=_open_topic(self._opening))

    @Slot(object)
    def _on_record_loaded(self, record: ImageRecord) -> None:
        self.record = record
        self.study_panel.mark_opened(record.path)
        self.notifications.clear_topic(_open_topic(record.path))
        self.response = None
        self.map_view = None
        self.bridge.invalidate()
        self.canvas.set_record(record)
        self.canvas.set_heatmap(None, self.heatmap_controls.style())
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
        self.request_scores()

    def _update_boxes(self) -> None:
        if self.record is None:
            return
        boxes, note = self.ground_truth.boxes_for(self.record)
        self.ground_truth_panel.set_image_labels(*self.ground_truth.labels_for(self.record))
        self.ground_truth_panel.set_boxes(boxes, note)  # its signal redraws the visible classes
        if self.response is not None:  # new boxes: apply the selection rule again and recompute the metrics
            self._show_scores()
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
        if self.record is None:
            return
        prompts = self.prompt_panel.enabled_prompts()
        if self.draft and self.draft not in prompts:
            prompts.append(self.draft)
        if not prompts:
            self.bridge.invalidate()
            self.scores_panel.clear("No prompt enabled")
            self.canvas.set_heatmap(None, self.heatmap_controls.style())
            self.ground_truth_panel.clear_metrics()
            return
        template = self.prompt_panel.template()
        negations = self.scores_panel.negation_mode()
        self.book.bind(self.record.content_hash, template)
        self._wanted = prompts
        positive, negative = self.book.missing(prompts, negations)
        if not positive and not negative:  # everything is known: no inference
            self.bridge.invalidate()
            self._show_scores()
            return
        negated = tuple((typed, negation_of(typed, template)) for typed in negative)
        self.bridge.submit(self.record.model_input, positive, template, negated, self.record.content_hash)

    @Slot(str)
    def _on_draft_edited(self, text: str) -> None:
        """Live preview: the prompt being typed is scored (debounced) and its map shown before Enter."""
        self.draft = text.strip()
        self._debounce.start()

    @Slot(list)
    def _on_prompts_changed(self, enabled: list[str]) -> None:
        added = [typed for typed in enabled if typed not in self.settings.prompts]
        if added:
            self._choose(added[-1])
        if self.draft in enabled or not self.prompt_panel.line_edit.text().strip():
            self.draft = ""
        self.settings.prompts = self.prompt_panel.all_prompts()
        self.settings.extra[DISABLED_KEY] = self.prompt_panel.disabled_prompts()
        self.save_settings()
        self._debounce.start()

    @Slot(str)
    def _on_template_changed(self, template: str) -> None:
        self.settings.prompt_template = template
        self.save_settings()
        self._debounce.start()

    @Slot(bool)
    def _on_negation_mode(self, _enabled: bool) -> None:
        self.request_scores()

    @Slot(int, object)
    def _on_results(self, _request_id: int, response: ScoreResponse) -> None:
        self.book.add(response)
        for message in response.skipped:
            self.show_error(message)
        self._show_scores()

    def _show_scores(self) -> None:
        """Show the known results of the wanted prompts and select one by :func:`choose_prompt`."""
        response = self.book.collect(self._wanted, self.scores_panel.negation_mode())
        self.response = response
        ranked = sorted(response.results, key=lambda r: r.score if math.isfinite(r.score) else -math.inf)
        keep = choose_prompt(
            [r.prompt.typed for r in reversed(ranked)],
            self.draft or self._chosen_prompt,  # a draft is previewed; once cleared the user's choice returns
            [*self.ground_truth_panel.labels(), *self.ground_truth_panel.image_labels()],
        )
        self.map_view = None
        self._auto_selecting = True
        try:
            self.scores_panel.set_results(response.results, response.negations or None, keep)  # emits
            selected = self.scores_panel.selected_prompt()
            if selected is not None and self.map_view is None:  # the selection did not change: redraw it
                self._on_prompt_selected(selected)
        finally:
            self._auto_selecting = False
        self.scores_shown.emit()

    def _choose(self, typed: str, word: int = -1) -> None:
        """Remember the user's own choice of prompt (and word), which every later image keeps."""
        self._chosen_prompt, self._chosen_word = typed, word

    @Slot(str)
    def _on_prompt_selected(self, typed: str) -> None:
        if not self._auto_selecting and typed != self._chosen_prompt:
            self._choose(typed)
        result = self.scores_panel.result_for(typed)
        self.word_panel.set_result(result)
        slot = self._chosen_word if typed == self._chosen_prompt else -1
        if slot not in self.word_panel.chip_slots():
            slot = -1
        self.word_panel.select_slot(slot)
        self._show_map(result, slot)

    @Slot(int)
    def _on_word_selected(self, slot: int) -> None:
        typed = self.scores_panel.selected_prompt()
        if typed is not None:
            self._choose(typed, slot)
        self._show_map(self.scores_panel.result_for(typed) if typed else None, slot)

    def _show_map(self, result: PromptResult | None, slot: int) -> None:
        if result is None or self.record is None:
            return
        style = self.heatmap_controls.style()
        untrained = self.model_state is not None and self.model_state.is_untrained
        view = build_map_view(result, slot, style, untrained)
        if view.values.shape != self.record.shape[:2]:
            self.show_error(f"map size {view.values.shape} does not match the image {self.record.shape}")
            return
        self.map_view = view
        self.canvas.set_heatmap(view.values, style)
        self.canvas.set_field_of_view(view.field_of_view if style.show_field_of_view else None)
        self.canvas.set_marker(view.peak)
        self.heatmap_controls.set_legend_range(view.low, view.high, view.caption)
        # All boxes, not only the classes shown: hiding a class on screen must not change the metrics. They
        # take up to a few hundred ms on a large image, so they are computed off the GUI thread.
        self._metrics_caption = view.caption
        self.metrics_job.start(
            compute_grounding, view.values, self.ground_truth_panel.boxes(), result.prompt.text
        )
        if self.canvas.showing_model_input():
            self._on_model_input_toggled(True)

    def set_heatmap_style(self, style: HeatmapStyle) -> None:
        """Apply a style from outside the controls (e.g. the H shortcut) and redraw."""
        self.heatmap_controls.set_style(style)
        self._on_style_changed(style)

    @Slot(object)
    def _on_metrics(self, metrics: object) -> None:
        self.ground_truth_panel.set_metrics(
            metrics if isinstance(metrics, GroundingMetrics) else None, self._metrics_caption
        )

    @Slot(object)
    def _on_style_changed(self, style: HeatmapStyle) -> None:
        typed = self.scores_panel.selected_prompt()
        if typed is not None:
            self._show_map(self.scores_panel.result_for(typed), self.word_panel.selected_slot())
        else:
            self.canvas.set_heatmap_style(style)

    @Slot(bool)
    def _on_model_input_toggled(self, enabled: bool) -> None:
        if not enabled or self.record is None:
            self.canvas.show_model_input(None)
            return
        crop = model_view(self.record).crop
        values = self.map_view.crop_values(crop.shape[0]) if self.map_view is not None else None
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
        self.model_state = state
        self.notifications.clear_topic(MODEL_TOPIC)  # "no model loaded yet" and older model errors are void
        self.book.clear()
        self.chrome.set_model_text(
            f"model: {state.summary}",
            f"{state.weights_path}\n{state.status_detail}" + (f"\n{state.note}" if state.note else ""),
        )
        self.chrome.hide_no_weights()
        self.banner.setVisible(state.is_untrained)
        self.scores_panel.set_untrained(state.is_untrained)
        self.ground_truth_panel.set_untrained(state.is_untrained)
        if state.note:
            self.notifications.notify(f"using {state.checkpoint}: {state.note}", "info")
        self.request_scores()

    @Slot(str)
    def _on_model_failed(self, message: str) -> None:
        self.model_state = None
        self.chrome.set_model_text("no model", message)
        self.notifications.notify(message, "error", topic=MODEL_TOPIC)
        self.scores_panel.clear("No model loaded")

    # --- status -----------------------------------------------------------------------------------------------
    @Slot(int, int)
    def _on_cursor_moved(self, row: int, col: int) -> None:
        if self.record is None or row < 0:
            self.chrome.show_cursor("")
            return
        value = self.record.pixel_value(row, col)
        shown = f"{value:.1f}" if isinstance(value, float) else ", ".join(f"{v:.0f}" for v in value)
        text = f"x {col}  y {row}  value {shown}"
        if self.record.spacing_mm is not None:
            sy, sx = self.record.spacing_mm
            text += f"  ({col * sx:.1f}, {row * sy:.1f}) mm"
        self.chrome.show_cursor(text)

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
        if annotations:
            self.open_annotations(annotations)
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
        super().closeEvent(event)
