"""Non-modal notifications: a bar above the image that never blocks the workflow.

A bad file, a skipped prompt or a worker error must be visible without a modal dialog interrupting the
reading, but a pile of bars must not shrink the image either. So:

* a message already shown is not stacked again: its bar comes back to the top with a repeat count (×2...);
* at most :data:`MAX_SHOWN` bars are shown, newest first; past that the oldest informational one goes (the
  new one itself when every other bar is an error), and only when all are errors the oldest error (every
  message is also in the log);
* informational bars hide themselves after :data:`INFO_TIMEOUT_MS`; errors stay until dismissed;
* a message may carry a *topic* (e.g. ``"model"``); :meth:`NotificationArea.clear_topic` removes the bars a
  change of state has made false (a "no model loaded yet" once the model has loaded).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

LOG = logging.getLogger(__name__)
MAX_SHOWN = 3  # three one-line bars take ~80 px: the image keeps most of the window at 1024x700
INFO_TIMEOUT_MS = 6000  # long enough to read two lines, short enough not to linger
_STYLES = {
    "error": "background: #fdecea; color: #611a15; border: 1px solid #f5c2c0;",
    "info": "background: #e8f4fd; color: #0d3c61; border: 1px solid #b6dcf8;",
}


class Notification(QFrame):
    """One message with a repeat count and a close button."""

    closed = Signal()

    def __init__(self, message: str, level: str, topic: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level, self.topic, self.count = level, topic, 1
        self.setObjectName(f"notification-{level}")
        self.setStyleSheet(f"QFrame#{self.objectName()} {{ {_STYLES[level]} border-radius: 3px; }}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 3, 3)
        self.label = QLabel(message)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.count_label = QLabel()
        self.count_label.setToolTip("How many times this message was raised")
        self.count_label.setVisible(False)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.count_label)
        layout.addWidget(close)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.dismiss)

    def repeat(self) -> None:
        """The same message again: count it (and restart the auto-dismiss delay of an informational one)."""
        self.count += 1
        self.count_label.setText(f"\u00d7{self.count}")  # multiplication sign: "×3"
        self.count_label.setVisible(True)
        if self.timer.isActive():
            self.timer.start()

    @Slot()
    def dismiss(self) -> None:
        self.timer.stop()
        self.hide()
        self.closed.emit()
        self.deleteLater()


class NotificationArea(QWidget):
    """The stack of current notifications (rules in the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 2, 4, 2)
        self._layout.setSpacing(2)
        self._items: list[Notification] = []

    def notify(self, message: str, level: str = "error", topic: str = "") -> Notification:
        """Show ``message`` (level ``"error"`` or ``"info"``); returns the widget (tests inspect it)."""
        (LOG.warning if level == "error" else LOG.info)("%s", message)
        same = next((i for i in self._items if i.label.text() == message and i.level == level), None)
        if same is not None:
            self._items.remove(same)
            self._layout.removeWidget(same)
            same.repeat()
            item = same
        else:
            item = Notification(message, level, topic, self)
            item.closed.connect(self._forget)
            if level == "info":
                item.timer.start(INFO_TIMEOUT_MS)
        self._layout.insertWidget(0, item)
        self._items.insert(0, item)
        while len(self._items) > MAX_SHOWN:
            infos = [i for i in self._items if i.level == "info"]
            (infos or self._items)[-1].dismiss()
        return item

    def clear_topic(self, topic: str) -> None:
        """Dismiss the notifications raised under ``topic`` (a state change made them false)."""
        for item in [i for i in self._items if i.topic == topic]:
            item.dismiss()

    def messages(self) -> list[str]:
        """Texts of the notifications currently shown, newest first."""
        return [item.label.text() for item in self._items]

    def items(self) -> list[Notification]:
        """The notification widgets currently shown, newest first."""
        return list(self._items)

    @Slot()
    def _forget(self) -> None:
        self._items = [item for item in self._items if item is not self.sender()]
