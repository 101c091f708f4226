"""The prompt list: add with a line edit + Enter, delete, enable/disable with a checkbox.

The panel only holds the list and reports changes; the main window persists it through
:mod:`carzero_viewer.settings` and sends the enabled prompts to the inference bridge. Prompts are kept as
typed (the engine applies the template), and duplicates are refused so one prompt is one score row.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

DEFAULT_PROMPTS = (
    "There is pneumothorax.",
    "There is pleural effusion.",
    "There is cardiomegaly.",
    "There is atelectasis.",
    "There is a lung nodule.",
)


class PromptPanel(QWidget):
    """Editable, checkable prompt list."""

    prompts_changed = Signal(list)  # enabled prompts, in list order

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptPanel")
        title = QLabel("<b>Prompts</b>")
        self.list_widget = QListWidget()
        self.list_widget.setToolTip("Tick a prompt to score it; untick to keep it without scoring.")
        self.line_edit = QLineEdit()
        self.line_edit.setPlaceholderText("Type a finding, e.g. pneumothorax, and press Enter")
        self.line_edit.setClearButtonEnabled(True)
        self.add_button = QPushButton("Add")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected prompt (Del)")

        entry = QHBoxLayout()
        entry.addWidget(self.line_edit, 1)
        entry.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(title)
        layout.addWidget(self.list_widget, 1)
        layout.addLayout(entry)
        layout.addWidget(self.delete_button, 0, Qt.AlignmentFlag.AlignRight)

        self.line_edit.returnPressed.connect(self._add_from_line_edit)
        self.add_button.clicked.connect(self._add_from_line_edit)
        self.delete_button.clicked.connect(self.delete_selected)
        self.list_widget.itemChanged.connect(self._on_item_changed)
        shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list_widget)
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(self.delete_selected)
        self._updating = False

    # --- state -------------------------------------------------------------------------------------------
    def set_prompts(self, prompts: list[str], disabled: list[str] | tuple[str, ...] = ()) -> None:
        """Replace the list (no signal: this is how saved settings are restored)."""
        self._updating = True
        try:
            self.list_widget.clear()
            for text in prompts:
                self._append(text, text not in disabled)
        finally:
            self._updating = False

    def all_prompts(self) -> list[str]:
        return [self.list_widget.item(i).text() for i in range(self.list_widget.count())]

    def enabled_prompts(self) -> list[str]:
        items = (self.list_widget.item(i) for i in range(self.list_widget.count()))
        return [item.text() for item in items if item.checkState() == Qt.CheckState.Checked]

    def disabled_prompts(self) -> list[str]:
        enabled = set(self.enabled_prompts())
        return [p for p in self.all_prompts() if p not in enabled]

    # --- editing -----------------------------------------------------------------------------------------
    def add_prompt(self, text: str) -> bool:
        """Add (enabled) unless empty or already listed; returns whether the list changed."""
        text = " ".join(text.split())
        if not text or text in self.all_prompts():
            return False
        self._updating = True
        try:
            item = self._append(text, True)
        finally:
            self._updating = False
        self.list_widget.setCurrentItem(item)
        self._emit()
        return True

    def delete_selected(self) -> None:
        row = self.list_widget.currentRow()
        if row < 0:
            return
        self.list_widget.takeItem(row)
        self._emit()

    def _append(self, text: str, enabled: bool) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if enabled else Qt.CheckState.Unchecked)
        self.list_widget.addItem(item)
        return item

    def _add_from_line_edit(self) -> None:
        if self.add_prompt(self.line_edit.text()):
            self.line_edit.clear()

    def _on_item_changed(self, _item: QListWidgetItem) -> None:
        if not self._updating:
            self._emit()

    def _emit(self) -> None:
        self.prompts_changed.emit(self.enabled_prompts())
