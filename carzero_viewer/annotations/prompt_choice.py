"""Which scored prompt the viewer shows when the image or the scores change.

Comparing one finding across a study only works if the selection survives a change of image, and an image
with ground truth is most useful opened on the prompt of its own label. The rule, in order:

1. the prompt the user chose (clicked, added or is typing), when it is among the scored prompts: an explicit
   choice always wins, on every image of the study;
2. otherwise the best-scored prompt that names one of the image's ground-truth labels
   (:meth:`~carzero_viewer.annotations.labels.LabelMap.labels_match`, so ``Infiltrate`` finds
   "There is infiltration.");
3. otherwise the top score.

Kept free of Qt so the window, a future view model and the tests apply the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from carzero_viewer.annotations.labels import LabelMap

_BUILTIN = LabelMap.builtin()


def choose_prompt(
    ranked: Sequence[str],
    user_choice: str | None,
    labels: Iterable[str] = (),
    label_map: LabelMap | None = None,
) -> str | None:
    """The typed prompt to select, or None when nothing is scored.

    Args:
        ranked: typed prompts, best score first.
        user_choice: the prompt the user chose last, or None when they have not chosen.
        labels: ground-truth labels of the current image (any spelling the label map knows).
        label_map: label synonyms; the built-in table when None.
    """
    if user_choice is not None and user_choice in ranked:
        return user_choice
    table = label_map if label_map is not None else _BUILTIN
    wanted = list(labels)
    matching = (typed for typed in ranked if any(table.labels_match(label, typed) for label in wanted))
    return next(matching, ranked[0] if ranked else None)
