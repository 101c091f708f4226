"""How ground-truth boxes are told apart on screen: a colour per class, a line style per source, stacked labels.

Qt-free so the rules are unit-tested and shared by every view that draws boxes:

* colours: a fixed qualitative palette of :data:`CLASS_PALETTE` colours. Each class prefers the slot of its
  position in the label map's order (so Effusion is usually the same colour on every image); a class whose
  slot is already taken on this image takes the next free one, so the classes *present on one image* always
  get distinct colours (up to the palette size; beyond it colours repeat in order);
* line styles: one of :data:`LINE_STYLES` per annotation source present on the image, in a stable order (known
  readers first, NIH before ChestX-Det10...), so NIH and ChestX-Det10 boxes of one image never look alike;
* labels: :func:`stack_labels` moves a label up above any label it would cover, in screen pixels; a label
  names its source (:func:`caption`) when boxes of several sources are shown.

:func:`style_boxes` applies all of these to the boxes of one image, so the viewer and every export (the
full-resolution render, the contact sheet, ``carzero-viewer export``) draw the same colours and lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from carzero_viewer.annotations import chestx_det10, coco, mscxr, nih, plain, rsna, vindr
from carzero_viewer.annotations.boxes import Box
from carzero_viewer.annotations.labels import LabelMap

Rgb = tuple[int, int, int]
# Saturated colours that stay visible on grey radiographs and under the heatmap outline; no grey or white.
CLASS_PALETTE: tuple[Rgb, ...] = (
    (255, 214, 0),  # yellow
    (0, 229, 255),  # cyan
    (118, 255, 3),  # lime
    (255, 64, 129),  # pink
    (255, 145, 0),  # orange
    (213, 0, 249),  # violet
    (29, 233, 182),  # teal
    (68, 138, 255),  # blue
    (255, 23, 68),  # red
    (215, 180, 120),  # tan
    (255, 170, 210),  # light pink
    (170, 170, 0),  # olive
)
LINE_STYLES = ("solid", "dash", "dot", "dash-dot")
LINE_STYLE_WORDS = {"solid": "solid", "dash": "dashed", "dot": "dotted", "dash-dot": "dash-dot"}
# reader name (the part of Box.source before ":") -> name shown to the user, in the order styles are given.
SOURCE_NAMES: dict[str, str] = {
    nih.NAME: "NIH",
    chestx_det10.NAME: "ChestX-Det10",
    vindr.NAME: "VinDr-CXR",
    rsna.NAME: "RSNA",
    mscxr.NAME: "MS-CXR",
    coco.NAME: "COCO",
    plain.NAME: "CSV",
}


def class_colours(classes: Iterable[str], order: Sequence[str]) -> dict[str, Rgb]:
    """A distinct palette colour for each class present on one image.

    Args:
        classes: the canonical labels present (duplicates are fine).
        order: the label map's canonical labels in their stable order; a class's preferred slot is its index
            modulo the palette size. Classes not in ``order`` come after, alphabetically, in the free slots.

    Returns:
        canonical label -> (r, g, b).
    """
    rank = {label: index for index, label in enumerate(order)}
    present = sorted(set(classes), key=lambda c: (rank.get(c, len(rank)), c.casefold(), c))
    size = len(CLASS_PALETTE)
    taken: set[int] = set()
    out: dict[str, Rgb] = {}
    for label in present:
        slot = rank[label] % size if label in rank else 0
        if len(taken) < size:
            while slot in taken:
                slot = (slot + 1) % size
        else:  # more classes than colours: repeat in order
            slot = len(out) % size
        taken.add(slot)
        out[label] = CLASS_PALETTE[slot]
    return out


def source_name(source: str) -> str:
    """The user-facing name of a box source ``"<reader>:<file name>"``, e.g. ``"nih:BBox.csv"`` -> ``"NIH"``."""
    reader = source.partition(":")[0]
    return SOURCE_NAMES.get(reader, reader or "unknown")


def source_styles(sources: Iterable[str]) -> dict[str, str]:
    """A line style from :data:`LINE_STYLES` for each source present, known readers first in a stable order."""
    readers = list(SOURCE_NAMES)

    def key(source: str) -> tuple[int, str]:
        reader = source.partition(":")[0]
        return (readers.index(reader) if reader in readers else len(readers), source)

    return {
        source: LINE_STYLES[i % len(LINE_STYLES)] for i, source in enumerate(sorted(set(sources), key=key))
    }


def source_legend(styled: Iterable[tuple[str, str]]) -> str:
    """``"NIH: solid lines · ChestX-Det10: dashed lines"`` from (source name, line style) pairs, first-seen order."""
    pairs = dict.fromkeys(styled)
    return " · ".join(f"{name}: {LINE_STYLE_WORDS.get(style, style)} lines" for name, style in pairs if name)


def caption(label: str, tag: str) -> str:
    """The text drawn with a box: its label, then its tag (the source name) when it has one."""
    return f"{label} \u00b7 {tag}" if tag else label


@dataclass(frozen=True)
class StyledBox:
    """One box with how it is drawn.

    Attributes:
        box: the ground-truth box (its coordinates and label as the source spells them).
        colour: its class colour (:func:`class_colours`).
        source: the user-facing source name (:func:`source_name`).
        line_style: one of :data:`LINE_STYLES` (:func:`source_styles`).
        tag: the source name when boxes of several sources are on the image, else "".
    """

    box: Box
    colour: Rgb
    source: str
    line_style: str
    tag: str

    @property
    def caption(self) -> str:
        return caption(self.box.label, self.tag)


def style_boxes(boxes: Sequence[Box], labels: LabelMap) -> list[StyledBox]:
    """The boxes of one image styled by the rules above: class colours in ``labels``' order, a line style per
    source, and the source as tag when several sources are present."""
    colours = class_colours((labels.canonical(b.label) for b in boxes), list(labels.findings))
    styles = source_styles(box.source for box in boxes)
    several = len(styles) > 1
    return [
        StyledBox(
            box,
            colours[labels.canonical(box.label)],
            source_name(box.source),
            styles[box.source],
            source_name(box.source) if several else "",
        )
        for box in boxes
    ]


def stack_labels(rects: Sequence[tuple[float, float, float, float]]) -> list[float]:
    """Vertical shifts that keep text labels from covering each other.

    Args:
        rects: ``(x, y, width, height)`` of each label in screen pixels, y pointing down, ``y`` its top.

    Returns:
        One shift per label (0 or negative: move up by that many pixels). Labels are placed from the lowest
        on screen upwards; a label that would overlap one already placed moves just above it, so labels of
        nearby boxes form a column instead of hiding each other. Deterministic; O(n^2) per label at worst.
    """
    placed: list[tuple[float, float, float, float]] = []
    shifts = [0.0] * len(rects)
    for index in sorted(range(len(rects)), key=lambda i: (-rects[i][1], rects[i][0], i)):
        x, y, width, height = rects[index]
        top = y
        moved = True
        while moved:  # each move goes strictly up to just above a placed label: at most len(placed) moves
            moved = False
            for px, py, pw, ph in placed:
                if x < px + pw and px < x + width and top < py + ph and py < top + height:
                    top = py - height
                    moved = True
        placed.append((x, top, width, height))
        shifts[index] = top - y
    return shifts
