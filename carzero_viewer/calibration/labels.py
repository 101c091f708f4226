"""The labels a calibration is fitted against: NIH ``Data_Entry_2017.csv`` or a plain ``image,finding,label`` CSV.

* NIH format (header ``Image Index,Finding Labels,...``, read by
  :func:`~carzero_viewer.annotations.read_image_labels`): every listed image is labelled for every class that
  occurs in the file, positive when the class is among its labels (``No Finding``: negative for all).
* Plain format (header with ``image``, ``finding`` and ``label`` columns, any order, other columns ignored):
  one row per (image, finding), label ``0`` or ``1``; an image is labelled only for the findings it has rows
  for. A pair given twice with different labels is an error naming the line.

Finding names are matched through :class:`~carzero_viewer.annotations.LabelMap` spellings (``Infiltrate`` =
``Infiltration``, ``Pleural_Thickening`` = ``Pleural Thickening``), so a finding library's names select the
right label. Images are matched as :meth:`~carzero_viewer.annotations.ImageLabels.for_image` does (file
name, else stem in any case). Every cell passes the untrusted-file boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from carzero_viewer.annotations import AnnotationError, ImageLabels, LabelMap, read_image_labels
from carzero_viewer.annotations.boxes import MAX_KEY_CHARS, MAX_LABEL_CHARS, row_error, text_value
from carzero_viewer.annotations.tabular import annotation_text, csv_rows, header_fields
from carzero_viewer.untrusted import require_choice

PLAIN_COLUMNS = ("image", "finding", "label")


@dataclass(frozen=True)
class CalibrationLabels:
    """Which images are positive, and which are labelled at all, for each canonical finding.

    Attributes:
        positives: per image, its positive canonical findings.
        labelled: per image, the canonical findings it is labelled for (positive or negative).
    """

    positives: ImageLabels
    labelled: ImageLabels
    label_map: LabelMap

    @property
    def source(self) -> Path:
        return self.positives.source

    def findings(self) -> list[str]:
        """Every canonical finding some image is labelled for, sorted."""
        return self.labelled.classes()

    def label_for(self, name: str) -> str | None:
        """The labelled finding that a finding name or a prompt text names, or None (none, or ambiguous).

        A name is matched by its canonical spelling; a prompt text (``There is pleural effusion.``, a single
        prompt used as a finding) by the one label whose finding text it contains
        (:meth:`~carzero_viewer.annotations.LabelMap.labels_match`).
        """
        known = self.findings()
        canonical = self.label_map.canonical(name)
        if canonical in known:
            return canonical
        matches = [label for label in known if self.label_map.labels_match(label, name)]
        return matches[0] if len(matches) == 1 else None

    def truth(self, image: Path, finding: str) -> bool | None:
        """Whether ``image`` is positive for ``finding`` (any spelling); None when it is not labelled for it."""
        canonical = self.label_map.canonical(finding)
        labelled = self.labelled.for_image(image)
        if labelled is None or canonical not in labelled:
            return None
        return canonical in (self.positives.for_image(image) or frozenset())


def _from_nih(path: Path, label_map: LabelMap) -> CalibrationLabels:
    table = read_image_labels(path)
    positives = {k: frozenset(label_map.canonical(v) for v in labels) for k, labels in table.labels.items()}
    every = frozenset(label_map.canonical(c) for c in table.classes())
    return CalibrationLabels(
        ImageLabels(positives, table.original_sizes, path),
        ImageLabels(dict.fromkeys(table.labels, every), {}, path),
        label_map,
    )


def _from_plain(path: Path, text: str, label_map: LabelMap) -> CalibrationLabels:
    values: dict[tuple[str, str], tuple[bool, int]] = {}
    for row in csv_rows(path, text, PLAIN_COLUMNS):
        where = f"line {row.line}"
        image = text_value(path, where, "image", row.get("image"), MAX_KEY_CHARS)
        finding = label_map.canonical(text_value(path, where, "finding", row.get("finding"), MAX_LABEL_CHARS))
        label = require_choice(row.get("label"), path, AnnotationError, f"{where}: label", ("0", "1")) == "1"
        earlier = values.setdefault((image, finding), (label, row.line))
        if earlier[0] != label:
            raise row_error(
                path, row.line, f"{image!r} {finding!r} is labelled {int(earlier[0])} on line {earlier[1]}"
            )
    positives: dict[str, set[str]] = {}
    labelled: dict[str, set[str]] = {}
    for (image, finding), (label, _) in values.items():
        labelled.setdefault(image, set()).add(finding)
        positives.setdefault(image, set())
        if label:
            positives[image].add(finding)
    return CalibrationLabels(
        ImageLabels({k: frozenset(v) for k, v in positives.items()}, {}, path),
        ImageLabels({k: frozenset(v) for k, v in labelled.items()}, {}, path),
        label_map,
    )


def read_calibration_labels(path: str | Path, label_map: LabelMap | None = None) -> CalibrationLabels:
    """Read either label format (told apart by the header).

    Raises:
        AnnotationError: neither header, a malformed row or value (the line is named).
    """
    path = Path(path)
    label_map = label_map or LabelMap.builtin()
    text = annotation_text(path)
    header = header_fields(text)
    if header[:2] == ["image index", "finding labels"]:
        return _from_nih(path, label_map)
    if all(column in header for column in PLAIN_COLUMNS):
        return _from_plain(path, text, label_map)
    raise AnnotationError(
        "line 1: expected an NIH header 'Image Index,Finding Labels,...' or a plain 'image,finding,label' header",
        path,
    )
