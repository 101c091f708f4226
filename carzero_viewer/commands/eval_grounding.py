"""Grounding of one eval image: its boxes grouped by (dataset, class), and the metrics of each class's map.

Split from :mod:`carzero_viewer.commands.eval` (which runs the command and writes the outputs) because both
ways of scoring an eval, in memory and through an archive table (:mod:`carzero_viewer.commands.eval_table`),
record their images here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import numpy.typing as npt

    from carzero_viewer.annotations import Box, LabelMap
    from carzero_viewer.commands.eval import ClassScore, EvalResult

    ExampleImage = Callable[[], npt.NDArray[np.uint8]]

MAX_EXAMPLES = 4  # example overlays in the HTML report


def group_boxes(boxes: Sequence[Box], label_map: LabelMap) -> dict[tuple[str, str], list[Box]]:
    """The ground truth of each (dataset, class) on one image: its boxes, in input order.

    The dataset is the reader family (both ChestX-Det10 splits are one dataset); the class is the canonical
    label, so spellings of one class (``Infiltrate``/``Infiltration``) share one union.
    """
    groups: dict[tuple[str, str], list[Box]] = {}
    for box in boxes:
        groups.setdefault((family(box.source), label_map.canonical(box.label)), []).append(box)
    return groups


def record_grounding(
    result: EvalResult,
    image: str,
    source: str,
    canonical: str,
    prompt: str,
    score: float,
    heatmap: npt.NDArray[np.floating],
    group: Sequence[Box],
    scaled: bool,
) -> None:
    """Score one (image, dataset, class) and add its image-class row and its box rows to ``result``.

    Args:
        prompt, score: the class prompt's text and its image-level score.
        heatmap: the class prompt's map in the opened image's pixels (NaN outside the field of view).
        group: every box of that class and dataset on the image, same pixel frame (see :func:`group_boxes`).
    """
    from carzero_viewer.metrics import score_grounding

    scores = score_grounding(heatmap, group)
    common = {"image": image, "class": canonical, "prompt": prompt, "score": score, "scaled": scaled}
    result.image_class_rows.append(
        {
            **common,
            "source": source,
            "n_boxes": scores.boxes,
            "pointing_hit": scores.pointing_hit,
            "energy_in_box": scores.energy_in_box,
            "miou": scores.miou,
            "pixel_auroc": scores.pixel_auroc,
        }
    )
    for box, box_cnr in zip(group, scores.box_cnr, strict=True):
        result.box_rows.append(
            {
                **common,
                "source": box.source,
                "label": box.label,
                "x1": box.x1,
                "y1": box.y1,
                "x2": box.x2,
                "y2": box.y2,
                "cnr": box_cnr,
            }
        )


def box_metrics(
    path: Path,
    example_image: ExampleImage,
    boxes: Sequence[Box],
    scaled: bool,
    by_class: Mapping[str, ClassScore],
    texts: dict[str, str],
    label_map: LabelMap,
    result: EvalResult,
) -> None:
    from carzero_viewer.commands.eval import EvalError
    from carzero_viewer.commands.eval_report import Example
    from carzero_viewer.inference.geometry import map_to_original

    for (source, canonical), group in group_boxes(boxes, label_map).items():
        scored = by_class[canonical]
        if scored.map is None or scored.geometry is None:
            raise EvalError(f"{path.name}: no grounding map for {canonical!r} (a table needs its maps)")
        heatmap = map_to_original(scored.map, scored.geometry)
        record_grounding(
            result, path.name, source, canonical, texts[canonical], scored.score, heatmap, group, scaled
        )
        if len(result.examples) < MAX_EXAMPLES and all(
            e.label != canonical and e.image != path.name for e in result.examples
        ):
            gray = example_image()
            step = max(1, max(gray.shape) // 512)
            result.examples.append(
                Example(
                    path.name,
                    canonical,
                    texts[canonical],
                    gray[::step, ::step].copy(),
                    heatmap[::step, ::step].copy(),
                    [(b.x1, b.y1, b.x2, b.y2) for b in group],
                    step,
                )
            )


def family(source: str) -> str:
    """The dataset a box source belongs to: its reader name (``chestx_det10:test.json`` -> ``chestx_det10``)."""
    return source.split(":", 1)[0]
