"""The metadata panel shows only the PHI-free keys, the file name without its folder, frame, spacing, rule."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtWidgets import QAbstractItemView, QStyle

from carzero_viewer.imaging import load_image
from carzero_viewer.imaging.record import METADATA_KEYS
from carzero_viewer.ui.metadata_panel import LABELS, MetadataPanel, WrapAnywhereDelegate, wrapped_height

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def record(test_data_dir):
    return load_image(test_data_dir / "dicom" / "966_fixed.dcm")


@pytest.fixture
def panel(qtbot) -> MetadataPanel:
    widget = MetadataPanel()
    qtbot.addWidget(widget)
    return widget


def test_rows_show_metadata_and_derived_facts(panel, record) -> None:
    panel.set_record(record)
    rows = dict(panel.rows())
    for key, value in record.metadata.items():
        assert rows[LABELS[key]] == (value or "—")
    assert rows["File"] == "966_fixed.dcm"
    assert rows["Frame"] == f"1 / {record.frame_count}"
    assert rows["Model input"] == record.model_input_rule
    assert "mm" in rows["Pixel spacing"] and record.spacing_source in rows["Pixel spacing"]
    assert panel.pipeline_steps() == [f"{i}. {s}" for i, s in enumerate(record.pipeline, start=1)]
    assert panel.table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers


def test_keys_outside_the_phi_free_set_are_never_shown(panel, record) -> None:
    leaky = dataclasses.replace(
        record,
        metadata={**record.metadata, "patient_name": "DOE^JANE", "PatientID": "123456", "accession": "A99"},
        path=record.path.parent / "DOE_JANE_123456" / record.path.name,
    )
    panel.set_record(leaky)
    shown = " | ".join(f"{field}={value}" for field, value in panel.rows())
    for secret in ("DOE", "JANE", "123456", "A99", "Patient", "patient", "accession"):
        assert secret not in shown
    allowed = {LABELS[key] for key in METADATA_KEYS} | {"File", "Frame", "Pixel spacing", "Model input"}
    assert {field for field, _ in panel.rows()} <= allowed


def test_unknown_spacing_and_clearing(panel, record) -> None:
    panel.set_record(dataclasses.replace(record, spacing_mm=None, spacing_source="", frame=2, frame_count=5))
    rows = dict(panel.rows())
    assert rows["Pixel spacing"].startswith("unknown")
    assert rows["Frame"] == "3 / 5"
    panel.set_record(None)
    assert panel.rows() == []
    assert panel.pipeline_steps() == []
    assert not panel.empty_label.isHidden()


def test_pipeline_section_collapses(panel, record) -> None:
    panel.set_record(record)
    assert not panel.pipeline_expanded()
    assert panel.pipeline_list.isHidden()
    panel.pipeline_button.click()
    assert panel.pipeline_expanded()
    assert not panel.pipeline_list.isHidden()
    panel.set_pipeline_expanded(False)
    assert panel.pipeline_list.isHidden()


def test_values_are_not_elided_at_the_default_dock_width(panel, record, qtbot) -> None:
    """Short values fit on one line at the dock's default width; long ones wrap into a row tall enough."""
    panel.resize(250, 700)  # main_chrome's default left-dock width
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_record(record)
    qtbot.wait(10)  # the zero-delay fit after the resize
    table = panel.table
    padding = 2 * (table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1)
    metrics = table.fontMetrics()
    rows = dict(panel.rows())
    for short in (rows["Photometric interpretation"], rows["Modality"], rows["Size"], rows["File"]):
        assert metrics.horizontalAdvance(short) + padding <= table.columnWidth(1), short
    assert isinstance(table.itemDelegate(), WrapAnywhereDelegate)  # never elides a word wider than the column
    for row in range(table.rowCount()):
        value = table.item(row, 1).text()
        needed = wrapped_height(value, table.font(), table.columnWidth(1) - padding)
        assert table.rowHeight(row) >= needed, value
    assert table.columnWidth(0) + table.columnWidth(1) <= table.viewport().width()
