"""A one-page PDF per image (matplotlib, no pyplot state, no display needed).

The page holds the rendered figure (image + overlay + legend from :func:`~carzero_viewer.export.render.render`),
a table with every prompt's score, i2t, t2i and grounding metrics, the word weights of the prompt whose map is
shown, and a footer with the provenance and the "Not for diagnostic use" stamp (plus the red untrained warning
for the demo model, and an orange warning with its reasons when the image is outside what the model was trained
on: the applicability check carried by the rows).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure
from PIL import Image

from carzero_viewer import APP_NAME
from carzero_viewer.export.render import APPLICABILITY_TITLE, DISCLAIMER, UNTRAINED_TEXT
from carzero_viewer.export.reports import ReportRow
from carzero_viewer.files import write_bytes_atomic

A4_PORTRAIT = (8.27, 11.69)
MAX_IMAGE_SIDE = 1800  # pixels embedded in the page: plenty for print, keeps the file small


def _shrink(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    h, w = rgb.shape[:2]
    factor = MAX_IMAGE_SIDE / max(h, w)
    if factor >= 1:
        return rgb
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS), dtype=np.uint8)


def _short(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 3] + "..."


def _metric(row: ReportRow, name: str) -> str:
    value = row.metrics.get(name)
    if value is None or not np.isfinite(value):
        return "-"
    if name == "pointing_game":
        return "hit" if value else "miss"
    return f"{value:.3f}"


def report_figure(
    image_rgb: npt.NDArray[np.uint8],
    image_name: str,
    rows: Sequence[ReportRow],
    shown: int = 0,
    untrained: bool = False,
) -> Figure:
    """The report page as a matplotlib figure (A4 portrait; save it as PDF or PNG).

    Args:
        image_rgb: ``(H, W, 3)`` uint8 rendered figure of prompt ``rows[shown]``.
        image_name: file name of the image (title).
        rows: every prompt's row for this image, in prompt order.
        shown: index of the row whose map the figure shows (its word weights are plotted).
        untrained: the demo model produced the results.
    """
    fig = Figure(figsize=A4_PORTRAIT)
    fig.text(
        0.5, 0.975, f"{APP_NAME} report - {image_name}", ha="center", va="top", fontsize=13, weight="bold"
    )
    fig.text(
        0.5, 0.953, f"{DISCLAIMER}. Research software.", ha="center", va="top", fontsize=9, color="#b36b00"
    )
    if untrained:
        fig.text(
            0.5, 0.935, UNTRAINED_TEXT, ha="center", va="top", fontsize=10, color="#d01010", weight="bold"
        )
    reasons = rows[0].applicability_reasons if rows else ()
    image_top = 0.92
    if reasons:  # the image's applicability check: the same for every row of this image
        lines = [APPLICABILITY_TITLE, *(f"- {reason}" for reason in reasons)]
        fig.text(
            0.05,
            0.915 if untrained else 0.935,
            "\n".join(lines),
            va="top",
            fontsize=7,
            color="#c05800",
            wrap=True,
        )
        image_top -= 0.012 * len(lines) + 0.01

    ax_image = fig.add_axes((0.05, 0.37, 0.9, image_top - 0.37))
    ax_image.imshow(_shrink(image_rgb), interpolation="none")
    ax_image.set_axis_off()

    ax_table = fig.add_axes((0.05, 0.24, 0.9, 0.11))
    ax_table.set_axis_off()
    header = ["#", "processed prompt", "score", "i2t", "t2i", "PG", "energy", "CNR", "mIoU", "AUROC"]
    cells = [
        [
            f"{i + 1}{'*' if i == shown else ''}",
            _short(row.processed_prompt, 48),
            f"{row.score:+.4f}",
            f"{row.i2t:+.3f}",
            f"{row.t2i:+.3f}",
            *(
                _metric(row, name)
                for name in ("pointing_game", "energy_in_box", "cnr", "miou", "pixel_auroc")
            ),
        ]
        for i, row in enumerate(rows[:12])
    ]
    if cells:
        table = ax_table.table(
            cellText=cells,
            colLabels=header,
            loc="upper center",
            colWidths=[0.04, 0.4, 0.08, 0.07, 0.07, 0.05, 0.07, 0.06, 0.06, 0.07],
        )
        table.auto_set_font_size(False)
        table.set_fontsize(7)
        table.scale(1.0, 1.15)
    ax_table.set_title(
        "Scores (raw logits, not probabilities; * = map shown). Metrics need ground-truth boxes.",
        fontsize=8,
        loc="left",
    )

    if rows:
        row = rows[min(shown, len(rows) - 1)]
        ax_words = fig.add_axes((0.22, 0.05, 0.5, 0.15))
        words = list(row.words)[:24]
        weights = list(row.word_weights)[: len(words)]
        positions = np.arange(len(words))
        ax_words.barh(positions, weights, color="#4a7fb5")
        ax_words.set_yticks(positions, labels=[_short(w, 18) for w in words], fontsize=6)
        ax_words.invert_yaxis()
        ax_words.tick_params(axis="x", labelsize=6)
        ax_words.set_title(f"Word weights (t2i) of prompt {min(shown, len(rows) - 1) + 1}", fontsize=8)
        p = row.provenance
        footer = (
            f"{APP_NAME} {p.app_version}  |  model {p.model_id} ({p.model_status})  |  weights sha256 "
            f"{p.weights_checksum[:16]}  |  image hash {row.image_hash[:16]}  |  template {p.template!r}  |  "
            f"{p.created}"
        )
        fig.text(0.5, 0.012, footer, ha="center", va="bottom", fontsize=5.5, color="#444444", wrap=True)

    return fig


def pdf_bytes(
    image_rgb: npt.NDArray[np.uint8],
    image_name: str,
    rows: Sequence[ReportRow],
    shown: int = 0,
    untrained: bool = False,
) -> bytes:
    """The one-page PDF (see :func:`report_figure` for the arguments) as bytes."""
    fig = report_figure(image_rgb, image_name, rows, shown, untrained)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="pdf", metadata={"Creator": APP_NAME, "Title": f"{APP_NAME} report"})
    return buffer.getvalue()


def write_pdf(
    path: str | Path,
    image_rgb: npt.NDArray[np.uint8],
    image_name: str,
    rows: Sequence[ReportRow],
    shown: int = 0,
    untrained: bool = False,
    force: bool = False,
) -> Path:
    """Write the one-page PDF atomically (never overwrites without ``force``)."""
    return write_bytes_atomic(path, pdf_bytes(image_rgb, image_name, rows, shown, untrained), force)
