"""The selected prompt's words as clickable chips shaded by their official t2i attention weight.

``PromptResult.words`` holds the model's word slots (``[CLS]``, the words with word pieces merged, ``[SEP]``)
and ``word_weights`` the official t2i attention of each slot: how much the image attends to that word. The
panel shows the real words (``[UNK]`` included, since the model did read a slot there) as chips whose
background goes from white (weight 0) to a saturated orange (the largest weight among the shown words).

Clicking a chip emits ``word_selected`` with the *slot index* into ``PromptResult.words`` so that the main
window can show ``word_maps[index]``; the leading "whole prompt" chip emits -1 (the official prompt map). Word
maps are an extension that the paper does not evaluate, and the panel says so whenever one is selected.

:class:`FlowLayout` is a small port of Qt's flow-layout example: chips wrap onto new lines like words, inside a
vertical scroll area so that the up to 95 words of a long prompt never overflow the panel.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QFrame,
    QLabel,
    QLayout,
    QLayoutItem,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from carzero_viewer.types import PromptResult

HIDDEN_WORDS = frozenset({"[CLS]", "[SEP]"})
WHOLE_PROMPT = -1
CAPTION = "Word weights: official t2i attention (which words the image attends to)"
EXTENSION_NOTICE = "Word-query map — extension, not evaluated in the paper"
WHOLE_PROMPT_TEXT = "whole prompt"
LOW_COLOR = QColor(255, 255, 255)
HIGH_COLOR = QColor(230, 85, 13)
SHADE_PROPERTY = "shade"  # the chip's background colour name, for tests and screenshots
WEIGHT_PROPERTY = "weight"  # the chip's normalised weight in [0, 1]


class FlowLayout(QLayout):
    """Lays child widgets out left to right and wraps them onto new lines (height-for-width)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt API name)
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt API name)
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt API name)
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 (Qt API name)
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt API name)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt API name)
        return self._do_layout(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt API name)
        super().setGeometry(rect)
        self._do_layout(rect, apply=True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API name)
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt API name)
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _do_layout(self, rect: QRect, apply: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line_height = area.x(), area.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and line_height > 0:
                x = area.x()
                y += line_height + self._spacing
                line_height = 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + margins.bottom()


def shade(fraction: float) -> QColor:
    """Background colour for a normalised weight: white at 0, ``HIGH_COLOR`` at 1."""
    f = max(0.0, min(1.0, fraction)) if math.isfinite(fraction) else 0.0
    return QColor(
        round(LOW_COLOR.red() + f * (HIGH_COLOR.red() - LOW_COLOR.red())),
        round(LOW_COLOR.green() + f * (HIGH_COLOR.green() - LOW_COLOR.green())),
        round(LOW_COLOR.blue() + f * (HIGH_COLOR.blue() - LOW_COLOR.blue())),
    )


def _text_color(background: QColor) -> str:
    luminance = 0.299 * background.red() + 0.587 * background.green() + 0.114 * background.blue()
    return "#000000" if luminance > 150 else "#ffffff"


def _chip_style(background: QColor) -> str:
    return (
        f"QToolButton {{ background-color: {background.name()}; color: {_text_color(background)};"
        " border: 1px solid #a0a0a0; border-radius: 9px; padding: 2px 8px; }"
        f" QToolButton:checked {{ border: 3px solid #1f4e9c; padding: 0px 6px; font-weight: bold; }}"
    )


class WordPanel(QWidget):
    """Word chips of the selected prompt; emits the slot index of the clicked word (-1 = whole prompt)."""

    word_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("wordPanel")
        self._result: PromptResult | None = None
        self._slot = WHOLE_PROMPT

        self.prompt_label = QLabel()
        self.prompt_label.setWordWrap(True)
        self.caption_label = QLabel(CAPTION)
        self.caption_label.setWordWrap(True)
        self.caption_label.setStyleSheet("color: #555555;")
        self.chip_area = QWidget()
        self.chip_area.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.flow = FlowLayout(self.chip_area)
        self.chip_scroll = QScrollArea()
        self.chip_scroll.setWidgetResizable(True)
        self.chip_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.chip_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chip_scroll.setWidget(self.chip_area)
        self.notice_label = QLabel(EXTENSION_NOTICE)
        self.notice_label.setWordWrap(True)
        self.notice_label.setStyleSheet(
            "QLabel { background: #fff3cd; color: #664d03; border: 1px solid #e0c36a; padding: 3px; }"
        )
        self.notice_label.hide()
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.group.idClicked.connect(self._on_chip_clicked)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.prompt_label)
        layout.addWidget(self.caption_label)
        layout.addWidget(self.chip_scroll, 1)
        layout.addWidget(self.notice_label)
        self.clear()

    # --- state -------------------------------------------------------------------------------------------
    def set_result(self, result: PromptResult | None) -> None:
        """Show ``result``'s words with the whole prompt selected (no signal).

        Every new result starts from the whole-prompt map, which is what a caller shows when a prompt is
        (re)selected; a word chip stays selected only until the next result.
        """
        self._result = result
        self._slot = WHOLE_PROMPT
        self._rebuild()

    def result(self) -> PromptResult | None:
        return self._result

    def selected_slot(self) -> int:
        """Slot index into ``PromptResult.words`` of the selected word, or -1 for the whole prompt."""
        return self._slot

    def select_slot(self, slot: int) -> None:
        """Check the chip for ``slot`` (or the whole prompt for -1) without emitting."""
        button = self._button(slot)
        if button is None:
            return
        button.setChecked(True)
        self._slot = slot
        self.notice_label.setVisible(slot != WHOLE_PROMPT)
        self.chip_scroll.ensureWidgetVisible(button)

    def clear(self) -> None:
        self._result = None
        self._slot = WHOLE_PROMPT
        self._rebuild()

    def chip(self, slot: int) -> QToolButton | None:
        """The chip for ``slot`` (-1 = whole prompt), or None."""
        button = self._button(slot)
        return button if isinstance(button, QToolButton) else None

    def chip_slots(self) -> list[int]:
        """Slot indices of the word chips in display order (the whole-prompt chip excluded)."""
        slots = (self.group.id(b) - 1 for b in self._chips())
        return [slot for slot in slots if slot != WHOLE_PROMPT]

    # --- internals ---------------------------------------------------------------------------------------
    def _button(self, slot: int) -> QAbstractButton | None:
        return next((b for b in self.group.buttons() if self.group.id(b) == slot + 1), None)

    def _chips(self) -> list[QToolButton]:
        items = (self.flow.itemAt(i) for i in range(self.flow.count()))
        return [w for item in items if item is not None and isinstance(w := item.widget(), QToolButton)]

    def _rebuild(self) -> None:
        for button in self._chips():
            self.group.removeButton(button)
        while (item := self.flow.takeAt(0)) is not None:
            widget = item.widget()
            if widget is not None:
                # Hide and detach now: deleteLater only runs at the next event-loop turn, and until then the
                # old chip would still be painted under the new ones.
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        result = self._result
        if result is None:
            self.prompt_label.setText("<i>No prompt selected</i>")
            self.caption_label.hide()
            self.notice_label.hide()
            self.chip_scroll.hide()
            return
        self.prompt_label.setText(f"Words of: <b>{_escape(result.prompt.typed)}</b>")
        self.caption_label.show()
        self.chip_scroll.show()
        whole = self._make_chip(WHOLE_PROMPT_TEXT, WHOLE_PROMPT, QColor(235, 240, 250))
        whole.setToolTip("Show the official prompt map (i2t cross-attention of the whole prompt)")
        slots = [s for s, word in enumerate(result.words) if word not in HIDDEN_WORDS]
        weights = result.word_weights
        raw = [float(weights[s]) if s < len(weights) else math.nan for s in slots]
        finite = [w for w in raw if math.isfinite(w)]
        top = max(finite) if finite else 0.0
        for slot, weight in zip(slots, raw, strict=True):
            fraction = weight / top if top > 0 and math.isfinite(weight) else 0.0
            fraction = max(0.0, fraction)
            chip = self._make_chip(result.words[slot], slot, shade(fraction))
            chip.setProperty(WEIGHT_PROPERTY, fraction)
            chip.setToolTip(
                f"slot {slot}: {result.words[slot]!r}\nt2i attention {weight:.4f} ({100 * fraction:.0f}% of the "
                "largest shown)\nClick to show this word's map (extension, not evaluated in the paper)"
            )
        if self._button(self._slot) is None:
            self._slot = WHOLE_PROMPT
        self.select_slot(self._slot)
        self.chip_area.updateGeometry()

    def _make_chip(self, text: str, slot: int, background: QColor) -> QToolButton:
        chip = QToolButton(self.chip_area)
        chip.setText(text.replace("&", "&&"))
        chip.setCheckable(True)
        chip.setAutoRaise(False)
        chip.setStyleSheet(_chip_style(background))
        chip.setProperty(SHADE_PROPERTY, background.name())
        chip.setCursor(Qt.CursorShape.PointingHandCursor)
        self.group.addButton(chip, slot + 1)  # ids are slot + 1: QButtonGroup reserves -1 for "auto"
        self.flow.addWidget(chip)
        return chip

    def _on_chip_clicked(self, button_id: int) -> None:
        slot = button_id - 1
        self._slot = slot
        self.notice_label.setVisible(slot != WHOLE_PROMPT)
        self.word_selected.emit(slot)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
