"""The ground-truth panel: the image's box classes (toggle per class), one-click prompts for them, and the
grounding metrics of the shown map against the boxes of its label.

Classes are grouped by canonical label (:meth:`LabelMap.canonical`, so ``Infiltrate`` and ``Infiltration`` are
one class, as they share one colour on the canvas). A class the user hides stays hidden for the session: when
another image has boxes of that class, they start hidden too. The panel only reports; the main window redraws
the canvas with :meth:`GroundTruthPanel.visible_boxes` and computes the metrics with
:func:`~carzero_viewer.viewer_model.grounding.compute_grounding` on *all* boxes (hiding a class on screen does
not change the ground truth).

The metrics are computed on the map as shown (original pixels, NaN excluded) and are only as meaningful as the
model: with the untrained demo weights the panel says so next to the numbers.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from carzero_viewer.annotations.display import source_legend
from carzero_viewer.annotations.labels import DEFAULT_TEMPLATE, LabelMap
from carzero_viewer.viewer_model.ground_truth import BoxSpec
from carzero_viewer.viewer_model.grounding import GroundingMetrics

KEY_ROLE = Qt.ItemDataRole.UserRole
NO_BOXES_TEXT = "No ground-truth boxes for this image."
NO_MATCH_TEXT = "No box of a matching label on this image."
SELECT_TEXT = "Select a scored prompt to compare its map with the boxes."
UNTRAINED_NOTE = "untrained model: meaningless"
ADD_PROMPTS_TEXT = "Add prompts for these labels"
HIT_TEXT, MISS_TEXT = "HIT", "MISS"
HIT_COLOR, MISS_COLOR = "#2e7d32", "#c62828"
NOT_AVAILABLE = "n/a"
MAX_VISIBLE_ROWS = 8  # the class list grows to this many rows, then scrolls

# (key, row title, one-line definition shown as tooltip): the published definitions that
# carzero_viewer.metrics.score_grounding implements (union of the label's boxes; CNR per box).
METRIC_ROWS = (
    (
        "pointing",
        "Pointing game",
        "HIT when the map's maximum (the marked point) lies inside a box of the label.",
    ),
    (
        "energy",
        "Energy in box",
        "Share of the map's total (non-negative) value inside the union of the label's boxes.",
    ),
    (
        "cnr",
        "CNR",
        "Contrast-to-noise ratio |mean inside - mean outside| / sqrt(var inside + var outside) of each box of "
        "the label, averaged over its boxes.",
    ),
    (
        "miou",
        "mIoU",
        "Mean IoU of the min-max normalised map thresholded at 0.1, 0.2 ... 0.5 with the union of the label's "
        "boxes.",
    ),
    (
        "auroc",
        "Pixel AUROC",
        "ROC-AUC of map values separating pixels inside the union of the label's boxes from the rest "
        "(0.5 = chance).",
    ),
)


def _swatch(color: tuple[int, int, int], size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(*color))
    painter = QPainter(pixmap)
    painter.setPen(QColor(60, 60, 60))
    painter.drawRect(0, 0, size - 1, size - 1)
    painter.end()
    return QIcon(pixmap)


def _number(value: float, digits: int = 3) -> str:
    return NOT_AVAILABLE if math.isnan(value) else f"{value:.{digits}f}"


class GroundTruthPanel(QWidget):
    """Box classes of the current image with show/hide checkboxes, an add-prompts button and the metrics."""

    visible_labels_changed = Signal(list)  # canonical labels currently shown
    add_prompts_requested = Signal(list)  # prompt texts, one per label of the image

    def __init__(self, label_map: LabelMap | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._labels = label_map if label_map is not None else LabelMap.load(None)
        self._template = DEFAULT_TEMPLATE
        self._boxes: list[BoxSpec] = []
        self._hidden: set[str] = set()  # canonical labels hidden by the user, for the session
        self._untrained = False
        self._updating = False
        self._metrics: GroundingMetrics | None = None
        self._metrics_shown = False  # False: no map selected yet (placeholder text)
        self._map_caption = ""

        self.summary_label = QLabel(NO_BOXES_TEXT)
        self.summary_label.setWordWrap(True)
        self._image_labels: list[str] = []
        self.image_labels_label = QLabel()  # image-level labels (NIH Data_Entry), hidden when there are none
        self.image_labels_label.setObjectName("imageLabels")
        self.image_labels_label.setWordWrap(True)
        self.image_labels_label.setVisible(False)
        self.class_list = QListWidget()
        self.class_list.setToolTip("Tick a class to show its boxes on the image.")
        self.sources_label = QLabel()
        self.sources_label.setWordWrap(True)
        self.sources_label.setStyleSheet("QLabel { color: gray; }")
        self.add_button = QPushButton(ADD_PROMPTS_TEXT)
        self.add_button.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.image_labels_label)
        layout.addWidget(self.class_list)
        layout.addWidget(self.sources_label)
        layout.addWidget(self.add_button)
        layout.addWidget(self._build_metrics_box())
        layout.addStretch(1)

        self.class_list.itemChanged.connect(self._on_item_changed)
        self.add_button.clicked.connect(self._request_prompts)
        self._render_metrics()

    def _build_metrics_box(self) -> QGroupBox:
        self.caption_label = QLabel()
        self.caption_label.setWordWrap(True)
        self.untrained_label = QLabel(UNTRAINED_NOTE)
        self.untrained_label.setWordWrap(True)  # wraps rather than widening the panel's minimum
        self.untrained_label.setStyleSheet("QLabel { color: #c62828; font-weight: bold; }")
        self.untrained_label.setVisible(False)
        self.match_label = QLabel()
        self.match_label.setWordWrap(True)
        self.match_label.setTextFormat(Qt.TextFormat.RichText)
        self.value_labels: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, title, tooltip in METRIC_ROWS:
            name = QLabel(title)
            value = QLabel(NOT_AVAILABLE)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            for widget in (name, value):
                widget.setToolTip(tooltip)
            form.addRow(name, value)
            self.value_labels[key] = value
        metrics_box = QGroupBox("Grounding of the shown map")
        metrics_layout = QVBoxLayout(metrics_box)
        metrics_layout.addWidget(self.caption_label)
        metrics_layout.addWidget(self.untrained_label)
        metrics_layout.addWidget(self.match_label)
        metrics_layout.addLayout(form)
        self.sample_label = QLabel()
        self.sample_label.setWordWrap(True)
        self.sample_label.setStyleSheet("QLabel { color: gray; }")
        self.sample_label.setVisible(False)
        metrics_layout.addWidget(self.sample_label)
        return metrics_box

    # --- boxes and classes -------------------------------------------------------------------------------
    def set_boxes(self, boxes: Sequence[BoxSpec], sources: str = "") -> None:
        """Show the classes of a new image (or new annotations); resets the metrics to "select a prompt".

        Below the classes a legend names each box source with its line style, then ``sources`` (a note
        such as the rescaling of the boxes).

        Emits :attr:`visible_labels_changed` so a connected slot can redraw the canvas in one place.
        """
        self._boxes = list(boxes)
        counts: dict[str, int] = {}
        colors: dict[str, tuple[int, int, int]] = {}
        spellings: dict[str, set[str]] = {}
        for box in self._boxes:
            key = self._labels.canonical(box.label)
            counts[key] = counts.get(key, 0) + 1
            colors.setdefault(key, box.color)
            spellings.setdefault(key, set()).add(box.label)
        self._updating = True
        try:
            self.class_list.clear()
            for key in sorted(counts, key=str.casefold):
                item = QListWidgetItem(_swatch(colors[key]), f"{key} ({counts[key]})")
                item.setData(KEY_ROLE, key)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                hidden = key in self._hidden
                item.setCheckState(Qt.CheckState.Unchecked if hidden else Qt.CheckState.Checked)
                others = sorted(spellings[key] - {key})
                spelled = f"; spelled {', '.join(others)} in the file" if others else ""
                item.setToolTip(f"{counts[key]} box(es) of {key}{spelled} -> prompt: {self._prompt(key)}")
                self.class_list.addItem(item)
        finally:
            self._updating = False
        rows = max(1, min(self.class_list.count(), MAX_VISIBLE_ROWS))
        row_height = self.class_list.sizeHintForRow(0) if self.class_list.count() else 18
        self.class_list.setFixedHeight(rows * row_height + 2 * self.class_list.frameWidth() + 4)
        n_boxes, n_classes = len(self._boxes), len(counts)
        self.summary_label.setText(
            f"{n_boxes} box{'es' if n_boxes != 1 else ''} in {n_classes} class{'es' if n_classes != 1 else ''}"
            if n_boxes
            else NO_BOXES_TEXT
        )
        legend = source_legend((box.source, box.line_style) for box in self._boxes)
        text = "\n".join(part for part in (legend, sources) if part)
        self.sources_label.setText(text)
        self.sources_label.setVisible(bool(text))
        self._refresh_add_button()
        self.clear_metrics()
        self.visible_labels_changed.emit(self.visible_labels())

    def set_image_labels(self, labels: Sequence[str], source: str = "") -> None:
        """Show the image-level labels of the image (``source``: the file(s) that gave them)."""
        self._image_labels = list(labels)
        shown = ", ".join(self._image_labels) or "No Finding"
        self.image_labels_label.setText(f"Image labels: {shown}")
        self.image_labels_label.setToolTip(f"Image-level labels from {source}" if source else "")
        self.image_labels_label.setVisible(bool(source))
        self._refresh_add_button()

    def image_labels(self) -> list[str]:
        """The image-level labels of the image as the file spells them (no boxes attached)."""
        return list(self._image_labels)

    def boxes(self) -> list[BoxSpec]:
        """All boxes of the image, shown or not (the ground truth for the metrics)."""
        return list(self._boxes)

    def labels(self) -> list[str]:
        """The image's classes (canonical labels) in list order."""
        return [self._key(self.class_list.item(row)) for row in range(self.class_list.count())]

    def visible_labels(self) -> list[str]:
        return [label for label in self.labels() if label not in self._hidden]

    def visible_boxes(self) -> list[BoxSpec]:
        """The boxes of the classes currently ticked, in input order."""
        return [box for box in self._boxes if self._labels.canonical(box.label) not in self._hidden]

    @staticmethod
    def _key(item: QListWidgetItem) -> str:
        return str(item.data(KEY_ROLE))

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if self._updating:
            return
        key = self._key(item)
        if item.checkState() == Qt.CheckState.Checked:
            self._hidden.discard(key)
        else:
            self._hidden.add(key)
        self.visible_labels_changed.emit(self.visible_labels())

    # --- prompts -------------------------------------------------------------------------------------------
    def set_template(self, template: str) -> None:
        """The prompt template (``"There is {}."``); a template that does not format is ignored."""
        try:
            template.format("finding")
        except (IndexError, KeyError, ValueError):
            return
        self._template = template
        self._refresh_add_button()

    def template(self) -> str:
        return self._template

    def prompts(self) -> list[str]:
        """One prompt per class or image-level label, e.g. ``Effusion`` -> ``"There is pleural effusion."``."""
        return list(dict.fromkeys(self._prompt(label) for label in [*self.labels(), *self._image_labels]))

    def _refresh_add_button(self) -> None:
        prompts = self.prompts()
        self.add_button.setEnabled(bool(prompts))
        self.add_button.setToolTip("\n".join(prompts) or "No labels on this image.")

    def _prompt(self, label: str) -> str:
        return self._labels.prompt_for(label, self._template)

    def _request_prompts(self) -> None:
        prompts = self.prompts()
        if prompts:
            self.add_prompts_requested.emit(prompts)

    # --- metrics -------------------------------------------------------------------------------------------
    def set_untrained(self, untrained: bool) -> None:
        self._untrained = untrained
        self._render_metrics()

    def clear_metrics(self) -> None:
        """No map selected: placeholder text, no numbers."""
        self._metrics, self._metrics_shown, self._map_caption = None, False, ""
        self._render_metrics()

    def set_metrics(self, metrics: GroundingMetrics | None, map_caption: str = "") -> None:
        """Show the metrics of the selected map; None means no box of the prompt's label is on the image.

        ``map_caption`` says which map they belong to (``MapView.caption``: prompt map or word map).
        """
        self._metrics, self._metrics_shown, self._map_caption = metrics, True, map_caption
        self._render_metrics()

    def metrics(self) -> GroundingMetrics | None:
        return self._metrics

    def _render_metrics(self) -> None:
        self.caption_label.setText(f"Map: {self._map_caption}" if self._map_caption else "")
        self.caption_label.setVisible(bool(self._map_caption))
        self.untrained_label.setVisible(self._untrained)
        metrics = self._metrics
        if not self._boxes:
            self.match_label.setText(NO_BOXES_TEXT)
        elif not self._metrics_shown:
            self.match_label.setText(SELECT_TEXT)
        elif metrics is None:
            self.match_label.setText(NO_MATCH_TEXT)
        else:
            plural = "es" if metrics.boxes != 1 else ""
            self.match_label.setText(
                f"Label: <b>{html.escape(metrics.label)}</b> ({metrics.boxes} box{plural})"
            )
        pointing = self.value_labels["pointing"]
        stride = metrics.stride if metrics is not None else 1
        self.sample_label.setText(f"mIoU and AUROC sampled on 1 in {stride} rows and columns (large image)")
        self.sample_label.setVisible(stride > 1)
        if metrics is None:
            for label in self.value_labels.values():
                label.setText("—")
            pointing.setStyleSheet("")
            return
        color = HIT_COLOR if metrics.pointing_hit else MISS_COLOR
        pointing.setText(HIT_TEXT if metrics.pointing_hit else MISS_TEXT)
        pointing.setStyleSheet(f"QLabel {{ color: {color}; font-weight: bold; }}")
        energy = metrics.energy_in_box
        self.value_labels["energy"].setText(NOT_AVAILABLE if math.isnan(energy) else f"{energy:.1%}")
        self.value_labels["cnr"].setText(_number(metrics.cnr, 2))
        self.value_labels["miou"].setText(_number(metrics.miou))
        self.value_labels["auroc"].setText(_number(metrics.pixel_auroc))
