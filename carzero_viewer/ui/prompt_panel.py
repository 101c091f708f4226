"""The prompt list: type, edit in place, reorder, enable/disable and delete the prompts to score.

The panel only holds the list and reports changes; the main window persists it through
:mod:`carzero_viewer.settings` and sends the enabled prompts to the inference bridge. Prompts are kept *as
typed* (the engine applies the template). Whenever the model reads other words than the typed ones, the row
shows a second line saying what it reads and why (:func:`~carzero_viewer.inference.prompts.explain_prompt`,
the check whose flags the CLI prints), in warning colour when the model reads nothing or a truncated text.

Duplicates are refused (compared case- and whitespace-insensitively) so that one prompt is one score row. The
template for bare findings is editable here; an invalid template (not exactly one ``{}``) is shown in red and
never applied, so the engine only ever receives a template it accepts.

A whole finding (a name and its phrasings, :mod:`carzero_viewer.findings`) is added from the "Quick add"
menu's built-in libraries or from a user's JSON file ("Findings from a file…", read by the window): it is
one row, listed under its key ``"Finding: <name>"``, whose second line says how many phrasings are scored
and whose tooltip lists them; it is not edited in place (its phrasings are its identity).

Reordering by drag and drop uses ``InternalMove`` in a small :class:`QListWidget` subclass that reports the
drop once it is complete, instead of watching the model's insert/remove signals (which fire half-way through
a move with the list in an intermediate state).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QDropEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from carzero_viewer.errors import PromptError
from carzero_viewer.findings import LIBRARIES, Finding, FindingsError, library
from carzero_viewer.inference.prompts import (
    DEFAULT_TEMPLATE,
    explain_prompt,
    process_prompt,
    validate_template,
)
from carzero_viewer.viewer_model.findings import finding_key

DEFAULT_PROMPTS = (
    "There is pneumothorax.",
    "There is pleural effusion.",
    "There is cardiomegaly.",
    "There is atelectasis.",
    "There is a lung nodule.",
)

# The 14 labels of NIH ChestX-ray14 (Wang et al., 2017), in the dataset's usual order.
CHESTXRAY14_LABELS = (
    "Atelectasis",
    "Cardiomegaly",
    "Effusion",
    "Infiltration",
    "Mass",
    "Nodule",
    "Pneumonia",
    "Pneumothorax",
    "Consolidation",
    "Edema",
    "Emphysema",
    "Fibrosis",
    "Pleural Thickening",
    "Hernia",
)
# The five CheXpert competition labels (Irvin et al., 2019).
CHEXPERT_COMPETITION_LABELS = (
    "Atelectasis",
    "Cardiomegaly",
    "Consolidation",
    "Edema",
    "Pleural Effusion",
)

SHOWN_CHARS = 160  # a pasted report is shown cut to this many characters; the tooltip and editor have it all
READING_ROLE = Qt.ItemDataRole.UserRole + 1  # the row's visible second line: what the model reads and why
MESSAGE_MS = 4000
_WARNING_COLOR = QColor(190, 90, 0)
_INVALID_STYLE = "QLineEdit { color: #c00000; border: 1px solid #c00000; }"


def finding_text(label: str) -> str:
    """A dataset label as a bare finding the template turns into a sentence: ``"Pleural Effusion"`` ->
    ``"Pleural effusion"``."""
    return label[:1].upper() + label[1:].lower()


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _key(text: str) -> str:
    return _normalise(text).casefold()


class _ReadingDelegate(QStyledItemDelegate):
    """Draws a row's ``READING_ROLE`` line under its typed text; the in-place editor still edits only the
    typed text, which stays the item's data."""

    def initStyleOption(  # noqa: N802 (Qt API name)
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        text: str = option.text
        if len(text) > SHOWN_CHARS:
            text = text[:SHOWN_CHARS] + "…"
        reading = index.data(READING_ROLE)
        if isinstance(reading, str) and reading:
            text = f"{text}\u2028→ {reading}"  # a line separator: the view's text layout breaks there
        option.text = text


class _PromptList(QListWidget):
    """A list that reports a completed internal drag-and-drop move."""

    reordered = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.setItemDelegate(_ReadingDelegate(self))
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt API name)
        before = [self.item(i) for i in range(self.count())]
        super().dropEvent(event)
        if [self.item(i) for i in range(self.count())] != before:
            self.reordered.emit()


