"""Notifications: repeats merge with a count, at most three bars, informational ones go first and by
themselves, errors stay, and a topic clears the notices a change of state made false."""

from __future__ import annotations

import pytest

from carzero_viewer.ui import notifications
from carzero_viewer.ui.notifications import MAX_SHOWN, NotificationArea

pytestmark = pytest.mark.gui


@pytest.fixture
def area(qtbot, monkeypatch: pytest.MonkeyPatch) -> NotificationArea:
    monkeypatch.setattr(notifications, "INFO_TIMEOUT_MS", 50)
    widget = NotificationArea()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_a_repeated_message_refreshes_one_bar_with_a_count(area: NotificationArea) -> None:
    area.notify("a.png: truncated file")
    area.notify("b.png: truncated file")
    item = area.notify("a.png: truncated file")
    assert area.messages() == ["a.png: truncated file", "b.png: truncated file"]  # moved to the top
    assert item.count == 2 and item.count_label.text() == "\u00d72" and not item.count_label.isHidden()


def test_the_number_shown_is_bounded_and_informational_notices_go_first(area: NotificationArea) -> None:
    area.notify("error 1")
    area.notify("note 1", "info")
    area.notify("error 2")
    area.notify("error 3")
    assert area.messages() == ["error 3", "error 2", "error 1"]  # the note went, the errors stay
    for i in range(4, 9):
        area.notify(f"error {i}")
    assert len(area.messages()) == MAX_SHOWN == 3
    assert area.messages()[0] == "error 8"


def test_informational_notices_dismiss_themselves_errors_do_not(area: NotificationArea, qtbot) -> None:
    area.notify("boxes rescaled", "info")
    area.notify("broken.png: cannot decode")
    qtbot.waitUntil(lambda: area.messages() == ["broken.png: cannot decode"], timeout=2000)
    qtbot.wait(150)
    assert area.messages() == ["broken.png: cannot decode"]


def test_clearing_a_topic_removes_only_its_notices(area: NotificationArea) -> None:
    area.notify("no model loaded yet", topic="model")
    area.notify("x.dcm: not a DICOM file")
    area.clear_topic("model")
    assert area.messages() == ["x.dcm: not a DICOM file"]
