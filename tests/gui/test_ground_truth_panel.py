"""The ground-truth panel: per-class toggles, hidden classes remembered, add-prompts payload, metrics text."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import Qt

from carzero_viewer.ui.ground_truth_panel import (
    HIT_TEXT,
    MISS_TEXT,
    NO_BOXES_TEXT,
    NO_MATCH_TEXT,
    SELECT_TEXT,
    UNTRAINED_NOTE,
    GroundTruthPanel,
)
from carzero_viewer.viewer_model.ground_truth import BoxSpec
from carzero_viewer.viewer_model.grounding import GroundingMetrics

pytestmark = pytest.mark.gui

YELLOW, CYAN, GREEN = (255, 214, 0), (0, 229, 255), (118, 255, 3)
EFFUSION_A = BoxSpec(10, 10, 50, 50, "Effusion", YELLOW)
EFFUSION_B = BoxSpec(60, 10, 90, 40, "Effusion", YELLOW)
INFILTRATE = BoxSpec(20, 60, 80, 90, "Infiltrate", CYAN)
MASS = BoxSpec(5, 5, 15, 15, "Mass", GREEN)


def metrics(hit: bool, energy: float = 0.4321) -> GroundingMetrics:
    return GroundingMetrics(
        label="Effusion",
        boxes=2,
        pointing_hit=hit,
        energy_in_box=energy,
        cnr=1.234,
        miou=0.25,
        pixel_auroc=0.8,
    )


@pytest.fixture
def panel(qtbot) -> GroundTruthPanel:
    widget = GroundTruthPanel()
    qtbot.addWidget(widget)
    return widget


def item_for(panel: GroundTruthPanel, label: str):
    for row in range(panel.class_list.count()):
        item = panel.class_list.item(row)
        if item.data(Qt.ItemDataRole.UserRole) == label:
            return item
    raise AssertionError(f"no row for {label}")


def test_classes_are_listed_with_counts_and_all_shown(panel, qtbot) -> None:
    with qtbot.waitSignal(panel.visible_labels_changed) as blocker:
        panel.set_boxes([EFFUSION_A, INFILTRATE, EFFUSION_B], "nih:BBox_List_2017.csv")
    # "Infiltrate" is folded onto its canonical label, which is also what the panel lists
    assert panel.labels() == ["Effusion", "Infiltration"]
    assert blocker.args == [["Effusion", "Infiltration"]]
    assert item_for(panel, "Effusion").text() == "Effusion (2)"
    assert item_for(panel, "Infiltration").checkState() == Qt.CheckState.Checked
    assert panel.visible_boxes() == [EFFUSION_A, INFILTRATE, EFFUSION_B]
    assert panel.summary_label.text() == "3 boxes in 2 classes"
    assert panel.sources_label.text() == "nih:BBox_List_2017.csv"


def test_unticking_a_class_hides_its_boxes_and_ticking_shows_them(panel, qtbot) -> None:
    panel.set_boxes([EFFUSION_A, INFILTRATE, EFFUSION_B])
    with qtbot.waitSignal(panel.visible_labels_changed) as blocker:
        item_for(panel, "Effusion").setCheckState(Qt.CheckState.Unchecked)
    assert blocker.args == [["Infiltration"]]
    assert panel.visible_boxes() == [INFILTRATE]
    assert panel.boxes() == [EFFUSION_A, INFILTRATE, EFFUSION_B]  # the ground truth is unchanged
    with qtbot.waitSignal(panel.visible_labels_changed) as blocker:
        item_for(panel, "Effusion").setCheckState(Qt.CheckState.Checked)
    assert blocker.args == [["Effusion", "Infiltration"]]
    assert panel.visible_boxes() == [EFFUSION_A, INFILTRATE, EFFUSION_B]


def test_a_hidden_class_stays_hidden_on_the_next_image(panel) -> None:
    panel.set_boxes([EFFUSION_A, INFILTRATE])
    item_for(panel, "Effusion").setCheckState(Qt.CheckState.Unchecked)
    panel.set_boxes([MASS])  # an image without effusion
    assert panel.visible_boxes() == [MASS]
    panel.set_boxes([EFFUSION_B, MASS])
    assert item_for(panel, "Effusion").checkState() == Qt.CheckState.Unchecked
    assert panel.visible_boxes() == [MASS]
    assert panel.visible_labels() == ["Mass"]


def test_no_boxes(panel) -> None:
    panel.set_boxes([])
    assert panel.labels() == []
    assert panel.summary_label.text() == NO_BOXES_TEXT
    assert not panel.add_button.isEnabled()


def test_add_prompts_sends_one_prompt_per_label_with_the_template(panel, qtbot) -> None:
    panel.set_boxes([EFFUSION_A, INFILTRATE, EFFUSION_B])
    with qtbot.waitSignal(panel.add_prompts_requested) as blocker:
        qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [["There is pleural effusion.", "There is infiltration."]]

    panel.set_template("Findings suggest {}.")
    panel.set_template("no placeholder {x}")  # invalid: ignored
    with qtbot.waitSignal(panel.add_prompts_requested) as blocker:
        panel.add_button.click()
    assert blocker.args == [["Findings suggest pleural effusion.", "Findings suggest infiltration."]]


def test_metrics_hit_and_miss_are_shown_in_words_and_colour(panel) -> None:
    panel.set_boxes([EFFUSION_A, EFFUSION_B])
    assert panel.match_label.text() == SELECT_TEXT
    panel.set_metrics(metrics(hit=True), "prompt map: There is pleural effusion.")
    values = panel.value_labels
    assert values["pointing"].text() == HIT_TEXT
    assert "#2e7d32" in values["pointing"].styleSheet()
    assert values["energy"].text() == "43.2%"
    assert values["cnr"].text() == "1.23"
    assert values["miou"].text() == "0.250"
    assert values["auroc"].text() == "0.800"
    assert "Effusion" in panel.match_label.text()
    assert "2 boxes" in panel.match_label.text()
    assert panel.caption_label.text() == "Map: prompt map: There is pleural effusion."
    assert all(label.toolTip() for label in values.values())
    assert panel.sample_label.isHidden()

    panel.set_metrics(metrics(hit=False, energy=math.nan))
    assert values["pointing"].text() == MISS_TEXT
    assert "#c62828" in values["pointing"].styleSheet()
    assert values["energy"].text() == "n/a"

    panel.set_metrics(GroundingMetrics("Effusion", 1, True, 0.5, 1.0, 0.2, 0.7, stride=4))
    assert not panel.sample_label.isHidden()
    assert "1 in 4 rows" in panel.sample_label.text()


def test_no_matching_label_and_new_image_reset(panel) -> None:
    panel.set_boxes([MASS])
    panel.set_metrics(None, "prompt map: There is pleural effusion.")
    assert panel.match_label.text() == NO_MATCH_TEXT
    assert panel.value_labels["pointing"].text() == "—"
    panel.set_boxes([EFFUSION_A])
    assert panel.match_label.text() == SELECT_TEXT
    assert panel.metrics() is None


def test_untrained_note(panel) -> None:
    panel.set_boxes([EFFUSION_A])
    assert panel.untrained_label.isHidden()
    panel.set_untrained(True)
    panel.set_metrics(metrics(hit=True), "word 'effusion' of \"There is pleural effusion.\"")
    assert not panel.untrained_label.isHidden()
    assert panel.untrained_label.text() == UNTRAINED_NOTE
    panel.set_untrained(False)
    assert panel.untrained_label.isHidden()


def test_image_level_labels_are_shown_and_offered_as_prompts(qtbot) -> None:
    panel = GroundTruthPanel()
    qtbot.addWidget(panel)
    panel.show()
    assert not panel.image_labels_label.isVisible()
    panel.set_image_labels(["Effusion", "Nodule"], "Data_Entry_2017.csv")
    assert panel.image_labels() == ["Effusion", "Nodule"]
    assert panel.image_labels_label.isVisible()
    assert "Effusion, Nodule" in panel.image_labels_label.text()
    assert panel.add_button.isEnabled()
    with qtbot.waitSignal(panel.add_prompts_requested) as blocker:
        panel.add_button.click()
    assert "There is pleural effusion." in blocker.args[0]
    panel.set_image_labels([], "Data_Entry_2017.csv")  # listed in the file with No Finding
    assert "No Finding" in panel.image_labels_label.text()
    assert not panel.add_button.isEnabled()
