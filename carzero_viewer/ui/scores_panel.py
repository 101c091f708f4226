"""The scores table: one row per scored prompt, highest score first, with a relative bar.

The score is the official CARZero score ``(i2t + t2i) / 2``: a raw logit, comparable between prompts on the
same image, not a probability. The bar length is relative to the lowest and highest score in the table, so
it ranks prompts and says nothing absolute. Selecting a row chooses the prompt whose map the canvas shows.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from carzero_viewer.types import PromptResult

SCORE_TOOLTIP = (
    "Official CARZero score (i2t+t2i)/2: raw logit, higher = more likely, not a probability.\n"
    "Compare prompts on the same image; the bar is relative to the other rows."
)
BAR_ROLE = Qt.ItemDataRole.UserRole + 1
BAR_COLOR = QColor(70, 130, 200, 150)


class _BarDelegate(QStyledItemDelegate):
    """Paints a horizontal bar (fraction in ``BAR_ROLE``) behind the score text."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        fraction = index.data(BAR_ROLE)
        if isinstance(fraction, float) and not option.state & QStyle.StateFlag.State_Selected:
            rect: QRect = option.rect.adjusted(2, 3, -2, -3)
            rect.setWidth(max(1, int(rect.width() * max(0.0, min(1.0, fraction)))))
            painter.save()
            painter.fillRect(rect, BAR_COLOR)
            painter.restore()
        super().paint(painter, option, index)


class ScoresPanel(QWidget):
    """Read-only table of :class:`PromptResult` rows."""

    prompt_selected = Signal(str)  # the typed prompt of the selected row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scoresPanel")
        self.status_label = QLabel("No scores yet")
        self.status_label.setWordWrap(True)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderItem(0, QTableWidgetItem("Prompt"))
        score_header = QTableWidgetItem("Score")
        score_header.setToolTip(SCORE_TOOLTIP)
        self.table.setHorizontalHeaderItem(1, score_header)
        self.table.setToolTip(SCORE_TOOLTIP)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        self.table.setColumnWidth(1, 110)
        self.table.setItemDelegateForColumn(1, _BarDelegate(self.table))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(QLabel("<b>Scores</b> (raw logits, not probabilities)"))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status_label)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self._results: list[PromptResult] = []

    def set_results(self, results: list[PromptResult], keep: str | None = None) -> None:
        """Fill the table (highest score first) and select ``keep`` if present, else the top row."""
        self._results = sorted(results, key=lambda r: r.score, reverse=True)
        scores = [r.score for r in self._results]
        low, high = (min(scores), max(scores)) if scores else (0.0, 0.0)
        blocked = self.table.blockSignals(True)
        try:
            self.table.setRowCount(len(self._results))
            for row, result in enumerate(self._results):
                name = QTableWidgetItem(result.prompt.typed)
                name.setToolTip(
                    f"model text: {result.prompt.text}" + (" (truncated)" if result.truncated else "")
                )
                score = QTableWidgetItem(f"{result.score:.3f}")
                score.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                score.setToolTip(f"{SCORE_TOOLTIP}\ni2t = {result.i2t:.3f}, t2i = {result.t2i:.3f}")
                score.setData(BAR_ROLE, (result.score - low) / (high - low) if high > low else 1.0)
                self.table.setItem(row, 0, name)
                self.table.setItem(row, 1, score)
        finally:
            self.table.blockSignals(blocked)
        self.status_label.setText(f"{len(self._results)} prompt(s) scored" if self._results else "No scores")
        names = [r.prompt.typed for r in self._results]
        if names:
            self.select_prompt(keep if keep in names else names[0])

    def clear(self, message: str = "No scores yet") -> None:
        self._results = []
        self.table.setRowCount(0)
        self.status_label.setText(message)

    def set_status(self, message: str) -> None:
        self.status_label.setText(message)

    def results(self) -> list[PromptResult]:
        return list(self._results)

    def result_for(self, typed: str) -> PromptResult | None:
        return next((r for r in self._results if r.prompt.typed == typed), None)

    def selected_prompt(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self._results[rows[0].row()].prompt.typed if rows else None

    def select_prompt(self, typed: str) -> None:
        for row, result in enumerate(self._results):
            if result.prompt.typed == typed:
                self.table.selectRow(row)
                return

    def _on_selection_changed(self) -> None:
        typed = self.selected_prompt()
        if typed is not None:
            self.prompt_selected.emit(typed)
