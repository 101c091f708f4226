"""The ``eval`` command's HTML report: tables, matplotlib figures (PNG, base64-embedded) and published numbers.

matplotlib is used through its object-oriented API (``Figure`` + Agg canvas), never ``pyplot``, so no global
state or GUI backend is involved. When the model is untrained, a red stamp is put on the page (top and bottom)
and on every figure.

Published numbers are transcribed from ``shared/docs/published-results.md`` (CARZero, CVPR 2024, main text
and supplement; the pointing-game row is from later comparisons, a secondary source).
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from matplotlib.figure import Figure

UNTRAINED_STAMP = "UNTRAINED DEMO MODEL \u2014 numbers are meaningless"
PUBLISHED_SOURCE = (
    "CARZero (Lai et al., CVPR 2024), main text and supplement, as transcribed in "
    "shared/docs/published-results.md; the ChestX-Det10 pointing-game row is a secondary source "
    "(later comparisons) and should be checked against the original paper before quoting."
)
# Per-class zero-shot AUROC, CARZero supplement.
PUBLISHED_AUROC_CXR14: dict[str, float] = {
    "Atelectasis": 0.819,
    "Cardiomegaly": 0.852,
    "Effusion": 0.873,
    "Infiltration": 0.670,
    "Mass": 0.854,
    "Nodule": 0.718,
    "Pneumonia": 0.737,
    "Pneumothorax": 0.871,
    "Consolidation": 0.786,
    "Edema": 0.884,
    "Emphysema": 0.808,
    "Fibrosis": 0.788,
    "Pleural Thickening": 0.770,
    "Hernia": 0.928,
    "mean": 0.811,
}
PUBLISHED_AUROC_DET10: dict[str, float] = {
    "Atelectasis": 0.782,
    "Calcification": 0.642,
    "Consolidation": 0.857,
    "Effusion": 0.910,
    "Emphysema": 0.926,
    "Fibrosis": 0.736,
    "Fracture": 0.714,
    "Mass": 0.843,
    "Nodule": 0.637,
    "Pneumothorax": 0.915,
    "mean": 0.796,
}
# Zero-shot pointing game on the ChestX-Det10 test split (542 images), CARZero row.
PUBLISHED_POINTING_DET10: dict[str, float] = {
    "Atelectasis": 0.604,
    "Calcification": 0.184,
    "Consolidation": 0.824,
    "Effusion": 0.782,
    "Emphysema": 0.846,
    "Fibrosis": 0.561,
    "Fracture": 0.184,
    "Mass": 0.700,
    "Nodule": 0.286,
    "Pneumothorax": 0.457,
    "mean": 0.543,
}
# What changed in the metrics, for readers comparing with reports of earlier versions (up to 0.1.0).
METRIC_CHANGE_NOTE = (
    "Changed from earlier versions of this app: energy in box, mIoU and pixel AUROC were computed for each box "
    "alone (other boxes of the same class on the image counted as outside) and averaged over boxes; they are "
    "now computed once per (image, class) against the union of that class's boxes, as mIoU is defined. The "
    "CNR 'mean' row averaged the class means; it now averages all boxes, as CNR is defined. Pointing game and "
    "the per-box CNR are unchanged. Numbers differ from earlier reports wherever an image has several boxes "
    "of one class."
)
# Phrase grounding on MS-CXR, other models (context only).
PUBLISHED_MSCXR = (
    ("BioViL", "1.07 \u00b1 0.04", 0.229),
    ("BioViL-L", "1.21 \u00b1 0.05", 0.202),
    ("BioViL-T", "1.33 \u00b1 0.04", 0.240),
)


@dataclass
class Example:
    """One overlay for the report, already downsampled by ``step`` (boxes stay in full-resolution pixels)."""

    image: str
    label: str
    prompt: str
    gray: npt.NDArray[np.uint8]
    heatmap: npt.NDArray[np.float32]
    boxes: list[tuple[float, float, float, float]]
    step: int


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "\u2013"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return html.escape(str(value))


def _png(figure: Figure) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _stamp(figure: Figure, untrained: bool) -> None:
    if untrained:
        figure.text(
            0.5,
            0.5,
            UNTRAINED_STAMP,
            color="red",
            alpha=0.35,
            fontsize=18,
            weight="bold",
            ha="center",
            va="center",
            rotation=20,
            transform=figure.transFigure,
        )


def grounding_figure(rows: Sequence[dict[str, Any]], source: str, untrained: bool) -> str:
    """Per-class bars of the four grounding metrics for one source; published pointing game as markers."""
    from matplotlib.figure import Figure

    classes = [r for r in rows if r["class"] != "mean"]
    names = [r["class"] for r in classes]
    figure = Figure(figsize=(11, 6.5), layout="constrained")
    axes = figure.subplots(2, 2)
    for ax, metric in zip(axes.ravel(), ("pointing_game", "energy_in_box", "cnr", "miou"), strict=True):
        values = [float(r[metric]) if r[metric] is not None else math.nan for r in classes]
        ax.bar(range(len(names)), values, color="tab:blue", label="this run")
        if metric == "pointing_game":
            published = [PUBLISHED_POINTING_DET10.get(n, math.nan) for n in names]
            if any(not math.isnan(v) for v in published):
                ax.plot(
                    range(len(names)),
                    published,
                    "k_",
                    markersize=18,
                    mew=2.5,
                    label="CARZero published (ChestX-Det10)",
                )
                ax.legend(fontsize=7, loc="upper right")
            ax.set_ylim(0, 1)
        ax.set_title(metric.replace("_", " "))
        ax.set_xticks(range(len(names)), names, rotation=35, ha="right", fontsize=8)
    figure.suptitle(f"Grounding per class \u2014 {source}")
    _stamp(figure, untrained)
    return _png(figure)


def auroc_figure(rows: Sequence[dict[str, Any]], untrained: bool) -> str:
    """Per-class AUROC with bootstrap 95 % CI; published ChestX-ray14 AUROC as markers."""
    import numpy as np
    from matplotlib.figure import Figure

    classes = [r for r in rows if r["class"] != "mean"]
    names = [r["class"] for r in classes]
    auc = np.array([r["auroc"] if r["auroc"] is not None else np.nan for r in classes], dtype=float)
    low = np.array([r["auroc_ci_low"] if r["auroc_ci_low"] is not None else np.nan for r in classes])
    high = np.array([r["auroc_ci_high"] if r["auroc_ci_high"] is not None else np.nan for r in classes])
    errors = np.nan_to_num(np.vstack([auc - low.astype(float), high.astype(float) - auc]), nan=0.0)
    figure = Figure(figsize=(10, 4), layout="constrained")
    ax = figure.subplots()
    x = np.arange(len(names))
    ax.bar(x, auc, yerr=errors, capsize=3, color="tab:orange", label="this run (95 % bootstrap CI)")
    published = [PUBLISHED_AUROC_CXR14.get(n, math.nan) for n in names]
    ax.plot(x, published, "k_", markersize=18, mew=2.5, label="CARZero published (ChestX-ray14)")
    ax.axhline(0.5, color="grey", lw=0.8, ls="--")
    ax.set_ylim(0, 1)
    ax.set_xticks(x, names, rotation=35, ha="right", fontsize=8)
    ax.set_ylabel("ROC-AUC")
    ax.legend(fontsize=8, loc="lower right")
    figure.suptitle("Image-level zero-shot classification")
    _stamp(figure, untrained)
    return _png(figure)


def examples_figure(examples: Sequence[Example], untrained: bool) -> str:
    """Side-by-side overlays: image, prompt map (NaN transparent) and the label's boxes."""
    import numpy as np
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    figure = Figure(figsize=(4 * len(examples), 4.6), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(examples)))
    for ax, example in zip(axes, examples, strict=True):
        ax.imshow(example.gray, cmap="gray")
        ax.imshow(example.heatmap, cmap="jet", alpha=0.4)  # NaN (outside the field of view) is transparent
        for x1, y1, x2, y2 in example.boxes:
            s = example.step
            ax.add_patch(
                Rectangle(
                    (x1 / s - 0.5, y1 / s - 0.5),
                    (x2 - x1) / s,
                    (y2 - y1) / s,
                    fill=False,
                    color="lime",
                    lw=1.5,
                )
            )
        ax.set_title(f"{example.image}\n{example.prompt}", fontsize=8)
        ax.axis("off")
    _stamp(figure, untrained)
    return _png(figure)


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    head = "".join(f"<th>{html.escape(title)}</th>" for _, title in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_fmt(row.get(key))}</td>" for key, _ in columns) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


