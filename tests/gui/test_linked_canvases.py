"""Linked canvases: zoom/pan follow in fractions of each image (so images of different sizes show the same
part), window/level and inversion follow only while linked, and no echo loops back to the source."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRectF

from carzero_viewer.imaging import load_image
from carzero_viewer.ui.canvas import ImageCanvas
from carzero_viewer.ui.linked_canvases import LinkedCanvases, absolute_rect, relative_rect

pytestmark = [pytest.mark.gui]
# View rectangles are floats computed by pyqtgraph from the widget size: 0.1 % of the image is sub-pixel.
REL = 1e-3


@pytest.fixture
def pair(qtbot, test_data_dir: Path) -> tuple[LinkedCanvases, ImageCanvas, ImageCanvas]:
    small = load_image(test_data_dir / "cxr" / "00000001_000.png")  # 512 x 512
    large = load_image(test_data_dir / "cxr" / "00001369_000.png")  # 1024 x 1024
    canvases = []
    for record in (small, large):
        canvas = ImageCanvas()
        qtbot.addWidget(canvas)
        canvas.resize(400, 400)
        canvas.show()
        qtbot.waitExposed(canvas)
        canvas.set_record(record)
        canvases.append(canvas)
    link = LinkedCanvases()
    for canvas in canvases:
        link.add(canvas)
    return link, canvases[0], canvases[1]


def fractions(canvas: ImageCanvas) -> tuple[float, float, float, float]:
    image = canvas.content_rect()
    assert image is not None
    return relative_rect(QRectF(canvas.view.viewRect()), image)


def test_fractions_round_trip() -> None:
    image = QRectF(10.0, -5.0, 200.0, 100.0)
    rect = QRectF(60.0, 20.0, 50.0, 25.0)
    assert relative_rect(rect, image) == pytest.approx((0.25, 0.25, 0.25, 0.25))
    assert absolute_rect(relative_rect(rect, image), image) == rect


def test_zoom_and_pan_follow_in_fractions_of_each_image(pair) -> None:
    _link, small, large = pair
    small.view.scaleBy((0.5, 0.5))  # zoom in 2x about the centre, then pan
    small.view.translateBy((40.0, -30.0))
    source, follower = fractions(small), fractions(large)
    assert follower == pytest.approx(source, rel=REL, abs=REL)
    # In pixels the large image's view is twice the small one's: the same part of the chest is shown.
    assert large.view.viewRect().width() == pytest.approx(2 * small.view.viewRect().width(), rel=REL)
    large.view.scaleBy((2.0, 2.0))  # and the other way round
    assert fractions(small) == pytest.approx(fractions(large), rel=REL, abs=REL)


def test_levels_follow_only_while_linked(pair) -> None:
    link, small, large = pair
    small.set_window(120.0, 60.0)
    assert large.window() == (120.0, 60.0)
    large.set_inverted(True)
    assert small.inverted()
    link.set_link_levels(False)
    small.set_window(10.0, 20.0)
    assert large.window() == (120.0, 60.0)
    small.view.scaleBy((0.5, 0.5))  # the view stays linked
    assert fractions(large) == pytest.approx(fractions(small), rel=REL, abs=REL)


def test_paused_links_nothing(pair) -> None:
    link, small, large = pair
    before = QRectF(large.view.viewRect())
    with link.paused():
        small.view.scaleBy((0.5, 0.5))
        small.set_window(50.0, 10.0)
    assert QRectF(large.view.viewRect()) == before
    assert large.window() != (50.0, 10.0)
