"""The viewer's state without Qt: study, shown image, prompts, selection, results, display and ground truth.

napari's ``ViewerModel`` is the pattern: the window and its panels are views that send intents here and
redraw on this model's events, so the CLI and the tests drive the same state headless, and a change of image
keeps what the user chose. The two rules that used to live in the window live here:

* what to score (:meth:`ViewerModel.scoring_need`): the enabled prompts and the live draft, minus what the
  :class:`~carzero_viewer.viewer_model.score_book.ScoreBook` already holds for this (image, template);
* which prompt to show once results are known (:meth:`ViewerModel.show_known`): the draft being typed, else
  the user's choice, else the first prompt matching a ground-truth label of the image, else the top score.

Running the model and decoding files are not done here (they belong to the inference bridge and the loader,
which feed this model with :meth:`record_loaded`, :meth:`results_arrived` and :meth:`model_loaded`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from psygnal import Signal

from carzero_viewer.annotations.labels import LabelMap
from carzero_viewer.calibration import FindingCalibration
from carzero_viewer.errors import CarzeroError
from carzero_viewer.export.heatmap_style import HeatmapStyle
from carzero_viewer.imaging import ImageRecord
from carzero_viewer.viewer_model.calibration import Calibration, RowCalibration, rank_text
from carzero_viewer.viewer_model.display import Display
from carzero_viewer.viewer_model.ground_truth import BoxSpec, GroundTruth, TruthRead, read_truth
from carzero_viewer.viewer_model.map_view import MapView, build_map_view
from carzero_viewer.viewer_model.prompts import Prompts
from carzero_viewer.viewer_model.responses import ModelState, ScoreResponse
from carzero_viewer.viewer_model.results import Results
from carzero_viewer.viewer_model.score_book import ScoreBook
from carzero_viewer.viewer_model.selection import WHOLE_PROMPT, Selection
from carzero_viewer.viewer_model.study import Study, expand_paths

_LABELS = LabelMap.builtin()


@dataclass(frozen=True)
class ScoringNeed:
    """What the shown image needs scored.

    Attributes:
        wanted: the rows to show, in display order (enabled prompts and findings, then a new draft); empty
            when none.
        positive: the texts to score for them without a result yet (a finding's phrasings, each once).
        negative: the wanted typed prompts without a negation result (only in "contrast with negation" mode;
            findings have none).
    """

    wanted: tuple[str, ...]
    positive: tuple[str, ...]
    negative: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """Everything wanted is known: nothing to send to the model."""
        return not self.positive and not self.negative


class ViewerModel:
    """The state of one viewer window and the intents that change it."""

    record_changed = Signal(object)  # ImageRecord | None
    scores_shown = Signal(object, object)  # ScoreResponse, the typed prompt to select (None: nothing scored)
    ground_truth_changed = Signal()  # annotation files were indexed

    def __init__(self, template: str = "", style: HeatmapStyle | None = None) -> None:
        self.study = Study()
        self.prompts = Prompts(template)
        self.selection = Selection()
        self.results = Results()
        self.display = Display(style)
        self.ground_truth = GroundTruth()
        self.book = ScoreBook()
        self.calibration = Calibration()
        self._record: ImageRecord | None = None
        self._wanted: tuple[str, ...] = ()
        self.study.current_changed.connect(self._on_current_file)

    @property
    def record(self) -> ImageRecord | None:
        """The image shown now (None: no image open)."""
        return self._record

    # --- files -------------------------------------------------------------------------------------------
    def open_paths(self, paths: list[Path]) -> list[str]:
        """:meth:`open_images`, then read and index the annotation files beside them at once (headless use;
        the window reads them off the GUI thread instead); returns one message per problem."""
        problems, folders = self.open_images(paths)
        return problems + self.annotations_read(read_truth(self.ground_truth.request(folders, [])))

    def open_images(self, paths: list[Path]) -> tuple[list[str], list[Path]]:
        """Add files and folders (as their images) to the study and make the first new file current.

        Returns:
            One message per problem (missing path, folder without images), and the folders whose annotation
            files to read next (:meth:`GroundTruth.request`).
        """
        files, problems = expand_paths(paths)
        self.add_files(files)
        return problems, list(dict.fromkeys(path if path.is_dir() else path.parent for path in paths))

    def add_files(self, files: list[Path]) -> Path | None:
        """List ``files`` in the study; the first one not listed before becomes current and is returned."""
        added = self.study.add(files)
        if added:
            self.study.select(added[0])
        return added[0] if added else None

    def open_annotations(self, paths: list[Path]) -> list[str]:
        """Read and index at once annotation files the user chose; one message per file that could not be read."""
        return self.annotations_read(read_truth(self.ground_truth.request([], paths)))

    def annotations_read(self, read: TruthRead) -> list[str]:
        """Index annotation files read (in any thread); one message per broken file.

        ``ground_truth_changed`` announces new boxes or labels (the shown image's, its prompt choice and its
        metrics may change).
        """
        messages, added = self.ground_truth.index(read)
        if added:
            self.ground_truth_changed.emit()
        return messages

    def close_study(self) -> None:
        """No file, no image, and the session's ground truth forgotten (reads still running are dropped)."""
        self.ground_truth.clear()
        self.study.clear()

    def _on_current_file(self, path: Path | None) -> None:
        if path is None:  # the last file was closed
            self.clear_record()

    def record_loaded(self, record: ImageRecord) -> None:
        """``record`` is now shown: its file opened, the previous image's results are void."""
        self._record = record
        self.study.mark_opened(record.path)
        self.clear_results()
        self.record_changed.emit(record)

    def load_failed(self, path: Path, reason: str) -> None:
        self.study.mark_failed(path, reason)

    def clear_record(self) -> None:
        """No image shown (the study was closed or emptied)."""
        if self._record is not None:
            self._record = None
            self.clear_results()
            self.record_changed.emit(None)

    def clear_results(self) -> None:
        """Nothing scored is shown (a new image, or no prompt enabled); the kept results stay in the book."""
        self.results.set_response(None)
        self.selection.show(None)

    def boxes(self) -> tuple[list[BoxSpec], str]:
        """The shown image's boxes (all classes) and a note when they were rescaled; none without an image."""
        return self.ground_truth.boxes_for(self._record) if self._record is not None else ([], "")

    def image_labels(self) -> tuple[list[str], str]:
        """The shown image's image-level labels and the files that gave them."""
        return self.ground_truth.labels_for(self._record) if self._record is not None else ([], "")

    def truth_labels(self) -> list[str]:
        """The image's ground-truth classes: canonical box labels in box order, then image-level labels."""
        boxes = dict.fromkeys(_LABELS.canonical(box.label) for box in self.boxes()[0])
        return [*boxes, *self.image_labels()[0]]

    # --- prompts and scoring -----------------------------------------------------------------------------
    def prompts_edited(self, prompts: list[str], disabled: list[str]) -> None:
        """The user edited the list: a newly enabled prompt becomes their choice (they just added it).

        Loading the saved list is not an edit: that goes to ``prompts.set_prompts`` and chooses nothing.
        """
        before = set(self.prompts.all)
        self.prompts.set_prompts(prompts, disabled)
        added = [typed for typed in self.prompts.enabled if typed not in before]
        if added:
            self.selection.choose(added[-1])

    def scoring_need(self) -> ScoringNeed | None:
        """What to score on the shown image (None: no image), binding the book to its (image, template)."""
        if self._record is None:
            return None
        wanted = tuple(self.prompts.wanted())
        self._wanted = wanted
        if not wanted:
            return ScoringNeed((), (), ())
        self.book.bind(self._record.content_hash, self.prompts.template)
        positive, _ = self.book.missing(self.prompts.scored_texts(wanted), False)
        typed = [row for row in wanted if self.prompts.finding(row) is None]
        _, negative = self.book.missing(typed, self.prompts.negations)
        return ScoringNeed(wanted, tuple(positive), tuple(negative))

    def results_arrived(self, response: ScoreResponse) -> None:
        """Keep a worker's results and show what is known of the wanted prompts."""
        self.book.add(response)
        self.show_known()

    def show_known(self) -> None:
        """Show the known results of the wanted prompts and announce the prompt to select."""
        response = self.book.collect(self._wanted, self.prompts.negations, self.prompts.findings)
        self.results.set_response(response)
        ranked = sorted(response.results, key=lambda r: r.score if math.isfinite(r.score) else -math.inf)
        keep = self.selection.pick(
            [r.prompt.typed for r in reversed(ranked)], self.prompts.draft, self.truth_labels()
        )
        self.scores_shown.emit(response, keep)

    def model_loaded(self, state: ModelState) -> None:
        """Another model: every kept result is void."""
        self.book.clear()
        self.results.set_model(state)
        self.calibration.model_loaded(state.sha256)

    def model_failed(self) -> None:
        self.results.set_model(None)

    def load_profile(self, path: Path) -> None:
        """Use the calibration profile at ``path`` (checked against the loaded weights, if any).

        Raises:
            CalibrationError: malformed or for other weights (one line naming the file); nothing changes.
        """
        state = self.results.model
        self.calibration.load(path, state.sha256 if state is not None else "")

    def row_calibration(self, typed: str, raw_score: float) -> RowCalibration:
        """What the profile says of row ``typed`` (a finding by its name and phrasings, a prompt as typed)."""
        return self.calibration.row(*self._row_phrasings(typed), raw_score)

    def row_fit(self, typed: str) -> FindingCalibration | None:
        """The profile's stored calibration of row ``typed`` (for its reliability plots), or None."""
        return self.calibration.finding(*self._row_phrasings(typed))

    def _row_phrasings(self, typed: str) -> tuple[str, tuple[str, ...]]:
        finding = self.prompts.finding(typed)
        return (finding.name, finding.phrasings) if finding is not None else (typed, (typed,))

    def rank(self, typed: str) -> str:
        """``"2nd of 6"``: the row's place among the shown rows by raw score ("" when it is not shown)."""
        response = self.results.response
        result = response.result_for(typed) if response is not None else None
        if response is None or result is None:
            return ""
        return rank_text(result.score, [r.score for r in response.results])

    # --- selection and maps ------------------------------------------------------------------------------
    def prompt_selected(self, typed: str, by_user: bool) -> None:
        """``typed`` is selected in a view; a user's click (not an automatic pick) becomes the choice."""
        if by_user and typed != self.selection.chosen[0]:
            self.selection.choose(typed)

    def word_selected(self, typed: str, slot: int) -> None:
        """The user picked word ``slot`` of ``typed`` (``WHOLE_PROMPT``: the prompt map)."""
        self.selection.choose(typed, slot)

    def show_map(self, typed: str, slot: int = WHOLE_PROMPT) -> MapView | None:
        """Draw the map of ``typed`` (a word map when ``slot >= 0``) in the current style.

        Returns:
            The map, also announced by ``results.map_changed``; None when ``typed`` has no result here.

        Raises:
            CarzeroError: the map does not cover the shown image (never drawn misregistered).
        """
        response, record = self.results.response, self._record
        result = response.result_for(typed) if response is not None else None
        if result is None or record is None:
            return None
        view = build_map_view(result, slot, self.display.style, self.results.untrained)
        if view.values.shape != record.shape[:2]:
            raise CarzeroError(f"map size {view.values.shape} does not match the image {record.shape}")
        self.selection.show(typed, slot)
        self.results.set_map(view)
        return view
