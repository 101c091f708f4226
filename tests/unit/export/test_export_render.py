"""The headless renderer: pixels at known coordinates for a PNG and a DICOM input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from carzero_viewer.export.heatmap_style import HeatmapStyle, colormap_table, heatmap_rgba
from carzero_viewer.export.render import (
    HATCH_GREY,
    HATCH_STRENGTH,
    MIN_LEGEND_WIDTH,
    VEIL_GREY,
    VEIL_STRENGTH,
    BoxSpec,
    LegendInfo,
    RenderRequest,
    base_rgb,
    composite,
    hatch_spacing,
    render,
)
from carzero_viewer.imaging import load_image

DATA = Path(__file__).resolve().parents[2] / "data"
PNG = DATA / "carzero-tiny" / "image.png"
DICOM = DATA / "dicom" / "RG1_J2KI.dcm"
GREEN = (0, 255, 0)


def _map(shape: tuple[int, int], peak: tuple[int, int], margin: int) -> npt.NDArray[np.float32]:
    """A smooth bump peaking at ``peak`` (row, column), NaN in ``margin`` rows at the top and bottom."""
    rows, cols = np.indices(shape, dtype=np.float64)
    sigma = max(shape) / 8
    values = np.exp(-((rows - peak[0]) ** 2 + (cols - peak[1]) ** 2) / (2 * sigma**2)).astype(np.float32)
    values[:margin] = np.nan
    values[-margin:] = np.nan
    return values


def _legend(untrained: bool) -> LegendInfo:
    return LegendInfo(
        typed_prompt="cardiomegaly",
        processed_prompt="There is cardiomegaly.",
        score=-0.25,
        image_name="image.png",
        model_name="CARZero (untrained)",
        weights_checksum="0123456789ab",
        date="2024-01-01 12:00",
        untrained=untrained,
        map_low=0.0,
        map_high=1.0,
        map_caption="prompt map",
    )


def _red_pixels(strip: npt.NDArray[np.uint8]) -> int:
    r, g, b = (strip[..., i].astype(int) for i in range(3))
    return int(((r > 200) & (g < 80) & (b < 80)).sum())


@pytest.mark.parametrize("path", [PNG, DICOM], ids=["png", "dicom"])
def test_render_pixels_at_known_coordinates(path: Path) -> None:
    record = load_image(path)
    display = record.display()
    h, w = record.shape
    peak = (h // 2, w // 3)
    margin = max(4, h // 20)
    values = _map((h, w), peak, margin)
    style = HeatmapStyle(colormap="jet", opacity=0.6)
    box = (w * 0.55, h * 0.3, w * 0.9, h * 0.7)
    request = RenderRequest(
        display=display,
        map_values=values,
        style=style,
        boxes=[BoxSpec(*box, "Cardiomegaly", GREEN)],
        legend=_legend(untrained=True),
    )
    out = render(request)
    assert out.dtype == np.uint8
    assert out.shape[1] == max(w, MIN_LEGEND_WIDTH) and out.shape[0] > h  # full resolution + legend strip
    image, strip = out[:h, :w], out[h:]
    base = base_rgb(display)

    # Overlay colours are exactly heatmap_rgba composited over the display (same definition as the viewer).
    expected = composite(base, heatmap_rgba(values, style))
    valid = np.isfinite(values)
    valid[int(box[1]) - 40 : int(box[3]) + 2, int(box[0]) - 2 : int(box[2]) + 2] = False  # skip box + label
    np.testing.assert_array_equal(image[valid], expected[valid])
    # At the map's maximum: the colormap's top colour at the full opacity.
    top = colormap_table("jet")[-1, :3].astype(float)
    alpha = round(0.6 * 255) / 255
    want = np.round(base[peak].astype(float) * (1 - alpha) + top * alpha)
    np.testing.assert_array_equal(image[peak], want.astype(np.uint8))

    # No-data rows: veiled grey, with the diagonal hatch on (row + column) % spacing < line.
    spacing, line = hatch_spacing(w, h)
    veiled = base[0, 1 + line].astype(float) + (VEIL_GREY - base[0, 1 + line].astype(float)) * VEIL_STRENGTH
    assert (1 + line) % spacing >= line
    np.testing.assert_array_equal(image[0, 1 + line], np.round(veiled).astype(np.uint8))
    veil0 = base[0, 0].astype(float) + (VEIL_GREY - base[0, 0].astype(float)) * VEIL_STRENGTH
    hatched = veil0 + (HATCH_GREY - veil0) * HATCH_STRENGTH
    np.testing.assert_array_equal(image[0, 0], np.round(hatched).astype(np.uint8))
    assert not np.array_equal(image[:margin], base[:margin])

    # Box outline on the left and bottom edges (inside the rectangle), interior untouched.
    left, bottom, right = round(box[0]), round(box[3]) - 1, round(box[2]) - 1
    mid_row = (round(box[1]) + bottom) // 2
    assert tuple(image[mid_row, left]) == GREEN
    assert tuple(image[mid_row, right]) == GREEN
    assert tuple(image[bottom, (left + right) // 2]) == GREEN
    assert tuple(image[mid_row, (left + right) // 2]) != GREEN

    # Legend strip: the untrained stamp is big and red; the colour bar shows the colormap.
    assert _red_pixels(strip) > 50
    bar_colours = {tuple(c) for c in colormap_table("jet")[:, :3]}
    strip_colours = {tuple(c) for c in strip.reshape(-1, 3)}
    assert len(bar_colours & strip_colours) > 100


def test_trained_model_has_no_red_stamp_and_legend_is_optional() -> None:
    display = np.full((120, 200), 0.5, dtype=np.float32)
    values = _map((120, 200), (60, 100), 6)
    trained = render(RenderRequest(display, values, legend=_legend(untrained=False)))
    untrained = render(RenderRequest(display, values, legend=_legend(untrained=True)))
    assert _red_pixels(untrained[120:]) > _red_pixels(trained[120:]) + 50  # the colour bar has red too
    no_bar = render(RenderRequest(display, None, legend=_legend(untrained=False)))
    assert _red_pixels(no_bar[120:]) == 0
    bare = render(RenderRequest(display, values))
    assert bare.shape == (120, 200, 3)
    np.testing.assert_array_equal(no_bar[:120, :200], base_rgb(display))


def test_below_threshold_and_uint8_display() -> None:
    display = np.full((50, 60), 100, dtype=np.uint8)
    values = np.tile(np.linspace(0, 1, 60, dtype=np.float32), (50, 1))
    out = render(RenderRequest(display, values, HeatmapStyle(threshold=0.5)))
    assert tuple(out[10, 5]) == (100, 100, 100)  # below the threshold: untouched
    assert tuple(out[10, 55]) != (100, 100, 100)


def test_shape_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="does not match"):
        render(RenderRequest(np.zeros((10, 10)), np.zeros((5, 5), np.float32)))
