"""Settings > Model: choose the weights folder and the device; the window reloads the model on OK."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

DEVICES = ("auto", "cpu", "cuda")


class ModelDialog(QDialog):
    """Edits ``weights_path`` and ``device``; an empty path means the normal lookup order."""

    def __init__(self, weights_path: str, device: str, searched: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model settings")
        self.path_edit = QLineEdit(weights_path)
        self.path_edit.setPlaceholderText("default lookup order (see below)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        self.device_combo = QComboBox()
        self.device_combo.addItems(DEVICES)
        self.device_combo.setCurrentText(device if device in DEVICES else "auto")
        help_text = QLabel(
            "A weights folder holds CARZero_best_model.ckpt (or a converted .safetensors) and the BERT folder "
            "(config.json + vocab.txt). See weights/README.md.\n\nSearched when empty:\n" + searched
        )
        help_text.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Weights folder", row)
        form.addRow("Device", self.device_combo)
        form.addRow(help_text)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def weights_path(self) -> str:
        return self.path_edit.text().strip()

    def device(self) -> str:
        return self.device_combo.currentText()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a weights folder", self.path_edit.text())
        if folder:
            self.path_edit.setText(folder)
