"""Non-modal notifications: a bar above the image that never blocks the workflow.

A bad file, a skipped prompt or a worker error must be visible without a modal dialog interrupting the
reading. Messages stack (newest first, at most a few), each with a close button; informational ones hide
themselves after a while, errors stay until dismissed.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

LOG = logging.getLogger(__name__)
MAX_SHOWN = 4
INFO_TIMEOUT_MS = 8000
_STYLES = {
    "error": "background: #fdecea; color: #611a15; border: 1px solid #f5c2c0;",
    "info": "background: #e8f4fd; color: #0d3c61; border: 1px solid #b6dcf8;",
}


class Notification(QFrame):
    """One message with a close button."""

    closed = Signal()

    def __init__(self, message: str, level: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"notification-{level}")
        self.setStyleSheet(f"QFrame#{self.objectName()} {{ {_STYLES[level]} border-radius: 3px; }}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 3, 3)
        self.label = QLabel(message)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)

    @Slot()
    def dismiss(self) -> None:
        self.hide()
        self.closed.emit()
        self.deleteLater()


class NotificationArea(QWidget):
    """The stack of current notifications."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 2, 4, 2)
        self._layout.setSpacing(2)
        self._items: list[Notification] = []

    def notify(self, message: str, level: str = "error") -> Notification:
        """Show ``message`` (level ``"error"`` or ``"info"``); returns the widget (tests inspect it)."""
        (LOG.warning if level == "error" else LOG.info)("%s", message)
        item = Notification(message, level, self)
        item.closed.connect(self._forget)
        self._layout.insertWidget(0, item)
        self._items.insert(0, item)
        for old in self._items[MAX_SHOWN:]:
            old.dismiss()
        if level == "info":
            QTimer.singleShot(INFO_TIMEOUT_MS, item.dismiss)
        return item

    def messages(self) -> list[str]:
        """Texts of the notifications currently shown, newest first."""
        return [item.label.text() for item in self._items if item.isVisible() or not item.isHidden()]

    @Slot()
    def _forget(self) -> None:
        self._items = [item for item in self._items if item is not self.sender()]
