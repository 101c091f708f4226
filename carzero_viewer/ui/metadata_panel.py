"""Read-only facts about the open image: PHI-free metadata, file name, frame, spacing, model input rule and the
display/model pipeline.

The record's ``metadata`` is already a PHI-free subset, but the panel does not rely on that alone: it shows
only keys listed in :data:`~carzero_viewer.imaging.record.METADATA_KEYS`, so a key that slipped into a record
(or a future reader that adds one) never reaches the screen. The file is shown by name only, never its
folder, which often carries patient or accession identifiers.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QFont, QPainter, QPalette, QTextLayout, QTextOption
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QLabel,
    QListWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from carzero_viewer.imaging.record import METADATA_KEYS, ImageRecord

LABELS: dict[str, str] = {
    "format": "Format",
    "modality": "Modality",
    "view_position": "View position",
    "patient_orientation": "Orientation",
    "body_part": "Body part",
    "series_description": "Series",
    "study_date": "Study date",
    "manufacturer": "Manufacturer",
    "transfer_syntax": "Transfer syntax",
    "bits_stored": "Bits stored",
    "photometric_interpretation": "Photometric interpretation",
    "size": "Size",
    "frames": "Frames",
}
FILE_LABEL = "File"
FRAME_LABEL = "Frame"
SPACING_LABEL = "Pixel spacing"
MODEL_INPUT_LABEL = "Model input"
# The field-name column takes at most this share of the table width (its names wrap at spaces); the rest goes
# to the values, so "2004-01-23" or "MONOCHROME2" fit on one line in a 250 px dock.
FIELD_COLUMN_SHARE = 0.4


def _label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " ").capitalize())


def record_rows(record: ImageRecord) -> list[tuple[str, str]]:
    """The (field, value) rows shown for ``record``: allowed metadata keys in their order, then derived facts."""
    rows = [
        (_label(key), str(record.metadata[key]) or "—") for key in METADATA_KEYS if key in record.metadata
    ]
    rows.append((FILE_LABEL, record.path.name))
    rows.append((FRAME_LABEL, f"{record.frame + 1} / {record.frame_count}"))
    if record.spacing_mm is None:
        spacing = "unknown (measurements in pixels)"
    else:
        row_mm, col_mm = record.spacing_mm
        spacing = f"{row_mm:.4g} x {col_mm:.4g} mm (row x column)"
        if record.spacing_source:
            spacing += f", from {record.spacing_source}"
    rows.append((SPACING_LABEL, spacing))
    rows.append((MODEL_INPUT_LABEL, record.model_input_rule))
    return rows


def wrapped_height(text: str, font: QFont, width: float) -> float:
    """Height in pixels of ``text`` wrapped like :class:`WrapAnywhereDelegate` draws it in ``width`` pixels."""
    layout = QTextLayout(text, font)
    layout.setTextOption(_wrap_option())
    layout.beginLayout()
    height = 0.0
    while (line := layout.createLine()).isValid():
        line.setLineWidth(max(1.0, width))
        height += line.height()
    layout.endLayout()
    return height


def _wrap_option() -> QTextOption:
    option = QTextOption(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    return option


def _style(option: QStyleOptionViewItem) -> QStyle:
    widget: QWidget | None = option.widget  # None when a view paints without a widget (the stubs omit it)
    return widget.style() if widget is not None else QApplication.style()


class WrapAnywhereDelegate(QStyledItemDelegate):
    """Wraps at spaces, and inside a word only when it is wider than the column (UIDs, dates, MONOCHROME2).

    Qt's own item wrapping breaks at spaces only and elides a longer word ("MONO…"); values here must stay
    readable at a dock's width, so nothing is ever elided.
    """

    def _text_rect(self, option: QStyleOptionViewItem) -> QRectF:
        margin = _style(option).pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, option.widget) + 1
        return QRectF(option.rect).adjusted(margin, 0, -margin, 0)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text, opt.text = opt.text, ""
        _style(opt).drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        painter.save()
        painter.setFont(opt.font)
        painter.setPen(opt.palette.color(QPalette.ColorRole.Text))
        painter.drawText(self._text_rect(opt), text, _wrap_option())
        painter.restore()

    def sizeHint(  # noqa: N802 (Qt API name)
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        height = wrapped_height(opt.text, opt.font, self._text_rect(opt).width())
        return QSize(hint.width(), max(hint.height(), math.ceil(height) + 4))


class MetadataPanel(QWidget):
    """Two-column table of the record's facts plus a collapsible pipeline list."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("metadataPanel")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Field", "Value"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(True)
        self.table.setItemDelegate(WrapAnywhereDelegate(self.table))
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        # Long values (transfer syntax, model input rule) and field names wrap instead of being elided: the
        # field column is capped at FIELD_COLUMN_SHARE of the width (the user can drag it) and row heights
        # follow the columns once the resize has settled (a zero-delay timer after each resize).
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit_rows)
        self.table.viewport().installEventFilter(self)
        self.table.setAlternatingRowColors(True)
        self.empty_label = QLabel("<i>No image open</i>")

        self.pipeline_button = QToolButton()
        self.pipeline_button.setText("Pipeline")
        self.pipeline_button.setCheckable(True)
        self.pipeline_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.pipeline_button.setArrowType(Qt.ArrowType.RightArrow)
        self.pipeline_button.setAutoRaise(True)
        self.pipeline_button.setToolTip("Steps applied to get the display and the model input, in order")
        self.pipeline_list = QListWidget()
        self.pipeline_list.setWordWrap(True)
        self.pipeline_list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.pipeline_list.hide()
        self.pipeline_button.toggled.connect(self.set_pipeline_expanded)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(QLabel("<b>Image</b>"))
        layout.addWidget(self.empty_label)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.pipeline_button)
        layout.addWidget(self.pipeline_list, 1)
        self.set_record(None)

    def set_record(self, record: ImageRecord | None) -> None:
        """Show ``record`` (None clears the panel)."""
        rows = record_rows(record) if record is not None else []
        self.table.setRowCount(len(rows))
        for row, (field, value) in enumerate(rows):
            name = QTableWidgetItem(field)
            cell = QTableWidgetItem(value)
            cell.setToolTip(value)
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, cell)
        self._fit_timer.start()
        self.pipeline_list.clear()
        if record is not None:
            self.pipeline_list.addItems([f"{i}. {step}" for i, step in enumerate(record.pipeline, start=1)])
        self.empty_label.setVisible(record is None)
        self.table.setVisible(record is not None)
        self.pipeline_button.setEnabled(record is not None and bool(record.pipeline))
        self.pipeline_button.setText(f"Pipeline ({len(record.pipeline)} steps)" if record else "Pipeline")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API name)
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_timer.start()
        return super().eventFilter(watched, event)

    def _fit_rows(self, *_args: object) -> None:
        cap = int(self.table.viewport().width() * FIELD_COLUMN_SHARE)
        self.table.setColumnWidth(0, max(1, min(self.table.sizeHintForColumn(0), cap)))
        self.table.resizeRowsToContents()

    def rows(self) -> list[tuple[str, str]]:
        """The (field, value) pairs currently shown."""
        out = []
        for row in range(self.table.rowCount()):
            field, value = self.table.item(row, 0), self.table.item(row, 1)
            out.append((field.text() if field else "", value.text() if value else ""))
        return out

    def pipeline_steps(self) -> list[str]:
        return [self.pipeline_list.item(i).text() for i in range(self.pipeline_list.count())]

    def set_pipeline_expanded(self, expanded: bool) -> None:
        """Show or hide the pipeline list."""
        if self.pipeline_button.isChecked() != expanded:
            self.pipeline_button.setChecked(expanded)  # re-enters through toggled
            return
        self.pipeline_button.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.pipeline_list.setVisible(expanded)

    def pipeline_expanded(self) -> bool:
        return self.pipeline_button.isChecked()
