"""The keyboard shortcuts, defined once: the main window binds them and Help lists them."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

SHORTCUTS: dict[str, tuple[str, str]] = {
    "open_file": ("Ctrl+O", "Open image files"),
    "open_folder": ("Ctrl+Shift+O", "Open a folder as a study"),
    "export_view": ("Ctrl+E", "Export exactly what is on screen"),
    "export_full": ("Ctrl+Shift+E", "Export the full-resolution render with its legend"),
    "copy_view": ("Ctrl+Shift+C", "Copy the full-resolution render to the clipboard"),
    "next_image": ("PgDown", "Next image in the study"),
    "previous_image": ("PgUp", "Previous image in the study"),
    "fit": ("F", "Fit the image to the window"),
    "actual_size": ("1", "1:1 (one screen pixel per image pixel)"),
    "invert": ("I", "Invert grey levels"),
    "reset": ("R", "Reset window/level, inversion and view"),
    "measure": ("M", "Length measurement (mm when the pixel spacing is known)"),
    "toggle_heatmap": ("H", "Show/hide the heatmap"),
    "model_input": ("Ctrl+M", "Show the exact 224x224 crop the model received"),
    "cancel": ("Esc", "Cancel the running inference"),
    "shortcuts": ("F1", "This list"),
    "quit": ("Ctrl+Q", "Quit"),
}
MOUSE = (
    ("Right-drag", "Window/level (horizontal: width, vertical: centre)"),
    ("Wheel", "Zoom about the cursor"),
    ("Left- or middle-drag", "Pan"),
    ("Double-click", "Fit"),
)


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [(key, text) for key, text in SHORTCUTS.values()] + list(MOUSE)
        table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels(["Key", "Action"])
        for index, (key, text) in enumerate(rows):
            table.setItem(index, 0, QTableWidgetItem(key))
            table.setItem(index, 1, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.verticalHeader().setVisible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(520, 480)
