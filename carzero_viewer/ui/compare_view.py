"""Compare images: the current image and a reference (e.g. a prior) side by side, with the same prompt's map.

A non-modal dialog, like compare prompts (:mod:`carzero_viewer.ui.prompt_grid`) and for the same reasons: the
main window's layout and shortcuts stay as they are, and the dialog can sit on a second screen.

* Left, the main window's current image: it follows the study navigation and shows the map the main window
  shows (the selected prompt, or the selected word of it), with the main window's own result and heatmap style.
* Right, the reference: by default the image before the current one in the study list
  (:func:`~carzero_viewer.ui.compare_pair.default_reference`, so it moves along with PgUp/PgDn); choosing a
  file in the combo box, or "Pin current image as reference", fixes it while the current image changes. It is
  opened by an :class:`~carzero_viewer.ui.image_loader.ImageLoader` of its own and scored on its own request
  channel of the window's inference bridge (:data:`COMPARE_CHANNEL`), so its requests never cancel the main
  window's nor the reverse. It is scored for every prompt the main window shows (a click on another prompt
  there redraws both sides at once), through a :class:`~carzero_viewer.viewer_model.score_book.ScoreBook` of its own so
  each prompt is scored once per image and template.

Each side is captioned with its file name, the prompt's own score (as in the grid: the negation contrast is
the scores panel's), the UNTRAINED mark with the demo weights, and the applicability warning of its image.
Zoom and pan are linked in fractions of each image (:class:`~carzero_viewer.ui.linked_canvases.LinkedCanvases`:
a 512 px prior and a 2048 px current image show the same part of the chest); window/level and inversion
follow too while "Link window/level" is ticked, which it is by default when both images have the same
modality (:func:`~carzero_viewer.ui.compare_pair.same_modality`), reset to that default whenever the pair
of images changes. Refreshes are deferred to the event loop and coalesce; a hidden dialog does no work, and
hiding or closing it cancels its load and its scoring.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from carzero_viewer.imaging import ImageRecord, check_applicability
from carzero_viewer.ui.applicability_banner import ApplicabilityBanner
from carzero_viewer.ui.compare_pair import default_reference, same_modality
from carzero_viewer.ui.image_loader import ImageLoader
from carzero_viewer.ui.linked_canvases import LinkedCanvases
from carzero_viewer.ui.map_tile import UNTRAINED_HTML, UNTRAINED_MARK, MapTile, open_beside, score_text
from carzero_viewer.viewer_model.score_book import ScoreBook

if TYPE_CHECKING:
    from carzero_viewer.export.heatmap_style import HeatmapStyle
    from carzero_viewer.types import PromptResult
    from carzero_viewer.ui.canvas import ImageCanvas
    from carzero_viewer.ui.inference_bridge import RequestChannel
    from carzero_viewer.viewer_model import ScoreResponse, ViewerModel

COMPARE_CHANNEL = "compare-images"
FOLLOW_TEXT = "Previous image in the study"


class CompareSide(MapTile):
    """One image of the pair: caption (role, file, score, marks), its applicability warning and its canvas."""

    def __init__(self, role: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareSide")
        self.role = role
        self.banner = ApplicabilityBanner(compact=True)
        self.column.insertWidget(1, self.banner)

    def set_record(self, record: ImageRecord) -> None:
        super().set_record(record)
        self.banner.show_reasons(check_applicability(record).reasons)

    def clear_record(self) -> None:
        super().clear_record()
        self.banner.show_reasons(())

    def set_caption(
        self, note: str, result: PromptResult | None = None, slot: int = -1, untrained: bool = False
    ) -> None:
        """The role and file name, then the shown map's score and prompt (or ``note`` when there is none)."""
        record = self.canvas.record()
        name = record.path.name if record is not None else ""
        head = f"<b>{html.escape(self.role)}</b>" + (f": {html.escape(name)}" if name else "")
        plain_head = self.role + (f": {name}" if name else "")
        path = str(record.path) if record is not None else ""
        if result is None:
            self.write_caption(f"{head}<br><i>{html.escape(note)}</i>", f"{plain_head}\n{note}", path)
            return
        score = score_text(result.score)
        shown = result.prompt.typed + (f" — word '{result.words[slot]}'" if slot >= 0 else "")
        mark = UNTRAINED_HTML if untrained else ""
        self.write_caption(
            f"{head}<br><b>{score}</b>&nbsp; {html.escape(shown)}{mark}",
            f"{plain_head}\n{score}  {shown}" + (f" {UNTRAINED_MARK}" if untrained else ""),
            f"{path}\nmodel text: {result.prompt.text}\nscore {score}",
        )


