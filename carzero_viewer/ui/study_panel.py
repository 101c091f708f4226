"""The list of opened files: a view of the study model (:class:`carzero_viewer.viewer_model.study.Study`).

Selecting an entry asks the main window to show it; the panel itself never loads pixels, so a large folder
lists instantly and a corrupt file only fails when it is clicked. A file that failed to open is then marked
(warning icon, red text, the reason in its tooltip) so the user does not try it again blindly; a later
successful open clears the mark.

Each listed file gets a thumbnail icon rendered in the background (:mod:`carzero_viewer.ui.thumbnails`); a file
whose thumbnail cannot be decoded is marked as failed right away, before anyone clicks it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QIcon, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStyle, QVBoxLayout, QWidget

from carzero_viewer.ui.thumbnails import THUMBNAIL_PX, Thumbnail, Thumbnailer

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
FAILED_ROLE = Qt.ItemDataRole.UserRole + 2  # the reason a file could not be opened ("" when it opened)
FAILED_COLOR = QColor(198, 40, 40)


class StudyPanel(QWidget):
    """A flat, ordered list of image files."""

    file_selected = Signal(object)  # Path
    unreadable = Signal(
        object, str
    )  # Path, reason: its thumbnail could not be decoded (the study model records it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("studyPanel")
        self.list_widget = QListWidget()
        self.list_widget.setToolTip("Opened files; click one to show it")
        self.list_widget.setIconSize(QSize(THUMBNAIL_PX, THUMBNAIL_PX))
        self._thumbnails: dict[str, QIcon] = {}  # resolved path -> its rendered preview
        self._items: dict[str, QListWidgetItem] = {}  # resolved path -> its row: O(1) per thumbnail or mark
        self.thumbnailer = Thumbnailer(self)
        self.thumbnailer.rendered.connect(self._on_thumbnail)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list_widget, 1)
        self.list_widget.currentItemChanged.connect(self._on_current_changed)

    def add_files(self, files: list[Path]) -> int:
        """Append files not yet listed (their thumbnails follow); returns how many were added (no selection change)."""
        added: list[Path] = []
        blocked = self.list_widget.blockSignals(True)
        try:
            for path in files:
                resolved = Path(path).resolve()
                if str(resolved) in self._items:
                    continue
                item = QListWidgetItem(resolved.name)
                item.setToolTip(str(resolved))
                item.setData(PATH_ROLE, str(resolved))
                self.list_widget.addItem(item)
                self._items[str(resolved)] = item
                added.append(resolved)
        finally:
            self.list_widget.blockSignals(blocked)
        self.thumbnailer.render(added)
        return len(added)

    def files(self) -> list[Path]:
        return [Path(self.list_widget.item(i).data(PATH_ROLE)) for i in range(self.list_widget.count())]

    def current_file(self) -> Path | None:
        row = self.list_widget.currentRow()
        return Path(self.list_widget.item(row).data(PATH_ROLE)) if row >= 0 else None

    def select_file(self, path: Path) -> None:
        """Make ``path`` current (emits :attr:`file_selected` when it changes)."""
        item = self._item(path)
        if item is not None:
            self.list_widget.setCurrentItem(item)

    def mark_failed(self, path: Path, reason: str) -> None:
        """Mark ``path`` as a file that could not be opened, with ``reason`` in its tooltip."""
        item = self._item(path)
        if item is None:
            return
        item.setData(FAILED_ROLE, reason)
        item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
        item.setForeground(QBrush(FAILED_COLOR))
        item.setToolTip(f"{item.data(PATH_ROLE)}\ncould not be opened: {reason}")

    def mark_opened(self, path: Path) -> None:
        """Clear the failure mark of ``path`` (it opened after all)."""
        item = self._item(path)
        if item is None or not item.data(FAILED_ROLE):
            return
        item.setData(FAILED_ROLE, "")
        item.setIcon(self._thumbnails.get(str(item.data(PATH_ROLE)), QIcon()))
        item.setForeground(QBrush())
        item.setToolTip(str(item.data(PATH_ROLE)))

    def remove_file(self, path: Path) -> None:
        """Close ``path``: the file after it (else the one before) becomes current and is announced."""
        item = self._item(path)
        if item is None:
            return
        row = self.list_widget.row(item)
        blocked = self.list_widget.blockSignals(True)
        try:
            self.list_widget.takeItem(row)
            del self._items[str(item.data(PATH_ROLE))]
            self.list_widget.setCurrentRow(min(row, self.list_widget.count() - 1))
        finally:
            self.list_widget.blockSignals(blocked)
        current = self.current_file()
        if current is not None:
            self.file_selected.emit(current)

    def clear(self) -> None:
        """Close the study: no file listed, nothing announced, no thumbnail rendered any more."""
        self.thumbnailer.cancel()
        self._thumbnails.clear()
        blocked = self.list_widget.blockSignals(True)
        try:
            self.list_widget.clear()
            self._items.clear()
        finally:
            self.list_widget.blockSignals(blocked)

    def thumbnail(self, path: Path) -> QIcon | None:
        """The rendered preview of ``path``, or None while it is being rendered (or could not be)."""
        return self._thumbnails.get(str(Path(path).resolve()))

    @Slot(object)
    def _on_thumbnail(self, thumbnail: Thumbnail) -> None:
        if thumbnail.image is None:
            self.mark_failed(thumbnail.path, thumbnail.error)
            self.unreadable.emit(thumbnail.path, thumbnail.error)
            return
        item = self._item(thumbnail.path)
        if item is None:  # closed meanwhile
            return
        self._thumbnails[str(thumbnail.path)] = icon = QIcon(QPixmap.fromImage(thumbnail.image))
        if not item.data(FAILED_ROLE):
            item.setIcon(icon)

    def failure(self, path: Path) -> str:
        """Why ``path`` failed to open, or "" when it is not marked."""
        item = self._item(path)
        return str(item.data(FAILED_ROLE) or "") if item is not None else ""

    def _item(self, path: Path) -> QListWidgetItem | None:
        return self._items.get(str(Path(path).resolve()))

    def _on_current_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self.file_selected.emit(Path(current.data(PATH_ROLE)))
