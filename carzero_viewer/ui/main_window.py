"""The main window: creates the panels and the inference bridge and wires their signals -- nothing else.

Each job lives in its own module (canvas, prompt list, scores table, study list, bridge); this class only
connects them, persists the prompt list and keeps the current image record. Scoring requests are debounced
with a single-shot QTimer so ticking several prompts in a row sends one request, and every request goes
through :class:`~carzero_viewer.ui.inference_bridge.InferenceBridge`, which drops stale results.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from carzero_viewer.imaging import ImageRecord
from carzero_viewer.inference.geometry import map_to_original
from carzero_viewer.settings import Settings, load_settings, save_settings
from carzero_viewer.ui.canvas import COLORMAP, DEFAULT_OPACITY, ImageCanvas, colormap_lut, lut_pixmap
from carzero_viewer.ui.inference_bridge import InferenceBridge, ModelState
from carzero_viewer.ui.prompt_panel import DEFAULT_PROMPTS, PromptPanel
from carzero_viewer.ui.scores_panel import ScoresPanel
from carzero_viewer.ui.study_panel import StudyPanel, expand_paths

LOG = logging.getLogger(__name__)
UNTRAINED_TEXT = "UNTRAINED DEMO MODEL — results carry no medical meaning"
DISABLED_KEY = "disabled_prompts"
DEBOUNCE_MS = 150


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("CARZero Viewer")
        self.resize(1400, 900)
        self.settings = settings if settings is not None else load_settings()
        self.record: ImageRecord | None = None  # the shown file
        self.model_state: ModelState | None = None

        self.canvas = ImageCanvas()
        self.banner = QLabel(UNTRAINED_TEXT)
        self.banner.setObjectName("untrainedBanner")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setStyleSheet(
            "QLabel { background: #c62828; color: white; font-weight: bold; font-size: 15px; padding: 6px; }"
        )
        self.banner.setVisible(False)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.canvas, 1)
        self.setCentralWidget(central)

        self.study_panel = StudyPanel()
        self.prompt_panel = PromptPanel()
        self.scores_panel = ScoresPanel()
        self._add_dock("Study", self.study_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.prompt_panel)
        right.addWidget(self.scores_panel)
        right.setSizes([380, 420])
        self._add_dock("Prompts and scores", right, Qt.DockWidgetArea.RightDockWidgetArea)
        self._build_toolbar()
        self._build_status_bar()

        disabled = self.settings.extra.get(DISABLED_KEY, [])
        self.prompt_panel.set_prompts(
            self.settings.prompts or list(DEFAULT_PROMPTS), disabled if isinstance(disabled, list) else []
        )

        self.bridge = InferenceBridge(self)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.request_scores)

        self.study_panel.file_selected.connect(self.show_file)
        self.prompt_panel.prompts_changed.connect(self._on_prompts_changed)
        self.scores_panel.prompt_selected.connect(self._show_map)
        self.canvas.cursor_moved.connect(self._on_cursor_moved)
        self.bridge.model_ready.connect(self._on_model_ready)
        self.bridge.model_failed.connect(self._on_model_failed)
        self.bridge.results_ready.connect(self._on_results)
        self.bridge.request_failed.connect(self._on_request_failed)
        self.bridge.busy_changed.connect(self._on_busy_changed)

    # --- construction helpers ----------------------------------------------------------------------------
    def _add_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(area, dock)
        self.resizeDocks(
            [dock], [220 if area == Qt.DockWidgetArea.LeftDockWidgetArea else 380], Qt.Orientation.Horizontal
        )
        return dock

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Main")
        bar.setObjectName("mainToolbar")
        open_file = QAction("Open file…", self, shortcut=QKeySequence(QKeySequence.StandardKey.Open))
        open_file.triggered.connect(self._choose_files)
        open_folder = QAction("Open folder…", self)
        open_folder.triggered.connect(self._choose_folder)
        reset = QAction("Reset window", self)
        reset.setToolTip("Back to the file's default window and the full view (also: double-click)")
        reset.triggered.connect(self._reset_view)
        self.overlay_check = QCheckBox("Heatmap")
        self.overlay_check.setChecked(True)
        self.overlay_check.setToolTip(
            "Cross-attention map of the selected prompt (relative: min..max of the map)"
        )
        self.overlay_check.toggled.connect(self.canvas.set_overlay_enabled)
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setValue(round(DEFAULT_OPACITY * 100))
        self.opacity_slider.setFixedWidth(140)
        self.opacity_slider.setToolTip("Heatmap opacity")
        self.opacity_slider.valueChanged.connect(self._on_opacity_changed)
        for action in (open_file, open_folder, reset):
            bar.addAction(action)
        bar.addSeparator()
        bar.addWidget(self.overlay_check)
        bar.addWidget(QLabel(" opacity "))
        bar.addWidget(self.opacity_slider)
        bar.addSeparator()
        legend = QLabel()
        legend.setPixmap(lut_pixmap(colormap_lut(COLORMAP)))
        legend.setToolTip(
            "Heatmap colours: relative attention within the shown map, low (left) to high (right)"
        )
        bar.addWidget(QLabel(" low "))
        bar.addWidget(legend)
        bar.addWidget(QLabel(" high   "))
        self.map_label = QLabel("")
        bar.addWidget(self.map_label)

    def _build_status_bar(self) -> None:
        self.cursor_label = QLabel("")
        self.model_label = QLabel("model: loading…")
        self.busy_label = QLabel("")
        status = self.statusBar()
        status.addPermanentWidget(self.busy_label)
        status.addPermanentWidget(self.cursor_label)
        status.addPermanentWidget(self.model_label)

    # --- public API (used by the gui command and tests) ------------------------------------------------------
    def start_model(self, candidates: list[Path], device: str = "auto") -> None:
        if not candidates:
            self._on_model_failed("no model: no weights found")
            return
        self.model_label.setText("model: loading…")
        self.bridge.load_model(candidates, device)

    def open_paths(self, paths: list[Path]) -> None:
        """Add files and folders to the study list and show the first new file."""
        files, problems = expand_paths([Path(p) for p in paths])
        for problem in problems:
            self.show_error(problem)
        before = len(self.study_panel.files())
        self.study_panel.add_files(files)
        listed = self.study_panel.files()
        if len(listed) > before:
            self.study_panel.select_file(listed[before])

    @Slot(object)
    def show_file(self, path: Path) -> None:
        from carzero_viewer.errors import ImageLoadError
        from carzero_viewer.imaging import load_image

        try:
            record = load_image(path)
        except ImageLoadError as exc:
            self.show_error(exc.message)
            return
        self.record = record
        self.bridge.invalidate()
        self.scores_panel.clear("Scoring…")
        self.map_label.setText("")
        self.canvas.set_image(record.display())
        self.setWindowTitle(f"CARZero Viewer — {Path(path).name}")
        self.request_scores()

    def show_error(self, message: str) -> None:
        """The one place user-facing errors go (status bar + log; never a modal dialog mid-workflow)."""
        LOG.warning("%s", message)
        self.statusBar().showMessage(message, 15000)

    @Slot()
    def request_scores(self) -> None:
        if self.record is None:
            return
        prompts = self.prompt_panel.enabled_prompts()
        if not prompts:
            self.bridge.invalidate()
            self.scores_panel.clear("No prompt enabled")
            self.canvas.clear_overlay()
            return
        self.bridge.submit(self.record.model_input, prompts, self.settings.prompt_template)

    # --- slots ---------------------------------------------------------------------------------------------
    @Slot(list)
    def _on_prompts_changed(self, _enabled: list) -> None:
        self.settings.prompts = self.prompt_panel.all_prompts()
        self.settings.extra[DISABLED_KEY] = self.prompt_panel.disabled_prompts()
        try:
            save_settings(self.settings)
        except OSError as exc:
            self.show_error(f"cannot save settings: {exc}")
        self._debounce.start()

    @Slot(int, object)
    def _on_results(self, _request_id: int, results: list) -> None:
        keep = self.scores_panel.selected_prompt()
        self.scores_panel.set_results(results, keep)
        selected = self.scores_panel.selected_prompt()
        if selected is not None:
            self._show_map(selected)

    @Slot(str)
    def _show_map(self, typed: str) -> None:
        result = self.scores_panel.result_for(typed)
        if result is None or self.record is None:
            return
        values = map_to_original(result.grounding_map, result.geometry, mode="bilinear")
        if values.shape != self.record.shape:
            self.show_error(f"map size {values.shape} does not match the image {self.record.shape}")
            return
        self.canvas.set_overlay(values)
        self.map_label.setText(f"map: {typed}")

    @Slot(int, str)
    def _on_request_failed(self, _request_id: int, message: str) -> None:
        self.scores_panel.set_status(message)
        self.show_error(message)

    @Slot(bool)
    def _on_busy_changed(self, busy: bool) -> None:
        self.busy_label.setText("scoring…" if busy else "")

    @Slot(object)
    def _on_model_ready(self, state: ModelState) -> None:
        self.model_state = state
        self.model_label.setText(f"model: {state.summary}")
        self.model_label.setToolTip(state.status_detail + (f"\n{state.note}" if state.note else ""))
        self.banner.setVisible(state.is_untrained)
        if state.note:
            self.show_error(f"using {state.checkpoint}: {state.note}")

    @Slot(str)
    def _on_model_failed(self, message: str) -> None:
        self.model_state = None
        self.model_label.setText("no model")
        self.model_label.setToolTip(message)
        self.show_error(message)
        self.scores_panel.clear(message)

    @Slot(int, int)
    def _on_cursor_moved(self, row: int, col: int) -> None:
        if self.record is None or row < 0:
            self.cursor_label.setText("")
            return
        value = self.record.pixel_value(row, col)
        shown = f"{value:.1f}" if isinstance(value, float) else ", ".join(f"{v:.0f}" for v in value)
        self.cursor_label.setText(f"x {col}  y {row}  value {shown}")

    @Slot(int)
    def _on_opacity_changed(self, value: int) -> None:
        self.canvas.set_overlay_opacity(value / 100.0)

    @Slot()
    def _reset_view(self) -> None:
        self.canvas.reset_window()
        self.canvas.reset_view()

    @Slot()
    def _choose_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Open images")
        if names:
            self.open_paths([Path(n) for n in names])

    @Slot()
    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open folder")
        if folder:
            self.open_paths([Path(folder)])

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API name)
        self._debounce.stop()
        self.bridge.shutdown()
        super().closeEvent(event)
