"""Settings > Model: choose the weights folder, the device and the fast preview; the window reloads the model
on OK."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
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
        self.fast_checkbox = QCheckBox("Fast preview: show an approximate result first, then the exact one")
        self.fast_note = QLabel()
        self.fast_note.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Weights folder", row)
        form.addRow("Device", self.device_combo)
        form.addRow(self.fast_checkbox)
        form.addRow(self.fast_note)
        form.addRow(help_text)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def set_fast_preview(self, enabled: bool, fast_precision: str) -> None:
        """Show the setting and whether the loaded model's device has a fast precision ("" when not)."""
        self.fast_checkbox.setChecked(enabled)
        if fast_precision:
            self.fast_note.setText(
                f'Scores and maps appear first in {fast_precision} (labelled "approximate"), then the exact '
                "fp32 result replaces them. Exports and saved results are always exact fp32."
            )
        else:
            self.fast_note.setText(
                "Not available with this device: the fast preview needs a CPU with AVX512-BF16 or AMX (elsewhere "
                "bf16 is emulated, slower than fp32), or a GPU. Results are exact fp32."
            )

    def fast_preview(self) -> bool:
        return self.fast_checkbox.isChecked()

    def weights_path(self) -> str:
        return self.path_edit.text().strip()

    def device(self) -> str:
        return self.device_combo.currentText()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a weights folder", self.path_edit.text())
        if folder:
            self.path_edit.setText(folder)
