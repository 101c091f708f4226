"""The contact sheet and the legend text: boxes at their coordinates, whole captions, every glyph drawn."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from carzero_viewer.export.contact_sheet import (
    CAPTION_LINE_HEIGHT,
    CAPTION_LINES,
    CAPTION_PAD,
    CAPTION_SIZE,
    TILE,
    caption_lines,
    contact_sheet,
)
from carzero_viewer.export.render import (
    ELLIPSIS,
    UNTRAINED_TEXT,
    BoxSpec,
    LegendInfo,
    RenderRequest,
    describe_figure,
    font,
    png_text,
    render,
    render_image,
    with_legend,
)

GREEN = (0, 255, 0)
NO_GLYPH = "\ue000"  # a private-use code point no font maps: drawn as the font's missing-glyph box


def _drawn(text: str) -> bytes:
    image = Image.new("L", (60, 40))
    ImageDraw.Draw(image).text((5, 5), text, font=font(24), fill=255)
    return image.tobytes()


@pytest.mark.parametrize("character", ["\u2014", "\u2013", "\u00e9", "\u00f4", ELLIPSIS])
def test_the_figure_font_has_a_glyph_for_typography_and_accents(character: str) -> None:
    assert _drawn(character) != _drawn(NO_GLYPH)
    assert _drawn(character) != _drawn(" ")


def test_contact_sheet_draws_each_box_on_every_tile_at_its_coordinates() -> None:
    grey = np.full((640, 640, 3), 90, dtype=np.uint8)  # thumbnails at half size: factor 0.5
    box = BoxSpec(100.0, 200.0, 300.0, 400.0, "Nodule", GREEN)
    sheet = contact_sheet([(grey, "a"), (grey, "b")], [box], LegendInfo())
    for left in (0, TILE):  # both tiles
        assert tuple(sheet[150, left + 50]) == GREEN  # left edge (x 100 -> 50), half-way down (y 300 -> 150)
        assert tuple(sheet[150, left + 149]) == GREEN  # right edge (x 300 -> 150, inclusive end 149)
        assert tuple(sheet[150, left + 100]) == (90, 90, 90)  # inside: the image, unfilled


def test_a_caption_keeps_the_whole_prompt_on_wrapped_lines() -> None:
    text = "+0.123 There is a small left-sided pleural effusion with adjacent basal atelectasis."
    assert len(text) > 48
    lines = caption_lines(text)
    assert 1 < len(lines) <= CAPTION_LINES
    assert " ".join(lines) == text
    assert all(font(CAPTION_SIZE).getlength(line) <= TILE - 2 * CAPTION_PAD for line in lines)


def test_a_caption_longer_than_its_lines_is_elided_visibly() -> None:
    lines = caption_lines("word " * 200)
    assert len(lines) == CAPTION_LINES
    assert lines[-1].endswith(ELLIPSIS)
    assert font(CAPTION_SIZE).getlength(lines[-1]) <= TILE - 2 * CAPTION_PAD


def test_contact_sheet_carries_the_legend_with_the_untrained_mark() -> None:
    grey = np.full((64, 64, 3), 90, dtype=np.uint8)
    sheet = contact_sheet([(grey, "a")], [], LegendInfo(typed_prompt="effusion", untrained=True))
    below = sheet[TILE + CAPTION_LINES * CAPTION_LINE_HEIGHT :]
    red = (below[..., 0] > 180) & (below[..., 1] < 80) & (below[..., 2] < 80)
    assert red.sum() > 50


def test_render_is_the_image_with_the_shared_legend_strip() -> None:
    request = RenderRequest(np.full((80, 120), 0.5), legend=LegendInfo(typed_prompt="edema", untrained=True))
    expected = with_legend(render_image(request), LegendInfo(typed_prompt="edema", untrained=True), None)
    np.testing.assert_array_equal(render(request), expected)


def test_figure_text_names_the_prompt_the_model_and_the_untrained_mark() -> None:
    description = describe_figure("prompt map", "There is edema.", 1.5, "abc@cpu-fp32 (untrained)", True)
    assert "'There is edema.' (score +1.5000, raw logit)" in description
    assert UNTRAINED_TEXT in description and description.endswith("Not for diagnostic use.")
    text = png_text(description)
    assert text["Description"] == description and text["Disclaimer"] == "Not for diagnostic use"
    assert "UNTRAINED" not in describe_figure("the view", "", None, "m", False)