_CSS = """
body{font-family:sans-serif;margin:2em;max-width:1200px} table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right} th{background:#eee}
.stamp{background:#c00;color:#fff;font-weight:bold;font-size:1.4em;padding:.6em;text-align:center}
.note{color:#555;font-size:.9em} img{max-width:100%}
"""


def _definitions(definitions: dict[str, Any]) -> str:
    """The "Metric definitions" section: each metric's unit and formula, the aggregation, what changed."""
    items = "".join(
        f"<li><b>{html.escape(name.replace('_', ' '))}</b>: {html.escape(text)}</li>"
        for name, text in definitions["metrics"].items()
    )
    return (
        "<h2>Metric definitions</h2><p class='note'>These follow the published definitions "
        "(shared/docs/published-results.md). The ground truth of an (image, class) is every box of that class "
        f"on the image; boxes of other classes never count. Pixels: {html.escape(definitions['pixels'])}.</p>"
        f"<ul class='note'>{items}</ul>"
        f"<p class='note'>Averages: {html.escape(definitions['aggregation'])}</p>"
        f"<p class='note'>{html.escape(METRIC_CHANGE_NOTE)}</p>"
    )


def calibration_section(profile: dict[str, Any], name: str) -> str:
    """The ``--calibration-out`` profile's calibration of each class (its JSON document and file name):
    counts, Platt map, ECE before/after, and the Youden operating point with its rates; the classes left out
    with why; the provenance."""
    rows = []
    for finding in profile["findings"]:
        youden = finding["operating_points"]["youden"]
        rows.append(
            {
                "class": finding["name"],
                "positives": finding["n_positive"],
                "negatives": finding["n_negative"],
                "map": f"sigmoid({finding['platt']['slope']:.4g} \u00d7 s + {finding['platt']['intercept']:.4g})",
                "ece_before": finding["reliability_before"]["ece"],
                "ece_after": finding["reliability_after"]["ece"],
                "threshold": youden["threshold"],
                "sensitivity": youden["sensitivity"],
                "specificity": youden["specificity"],
            }
        )
    provenance = profile["provenance"]
    excluded = "".join(
        f"<li>{html.escape(e['name'])}: {html.escape(e['reason'])}</li>" for e in profile["excluded"]
    )
    return (
        f"<h2>Calibration profile {html.escape(name)}</h2>"
        + _table(
            rows,
            [
                ("class", "class"),
                ("positives", "positives"),
                ("negatives", "negatives"),
                ("map", "probability (s = raw score)"),
                ("ece_before", "ECE before (sigmoid of s)"),
                ("ece_after", "ECE after (held out)"),
                ("threshold", "Youden threshold on s"),
                ("sensitivity", "sensitivity"),
                ("specificity", "specificity"),
            ],
        )
        + (f"<p class='note'>Not calibrated:</p><ul class='note'>{excluded}</ul>" if excluded else "")
        + f"<p class='note'>Fitted on {html.escape(provenance['labels_file'])} "
        f"({provenance['images_scored']} images), weights SHA-256 {html.escape(provenance['weights_sha256'])}, "
        f"{html.escape(provenance['created_utc'])}. {html.escape(profile['method'])}.</p>"
    )