class PromptPanel(QWidget):
    """Editable, reorderable, checkable prompt list with quick-add findings and the template setting."""

    prompts_changed = Signal(list)  # enabled prompts, in list order
    template_changed = Signal(str)  # a new *valid* template
    finding_added = Signal(object)  # a Finding about to be listed (the window registers it with the model)
    findings_file_requested = Signal()  # "Findings from a file…": the window asks for the file

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptPanel")
        self._template = DEFAULT_TEMPLATE
        self._updating = False
        self._findings: dict[str, Finding] = {}  # by row key

        self.list_widget = _PromptList()
        self.list_widget.setToolTip(
            "Tick a prompt to score it; untick to keep it without scoring.\n"
            "Double-click or F2 edits, drag or Move up/down reorders, Del deletes."
        )
        self.line_edit = QLineEdit()
        self.line_edit.setPlaceholderText("Type a finding, e.g. pneumothorax, and press Enter")
        self.line_edit.setClearButtonEnabled(True)
        self.add_button = QPushButton("Add")
        self.quick_add_button = QToolButton()
        self.quick_add_button.setText("Quick add")
        self.quick_add_button.setToolTip("Add a standard finding (the template makes it a sentence)")
        self.quick_add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.quick_add_menu = self._build_quick_add_menu()
        self.quick_add_button.setMenu(self.quick_add_menu)

        self.message_label = QLabel()
        self.message_label.setStyleSheet("color: #c00000;")
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.setInterval(MESSAGE_MS)
        self._message_timer.timeout.connect(self._clear_message)

        self.up_button = QPushButton("Move up")
        self.down_button = QPushButton("Move down")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected prompt (Del)")

        self.template_edit = QLineEdit(self._template)
        self.template_edit.setToolTip(self._template_tooltip())
        self.template_reset_button = QToolButton()
        self.template_reset_button.setText("Reset")
        self.template_reset_button.setToolTip(f"Back to the default template {DEFAULT_TEMPLATE!r}")

        self._build_layout()
        self._connect()
        self._update_buttons()

    def _build_layout(self) -> None:
        entry = QHBoxLayout()
        entry.addWidget(self.line_edit, 1)
        entry.addWidget(self.add_button)
        entry.addWidget(self.quick_add_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.up_button)
        buttons.addWidget(self.down_button)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)
        template_row = QHBoxLayout()
        template_label = QLabel("Template for bare findings:")
        template_label.setBuddy(self.template_edit)
        template_row.addWidget(template_label)
        template_row.addWidget(self.template_edit, 1)
        template_row.addWidget(self.template_reset_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(QLabel("<b>Prompts</b>"))
        layout.addWidget(self.list_widget, 1)
        layout.addLayout(buttons)
        layout.addLayout(entry)
        layout.addWidget(self.message_label)
        layout.addLayout(template_row)

    def _connect(self) -> None:
        self.line_edit.returnPressed.connect(self._add_from_line_edit)
        self.line_edit.textEdited.connect(self._clear_message)
        self.add_button.clicked.connect(self._add_from_line_edit)
        self.up_button.clicked.connect(self.move_selected_up)
        self.down_button.clicked.connect(self.move_selected_down)
        self.delete_button.clicked.connect(self.delete_selected)
        self.list_widget.itemChanged.connect(self._on_item_changed)
        self.list_widget.reordered.connect(self._emit)
        self.list_widget.currentRowChanged.connect(self._update_buttons)
        self.template_edit.textEdited.connect(self._on_template_edited)
        self.template_reset_button.clicked.connect(self._reset_template)
        self.list_widget.installEventFilter(self)

    # --- state -------------------------------------------------------------------------------------------
    def set_prompts(self, prompts: list[str], disabled: list[str] | tuple[str, ...] = ()) -> None:
        """Replace the list (no signal: this is how saved settings are restored); duplicates are dropped."""
        self._updating = True
        try:
            self.list_widget.clear()
            seen: set[str] = set()
            for raw in prompts:
                text = _normalise(raw)
                if text and _key(text) not in seen:
                    seen.add(_key(text))
                    self._insert(self.list_widget.count(), text, raw not in disabled and text not in disabled)
        finally:
            self._updating = False
        self._update_buttons()

    def set_findings(self, findings: list[Finding]) -> None:
        """Know ``findings`` (restored from the settings) so their rows show as findings; no signal."""
        self._findings.update({finding_key(f.name): f for f in findings})
        self._decorate_all()

    def add_finding(self, finding: Finding) -> bool:
        """List ``finding`` as one row (a newer one of the same name replaces its phrasings).

        Returns whether a row was added; ``finding_added`` is emitted first so the model knows its phrasings.
        """
        key = finding_key(finding.name)
        self._findings[key] = finding
        self.finding_added.emit(finding)
        if self._is_duplicate(key):
            self._decorate_all()
            return False
        return self.add_prompt(key)

    def all_prompts(self) -> list[str]:
        return [self._text(self.list_widget.item(i)) for i in range(self.list_widget.count())]

    def enabled_prompts(self) -> list[str]:
        items = (self.list_widget.item(i) for i in range(self.list_widget.count()))
        return [self._text(item) for item in items if item.checkState() == Qt.CheckState.Checked]

    def disabled_prompts(self) -> list[str]:
        items = (self.list_widget.item(i) for i in range(self.list_widget.count()))
        return [self._text(item) for item in items if item.checkState() != Qt.CheckState.Checked]

    def set_template(self, template: str) -> None:
        """Show and apply ``template`` without a signal (restoring settings); an invalid one is shown in red
        and the current template stays in force."""
        self.template_edit.setText(template)
        self._apply_template(template, emit=False)

    def template(self) -> str:
        """The template in force (always valid)."""
        return self._template

    def message(self) -> str:
        """The inline message currently shown (e.g. why a prompt was refused), or ``""``."""
        return self.message_label.text() if not self.message_label.isHidden() else ""

    def reading(self, row: int) -> str:
        """The second line shown under row ``row`` (what the model reads and why), or ``""``."""
        if not 0 <= row < self.list_widget.count():
            return ""
        reading = self.list_widget.item(row).data(READING_ROLE)
        return reading if isinstance(reading, str) else ""

    # --- editing -----------------------------------------------------------------------------------------
    def add_prompt(self, text: str) -> bool:
        """Add ``text`` (enabled, at the end) unless it is empty or already listed.

        Returns whether the list changed; a refused duplicate shows a short inline message.
        """
        text = _normalise(text)
        if not text:
            return False
        if self._is_duplicate(text):
            self._show_message(f"Already in the list: {text}")
            return False
        self._updating = True
        try:
            item = self._insert(self.list_widget.count(), text, True)
        finally:
            self._updating = False
        self.list_widget.setCurrentItem(item)
        self._clear_message()
        self._emit()
        return True

    def delete_selected(self) -> None:
        row = self.list_widget.currentRow()
        if row < 0:
            return
        self.list_widget.takeItem(row)
        self._update_buttons()
        self._emit()

    def move_selected_up(self) -> None:
        self._move_selected(-1)

    def move_selected_down(self) -> None:
        self._move_selected(1)

    def edit_selected(self) -> None:
        """Open the in-place editor on the selected row (what F2 and double-click do)."""
        item = self.list_widget.currentItem()
        if item is not None:
            self.list_widget.editItem(item)

    # --- Qt plumbing -------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API name)
        # Del deletes and F2 edits (F2 is not the platform edit key on macOS). Handled here rather than with
        # QShortcut so the keys work whenever the list has focus; while a row is being edited its editor gets
        # the keys instead.
        if (
            watched is self.list_widget
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and self.list_widget.state() != QAbstractItemView.State.EditingState
        ):
            if event.matches(QKeySequence.StandardKey.Delete) or event.key() == Qt.Key.Key_Delete:
                self.delete_selected()
                return True
            if event.key() == Qt.Key.Key_F2:
                self.edit_selected()
                return True
        return super().eventFilter(watched, event)

    def _build_quick_add_menu(self) -> QMenu:
        menu = QMenu(self)
        for title, labels in (
            ("ChestX-ray14", CHESTXRAY14_LABELS),
            ("CheXpert competition", CHEXPERT_COMPETITION_LABELS),
        ):
            submenu = menu.addMenu(title)
            for label in labels:
                action = submenu.addAction(label)
                action.setData(finding_text(label))
                action.setToolTip(f"Adds {finding_text(label)!r}")
            submenu.triggered.connect(self._on_quick_add)
        menu.addSeparator()
        for name in LIBRARIES:
            try:
                findings = library(name)
            except FindingsError as exc:  # pragma: no cover - package data, checked by the findings tests
                menu.addAction(f"{name}: {exc.message}").setEnabled(False)
                continue
            submenu = menu.addMenu(f"Findings: {name}")
            for finding in findings:
                action = submenu.addAction(f"{finding.name} ({len(finding.phrasings)} phrasings)")
                action.setData(finding)
                action.setToolTip("\n".join(finding.phrasings))
            submenu.addSeparator()
            submenu.addAction(f"All {len(findings)}").setData(findings)
            submenu.triggered.connect(self._on_add_findings)
        menu.addAction("Findings from a file\u2026", self.findings_file_requested.emit)
        return menu

    def _on_add_findings(self, action) -> None:
        data = action.data()
        for finding in data if isinstance(data, tuple) else (data,):
            if isinstance(finding, Finding):
                self.add_finding(finding)

    def _on_quick_add(self, action) -> None:
        data = action.data()
        if isinstance(data, str):
            self.add_prompt(data)

    def _insert(self, row: int, text: str, enabled: bool) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(
            item.flags()
            | Qt.ItemFlag.ItemIsUserCheckable
            | Qt.ItemFlag.ItemIsEditable
            | Qt.ItemFlag.ItemIsDragEnabled
        )
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsDropEnabled)
        if text in self._findings:
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        item.setData(Qt.ItemDataRole.UserRole, text)
        item.setCheckState(Qt.CheckState.Checked if enabled else Qt.CheckState.Unchecked)
        self._decorate(item)
        self.list_widget.insertItem(row, item)
        return item

    @staticmethod
    def _text(item: QListWidgetItem) -> str:
        stored = item.data(Qt.ItemDataRole.UserRole)
        return stored if isinstance(stored, str) else item.text()

    def _is_duplicate(self, text: str, ignore: QListWidgetItem | None = None) -> bool:
        key = _key(text)
        for i in range(self.list_widget.count()):
            item = self.list_widget.item(i)
            if item is not ignore and _key(self._text(item)) == key:
                return True
        return False

    def _decorate(self, item: QListWidgetItem) -> None:
        """Second line and tooltip with what the model reads; warning colour when it reads nothing or a
        truncated text (the CLI's flags)."""
        typed = self._text(item)
        finding = self._findings.get(typed)
        if finding is not None:
            count = len(finding.phrasings)
            item.setToolTip("The mean score and mean map of:\n" + "\n".join(finding.phrasings))
            item.setData(READING_ROLE, f"finding: mean of {count} phrasing{'s' if count != 1 else ''}")
            item.setForeground(QBrush())
            return
        try:
            processed = process_prompt(typed, self._template)
        except PromptError as exc:
            lines, reading, warn = [f"Cannot be scored: {exc}"], f"⚠ cannot be scored: {exc}", True
        else:
            explained = explain_prompt(processed)
            lines = [f"Model text: {processed.text}", f"Cleaned: {processed.cleaned}"]
            if processed.templated:
                lines.append(f"(bare finding: template {self._template!r} applied)")
            reading, warn = explained.summary(), bool(explained.flags)
            lines.extend([reading] if reading else [])
        item.setToolTip("\n".join(lines))
        item.setData(READING_ROLE, reading)
        item.setForeground(QBrush(_WARNING_COLOR) if warn else QBrush())

    def _decorate_all(self) -> None:
        self._updating = True
        try:
            for i in range(self.list_widget.count()):
                self._decorate(self.list_widget.item(i))
        finally:
            self._updating = False

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if self._updating:
            return
        old = self._text(item)
        new = _normalise(item.text())
        if new != old:
            self._updating = True
            try:
                if not new:
                    item.setText(old)
                    self._show_message("A prompt cannot be empty; edit reverted")
                    return
                if self._is_duplicate(new, ignore=item):
                    item.setText(old)
                    self._show_message(f"Already in the list: {new}")
                    return
                item.setText(new)
                item.setData(Qt.ItemDataRole.UserRole, new)
                self._decorate(item)
            finally:
                self._updating = False
        self._emit()

    def _move_selected(self, step: int) -> None:
        row = self.list_widget.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list_widget.count():
            return
        self._updating = True
        try:
            item = self.list_widget.takeItem(row)
            self.list_widget.insertItem(target, item)
            self.list_widget.setCurrentRow(target)
        finally:
            self._updating = False
        self._emit()

    def _update_buttons(self, *_args: object) -> None:
        row = self.list_widget.currentRow()
        count = self.list_widget.count()
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < count - 1)
        self.delete_button.setEnabled(row >= 0)

    def _add_from_line_edit(self) -> None:
        if self.add_prompt(self.line_edit.text()):
            self.line_edit.clear()

    def _show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.show()
        self._message_timer.start()

    def _clear_message(self, *_args: object) -> None:
        self._message_timer.stop()
        self.message_label.clear()
        self.message_label.hide()

    def _template_tooltip(self, error: str = "") -> str:
        text = (
            "Bare findings (a short phrase without sentence punctuation, e.g. 'pneumothorax') are put into "
            "this template before scoring; full sentences are scored as typed. It must contain exactly one {}."
        )
        return f"{error}\n\n{text}" if error else text

    def _on_template_edited(self, text: str) -> None:
        self._apply_template(text, emit=True)

    def _reset_template(self) -> None:
        self.template_edit.setText(DEFAULT_TEMPLATE)
        self._apply_template(DEFAULT_TEMPLATE, emit=True)

    def _apply_template(self, template: str, emit: bool) -> None:
        try:
            validate_template(template)
            # validate_template lets a stray trailing "{" through ("{} and {"); format() does not.
            template.format("finding")
        except (PromptError, ValueError, IndexError, KeyError) as exc:
            self.template_edit.setStyleSheet(_INVALID_STYLE)
            self.template_edit.setToolTip(self._template_tooltip(f"Not applied: {exc}"))
            return
        self.template_edit.setStyleSheet("")
        self.template_edit.setToolTip(self._template_tooltip())
        if template == self._template:
            return
        self._template = template
        self._decorate_all()
        if emit:
            self.template_changed.emit(template)

    def _emit(self) -> None:
        self.prompts_changed.emit(self.enabled_prompts())
