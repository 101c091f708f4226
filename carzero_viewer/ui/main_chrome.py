"""The window's chrome: docks, menus, shortcuts, status bar, frame slider and the no-weights notice.

Separated from :mod:`.main_window` (which wires the view model to the panels) so neither grows into a god
object: this module only arranges the widgets it is given (:class:`ChromeViews`) in a ``QMainWindow`` and
turns menu actions into intents: on the :class:`~carzero_viewer.viewer_model.ViewerModel` (next image,
heatmap style, corner overlays), on the canvas (zoom, flips), or as signals the window handles (open, close,
load a model). It never imports the main window, so the two do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMenuBar,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from carzero_viewer import APP_NAME, __version__
from carzero_viewer.paths import demo_model_dir
from carzero_viewer.ui import file_dialogs
from carzero_viewer.ui.canvas import ImageCanvas
from carzero_viewer.ui.compare_view import COMPARE_CHANNEL, CompareImages
from carzero_viewer.ui.download_dialog import DownloadDialog
from carzero_viewer.ui.export_actions import ExportActions
from carzero_viewer.ui.file_dialogs import SettingsOwner
from carzero_viewer.ui.ground_truth_panel import GroundTruthPanel
from carzero_viewer.ui.heatmap_controls import HeatmapControls
from carzero_viewer.ui.inference_bridge import InferenceBridge
from carzero_viewer.ui.levels_panel import LevelsPanel
from carzero_viewer.ui.metadata_panel import MetadataPanel
from carzero_viewer.ui.model_dialog import ModelDialog
from carzero_viewer.ui.notifications import NotificationArea
from carzero_viewer.ui.pacs_actions import PacsActions
from carzero_viewer.ui.panel_layout import PanelLayout
from carzero_viewer.ui.prompt_grid import PromptGrid
from carzero_viewer.ui.prompt_panel import PromptPanel
from carzero_viewer.ui.scores_panel import ScoresPanel
from carzero_viewer.ui.shortcuts import SHORTCUTS, ShortcutsDialog
from carzero_viewer.ui.study_panel import StudyPanel
from carzero_viewer.ui.weights_choice import candidates, searched_locations
from carzero_viewer.ui.word_panel import WordPanel
from carzero_viewer.viewer_model import ModelState, ViewerModel

# A side panel may be narrowed to this (its content then scrolls sideways) and the image keeps at least this
# width, so at 800 x 600 the image has about half the window rather than what the panels leave over.
MIN_PANEL_WIDTH = 170
MIN_IMAGE_WIDTH = 360
# Initial widths of the left and right dock columns (px); the image takes the rest.
LEFT_WIDTH, RIGHT_WIDTH = 250, 330


@dataclass(frozen=True)
class ChromeViews:
    """The widgets the chrome arranges: the canvas column and the side panels (all owned by the window)."""

    canvas: ImageCanvas
    central_layout: QVBoxLayout  # the column of banner, notices and canvas; the frame bar is added below
    notifications: NotificationArea
    study: StudyPanel
    levels: LevelsPanel
    metadata: MetadataPanel
    ground_truth: GroundTruthPanel
    prompts: PromptPanel
    scores: ScoresPanel
    words: WordPanel
    heatmap: HeatmapControls


class MainChrome(QObject):
    """Builds the docks, menus and status bar of ``window`` and turns their actions into intents."""

    frame_changed = Signal(int)
    open_requested = Signal(list)  # image files and folders (Path)
    annotations_requested = Signal(list)  # ground-truth files (Path)
    close_image_requested = Signal()
    close_study_requested = Signal()
    model_requested = Signal(list, str)  # weights folders to try (Path), device
    cancel_requested = Signal()
    profile_requested = Signal()  # Settings > Calibration profile…
    profile_cleared = Signal()  # Settings > No calibration profile
    error = Signal(str)

    def __init__(
        self,
        window: QMainWindow,
        model: ViewerModel,
        views: ChromeViews,
        owner: SettingsOwner,
        bridge: InferenceBridge,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.model = model
        self.views = views
        self.owner = owner
        self.bridge = bridge  # the compare windows score their own images on channels of it
        bridge.set_fast_preview(owner.settings.fast_preview)  # Settings > Model, edited below
        self.prompt_grid: PromptGrid | None = None
        self.compare_images: CompareImages | None = None
        self._build_docks()
        self.panels = PanelLayout(window, self.docks, owner.settings, owner.save_settings)
        self._build_status_bar()
        self._build_frame_slider()
        self._build_no_weights_notice()
        self.pacs = PacsActions(owner, self.open_requested.emit, window)
        self.exports = ExportActions(
            model,
            views.canvas,
            views.ground_truth.visible_boxes,
            views.notifications,
            owner,
            window,
            exported=self.pacs.offer_to_send,
        )
        self._build_menus()
        model.results.model_changed.connect(self._on_model_changed)

    # --- construction -----------------------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        # In a scroll area a panel that gets less room than it needs scrolls; laid out directly in the dock,
        # Qt squeezes its rows below their height and draws them over each other.
        scroll = QScrollArea()
        scroll.setWidget(widget)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setMinimumWidth(MIN_PANEL_WIDTH)
        dock = QDockWidget(title, self.window)
        dock.setObjectName(title)
        dock.setWidget(scroll)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.window.addDockWidget(area, dock)
        return dock

    @staticmethod
    def _tabs(*pages: tuple[str, QWidget]) -> QTabWidget:
        # Tabs inside one dock rather than tabified docks: Qt 6 leaves a stray tab bar painted in the window
        # when two dock groups are tabified.
        tabs = QTabWidget()
        tabs.setDocumentMode(True)
        for name, widget in pages:
            tabs.addTab(widget, name)
        return tabs

    def _build_docks(self) -> None:
        w, v = self.window, self.views
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        study = self._dock("Study", v.study, left)
        image = self._dock(
            "Image", self._tabs(("Window / level", v.levels), ("Information", v.metadata)), left
        )
        truth = self._dock("Ground truth", v.ground_truth, left)
        prompts = self._dock("Prompts", v.prompts, right)
        scores = self._dock("Scores", v.scores, right)
        maps = self._dock("Maps", self._tabs(("Words", v.words), ("Heatmap", v.heatmap)), right)
        w.resizeDocks([study, image, truth], [130, 250, 400], Qt.Orientation.Vertical)  # room for the metrics
        w.resizeDocks([study, prompts], [LEFT_WIDTH, RIGHT_WIDTH], Qt.Orientation.Horizontal)
        w.resizeDocks([prompts, scores, maps], [280, 300, 260], Qt.Orientation.Vertical)
        self.docks = [study, image, truth, prompts, scores, maps]
        v.canvas.setMinimumWidth(MIN_IMAGE_WIDTH)

    def _build_status_bar(self) -> None:
        status = self.window.statusBar()
        self.loading_label = QLabel("")
        self.progress_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setFixedWidth(90)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel_inference)
        self.measure_label = QLabel("")
        self.cursor_label = QLabel("")
        self.model_label = QLabel("model: not loaded")
        for widget in (
            self.loading_label,
            self.progress_label,
            self.progress,
            self.cancel_button,
            self.measure_label,
            self.cursor_label,
            self.model_label,
        ):
            status.addPermanentWidget(widget)

    def _build_frame_slider(self) -> None:
        self.frame_bar = QWidget()
        row = QHBoxLayout(self.frame_bar)
        row.setContentsMargins(6, 2, 6, 2)
        self.frame_label = QLabel("frame")
        self.frame_slider = QSlider(Qt.Orientation.Horizontal)
        self.frame_slider.valueChanged.connect(self._on_frame_slider)
        row.addWidget(self.frame_label)
        row.addWidget(self.frame_slider, 1)
        self.frame_bar.setVisible(False)
        self.views.central_layout.addWidget(self.frame_bar)

    def _build_no_weights_notice(self) -> None:
        self.no_weights = QFrame()
        self.no_weights.setObjectName("noWeights")
        self.no_weights.setStyleSheet(
            "QFrame#noWeights { background: #fff8e1; border: 1px solid #ffe082; border-radius: 3px; }"
        )
        row = QHBoxLayout(self.no_weights)
        self.no_weights_label = QLabel("")
        self.no_weights_label.setWordWrap(True)
        self.no_weights_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        download = QPushButton("Download the CARZero weights…")
        download.setObjectName("downloadWeights")
        download.clicked.connect(self.download_weights)
        demo = QPushButton("Use the demo model (untrained)")
        demo.setObjectName("useDemoModel")
        demo.clicked.connect(self.use_demo_model)
        choose = QPushButton("Choose weights folder…")
        choose.clicked.connect(self.edit_model_settings)
        row.addWidget(self.no_weights_label, 1)
        row.addWidget(download)
        row.addWidget(demo)
        row.addWidget(choose)
        self.no_weights.setVisible(False)
        self.views.central_layout.insertWidget(1, self.no_weights)

    def _action(self, menu: QMenu, text: str, slot: object, key: str | None = None) -> QAction:
        action = QAction(text, self.window)
        if key is not None:
            action.setShortcut(QKeySequence(SHORTCUTS[key][0]))
            action.setToolTip(f"{SHORTCUTS[key][1]} ({SHORTCUTS[key][0]})")
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        w, canvas = self.window, self.views.canvas
        bar = w.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "Open file…", self.choose_files, "open_file")
        self._action(file_menu, "Open folder…", self.choose_folder, "open_folder")
        self._action(file_menu, "Open ground-truth boxes…", self.choose_annotations)
        self._action(file_menu, "Open from PACS…", self.pacs.open_from_pacs)
        self.recent_menu = file_menu.addMenu("Open recent")
        self.set_recent(self.owner.settings.recent_files)
        file_menu.addSeparator()
        exports = self.exports
        self._action(file_menu, "Export view…", exports.export_view, "export_view")
        self._action(file_menu, "Export full resolution…", exports.export_full_resolution, "export_full")
        self._action(file_menu, "Copy to clipboard", exports.copy_to_clipboard, "copy_view")
        self._action(file_menu, "Export all prompts (contact sheet)…", exports.export_all_prompts)
        self._action(file_menu, "Export study…", exports.export_study)
        self._action(file_menu, "Export study as DICOM (report + map overlay)…", exports.export_study_dicom)
        self._action(file_menu, "Send results to PACS…", self.pacs.send_results)
        file_menu.addSeparator()
        self._action(file_menu, "Close image", self.close_image_requested.emit, "close_image")
        self._action(file_menu, "Close study", self.close_study_requested.emit, "close_study")
        self._action(file_menu, "Next image", self.next_image, "next_image")
        self._action(file_menu, "Previous image", self.previous_image, "previous_image")
        file_menu.addSeparator()
        self._action(file_menu, "Quit", w.close, "quit")
        view = bar.addMenu("&View")
        self._action(view, "Fit", canvas.fit, "fit")
        self._action(view, "1:1", canvas.actual_size, "actual_size")
        self._action(view, "Invert", canvas.toggle_invert, "invert")
        self._action(view, "Reset", canvas.reset, "reset")
        display = self.model.display  # the orientation's one owner; the canvas follows its events
        self._action(view, "Flip horizontal", display.flip_horizontal, "flip_horizontal")
        self._action(view, "Flip vertical", display.flip_vertical, "flip_vertical")
        self._action(view, "Rotate 90° clockwise", display.rotate_clockwise, "rotate")
        self._action(view, "Corner overlays", self._toggle_corners, "toggle_corners")
        self.measure_action = self._action(view, "Measure length", self._toggle_measure, "measure")
        self.measure_action.setCheckable(True)
        view.addSeparator()
        self._action(view, "Show/hide heatmap", self._toggle_heatmap, "toggle_heatmap")
        self._action(view, "Model input (224x224)", self._toggle_model_input, "model_input")
        self._add_compare_actions(view)
        view.addSeparator()
        view.addAction(self.panels.full_image_action)
        view.addSeparator()
        for dock in self.docks:
            view.addAction(dock.toggleViewAction())
        self._add_settings_and_help(bar)
        cancel = QAction("Cancel inference", w)
        cancel.setShortcut(QKeySequence(SHORTCUTS["cancel"][0]))
        cancel.triggered.connect(self.cancel_inference)
        w.addAction(cancel)

    def _add_settings_and_help(self, bar: QMenuBar) -> None:
        settings = bar.addMenu("&Settings")
        self._action(settings, "Model…", self.edit_model_settings)
        self._action(settings, "Download the CARZero weights…", self.download_weights)
        self._action(settings, "PACS nodes…", self.pacs.edit_nodes)
        settings.addSeparator()
        self._action(settings, "Calibration profile…", self.profile_requested.emit)
        self._action(settings, "No calibration profile", self.profile_cleared.emit)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "Keyboard shortcuts", self.show_shortcuts, "shortcuts")
        self._action(help_menu, "About", self.show_about)

    def _add_compare_actions(self, view: QMenu) -> None:
        """The compare windows: every prompt's map on this image, and this image next to another."""
        self._action(view, "Compare prompts…", self.show_prompt_grid, "compare_prompts")
        self._action(view, "Compare images…", self.show_compare_images, "compare_images")

    # --- status updates (called by the window) ------------------------------------------------------------
    def set_model_text(self, text: str, tooltip: str) -> None:
        self.model_label.setText(text)
        self.model_label.setToolTip(tooltip)

    def _on_model_changed(self, state: ModelState | None) -> None:
        """A loaded model: its summary in the status bar, the no-weights notice gone (failures say why)."""
        if state is None:
            return
        detail = f"{state.weights_path}\n{state.status_detail}" + (f"\n{state.note}" if state.note else "")
        self.set_model_text(f"model: {state.summary}", detail)
        self.hide_no_weights()

    def show_cursor(self, text: str) -> None:
        self.cursor_label.setText(text)

    @Slot(object)
    def show_measurement(self, measurement: object) -> None:
        if measurement is None:
            self.measure_label.setText("")
            return
        length_mm = getattr(measurement, "length_mm", None)
        length_px = float(getattr(measurement, "length_px", 0.0))
        text = (
            f"length {length_mm:.1f} mm"
            if length_mm is not None
            else f"length {length_px:.1f} px (no spacing)"
        )
        self.measure_label.setText(text)

    def set_loading(self, name: str) -> None:
        self.loading_label.setText(f"opening {name}…" if name else "")

    @Slot(bool)
    def set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if not busy:
            self.progress_label.setText("")

    @Slot(str)
    def set_progress(self, stage: str) -> None:
        self.progress_label.setText(stage)

    def set_frames(self, frame: int, count: int) -> None:
        self.frame_bar.setVisible(count > 1)
        self.frame_slider.blockSignals(True)
        self.frame_slider.setRange(0, max(0, count - 1))
        self.frame_slider.setValue(frame)
        self.frame_slider.blockSignals(False)
        self.frame_label.setText(f"frame {frame + 1}/{count}")

    def set_recent(self, paths: list[str]) -> None:
        self.recent_menu.clear()
        for path in paths:
            action = self.recent_menu.addAction(path)
            action.setData(path)
            action.triggered.connect(self._open_recent)
        self.recent_menu.setEnabled(bool(paths))

    def show_no_weights(self, searched: str) -> None:
        self.no_weights_label.setText(
            "<b>No CARZero weights found.</b> Put CARZero_best_model.ckpt and the BERT folder (config.json, "
            "vocab.txt) in one of these places (see weights/README.md), or choose a folder:<br><tt>"
            + searched.replace("\n", "<br>")
            + "</tt>"
        )
        self.no_weights.setVisible(True)

    def hide_no_weights(self) -> None:
        self.no_weights.setVisible(False)

    # --- actions -----------------------------------------------------------------------------------------
    @Slot()
    def choose_files(self) -> None:
        paths = file_dialogs.open_file_names(self.owner, self.window, file_dialogs.OPEN_IMAGES, "Open images")
        if paths:
            self.open_requested.emit(paths)

    @Slot()
    def choose_folder(self) -> None:
        folder = file_dialogs.existing_directory(
            self.owner, self.window, file_dialogs.OPEN_FOLDER, "Open folder"
        )
        if folder is not None:
            self.open_requested.emit([folder])

    @Slot()
    def choose_annotations(self) -> None:
        paths = file_dialogs.open_file_names(
            self.owner,
            self.window,
            file_dialogs.OPEN_ANNOTATIONS,
            "Open ground-truth boxes",
            "Boxes (*.csv *.json)",
        )
        if paths:
            self.annotations_requested.emit(paths)

    @Slot()
    def _open_recent(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.open_requested.emit([Path(str(action.data()))])

    @Slot(int)
    def _on_frame_slider(self, frame: int) -> None:
        self.frame_label.setText(f"frame {frame + 1}/{self.frame_slider.maximum() + 1}")
        self.frame_changed.emit(frame)

    @Slot()
    def _toggle_measure(self) -> None:
        self.views.canvas.set_measure_mode(self.measure_action.isChecked())

    @Slot()
    def _toggle_heatmap(self) -> None:
        style = self.model.display.style
        self.model.display.set_style(style.with_changes(opacity=0.0 if style.opacity > 0 else 0.5))

    @Slot()
    def next_image(self) -> None:
        self.model.study.step(1)

    @Slot()
    def previous_image(self) -> None:
        self.model.study.step(-1)

    @Slot()
    def _toggle_corners(self) -> None:
        self.model.display.set_corners(not self.model.display.corners)

    @Slot()
    def _toggle_model_input(self) -> None:
        self.views.heatmap.toggle_model_input()

    @Slot()
    def cancel_inference(self) -> None:
        self.cancel_requested.emit()

    @Slot()
    def use_demo_model(self) -> None:
        self.model_requested.emit([demo_model_dir()], self.owner.settings.device)

    @Slot()
    def download_weights(self) -> None:
        """The download dialog; the weights it installs are loaded as soon as they pass their check."""
        dialog = DownloadDialog(self.window)
        dialog.downloaded.connect(self._on_weights_downloaded)
        dialog.show()

    @Slot(Path)
    def _on_weights_downloaded(self, folder: Path) -> None:
        self.model_requested.emit([folder], self.owner.settings.device)

    @Slot()
    def edit_model_settings(self) -> None:
        settings = self.owner.settings
        state = self.model.results.model
        dialog = ModelDialog(settings.weights_path, settings.device, searched_locations(), self.window)
        dialog.set_fast_preview(settings.fast_preview, state.fast_precision if state is not None else "")
        if dialog.exec() != ModelDialog.DialogCode.Accepted:
            return
        settings.weights_path, settings.device = dialog.weights_path(), dialog.device()
        settings.fast_preview = dialog.fast_preview()
        self.bridge.set_fast_preview(settings.fast_preview)
        self.owner.save_settings()
        found, problems = candidates(None, settings.weights_path, demo=False)
        for problem in problems:
            self.error.emit(problem)
        if found:
            self.model_requested.emit(found, settings.device)

    @Slot()
    def show_prompt_grid(self) -> None:
        """Open (or bring forward) the grid of every enabled prompt's map, created once and then reused."""
        if self.prompt_grid is None:
            self.prompt_grid = PromptGrid(
                self.model, self.views.canvas, self.views.scores.select_prompt, self.window
            )
        self.prompt_grid.show()
        self.prompt_grid.raise_()
        self.prompt_grid.activateWindow()

    @Slot()
    def show_compare_images(self) -> None:
        """Open (or bring forward) the current image next to a reference image, created once and then reused."""
        if self.compare_images is None:
            channel = self.bridge.channel(COMPARE_CHANNEL)
            self.compare_images = CompareImages(self.model, self.views.canvas, channel, self.window)
        self.compare_images.show()
        self.compare_images.raise_()
        self.compare_images.activateWindow()

    @Slot()
    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.window).exec()

    @Slot()
    def show_about(self) -> None:
        QMessageBox.about(
            self.window,
            f"About {APP_NAME}",
            f"<b>{APP_NAME}</b> {__version__}<br>CARZero (Lai et al., CVPR 2024) zero-shot scores and "
            "cross-attention maps for chest X-rays.<br><b>Not for diagnostic use.</b>",
        )