def render_report(
    document: dict[str, Any],
    summary: Sequence[dict[str, Any]],
    examples: Sequence[Example],
    untrained: bool,
    calibration: tuple[dict[str, Any], str] | None = None,
) -> str:
    """The complete self-contained HTML page (with ``calibration``, the profile's JSON document and file name:
    its section after the classification table)."""
    stamp = f'<div class="stamp">{html.escape(UNTRAINED_STAMP)}</div>' if untrained else ""
    model = document["model"]
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>CARZero eval</title>",
        f"<style>{_CSS}</style></head><body>",
        stamp,
        "<h1>CARZero grounding evaluation</h1>",
        f"<p>Model: {html.escape(str(model['checkpoint']))} ({html.escape(model['status'])}: "
        f"{html.escape(model['status_detail'])}), device {html.escape(model['device'])}, app "
        f"{html.escape(document['app_version'])}.<br>Images: {document['images_scored']} scored, "
        f"{document['images_skipped_no_ground_truth']} without ground truth skipped, "
        f"{len(document['images_failed'])} unreadable; {document['boxes']} boxes; template "
        f"{html.escape(repr(document['template']))}; runtime {document['runtime_s']} s.</p>",
    ]
    if document["scaling_notes"]:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in document["scaling_notes"])
        parts.append(f"<p class='note'>Box scaling:</p><ul class='note'>{notes}</ul>")
    grounding = [r for r in summary if "pointing_game" in r]
    for source in dict.fromkeys(r["source"] for r in grounding):
        rows = [
            {**r, "published": PUBLISHED_POINTING_DET10.get(r["class"])}
            for r in grounding
            if r["source"] == source
        ]
        parts.append(f"<h2>Grounding \u2014 {html.escape(source)}</h2>")
        parts.append(
            _table(
                rows,
                [
                    ("class", "class"),
                    ("n_boxes", "boxes"),
                    ("n_images", "images"),
                    ("pointing_game", "pointing game (per image, union)"),
                    ("published", "CARZero published pointing game (ChestX-Det10 test)"),
                    ("energy_in_box", "energy in box (per image, union)"),
                    ("cnr", "CNR (per box)"),
                    ("miou", "mIoU (per image, union)"),
                    ("pixel_auroc", "pixel AUROC (per image, union)"),
                ],
            )
        )
        parts.append(
            f"<img alt='grounding bars' src='data:image/png;base64,{grounding_figure(rows, source, untrained)}'>"
        )
    classification = [r for r in summary if "auroc" in r]
    if classification:
        rows = [
            {
                **r,
                "cxr14": PUBLISHED_AUROC_CXR14.get(r["class"]),
                "det10": PUBLISHED_AUROC_DET10.get(r["class"]),
            }
            for r in classification
        ]
        parts.append("<h2>Image-level classification (ROC-AUC, bootstrap 95 % CI)</h2>")
        parts.append(
            _table(
                rows,
                [
                    ("class", "class"),
                    ("n_images", "images"),
                    ("n_positive", "positives"),
                    ("auroc", "AUROC"),
                    ("auroc_ci_low", "CI low"),
                    ("auroc_ci_high", "CI high"),
                    ("cxr14", "CARZero published (ChestX-ray14)"),
                    ("det10", "CARZero published (ChestX-Det10)"),
                ],
            )
        )
        parts.append(f"<img alt='AUROC bars' src='data:image/png;base64,{auroc_figure(rows, untrained)}'>")
    if calibration is not None:
        parts.append(calibration_section(*calibration))
    if examples:
        parts.append("<h2>Examples (prompt map over the image; green: ground-truth boxes)</h2>")
        parts.append(
            f"<img alt='example overlays' src='data:image/png;base64,{examples_figure(examples, untrained)}'>"
        )
    mscxr = "".join(f"<tr><td>{m}</td><td>{c}</td><td>{i:.3f}</td></tr>" for m, c, i in PUBLISHED_MSCXR)
    parts.append(
        "<h2>Published reference numbers</h2><p>MS-CXR phrase grounding (other models, for context):</p>"
        f"<table><tr><th>model</th><th>mean CNR</th><th>mIoU</th></tr>{mscxr}</table>"
        f"<p class='note'>Source: {html.escape(PUBLISHED_SOURCE)} Published numbers come from full test sets "
        "and released weights; a small local run is not comparable beyond a sanity check.</p>"
    )
    parts.append(_definitions(document["metric_definitions"]))
    parts.append(stamp)
    parts.append("</body></html>")
    return "\n".join(parts)
