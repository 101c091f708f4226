"""The headless renderer: image + heatmap + ground-truth boxes + legend strip, as one RGB array.

The viewer's export action and ``carzero-viewer export`` both call :func:`render`, so a figure saved from the
GUI can be reproduced from the command line. Pillow + numpy only.

What is drawn, in order, at the image's full resolution (no resampling of the radiograph):

1. the grey (or colour) display image exactly as given (already windowed / inverted by the caller);
2. **no-data marking** (when ``style.show_field_of_view`` and the map has NaN pixels, i.e. the parts of the
   image the model never saw): a neutral grey veil (the pixel moves :data:`VEIL_STRENGTH` of the way to
   :data:`VEIL_GREY`) crossed by a diagonal hatch (pixels with ``(row + column) % spacing < width`` move
   :data:`HATCH_STRENGTH` of the way to :data:`HATCH_GREY`). No-data is never coloured as low attention;
3. the overlay from :func:`~carzero_viewer.export.heatmap_style.heatmap_rgba` (the viewer's own colour
   definition), composited "over" with its alpha: ``out = base * (1 - a) + colour * a``, rounded;
4. optional isolines (``style.isolines``) in white where the quantised normalised level changes;
5. ground-truth boxes (outline drawn inside the box rectangle in the box's line style -- solid, dashed,
   dotted or dash-dot, the viewer's styles of :mod:`carzero_viewer.annotations.display`, passed as plain
   names -- label above it on a dark tag).

Below the image a legend strip (:func:`legend_strip`) holds the colour bar with its scale, the prompt as
typed and as processed, the word, the score, the image name, when the image is outside what the model was
trained on the reasons why (in orange, the applicability check of :mod:`carzero_viewer.imaging.applicability`,
passed as plain sentences), the model and weights checksum, the app version, the date, the display settings,
a "Not for diagnostic use" stamp and, for the demo model, a large red "UNTRAINED DEMO MODEL" line. Text size
scales with the image width.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from carzero_viewer import APP_NAME, __version__
from carzero_viewer.export.heatmap_style import HeatmapStyle, colormap_table, heatmap_rgba, normalise

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

VEIL_GREY = 110
VEIL_STRENGTH = 0.35
HATCH_GREY = 215
HATCH_STRENGTH = 0.5
STRIP_BACKGROUND = (18, 18, 18)
TEXT_COLOUR = (232, 232, 232)
MUTED_COLOUR = (170, 170, 170)
STAMP_COLOUR = (255, 196, 0)
UNTRAINED_COLOUR = (235, 30, 30)
DISCLAIMER = "Not for diagnostic use"
UNTRAINED_TEXT = "UNTRAINED DEMO MODEL - random weights, results carry no medical meaning"
ELLIPSIS = "\u2026"
APPLICABILITY_COLOUR = (255, 145, 0)
# The narrowest legend strip (pixels): at the smallest text size (12 px) about 60 characters a line.
MIN_LEGEND_WIDTH = 480
APPLICABILITY_TITLE = (
    "WARNING: this image is outside what the model was trained on (scores and maps may mean nothing):"
)
# Line style name -> on/off run lengths in line widths ("" or an unknown name: solid), as the viewer's pens.
DASH_PATTERNS: dict[str, tuple[int, ...]] = {"dash": (4, 2), "dot": (1, 1), "dash-dot": (4, 2, 1, 2)}


class BoxSpec(NamedTuple):
    """A box to draw, in continuous pixel coordinates of the displayed image.

    Attributes:
        x1, y1, x2, y2: left, top, right, bottom.
        label: the text drawn with it (label and, when several sources are shown, the source).
        colour: outline and label colour (r, g, b).
        line_style: ``solid`` or a key of :data:`DASH_PATTERNS`.
    """

    x1: float
    y1: float
    x2: float
    y2: float
    label: str
    colour: tuple[int, int, int]
    line_style: str = "solid"


@dataclass(frozen=True)
class LegendInfo:
    """Everything the legend strip says besides the colour bar's colours.

    Attributes:
        typed_prompt: the prompt as the user typed it.
        processed_prompt: the prompt as the model received it (after the template).
        word: the word whose map is shown, or None for the prompt map.
        score: the official zero-shot score (raw logit), or None when not available.
        image_name: the image's file name (never patient identity).
        model_name: a short model label, e.g. ``"CARZero (verified)"``.
        weights_checksum: short sha256 of the weights.
        app_version: the application version.
        date: when the figure was made (free text, e.g. ISO date and time).
        untrained: the demo model produced the figure: the big red warning line is drawn.
        map_low: raw map value at the bottom of the colour bar (None: unknown, "low" is shown).
        map_high: raw map value at the top of the colour bar.
        map_caption: what the map is, e.g. ``"prompt map (i2t attention, min-max)"``.
        style_summary: the display settings in words ("" to let the renderer describe the style).
        applicability_reasons: why the image is outside what the model was trained on (the sentences of the
            applicability check); empty when it is within it.
        calibration: the calibrated probability line with its profile's provenance ("" without a profile).
    """

    typed_prompt: str = ""
    processed_prompt: str = ""
    word: str | None = None
    score: float | None = None
    image_name: str = ""
    model_name: str = ""
    weights_checksum: str = ""
    app_version: str = __version__
    date: str = ""
    untrained: bool = False
    map_low: float | None = None
    map_high: float | None = None
    map_caption: str = ""
    style_summary: str = ""
    applicability_reasons: tuple[str, ...] = ()
    calibration: str = ""


@dataclass(frozen=True, eq=False)
class RenderRequest:
    """One figure to render.

    Attributes:
        display: ``(H, W)`` grey in [0, 1] (float) or uint8, or ``(H, W, 3)`` colour, already windowed and
            inverted as on screen, at full resolution.
        map_values: ``(H, W)`` float map in the same pixels (NaN = no data, outside the model's field of
            view), already resampled with ``style.interpolation``; None for no overlay.
        style: colormap, opacity, threshold, normalisation (the viewer's current :class:`HeatmapStyle`).
        boxes: ground-truth boxes in the same pixels.
        legend: the legend text; None renders the image without a legend strip.
    """

    display: npt.NDArray[np.generic]
    map_values: npt.NDArray[np.floating] | None = None
    style: HeatmapStyle = field(default_factory=HeatmapStyle)
    boxes: Sequence[BoxSpec] = ()
    legend: LegendInfo | None = None


@functools.lru_cache(maxsize=32)
def font(size: int) -> Font:
    """DejaVu Sans at ``size`` pixels, from matplotlib's bundled fonts (a dependency of the colormaps).

    Pillow's own default font is a small Latin subset (Aileron) with no glyph for "—", "–", "é" or "ô", which
    it draws as empty boxes; DejaVu Sans covers Latin, Greek, Cyrillic and common typography. Pillow's font is
    the fallback only when matplotlib's data folder lacks the file (e.g. a trimmed bundle).
    """
    import matplotlib

    pixels = max(6, int(size))
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(path), pixels)
    except OSError:
        return ImageFont.load_default(size=pixels)


def base_rgb(display: npt.NDArray[np.generic]) -> npt.NDArray[np.uint8]:
    """``(H, W, 3)`` uint8 from a grey/colour display array (float in [0, 1] or uint8)."""
    array = np.asarray(display)
    if array.dtype != np.uint8:
        array = np.round(np.clip(np.nan_to_num(array.astype(np.float64)), 0.0, 1.0) * 255.0).astype(np.uint8)
    if array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim == 3 and array.shape[2] in (3, 4):
        return np.ascontiguousarray(array[:, :, :3])
    raise ValueError(f"display must be (H, W) or (H, W, 3), got {array.shape}")


def hatch_spacing(width: int, height: int) -> tuple[int, int]:
    """(spacing, line width) of the no-data hatch for an image of this size."""
    spacing = max(8, round(max(width, height) / 80))
    return spacing, max(1, spacing // 6)


def mark_no_data(rgb: npt.NDArray[np.uint8], no_data: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint8]:
    """Veil + diagonal hatch on the ``no_data`` pixels (see the module docstring for the exact rule)."""
    if not no_data.any():
        return rgb
    h, w = no_data.shape
    spacing, line = hatch_spacing(w, h)
    out = rgb.astype(np.float64)
    veil = no_data[:, :, None]
    out = np.where(veil, out + (VEIL_GREY - out) * VEIL_STRENGTH, out)
    diagonal = ((np.arange(h)[:, None] + np.arange(w)[None, :]) % spacing) < line
    hatch = (no_data & diagonal)[:, :, None]
    out = np.where(hatch, out + (HATCH_GREY - out) * HATCH_STRENGTH, out)
    return np.asarray(np.round(out), dtype=np.uint8)


def composite(base: npt.NDArray[np.uint8], rgba: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Alpha-composite an ``(H, W, 4)`` overlay over an ``(H, W, 3)`` image: ``base (1 - a) + colour a``."""
    alpha = rgba[:, :, 3:4].astype(np.float64) / 255.0
    out = base.astype(np.float64) * (1.0 - alpha) + rgba[:, :, :3].astype(np.float64) * alpha
    return np.asarray(np.round(out), dtype=np.uint8)


def _isolines(values: npt.NDArray[np.floating], style: HeatmapStyle) -> npt.NDArray[np.bool_]:
    scaled = normalise(values, style)
    valid = np.isfinite(scaled)
    levels = np.minimum(np.floor(np.nan_to_num(scaled) * (style.isolines + 1)), style.isolines)
    edge = np.zeros(scaled.shape, dtype=bool)
    right = (levels[:, 1:] != levels[:, :-1]) & valid[:, 1:] & valid[:, :-1]
    down = (levels[1:, :] != levels[:-1, :]) & valid[1:, :] & valid[:-1, :]
    edge[:, 1:] |= right
    edge[1:, :] |= down
    return edge


def _box_line_width(width: int, height: int) -> int:
    return max(2, round(min(width, height) / 300))


def _runs(start: int, end: int, pattern: Sequence[int]) -> Iterator[tuple[int, int]]:
    """The drawn ``(first, last)`` pixel runs of a dash ``pattern`` (on, off, on, off... in pixels) from
    ``start`` to ``end`` inclusive."""
    position, index = start, 0
    while position <= end:
        length = pattern[index % len(pattern)]
        if index % 2 == 0:
            yield position, min(end, position + length - 1)
        position += length
        index += 1


def _outline(
    draw: ImageDraw.ImageDraw,
    rect: tuple[int, int, int, int],
    colour: tuple[int, int, int],
    line: int,
    style: str,
) -> None:
    """The box outline ``line`` pixels wide inside ``rect`` (inclusive), solid or dashed along each side."""
    left, top, right, bottom = rect
    pattern = DASH_PATTERNS.get(style)
    if pattern is None:
        draw.rectangle(rect, outline=colour, width=line)
        return
    runs = [length * line for length in pattern]
    inner = line - 1
    for first, last in _runs(left, right, runs):
        draw.rectangle((first, top, last, min(bottom, top + inner)), fill=colour)
        draw.rectangle((first, max(top, bottom - inner), last, bottom), fill=colour)
    for first, last in _runs(top, bottom, runs):
        draw.rectangle((left, first, min(right, left + inner), last), fill=colour)
        draw.rectangle((max(left, right - inner), first, right, last), fill=colour)


def draw_boxes(image: Image.Image, boxes: Sequence[BoxSpec]) -> None:
    """Draw labelled boxes in place in their line styles; line width and label size follow the image's size."""
    draw = ImageDraw.Draw(image)
    w, h = image.size
    line = _box_line_width(w, h)
    label_font = font(max(11, round(w / 70)))
    for x1, y1, x2, y2, label, colour, style in boxes:
        left, top = round(min(x1, x2)), round(min(y1, y2))
        right, bottom = round(max(x1, x2)) - 1, round(max(y1, y2)) - 1
        if right < left or bottom < top:
            continue
        _outline(draw, (left, top, right, bottom), colour, line, style)
        if not label:
            continue
        tx0, ty0, tx1, ty1 = draw.textbbox((0, 0), label, font=label_font)
        tag_w, tag_h = tx1 - tx0 + 6, ty1 - ty0 + 6
        tag_top = top - tag_h if top - tag_h >= 0 else top + line
        tag_left = min(max(0, left), max(0, w - tag_w))
        draw.rectangle((tag_left, tag_top, tag_left + tag_w - 1, tag_top + tag_h - 1), fill=(0, 0, 0))
        draw.text((tag_left + 3 - tx0, tag_top + 3 - ty0), label, fill=tuple(colour), font=label_font)


def render_image(request: RenderRequest) -> npt.NDArray[np.uint8]:
    """The image part of :func:`render` (no legend strip): ``(H, W, 3)`` uint8."""
    rgb = base_rgb(request.display)
    h, w = rgb.shape[:2]
    values = request.map_values
    if values is not None:
        values = np.asarray(values)
        if values.shape != (h, w):
            raise ValueError(f"map {values.shape} does not match the image {(h, w)}")
        if request.style.show_field_of_view:
            rgb = mark_no_data(rgb, ~np.isfinite(values))
        rgb = composite(rgb, heatmap_rgba(values, request.style))
        if request.style.isolines > 0:
            rgb = rgb.copy()
            rgb[_isolines(values, request.style)] = 255
    if request.boxes:
        image = Image.fromarray(rgb)
        draw_boxes(image, request.boxes)
        rgb = np.asarray(image, dtype=np.uint8)
    return np.ascontiguousarray(rgb)


def describe_style(style: HeatmapStyle) -> str:
    """The display settings in one line (so a figure can be reproduced)."""
    norm = (
        "min-max"
        if style.normalisation == "minmax"
        else f"fixed {style.fixed_range[0]:g}..{style.fixed_range[1]:g}"
    )
    return (
        f"Overlay: {style.colormap}, opacity {style.opacity:.2f}, threshold {style.threshold:.2f}, "
        f"{norm} normalisation, {style.interpolation} interpolation; hatched grey = no data (outside the "
        f"model's field of view)"
    )


def wrap_text(text: str, face: Font, width: float, max_lines: int | None = None) -> list[str]:
    """Greedy word wrap to ``width`` pixels; over-long words are cut.

    With ``max_lines``, text past that many lines is elided: the last kept line ends with "…" (still within
    ``width``), so a caption never silently stops mid-word at a fixed character count.
    """
    lines = _wrap_all(text, face, width)
    if max_lines is None or len(lines) <= max_lines:
        return lines
    last = " ".join(lines[max_lines - 1 :])
    while last and face.getlength(last + ELLIPSIS) > width:
        last = last[:-1]
    return [*lines[: max_lines - 1], last.rstrip() + ELLIPSIS]


def _wrap_all(text: str, face: Font, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if face.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        rest = word
        while face.getlength(rest) > width and len(rest) > 1:
            cut = len(rest)
            while cut > 1 and face.getlength(rest[:cut]) > width:
                cut -= 1
            lines.append(rest[:cut])
            rest = rest[cut:]
        current = rest
    lines.append(current)
    return lines


def _fmt(value: float | None, fallback: str) -> str:
    return fallback if value is None or not np.isfinite(value) else f"{value:.3g}"


def legend_lines(legend: LegendInfo, style: HeatmapStyle | None) -> list[tuple[str, tuple[int, int, int]]]:
    lines = (
        [
            (f"Prompt (typed): {legend.typed_prompt}", TEXT_COLOUR),
            (f"Prompt (processed): {legend.processed_prompt}", TEXT_COLOUR),
        ]
        if legend.typed_prompt or legend.processed_prompt
        else [("Prompt: none selected", MUTED_COLOUR)]
    )
    if legend.word is not None:
        lines.append((f"Word: {legend.word}  (word map: extension, not evaluated in the paper)", TEXT_COLOUR))
    if legend.score is not None:
        lines.append(
            (f"Score: {legend.score:+.4f}  (raw logit, higher = more likely; not a probability)", TEXT_COLOUR)
        )
    if legend.calibration:
        lines.append((legend.calibration, TEXT_COLOUR))
    lines.append((f"Image: {legend.image_name}", TEXT_COLOUR))
    if legend.applicability_reasons:
        lines.append((APPLICABILITY_TITLE, APPLICABILITY_COLOUR))
        lines += [(f"- {reason}", APPLICABILITY_COLOUR) for reason in legend.applicability_reasons]
    summary = legend.style_summary or (describe_style(style) if style is not None else "")
    if summary:
        lines.append((summary, MUTED_COLOUR))
    lines.append(
        (
            f"Model: {legend.model_name}  weights {legend.weights_checksum}  |  {APP_NAME} {legend.app_version}"
            f"  |  {legend.date}",
            MUTED_COLOUR,
        )
    )
    return lines


def legend_strip(width: int, legend: LegendInfo, style: HeatmapStyle | None) -> npt.NDArray[np.uint8]:
    """The legend strip ``(h, width, 3)`` uint8; the colour bar is drawn when ``style`` is given."""
    size = max(12, round(width / 64))
    pad = max(6, round(size * 0.8))
    regular, big = font(size), font(round(size * 1.6))
    line_h, big_h = round(size * 1.3), round(size * 1.6 * 1.3)
    usable = max(10, width - 2 * pad)
    ops: list[tuple[str, str, Font, tuple[int, int, int], int]] = []  # (kind, text, font, colour, height)
    bar_h = round(size * 1.1)
    if style is not None:
        caption = legend.map_caption or "map"
        for text in wrap_text(caption, regular, usable):
            ops.append(("text", text, regular, TEXT_COLOUR, line_h))
        ops.append(("bar", "", regular, TEXT_COLOUR, bar_h + 4))
        ops.append(("ticks", "", regular, MUTED_COLOUR, line_h + pad // 2))
    for text, colour in legend_lines(legend, style):
        for piece in wrap_text(text, regular, usable):
            ops.append(("text", piece, regular, colour, line_h))
    for piece in wrap_text(f"{DISCLAIMER.upper()} - research software", regular, usable):
        ops.append(("text", piece, regular, STAMP_COLOUR, line_h))
    if legend.untrained:
        for piece in wrap_text(UNTRAINED_TEXT, big, usable):
            ops.append(("text", piece, big, UNTRAINED_COLOUR, big_h))
    height = 2 * pad + sum(op[4] for op in ops)
    strip = Image.new("RGB", (width, height), STRIP_BACKGROUND)
    draw = ImageDraw.Draw(strip)
    y = pad
    for kind, text, face, colour, step in ops:
        if kind == "text":
            draw.text((pad, y), text, fill=colour, font=face)
        elif kind == "bar" and style is not None:
            _draw_bar(strip, pad, y, usable, bar_h, style)
        elif kind == "ticks":
            low, high = _fmt(legend.map_low, "low"), _fmt(legend.map_high, "high")
            mid = (
                _fmt((legend.map_low + legend.map_high) / 2, "")
                if legend.map_low is not None and legend.map_high is not None
                else ""
            )
            draw.text((pad, y), low, fill=colour, font=face)
            draw.text((pad + usable / 2, y), mid, fill=colour, font=face, anchor="ma")
            draw.text((pad + usable, y), high, fill=colour, font=face, anchor="ra")
        y += step
    return np.asarray(strip, dtype=np.uint8)


def _draw_bar(strip: Image.Image, x: int, y: int, width: int, height: int, style: HeatmapStyle) -> None:
    """The colour bar: the colormap left (low) to right (high); the part below the threshold is dimmed."""
    table = colormap_table(style.colormap)
    positions = np.linspace(0.0, 1.0, width)
    colours = table[np.round(positions * (len(table) - 1)).astype(np.intp), :3].astype(np.float64)
    below = positions < style.threshold
    colours[below] = colours[below] * 0.35 + np.asarray(STRIP_BACKGROUND) * 0.65
    bar = np.repeat(np.round(colours).astype(np.uint8)[None], height, axis=0)
    strip.paste(Image.fromarray(bar), (x, y))
    draw = ImageDraw.Draw(strip)
    draw.rectangle((x - 1, y - 1, x + width, y + height), outline=MUTED_COLOUR, width=1)
    if style.threshold > 0:
        tx = x + round(style.threshold * (width - 1))
        draw.line((tx, y - 2, tx, y + height + 1), fill=(255, 255, 255), width=max(1, height // 10))


def render(request: RenderRequest) -> npt.NDArray[np.uint8]:
    """Render the figure: ``(H + strip, max(W, MIN_LEGEND_WIDTH), 3)`` uint8, the image unchanged in size at
    the top left.

    Raises:
        ValueError: the map's shape differs from the image's, or the display array has a bad shape.
    """
    image = render_image(request)
    if request.legend is None:
        return image
    return with_legend(image, request.legend, request.style if request.map_values is not None else None)


def with_legend(
    image: npt.NDArray[np.uint8], legend: LegendInfo, style: HeatmapStyle | None
) -> npt.NDArray[np.uint8]:
    """``image`` ``(H, W, 3)`` with the legend strip below it (the colour bar when a map is shown: ``style``).

    Every image export goes through here, whatever drew the image (this renderer, or the viewer's canvas
    for *Export view*), so none leaves without the prompt, score, model, disclaimer and UNTRAINED mark.
    An image narrower than :data:`MIN_LEGEND_WIDTH` keeps its pixels at the top left and the figure is widened
    to that width with the strip's background, so the legend stays legible (a 64-pixel-wide MR would
    otherwise wrap it to a few characters a line, thousands of pixels tall).
    """
    height, width = image.shape[:2]
    strip = legend_strip(max(width, MIN_LEGEND_WIDTH), legend, style)
    if width < MIN_LEGEND_WIDTH:
        margin = np.full((height, MIN_LEGEND_WIDTH - width, 3), STRIP_BACKGROUND, dtype=np.uint8)
        image = np.concatenate([image, margin], axis=1)
    return np.ascontiguousarray(np.concatenate([image, strip], axis=0))


def describe_figure(
    what: str,
    prompt: str,
    score: float | None,
    model: str,
    untrained: bool,
    reasons: Sequence[str] = (),
    calibration: str = "",
) -> str:
    """One-sentence provenance of an exported figure (PNG ``Description``, DICOM derivation text).

    Args:
        what: what the figure shows, e.g. ``"prompt map"`` or ``"the view as shown on screen"``.
        prompt: the prompt as the model read it ("" when no prompt is selected).
        score: its raw logit, or None.
        model: the model's identity, e.g. ``"0123456789ab@cpu-fp32 (verified)"``.
        untrained: the demo model produced it.
        reasons: why the image is outside what the model was trained on (empty: it is within it).
        calibration: the calibrated probability line (:attr:`LegendInfo.calibration`), "" without a profile.
    """
    scored = f" (score {score:+.4f}, raw logit)" if score is not None else ""
    scored += f"; {calibration}" if calibration and prompt else ""
    subject = f" for the prompt '{prompt}'{scored}" if prompt else ""
    warning = f" {UNTRAINED_TEXT}." if untrained else ""
    if reasons:
        warning += f" {applicability_text(reasons)}."
    return (
        f"{APP_NAME} {__version__}: {what}{subject} overlaid on the source image; model {model}.{warning} "
        f"{DISCLAIMER}."
    )


def applicability_text(reasons: Sequence[str]) -> str:
    """The applicability verdict in one line: ``"ok"`` or the warning and every reason."""
    if not reasons:
        return "ok: a frontal chest radiograph as far as the file tells"
    return f"{APPLICABILITY_TITLE} {'; '.join(reasons)}"


def png_text(description: str, reasons: Sequence[str] = ()) -> dict[str, str]:
    """The PNG text chunks every exported figure carries (``carzero-viewer export`` and the viewer alike).

    ``Applicability`` holds :func:`applicability_text` of ``reasons`` (the image's applicability check).
    """
    return {
        "Software": f"{APP_NAME} {__version__}",
        "Description": description,
        "Disclaimer": DISCLAIMER,
        "Applicability": applicability_text(reasons),
    }
