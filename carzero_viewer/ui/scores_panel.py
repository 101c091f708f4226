"""The scores table: one row per scored prompt with its raw score, a relative bar and, optionally, a contrast
with the prompt's negation.

The score is the official CARZero score ``(i2t + t2i) / 2``: a raw logit, comparable between prompts on the
same image, not a probability. The bar is relative to the lowest and highest score in the table, so it ranks
prompts and says nothing absolute. With "Contrast with negation" on, each prompt is also scored in a negated
form (:func:`negation_of`) and the panel shows the two-way softmax of the two raw scores: a way to read one
prompt against its opposite, still not a calibrated probability. Selecting a row chooses the prompt whose map
the canvas shows.

When the shown image is outside what the model was trained on, an orange warning above the table lists the
reasons in short (:class:`~carzero_viewer.ui.applicability_banner.ApplicabilityBanner`, compact; the canvas's
warning lists them in full): every score of the table is of that image.

A finding's row shows the mean of its phrasings' scores and, on a second line, their count and spread
(min–max), each phrasing's score on hover. The rank over the bar, the probability column and the caption over
the table come from :mod:`carzero_viewer.ui.calibration_controls`: the row's rank and what a raw logit means,
or with a profile the calibrated probability (in the rank's place) and the operating-point chooser;
"Reliability…" (button or context menu) asks for the selected calibrated row's plots. "Contrast with negation"
carries :data:`NEGATION_CAVEAT` as its tooltip and, when ticked, as a visible note.

Sorting is numeric (items compare a sort key stored in ``SORT_ROLE``), and each row keeps its typed prompt in
``Qt.UserRole`` of the prompt cell, so selection survives any sort order.

When the model reads other words than the typed ones, the prompt cell says on a second line what it reads (with
``⚠`` and the CLI's flags for an empty or truncated text), and the line under the table gives the reasons for
the selected prompt (:func:`~carzero_viewer.inference.prompts.explain_prompt`). The prompt column takes all
the width the narrow value columns leave, so it stays readable with the negation column shown.
"""

from __future__ import annotations

import math
import re

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from carzero_viewer.findings import FindingResult
from carzero_viewer.inference.prompts import DEFAULT_TEMPLATE, explain_prompt, is_bare_finding
from carzero_viewer.types import PromptReading, PromptResult
from carzero_viewer.ui.applicability_banner import ApplicabilityBanner
from carzero_viewer.ui.calibration_controls import (
    PROBABILITY_HEADER,
    PROBABILITY_TOOLTIP,
    CalibrationControls,
    calibrated_cell,
    finding_cell_text,
    finding_tooltip,
    rank_cell,
)
from carzero_viewer.viewer_model import ScoreResponse
from carzero_viewer.viewer_model.calibration import RowCalibration
from carzero_viewer.viewer_model.map_view import approximate_label

PROMPT_COLUMN, SCORE_COLUMN, BAR_COLUMN, NEGATION_COLUMN, CALIBRATED_COLUMN = range(5)
NEGATION_CAVEAT = (
    "A published reproduction found CARZero's negated prompts ('There is no X') near chance on ChestX-ray14 "
    "(AUROC 0.43), and positive-vs-negative pairing below positive prompts alone (AUROC 0.77 vs 0.81): read "
    "this as a comparison aid, not as evidence of absence."
)
SCORE_TOOLTIP = (
    "Official CARZero score = (i2t + t2i) / 2: a raw logit, higher = more likely; not a calibrated "
    "probability. Compare prompts on the same image."
)
BAR_TOOLTIP = (
    "Relative position of the score between the lowest and the highest score shown (a ranking aid), and the "
    "row's rank among them."
)
NEGATION_HEADER = "P(pos vs neg)"
NEGATION_TOOLTIP = (
    "Two-way softmax of two raw scores: exp(s_pos) / (exp(s_pos) + exp(s_neg)), where s_pos is the prompt's "
    "score and s_neg the score of its negation (e.g. 'There is no pneumothorax.'); not a calibrated "
    "probability."
)
UNTRAINED_SUFFIX = "(UNTRAINED DEMO MODEL — outputs are meaningless)"
NEGATION_TEMPLATE = "There is no {}."
NO_EVIDENCE_PREFIX = "No evidence of: "
MIN_TABLE_HEIGHT = 110  # px: a header and about four rows stay visible in a short dock (it scrolls instead)
BAR_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
BAR_COLOR = QColor(70, 130, 200, 170)
UNTRAINED_COLOR = QColor(128, 128, 128)
WARNING_COLOR = QColor(190, 90, 0)
# Narrow value columns (pixels) leave the stretching prompt column ~200 px in the default 420 px dock, enough
# for "There is pleural effusion." with the negation column shown; the header tooltips carry the long names.
# The bar column holds the rank ("10th of 12") over the bar; with a profile the probability column ("not
# calibrated") takes its place.
VALUE_COLUMN_WIDTHS = {SCORE_COLUMN: 58, BAR_COLUMN: 66, NEGATION_COLUMN: 100, CALIBRATED_COLUMN: 96}
_THERE_IS = re.compile(r"^\s*(there\s+(?:is|are))(\s+no\b)?\s*", re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:a|an|any)\s+", re.IGNORECASE)


