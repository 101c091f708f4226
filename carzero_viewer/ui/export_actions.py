"""File > Export: what the viewer shows, written through the same headless renderer as the CLI.

* **Export view** saves what is on screen (the canvas, at screen resolution) with the renderer's legend strip
  below it, so a screen capture too names its prompt, score, model and, for the demo model, says UNTRAINED.
* **Export full resolution** renders the original pixels with the current window/level, inversion, map,
  style and the visible boxes, plus the legend strip (prompt, score, model and checksum, app version, date,
  "Not for diagnostic use", and "UNTRAINED DEMO MODEL" for the demo model), with
  :func:`carzero_viewer.export.render.render`, the function ``carzero-viewer export`` uses.
* **Copy to clipboard** copies the full-resolution render.
* **Export all prompts** writes a contact sheet (:mod:`carzero_viewer.export.contact_sheet`): one tile per
  prompt map, then the word maps of the selected prompt, each with the visible boxes, and the legend strip.
* **Export study** runs ``carzero-viewer export`` on every image of the study in a separate process, with a
  progress dialog that can cancel it: the result is reproducible from the command line by construction. The
  command continues past an image that fails; its ``failed:`` lines on stderr are collected, and the end of
  the export names every failed image and why, next to the number of files written.

Every figure draws the visible boxes as the canvas does (class colour, a line style per source, the source in
the label when several are shown) and, for an image outside what the model was trained on, lists the reasons of
the applicability check (:func:`carzero_viewer.imaging.check_applicability`) in its legend and PNG text.
Every PNG carries the text chunks of ``carzero-viewer export`` (:func:`carzero_viewer.export.render.png_text`).
Writes are atomic; the save dialog asks before replacing a file, so the write is then forced. Dialogs reopen in
the last folder used for their kind (:mod:`carzero_viewer.ui.file_dialogs`).
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QProcess, QTimer, Slot
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from carzero_viewer.commands.export import FAILURE_PREFIX
from carzero_viewer.errors import CarzeroError
from carzero_viewer.export.contact_sheet import contact_sheet as lay_out_sheet
from carzero_viewer.export.render import (
    BoxSpec,
    LegendInfo,
    RenderRequest,
    describe_figure,
    png_text,
    render,
    render_image,
    with_legend,
)
from carzero_viewer.files import encode_image, sanitise_filename, write_bytes_atomic
from carzero_viewer.imaging import Window, check_applicability
from carzero_viewer.types import PromptResult
from carzero_viewer.ui import file_dialogs
from carzero_viewer.ui.canvas import ImageCanvas
from carzero_viewer.ui.file_dialogs import SettingsOwner
from carzero_viewer.ui.notifications import NotificationArea
from carzero_viewer.viewer_model import ScoreResponse, ViewerModel
from carzero_viewer.viewer_model.ground_truth import BoxSpec as ShownBox
from carzero_viewer.viewer_model.map_view import approximate_label, build_map_view

IMAGE_FILTER = "PNG image (*.png);;JPEG image (*.jpg *.jpeg);;TIFF image (*.tif *.tiff)"


def _format_for(path: Path) -> str:
    return {".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF"}.get(path.suffix.lower(), "PNG")


def rgb_from_qimage(image: QImage) -> np.ndarray:
    converted = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = converted.width(), converted.height()
    buffer = np.frombuffer(converted.constBits(), dtype=np.uint8, count=converted.sizeInBytes())
    return buffer.reshape(height, converted.bytesPerLine())[:, : width * 3].reshape(height, width, 3).copy()


class ExportActions(QObject):
    """The export menu's actions for one viewer: what is shown comes from its model, pixels from its canvas.

    Args:
        model: the viewer's state (record, results, selection, display, study, prompts).
        canvas: the main canvas (the on-screen view export grabs it).
        visible_boxes: the boxes of the classes shown on the canvas (exports draw what the canvas draws).
        notifications: where results and problems are reported.
        owner: the settings that remember each dialog's last folder.
        parent: the window the dialogs belong to.
    """

    def __init__(
        self,
        model: ViewerModel,
        canvas: ImageCanvas,
        visible_boxes: Callable[[], Sequence[ShownBox]],
        notifications: NotificationArea,
        owner: SettingsOwner,
        parent: QWidget,
        exported: Callable[[list[Path]], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.exported = exported  # told the files of a finished study export (e.g. to offer sending them)
        self.model = model
        self.canvas = canvas
        self.visible_boxes = visible_boxes
        self.notifications = notifications
        self.owner = owner
        self.parent_widget = parent
        self._process: QProcess | None = None
        self._progress: QProgressDialog | None = None
        self._study_size = 0
        self._waiting: Callable[[], None] | None = None  # an export held until the exact result is shown
        model.results.response_changed.connect(self._on_response)

    def _exact_now(self, action: Callable[[], None]) -> bool:
        """True when the shown results are exact; else ``action`` runs once the exact ones replace them.

        Never export an approximate result: the fast mode's bf16 preview is replaced within about a second by
        the exact fp32 result of the same request, so the export waits for it (a later export replaces a
        waiting one; another image or prompt list cancels it).
        """
        response = self.model.results.response
        if response is None or not response.approximate:
            return True
        self._waiting = action
        self.notifications.notify(
            f"the shown result is {approximate_label(response.precision)}: exporting once the exact fp32 result "
            "arrives",
            "info",
        )
        return False

    def _on_response(self, response: ScoreResponse | None) -> None:
        """Run a waiting export once exact results are shown (dropped when the results are cleared)."""
        if self._waiting is None or (response is not None and response.approximate):
            return
        action, self._waiting = self._waiting, None
        if response is not None:
            # After this event: the window draws the exact map from the new results first.
            QTimer.singleShot(0, action)

    # --- building blocks -------------------------------------------------------------------------------
    def current_display(self) -> np.ndarray:
        """The shown record at full resolution with the current window/level and inversion, in [0, 1]."""
        record, display_state = self.model.record, self.model.display
        assert record is not None
        center, width = display_state.window
        display = record.display(Window(center, width))
        return 1.0 - display if display_state.inverted else display

    def _selected(self) -> tuple[PromptResult | None, int]:
        """The result whose map is shown (None: none) and its word slot (-1: the prompt map)."""
        typed, slot = self.model.selection.shown
        response = self.model.results.response
        result = response.result_for(typed) if response is not None else None
        return result, slot if result is not None else -1

    def _show_error(self, message: str) -> None:
        self.notifications.notify(message, "error")

    def legend(self, result: PromptResult | None, slot: int) -> LegendInfo:
        record, state, view = self.model.record, self.model.results.model, self.model.results.map_view
        return LegendInfo(
            typed_prompt=result.prompt.typed if result else "",
            processed_prompt=result.prompt.text if result else "",
            word=result.words[slot] if result is not None and slot >= 0 else None,
            score=result.score if result else None,
            image_name=record.path.name if record else "",
            model_name=f"CARZero ({state.status})" if state else "CARZero (no model loaded)",
            weights_checksum=state.short_checksum if state else "",
            date=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            untrained=bool(state and state.is_untrained),
            map_low=view.low if view else None,
            map_high=view.high if view else None,
            map_caption=view.caption if view else "",
            applicability_reasons=self._reasons(),
            calibration=self._calibration(result),
        )

    def _calibration(self, result: PromptResult | None) -> str:
        """The calibrated-probability line of ``result`` with the profile's provenance ("" without a profile)."""
        if result is None:
            return ""
        calibration = self.model.calibration
        return calibration.summary(self.model.row_calibration(result.prompt.typed, result.score))

    def _probability(self, result: PromptResult) -> str:
        """`` P=0.731`` for a contact-sheet tile of a calibrated row, else ""."""
        probability = self.model.row_calibration(result.prompt.typed, result.score).probability
        return f"  P={probability:.3f}" if probability is not None else ""

    def _boxes(self) -> list[BoxSpec]:
        """The visible boxes as the canvas draws them: class colour, source line style, source in the label."""
        return [
            BoxSpec(b.x1, b.y1, b.x2, b.y2, b.caption, b.color, b.line_style) for b in self.visible_boxes()
        ]

    def _reasons(self) -> tuple[str, ...]:
        """Why the shown image is outside what the model was trained on (empty: within it, or no image)."""
        record = self.model.record
        return check_applicability(record).reasons if record is not None else ()

    def _description(self, what: str) -> str:
        """The PNG ``Description`` of a figure of the selected prompt (see :func:`describe_figure`)."""
        result, _ = self._selected()
        state = self.model.results.model
        model = f"{state.short_checksum}@{state.device} ({state.status})" if state else "none loaded"
        return describe_figure(
            what,
            result.prompt.text if result else "",
            result.score if result else None,
            model,
            bool(state and state.is_untrained),
            self._reasons(),
            self._calibration(result),
        )

    def view_figure(self) -> np.ndarray:
        """The canvas as shown (screen resolution) with the legend strip; the colour bar when a map is shown."""
        result, slot = self._selected()
        rgb = rgb_from_qimage(self.canvas.grab().toImage())
        style = self.model.display.style if self.model.results.map_view is not None else None
        return with_legend(rgb, self.legend(result, slot), style)

    def full_resolution(self) -> np.ndarray:
        """The full-resolution render of the current view, with its legend strip."""
        result, slot = self._selected()
        view = self.model.results.map_view
        request = RenderRequest(
            display=self.current_display(),
            map_values=view.values if view is not None else None,
            style=self.model.display.style,
            boxes=self._boxes(),
            legend=self.legend(result, slot),
        )
        return render(request)

    def contact_sheet(self) -> np.ndarray:
        """One tile per scored prompt map, then the word maps of the selected prompt, with boxes and legend."""
        style, untrained = self.model.display.style, self.model.results.untrained
        display = self.current_display()
        tiles: list[tuple[np.ndarray, str]] = []
        response = self.model.results.response
        results = response.results if response else []
        for result in results:
            view = build_map_view(result, -1, style, untrained)
            tiles.append(
                (
                    render_image(RenderRequest(display, view.values, style)),
                    f"{result.score:+.3f} {result.prompt.text}{self._probability(result)}",
                )
            )
        selected, _ = self._selected()
        if selected is not None:
            for slot, word in enumerate(selected.words):
                if word in ("[CLS]", "[SEP]"):
                    continue
                view = build_map_view(selected, slot, style, untrained)
                tiles.append(
                    (render_image(RenderRequest(display, view.values, style)), f"word '{word}' (extension)")
                )
        if not tiles:
            raise CarzeroError("nothing to export: no prompt has been scored for this image")
        return lay_out_sheet(tiles, self._boxes(), self.legend(selected, -1))

    def _save(self, rgb: np.ndarray, suggested: str, what: str) -> Path | None:
        """Ask where, then write ``rgb``; a PNG carries the text chunks describing ``what`` it shows."""
        path = file_dialogs.save_file_name(
            self.owner, self.parent_widget, file_dialogs.EXPORT_IMAGE, "Export image", suggested, IMAGE_FILTER
        )
        if path is None:
            return None
        text = png_text(self._description(what), self._reasons())
        try:
            # The dialog already asked before replacing an existing file.
            return write_bytes_atomic(path, encode_image(rgb, _format_for(path), text), force=True)
        except CarzeroError as exc:
            self._show_error(exc.message)
            return None

    def _suggested(self, suffix: str) -> str:
        record, (result, _) = self.model.record, self._selected()
        stem = record.path.stem if record else "carzero"
        typed = result.prompt.typed if result is not None else "view"
        return sanitise_filename(f"{stem}__{typed}__{suffix}.png")

    # --- actions -----------------------------------------------------------------------------------------
    @Slot()
    def export_view(self) -> None:
        if self.model.record is None or not self._exact_now(self.export_view):
            return
        self._done(self._save(self.view_figure(), self._suggested("view"), "the view as shown on screen"))

    @Slot()
    def export_full_resolution(self) -> None:
        if self.model.record is None or not self._exact_now(self.export_full_resolution):
            return
        what = "full-resolution map view"
        self._done(self._save(self.full_resolution(), self._suggested("full"), what))

    @Slot()
    def copy_to_clipboard(self) -> None:
        if self.model.record is None or not self._exact_now(self.copy_to_clipboard):
            return
        rgb = np.ascontiguousarray(self.full_resolution())
        height, width = rgb.shape[:2]
        image = QImage(rgb.data, width, height, width * 3, QImage.Format.Format_RGB888).copy()
        clipboard = QApplication.clipboard()
        clipboard.setImage(image)
        self.notifications.notify("copied the full-resolution view to the clipboard", "info")

    @Slot()
    def export_all_prompts(self) -> None:
        if self.model.record is None or not self._exact_now(self.export_all_prompts):
            return
        try:
            sheet = self.contact_sheet()
        except CarzeroError as exc:
            self._show_error(exc.message)
            return
        what = "contact sheet of every scored prompt map"
        self._done(self._save(sheet, self._suggested("all-prompts"), what))

    @Slot()
    def export_study(self) -> None:
        """Figures, reports and the Secondary Capture of every image of the study."""
        self._export_study("png,pdf,csv,json,dcm")

    @Slot()
    def export_study_dicom(self) -> None:
        """The study as DICOM objects a PACS viewer shows: the report (SR), the map overlay and the capture."""
        self._export_study("sr,dcm-map,dcm")

    def _export_study(self, formats: str) -> None:
        files, state = self.model.study.files, self.model.results.model
        prompts = self.model.prompts.scored_texts(self.model.prompts.enabled)  # a finding: its phrasings
        if not files or not prompts or state is None or not state.weights_path:
            self._show_error("export study needs opened images, enabled prompts and a loaded model")
            return
        folder = file_dialogs.existing_directory(
            self.owner, self.parent_widget, file_dialogs.EXPORT_STUDY, "Export the study into a folder"
        )
        if folder is None:
            return
        arguments = [
            "-m",
            "carzero_viewer",
            "export",
            *map(str, files),
            "--weights",
            state.weights_path,
        ]
        for prompt in prompts:
            arguments += ["--prompt", prompt]
        if any(self.model.prompts.finding(typed) for typed in self.model.prompts.enabled):
            self.notifications.notify(
                "the study export writes each finding's phrasings as prompts of their own (the export command "
                "has no findings or calibration yet)",
                "info",
            )
        style = self.model.display.style
        arguments += [
            "--out", str(folder), "--format", formats, "--template", self.model.prompts.template,
            "--colormap", style.colormap, "--opacity", str(style.opacity), "--threshold", str(style.threshold),
        ]  # fmt: skip
        self._start_study_export(arguments, len(files))

    def _start_study_export(self, arguments: list[str], size: int) -> None:
        self._study_size = size
        self._progress = QProgressDialog("Exporting the study…", "Cancel", 0, size, self.parent_widget)
        self._progress.setMinimumDuration(0)
        self._progress.canceled.connect(self.cancel_study_export)
        process = QProcess(self)
        process.setProgram(sys.executable)
        process.setArguments(arguments)
        process.readyReadStandardOutput.connect(self._on_study_output)
        process.readyReadStandardError.connect(self._on_study_errors)
        process.finished.connect(self._on_study_finished)
        self._process = process
        self._written: list[str] = []
        self._failed: list[str] = []  # "<image>: <what>: <reason>", one per failure the command reported
        self._errors: list[str] = []
        process.start()

    @Slot()
    def cancel_study_export(self) -> None:
        if self._process is not None and self._process.state() != QProcess.ProcessState.NotRunning:
            self._process.kill()
            self.notifications.notify("study export cancelled; files already written are complete", "info")

    @Slot()
    def _on_study_output(self) -> None:
        if self._process is None or self._progress is None:
            return
        text = bytes(self._process.readAllStandardOutput().data()).decode(errors="replace")
        self._written += [line for line in text.splitlines() if line.strip()]
        self._show_progress()

    @Slot()
    def _on_study_errors(self) -> None:
        if self._process is None:
            return
        text = bytes(self._process.readAllStandardError().data()).decode(errors="replace")
        lines = [line for line in text.splitlines() if line.strip()]
        self._errors += lines
        self._failed += [
            line.removeprefix(FAILURE_PREFIX) for line in lines if line.startswith(FAILURE_PREFIX)
        ]
        self._show_progress()

    def _show_progress(self) -> None:
        """Images done: those with a written output plus those that failed (an estimate: names are stems)."""
        if self._progress is None:
            return
        images = {Path(line).name.split("__")[0] for line in self._written if "__" in Path(line).name}
        images |= {Path(line.split(": ")[0]).stem for line in self._failed}
        self._progress.setValue(min(len(images), self._study_size))

    @Slot(int, QProcess.ExitStatus)
    def _on_study_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        if self._progress is not None:
            self._progress.reset()
        if self._process is None:
            return
        self._on_study_errors()
        if status == QProcess.ExitStatus.NormalExit and code == 0:
            self.notifications.notify(f"study exported: {len(self._written)} files written", "info")
            if self.exported is not None:
                self.exported([Path(line.strip()) for line in self._written])
        elif status == QProcess.ExitStatus.NormalExit and self._failed:
            failed = "\n".join(self._failed)
            self._show_error(
                f"study exported with failures: {len(self._written)} files written; "
                f"{len(self._failed)} failed:\n{failed}"
            )
        elif status == QProcess.ExitStatus.NormalExit:
            self._show_error(self._errors[-1] if self._errors else f"study export failed (exit code {code})")
        self._process = None

    def _done(self, path: Path | None) -> None:
        if path is not None:
            self.notifications.notify(f"exported {path}", "info")
