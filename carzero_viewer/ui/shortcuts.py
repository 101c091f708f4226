"""The keyboard shortcuts, defined once: the main window binds them and Help lists them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

SHORTCUTS: dict[str, tuple[str, str]] = {
    "open_file": ("Ctrl+O", "Open image files"),
    "open_folder": ("Ctrl+Shift+O", "Open a folder as a study"),
    "export_view": ("Ctrl+E", "Export exactly what is on screen"),
    "export_full": ("Ctrl+Shift+E", "Export the full-resolution render with its legend"),
    "copy_view": ("Ctrl+Shift+C", "Copy the full-resolution render to the clipboard"),
    "close_image": ("Ctrl+W", "Close the current image (the next one in the study is shown)"),
    "close_study": ("Ctrl+Shift+W", "Close the study: empty the list, image, scores and ground truth"),
    "next_image": ("PgDown", "Next image in the study"),
    "previous_image": ("PgUp", "Previous image in the study"),
    "fit": ("F", "Fit the image to the window"),
    "actual_size": ("1", "1:1 (one screen pixel per image pixel)"),
    "invert": ("I", "Invert grey levels"),
    "reset": ("R", "Reset window/level, inversion, flips/rotation and view"),
    "flip_horizontal": ("X", "Flip horizontally (display only)"),
    "flip_vertical": ("Y", "Flip vertically (display only)"),
    "rotate": ("Ctrl+R", "Rotate 90° clockwise (display only)"),
    "toggle_corners": (
        "O",
        "Show/hide the corner overlays (description, frame, W/L, zoom, spacing, orientation)",
    ),
    "measure": ("M", "Length measurement (mm when the pixel spacing is known)"),
    "toggle_heatmap": ("H", "Show/hide the heatmap"),
    "model_input": ("Ctrl+M", "Show the exact 224x224 crop the model received"),
    "compare_prompts": ("G", "Compare prompts: a grid of every enabled prompt's map on this image"),
    "compare_images": ("C", "Compare images: this image next to another of the study, same prompt's map"),
    "full_image": ("F11", "Full image: hide all panels / show them again"),
    "cancel": ("Esc", "Cancel the running inference"),
    "shortcuts": ("F1", "This list"),
    "quit": ("Ctrl+Q", "Quit"),
}
# The dialog grows to show every row at once, up to this share of the screen height (then it scrolls).
MAX_SCREEN_HEIGHT_SHARE = 0.85
MOUSE = (
    ("Right-drag", "Window/level (horizontal: width, vertical: centre)"),
    ("Wheel", "Zoom about the cursor"),
    ("Left- or middle-drag", "Pan"),
    ("Double-click", "Fit"),
)


class ShortcutsDialog(QDialog):
    """Every shortcut and mouse binding in a table sized to its content, so no text is cut."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [(key, text) for key, text in SHORTCUTS.values()] + list(MOUSE)
        self.table = table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels(["Key", "Action"])
        for index, (key, text) in enumerate(rows):
            table.setItem(index, 0, QTableWidgetItem(key))
            table.setItem(index, 1, QTableWidgetItem(text))
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.resizeColumnsToContents()
        table.resizeRowsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        frame = 2 * table.frameWidth()
        width = sum(table.columnWidth(c) for c in range(table.columnCount())) + frame
        height = table.horizontalHeader().height() + sum(table.rowHeight(r) for r in range(len(rows))) + frame
        screen = self.screen().availableGeometry()
        visible_height = min(height, int(screen.height() * MAX_SCREEN_HEIGHT_SHARE))
        if visible_height < height:  # scrolling vertically: keep room for the scroll bar beside the text
            width += table.verticalScrollBar().sizeHint().width()
        table.setMinimumSize(width, visible_height)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.adjustSize()