def two_way_softmax(positive: float, negative: float) -> float:
    """``exp(p) / (exp(p) + exp(n))`` computed as a logistic of the difference, so it never overflows.

    ``two_way_softmax(1000, 999) == 1 / (1 + e**-1)``; NaN in, NaN out.
    """
    diff = negative - positive
    if math.isnan(diff):
        return math.nan
    if diff >= 0:
        e = math.exp(-diff)
        return e / (1.0 + e)
    return 1.0 / (1.0 + math.exp(diff))


def negation_of(typed: str, template: str = DEFAULT_TEMPLATE) -> str:
    """The negated prompt whose score is contrasted with ``typed``.

    The rule, in order:

    1. A bare finding (:func:`~carzero_viewer.inference.prompts.is_bare_finding`, e.g. ``"Pneumothorax"``)
       becomes ``"There is no pneumothorax."`` (lower-cased as the template does). When ``template`` itself
       starts with "There is/are", the templated sentence is negated by rule 2 instead, so a custom template
       such as ``"There are {} findings."`` gives ``"There are no pneumothorax findings."``.
    2. A sentence starting with "There is" / "There are" gets "no" after those words, dropping a following
       article: ``"There is a lung nodule."`` -> ``"There is no lung nodule."``. A sentence that already says
       "There is no ..." is negated by removing the "no".
    3. Anything else is prefixed: ``"The heart size is enlarged."`` -> ``"No evidence of: The heart size is
       enlarged."``.

    "Bare finding" is the same test the engine uses to apply the template, so the negation follows what the
    model actually reads: a short phrase such as ``"Heart enlarged."`` is templated, and so is its negation.
    """
    text = " ".join(typed.split())
    if is_bare_finding(text):
        finding = text.rstrip(".").strip().lower()
        if _THERE_IS.match(template) and template.count("{}") == 1:
            return _negate_there_is(template.format(finding))
        return NEGATION_TEMPLATE.format(finding)
    if _THERE_IS.match(text):
        return _negate_there_is(text)
    return NO_EVIDENCE_PREFIX + text


def _negate_there_is(sentence: str) -> str:
    match = _THERE_IS.match(sentence)
    if match is None:  # pragma: no cover - callers check first
        return NO_EVIDENCE_PREFIX + sentence
    rest = sentence[match.end() :]
    if match.group(2):  # "There is no X" -> "There is X"
        return f"{match.group(1)} {rest}".strip()
    return f"{match.group(1)} no {_ARTICLE.sub('', rest)}".strip()


class _SortItem(QTableWidgetItem):
    """A cell that sorts by the number in ``SORT_ROLE`` rather than by its text; NaN (e.g. a negation not
    scored) counts as the smallest value, so it ends up last in the usual descending order."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(SORT_ROLE), other.data(SORT_ROLE)
        if isinstance(mine, float) and isinstance(theirs, float):
            if math.isnan(mine) or math.isnan(theirs):
                return math.isnan(mine) and not math.isnan(theirs)
            return mine < theirs
        return super().__lt__(other)


class _BarDelegate(QStyledItemDelegate):
    """Paints a horizontal bar whose length is the fraction in ``BAR_ROLE``, the cell's text (the rank) over
    it."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().paint(painter, option, index)
        fraction = index.data(BAR_ROLE)
        if not isinstance(fraction, float) or math.isnan(fraction):
            return
        rect: QRect = option.rect.adjusted(3, 4, -3, -4)
        rect.setWidth(max(1, int(rect.width() * max(0.0, min(1.0, fraction)))))
        painter.save()
        painter.fillRect(rect, BAR_COLOR)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if isinstance(text, str) and text:  # again over the bar, which would dim it
            painter.drawText(
                option.rect.adjusted(3, 0, -3, 0), int(index.data(Qt.ItemDataRole.TextAlignmentRole)), text
            )
        painter.restore()