class CompareImages(QDialog):
    """The model's current image next to a reference image of its study (see the module docstring).

    Args:
        model: the viewer's state, whose events refresh both sides.
        canvas: the main canvas, whose window/level the left side starts from.
        channel: the inference bridge's channel for the reference image's requests.
        parent: the main window.
    """

    def __init__(
        self, model: ViewerModel, canvas: ImageCanvas, channel: RequestChannel, parent: QWidget
    ) -> None:
        super().__init__(parent)
        open_beside(self, parent, "Compare images")
        self._model = model
        self._canvas = canvas
        self.left = CompareSide("Current")
        self.right = CompareSide("Reference")
        self.reference_combo = QComboBox()
        self.reference_combo.setToolTip("The image shown on the right")
        self.reference_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.reference_combo.setMinimumContentsLength(18)
        self.pin_button = QPushButton("Pin current image as reference")
        self.link_levels_box = QCheckBox("Link window/level")
        self.link_levels_box.setToolTip("On by default when both images have the same modality")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Reference:"))
        bar.addWidget(self.reference_combo, 1)
        bar.addWidget(self.pin_button)
        bar.addWidget(self.link_levels_box)
        sides = QHBoxLayout()
        sides.setSpacing(4)
        sides.addWidget(self.left, 1)
        sides.addWidget(self.right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(sides, 1)

        self._link = LinkedCanvases()
        self._link.add(self.left.canvas)
        self._link.add(self.right.canvas)
        self.loader = ImageLoader(self)
        self.channel = channel
        self._book = ScoreBook()
        self._reference: ImageRecord | None = None
        self._reference_path: Path | None = None  # the file shown or being opened on the right
        self._note = ""  # why the right side has no map (opening, scoring, an error)
        self._asked: tuple[str, str, tuple[str, ...]] | None = None  # the reference's last scoring request
        self._pair: tuple[object, object] = (None, None)  # the records the levels-link default was set for
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)
        self._connect()

    def _connect(self) -> None:
        model = self._model
        self.loader.loaded.connect(self._on_reference_loaded)
        self.loader.failed.connect(self._on_reference_failed)
        self.channel.results_ready.connect(self._on_results)
        self.channel.request_failed.connect(self._on_request_failed)
        self.reference_combo.currentIndexChanged.connect(self.schedule_refresh)
        self.pin_button.clicked.connect(self.pin_current)
        self.link_levels_box.toggled.connect(self._on_link_levels_toggled)
        model.scores_shown.connect(self.schedule_refresh)
        model.record_changed.connect(self.schedule_refresh)
        model.results.model_changed.connect(self._on_model_ready)
        model.display.style_changed.connect(self.schedule_refresh)
        model.selection.shown_changed.connect(self.schedule_refresh)
        model.study.current_changed.connect(self.schedule_refresh)
        model.study.files_changed.connect(self.schedule_refresh)

    # --- public ------------------------------------------------------------------------------------------
    def pinned(self) -> Path | None:
        """The file chosen as reference, or None while the reference follows the current image."""
        data = self.reference_combo.currentData()
        return Path(data) if data else None

    def reference_path(self) -> Path | None:
        """The file the right side shows: the pinned one, else the one before the current image."""
        study = self._model.study
        return self.pinned() or default_reference(study.files, study.current)

    @Slot()
    def pin_current(self) -> None:
        """Keep the current image on the right while the main window moves on to others."""
        current = self._model.study.current
        index = self.reference_combo.findData(str(current)) if current is not None else -1
        if index >= 0:
            self.reference_combo.setCurrentIndex(index)

    @Slot()
    def schedule_refresh(self, *_event: object) -> None:
        if self.isVisible():
            self._timer.start()

    @Slot()
    def refresh(self) -> None:
        """Bring both sides up to date with the model (cheap when nothing changed)."""
        self._refill_choices()
        self._show_current(self._model.record)
        self._open_reference(self.reference_path())
        self._update_levels_link()
        self._score_reference()
        self._draw()

    # --- the two images ----------------------------------------------------------------------------------
    def _show_current(self, record: ImageRecord | None) -> None:
        if record is self.left.canvas.record():
            return
        with self._link.paused():
            if record is None:
                self.left.clear_record()
            else:
                self.left.set_record(record)
        if record is not None:
            self._link.copy_levels(self._canvas, [self.left.canvas])  # start from the main view's
            self._link.follow(self.left.canvas)

    def _open_reference(self, path: Path | None) -> None:
        if path == self._reference_path:
            return
        self._reference_path, self._reference = path, None
        self._stop_scoring()
        with self._link.paused():
            self.right.clear_record()
        if path is None:
            self._note = "no other image in the study"
            return
        self._note = f"opening {path.name}…"
        self.loader.load(path)

    @Slot(object)
    def _on_reference_loaded(self, record: ImageRecord) -> None:
        if self._reference_path is None or Path(record.path) != self._reference_path:
            return
        self._reference = record
        self._note = ""
        with self._link.paused():
            self.right.set_record(record)
        self._update_levels_link()
        if self.left.canvas.record() is not None:
            self._link.follow(self.left.canvas)
        self.schedule_refresh()

    @Slot(str)
    def _on_reference_failed(self, message: str) -> None:
        self._note = message
        self.schedule_refresh()

    def _update_levels_link(self) -> None:
        """A new pair of images: link window/level by default when they have the same modality."""
        left, right = self.left.canvas.record(), self._reference
        if left is self._pair[0] and right is self._pair[1]:
            return
        self._pair = (left, right)
        if left is None or right is None:
            return
        same = same_modality(left, right)
        blocked = self.link_levels_box.blockSignals(True)
        self.link_levels_box.setChecked(same)
        self.link_levels_box.blockSignals(blocked)
        self._link.set_link_levels(same)
        if same:
            self._link.copy_levels(self.left.canvas, [self.right.canvas])
        else:
            with self._link.paused():
                self.right.canvas.set_preset(right.default_voi)
                self.right.canvas.set_inverted(False)

    @Slot(bool)
    def _on_link_levels_toggled(self, linked: bool) -> None:
        self._link.set_link_levels(linked)
        if linked:
            self._link.copy_levels(self.left.canvas, [self.right.canvas])

    # --- scoring the reference ---------------------------------------------------------------------------
    def _score_reference(self) -> None:
        """Ask for the reference's scores of every prompt the main window shows that it lacks (once)."""
        reference, response = self._reference, self._model.results.response
        if reference is None or response is None:
            return
        prompts = self._model.prompts.scored_texts(result.prompt.typed for result in response.results)
        template = self._model.prompts.template
        self._book.bind(reference.content_hash, template)
        missing, _ = self._book.missing(prompts, False)
        asked = (reference.content_hash, template, tuple(missing))
        if not missing or asked == self._asked:  # a prompt the worker skipped is not asked again and again
            return
        self._asked = asked
        self._note = "scoring…"
        self.channel.submit(reference.model_input, missing, template, (), reference.content_hash)

    @Slot(int, object)
    def _on_results(self, _request_id: int, response: ScoreResponse) -> None:
        self._book.add(response)
        self._note = ""
        self.schedule_refresh()

    @Slot(int, str)
    def _on_request_failed(self, _request_id: int, message: str) -> None:
        self._note = message
        self.schedule_refresh()

    @Slot(object)
    def _on_model_ready(self, _state: object) -> None:
        self._book.clear()
        self._stop_scoring()
        self.schedule_refresh()

    def _stop_scoring(self) -> None:
        self.channel.invalidate()
        self._asked = None

    # --- drawing -----------------------------------------------------------------------------------------
    def _draw(self) -> None:
        model = self._model
        typed, slot = model.selection.shown
        style, untrained, response = model.display.style, model.results.untrained, model.results.response
        current = response.result_for(typed) if typed is not None and response is not None else None
        reference = None
        if typed is not None and self._reference is not None:
            findings = self._model.prompts.findings  # a finding: the mean of its phrasings' results
            reference = next(iter(self._book.collect([typed], False, findings).results), None)
        if model.record is None:
            no_prompt = "no image open"
        else:
            no_prompt = "no prompt selected" if response is not None and response.results else "scoring…"
        _draw_side(self.left, current, slot, style, untrained, no_prompt)
        _draw_side(self.right, reference, slot, style, untrained, self._note or no_prompt)

    def _refill_choices(self) -> None:
        """The combo box lists the study's files after the "follow" entry; a pinned file stays chosen."""
        files = [str(path) for path in self._model.study.files]
        combo = self.reference_combo
        if [combo.itemData(index) for index in range(1, combo.count())] == files and combo.count():
            return
        pinned = self.pinned()
        blocked = combo.blockSignals(True)
        try:
            combo.clear()
            combo.addItem(FOLLOW_TEXT, "")
            for path in files:
                combo.addItem(Path(path).name, path)
                combo.setItemData(combo.count() - 1, path, Qt.ItemDataRole.ToolTipRole)
            combo.setCurrentIndex(max(combo.findData(str(pinned)), 0) if pinned is not None else 0)
        finally:
            combo.blockSignals(blocked)

    # --- Qt events ---------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt API name)
        super().showEvent(event)
        self.refresh()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt API name)
        """Hidden or closed: stop its work (a reference still opening is opened again when shown)."""
        self._timer.stop()
        self.loader.cancel()
        self._stop_scoring()
        if self._reference is None:
            self._reference_path = None
        super().hideEvent(event)


def _draw_side(
    side: CompareSide,
    result: PromptResult | None,
    slot: int,
    style: HeatmapStyle,
    untrained: bool,
    note: str,
) -> None:
    """Draw ``result``'s map (word ``slot`` when the prompt has it) on ``side``, or caption why there is none."""
    if result is None:
        side.clear_map()
        side.set_caption(note)
        return
    slot = slot if 0 <= slot < len(result.words) else -1
    if side.show_map(result, slot, style, untrained):
        side.set_caption(note, result, slot, untrained)
    else:
        side.clear_map()
        side.set_caption("the map does not match this image")