class ScoresPanel(QWidget):
    """Sortable read-only table of :class:`PromptResult` rows."""

    prompt_selected = Signal(str)  # the typed prompt of the selected row
    negation_mode_changed = Signal(bool)
    reliability_requested = Signal(str)  # the typed prompt (or finding key) whose plots to show

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scoresPanel")
        self._results: list[PromptResult] = []
        self._negations: dict[str, PromptResult] = {}
        self._findings: dict[str, FindingResult] = {}
        self._calibration: dict[str, RowCalibration] = {}
        self._untrained = False

        self.title_label = QLabel()
        self.title_label.setWordWrap(True)
        self.applicability = ApplicabilityBanner(compact=True)
        self.status_label = QLabel("No scores yet")
        self.status_label.setWordWrap(True)
        self.reading_label = QLabel()
        self.reading_label.setWordWrap(True)
        self.reading_label.setStyleSheet(f"color: {WARNING_COLOR.name()};")
        self.reading_label.hide()
        self.negation_checkbox = QCheckBox("Contrast with negation")
        self.negation_checkbox.setToolTip(
            "Also score each prompt's negation (e.g. 'There is no pneumothorax.') and show the two-way "
            f"softmax of the two raw scores.\n\n{NEGATION_CAVEAT}"
        )
        self.negation_note = QLabel(NEGATION_CAVEAT)
        self.negation_note.setWordWrap(True)
        self.negation_note.setStyleSheet(f"color: {WARNING_COLOR.name()};")
        self.negation_note.hide()
        self.calibration = CalibrationControls()
        self.precision_label = QLabel()  # shown while the rows are the fast mode's approximate preview
        self.precision_label.setWordWrap(True)
        self.precision_label.setStyleSheet(f"color: {WARNING_COLOR.name()};")
        self.precision_label.hide()

        self.table = self._build_table()

        top = QHBoxLayout()
        top.addWidget(self.title_label, 1)
        top.addWidget(self.negation_checkbox)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        for widget, stretch in (
            (self.negation_note, 0),
            (self.calibration, 0),
            (self.calibration.caption, 0),  # above the table, so a short dock never scrolls it away
            (self.applicability, 0),
            (self.precision_label, 0),
            (self.table, 1),
            (self.reading_label, 0),
            (self.status_label, 0),
        ):
            layout.addWidget(widget, stretch)

        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        self.negation_checkbox.toggled.connect(self._on_negation_toggled)
        self.calibration.reliability_clicked.connect(self._request_reliability)
        self._update_title()

    def _build_table(self) -> QTableWidget:
        """The five columns with their header tooltips, sorted by score (descending)."""
        table = QTableWidget(0, 5)
        for column, (title, tip) in enumerate(
            (
                (
                    "Prompt",
                    "The prompt as typed; a second line shows what the model reads when that differs.",
                ),
                ("Score", SCORE_TOOLTIP),
                ("Relative", BAR_TOOLTIP),
                (NEGATION_HEADER, NEGATION_TOOLTIP),
                (PROBABILITY_HEADER, PROBABILITY_TOOLTIP),
            )
        ):
            header_item = QTableWidgetItem(title)
            header_item.setToolTip(tip)
            table.setHorizontalHeaderItem(column, header_item)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setWordWrap(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(PROMPT_COLUMN, QHeaderView.ResizeMode.Stretch)
        for column, width in VALUE_COLUMN_WIDTHS.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            table.setColumnWidth(column, width)
        table.setItemDelegateForColumn(BAR_COLUMN, _BarDelegate(table))
        table.setColumnHidden(NEGATION_COLUMN, True)
        table.setColumnHidden(CALIBRATED_COLUMN, True)
        table.setSortingEnabled(True)
        table.sortByColumn(SCORE_COLUMN, Qt.SortOrder.DescendingOrder)

        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.setMinimumHeight(MIN_TABLE_HEIGHT)
        return table

    # --- state -------------------------------------------------------------------------------------------
    def set_results(
        self,
        results: list[PromptResult],
        negations: dict[str, PromptResult] | None = None,
        keep: str | None = None,
        findings: dict[str, FindingResult] | None = None,
        calibration: dict[str, RowCalibration] | None = None,
    ) -> None:
        """Fill the table and select ``keep`` if present, else the top row (emits ``prompt_selected``).

        Args:
            results: one result per row (a typed prompt, or a finding's aggregate).
            negations: typed prompt -> result of its negated prompt (used when negation mode is on).
            keep: the typed prompt to keep selected.
            findings: finding key -> its phrasings' scores and spread, for the finding rows.
            calibration: typed prompt -> what the loaded profile says of it (used once
                :meth:`set_profile` has shown a profile).
        """
        self._results = list(results)
        self._negations = dict(negations or {})
        self._findings = dict(findings or {})
        self._calibration = dict(calibration or {})
        scores = [r.score for r in self._results if math.isfinite(r.score)]
        low, high = (min(scores), max(scores)) if scores else (0.0, 0.0)
        header = self.table.horizontalHeader()
        blocked = self.table.blockSignals(True)
        self.table.setSortingEnabled(False)
        try:
            self.table.clearContents()
            self.table.setRowCount(len(self._results))
            for row, result in enumerate(self._results):
                self._fill_row(row, result, low, high)
        finally:
            self.table.setSortingEnabled(True)
            self.table.sortByColumn(header.sortIndicatorSection(), header.sortIndicatorOrder())
            self.table.blockSignals(blocked)
        self.status_label.setText(_status(self._results))
        names = [r.prompt.typed for r in self._results]
        if names:
            self.select_prompt(keep if keep in names else self._typed_at(0) or names[0])
        else:
            self._show_reading(None)

    def show_response(
        self, response: ScoreResponse, keep: str | None, calibration: dict[str, RowCalibration]
    ) -> None:
        """:meth:`set_results` of everything ``response`` holds (rows, negations, findings), labelled while
        they are the fast mode's approximate preview."""
        self._show_precision(response.precision if response.approximate else None)
        self.set_results(response.results, response.negations or None, keep, response.findings, calibration)

    def clear(self, message: str = "No scores yet") -> None:
        self._results = []
        self._negations = {}
        self._findings = {}
        self.table.clearSelection()
        self.table.setRowCount(0)
        self.status_label.setText(message)
        self._show_reading(None)
        self._show_precision(None)

    def _show_precision(self, approximate: str | None) -> None:
        """Label the rows as a reduced-precision preview (``approximate``: its precision) or hide the label."""
        if approximate is not None:
            self.precision_label.setText(
                f"{approximate_label(approximate)}: fast preview; the exact fp32 result replaces it in a moment"
            )
        self.precision_label.setVisible(approximate is not None)

    def set_status(self, message: str) -> None:
        self.status_label.setText(message)

    def set_untrained(self, untrained: bool) -> None:
        """Mark every output as coming from the untrained demo model (title suffix, grey-italic scores)."""
        self._untrained = untrained
        self._update_title()
        for row in range(self.table.rowCount()):
            for column in (SCORE_COLUMN, NEGATION_COLUMN, CALIBRATED_COLUMN):
                item = self.table.item(row, column)
                if item is not None:
                    self._style_value(item)

    def set_applicability(self, reasons: tuple[str, ...]) -> None:
        """Warn that the scores are of an image outside what the model was trained on (hidden when empty)."""
        self.applicability.show_reasons(reasons)

    def set_profile(self, provenance: str, point: str, untrained: bool) -> None:
        """Show the loaded profile (``provenance`` "" when none): the probability column replaces the rank
        (bar) column, the controls and the caption say so; the cells follow at the next :meth:`set_results`."""
        self.calibration.set_profile(provenance, point, untrained)
        header = self.table.horizontalHeaderItem(CALIBRATED_COLUMN)
        if header is not None:
            header.setToolTip(f"{PROBABILITY_TOOLTIP}\n\n{provenance}")
        self.table.setColumnHidden(CALIBRATED_COLUMN, not provenance)
        self.table.setColumnHidden(BAR_COLUMN, bool(provenance))  # the probability replaces the rank

    def calibrated_text(self, typed: str) -> str:
        """Row ``typed``'s probability cell ("0.731 ▲", "not calibrated") or, without a profile, its rank."""
        rows = [row for row in range(self.table.rowCount()) if self._typed_at(row) == typed]
        column = CALIBRATED_COLUMN if self.calibration.provenance else BAR_COLUMN
        item = self.table.item(rows[0], column) if rows else None
        return item.text() if item is not None else ""

    def is_untrained(self) -> bool:
        return self._untrained

    def negation_mode(self) -> bool:
        return self.negation_checkbox.isChecked()

    def set_negation_mode(self, on: bool) -> None:
        """Tick or untick "Contrast with negation" (emits ``negation_mode_changed`` when it changes)."""
        self.negation_checkbox.setChecked(on)

    def results(self) -> list[PromptResult]:
        return list(self._results)

    def result_for(self, typed: str) -> PromptResult | None:
        return next((r for r in self._results if r.prompt.typed == typed), None)

    def selected_prompt(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self._typed_at(rows[0].row()) if rows else None

    def select_prompt(self, typed: str) -> None:
        for row in range(self.table.rowCount()):
            if self._typed_at(row) == typed:
                self.table.selectRow(row)
                return

    def shown_prompts(self) -> list[str]:
        """Typed prompts in the table's current (sorted) order."""
        return [t for t in (self._typed_at(r) for r in range(self.table.rowCount())) if t is not None]

    def reading(self) -> str:
        """The line under the table: what the model reads of the selected prompt and why, or ``""``."""
        return self.reading_label.text() if not self.reading_label.isHidden() else ""

    # --- internals ---------------------------------------------------------------------------------------
    def _show_reading(self, result: PromptResult | None) -> None:
        summary = explain_prompt(result.prompt, result.truncated).summary() if result is not None else ""
        self.reading_label.setText(summary)
        self.reading_label.setVisible(bool(summary))

    def _name_item(self, result: PromptResult) -> QTableWidgetItem:
        """The prompt cell: the typed prompt and what the model reads, or a finding and its spread."""
        typed = result.prompt.typed
        finding = self._findings.get(typed)
        if finding is not None:
            name = _SortItem(finding_cell_text(finding))
            name.setToolTip(finding_tooltip(finding))
        else:
            reading = explain_prompt(result.prompt, result.truncated)
            name = _SortItem(_prompt_cell_text(typed, reading))
            if reading.flags:
                name.setForeground(QBrush(WARNING_COLOR))
            name.setToolTip(
                "\n".join(
                    (
                        f"Typed: {typed}",
                        f"Model text: {result.prompt.text}",
                        f"Cleaned: {result.prompt.cleaned}",
                    )
                )
                + (f"\n{reading.summary()}" if reading.altered else "")
            )
        name.setData(Qt.ItemDataRole.UserRole, typed)
        return name

    def _fill_row(self, row: int, result: PromptResult, low: float, high: float) -> None:
        name = self._name_item(result)
        finding = self._findings.get(result.prompt.typed)
        detail = f"{SCORE_TOOLTIP}\ni2t = {result.i2t:.3f}, t2i = {result.t2i:.3f}"
        if finding is not None:
            detail += f"\nmean of {len(finding.phrasing_scores)} phrasings:\n{finding_tooltip(finding)}"
        score = _SortItem(f"{result.score:.3f}")
        score.setData(SORT_ROLE, float(result.score))
        score.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        score.setToolTip(detail)
        self._style_value(score)
        rank = rank_cell(result.score, [r.score for r in self._results])
        bar = _SortItem(rank.text)
        bar.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.setData(SORT_ROLE, rank.sort)
        fraction = (result.score - low) / (high - low) if high > low else 1.0
        bar.setData(BAR_ROLE, float(fraction) if math.isfinite(result.score) else math.nan)
        bar.setToolTip(f"{BAR_TOOLTIP}\n{rank.tooltip}\n\n{detail}")
        negation = self._negation_item(result)
        self.table.setItem(row, PROMPT_COLUMN, name)
        self.table.setItem(row, SCORE_COLUMN, score)
        self.table.setItem(row, BAR_COLUMN, bar)
        self.table.setItem(row, NEGATION_COLUMN, negation)
        self.table.setItem(row, CALIBRATED_COLUMN, self._calibrated_item(result))

    def _calibrated_item(self, result: PromptResult) -> QTableWidgetItem:
        cell = calibrated_cell(
            result.score,
            self._calibration.get(result.prompt.typed),
            self.calibration.provenance,
            self.calibration.point,
        )
        item = _SortItem(cell.text)
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setData(SORT_ROLE, cell.sort)
        item.setToolTip(cell.tooltip)
        self._style_value(item)
        return item

    def _negation_item(self, result: PromptResult) -> QTableWidgetItem:
        negated = self._negations.get(result.prompt.typed)
        item = _SortItem()
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if negated is None:
            item.setText("—")
            item.setData(SORT_ROLE, math.nan)
            why = (
                "A finding is not contrasted with a negation: its phrasings are averaged instead."
                if result.prompt.typed in self._findings
                else "The negation of this prompt has not been scored."
            )
            item.setToolTip(f"{NEGATION_TOOLTIP}\n{why}")
            return item
        p = two_way_softmax(result.score, negated.score)
        item.setText(f"{100.0 * p:.1f} %" if math.isfinite(p) else "—")
        item.setData(SORT_ROLE, p)
        item.setToolTip(
            f"{NEGATION_TOOLTIP}\nnegation: {negated.prompt.typed!r}\n"
            f"s_pos = {result.score:.3f}, s_neg = {negated.score:.3f}"
        )
        self._style_value(item)
        return item

    def _style_value(self, item: QTableWidgetItem) -> None:
        font = QFont(item.font())
        font.setItalic(self._untrained)
        item.setFont(font)
        item.setForeground(QBrush(UNTRAINED_COLOR) if self._untrained else QBrush())

    def _update_title(self) -> None:
        text = "<b>Scores</b> (raw logits, not probabilities)"
        if self._untrained:
            text += f" <span style='color:#b00000'><b>{UNTRAINED_SUFFIX}</b></span>"
        self.title_label.setText(text)

    def _typed_at(self, row: int) -> str | None:
        item = self.table.item(row, PROMPT_COLUMN)
        if item is None:
            return None
        typed = item.data(Qt.ItemDataRole.UserRole)
        return typed if isinstance(typed, str) else None

    def _on_negation_toggled(self, on: bool) -> None:
        self.table.setColumnHidden(NEGATION_COLUMN, not on)
        self.negation_note.setVisible(on)
        self.negation_mode_changed.emit(on)

    def _calibrated(self, typed: str | None) -> bool:
        known = self._calibration.get(typed) if typed is not None else None
        return bool(self.calibration.provenance) and known is not None and known.probability is not None

    def _on_selection_changed(self) -> None:
        typed = self.selected_prompt()
        self._show_reading(
            self.result_for(typed) if typed is not None and typed not in self._findings else None
        )
        self.calibration.reliability_button.setEnabled(self._calibrated(typed))
        if typed is not None:
            self.prompt_selected.emit(typed)

    def _request_reliability(self) -> None:
        typed = self.selected_prompt()
        if typed is not None and self._calibrated(typed):
            self.reliability_requested.emit(typed)

    def _on_context_menu(self, position: QPoint) -> None:
        typed = self._typed_at(self.table.rowAt(position.y()))
        if typed is None or not self._calibrated(typed):
            return
        menu = QMenu(self)
        menu.addAction("Reliability\u2026", lambda: self.reliability_requested.emit(typed))
        menu.exec(self.table.viewport().mapToGlobal(position))


def _prompt_cell_text(typed: str, reading: PromptReading) -> str:
    """``typed``, then on a second line what the model reads when it differs (``⚠`` first when flagged)."""
    if not reading.altered:
        return typed
    reads = repr(reading.model_text) if reading.model_text else "nothing"
    return f"{'⚠ ' if reading.flags else ''}{typed}\u2028→ reads {reads}"  # a line separator: two lines


def _status(results: list[PromptResult]) -> str:
    """``N prompt(s) scored``, with how many the model reads as an empty or a truncated text."""
    if not results:
        return "No scores"
    flags = [flag for r in results for flag in explain_prompt(r.prompt, r.truncated).flags]
    counts = "".join(f"; ⚠ {flags.count(flag)} {flag}" for flag in dict.fromkeys(flags))
    return f"{len(results)} prompt(s) scored{counts}"
