"""Ground-truth label <-> prompt mapping.

Every dataset spells its classes its own way (``Infiltrate`` in the NIH box list, ``Infiltration`` in its
Data_Entry; ``Nodule/Mass`` in VinDr; ``Pleural_Thickening``...). :class:`LabelMap` folds each spelling onto one
canonical label and gives the finding text that goes into the prompt template ("Effusion" -> "pleural
effusion" -> "There is pleural effusion."). Users extend or override the table with a JSON object
``{"Label": "prompt finding", ...}`` (``--label-map``); a key that is a known spelling overrides the finding of
that canonical label, a new key adds a class. The file is read through :mod:`carzero_viewer.untrusted`
(regular file, bounded JSON); labels and findings are non-empty strings of at most
:data:`~carzero_viewer.annotations.boxes.MAX_LABEL_CHARS` characters.

Matching is on a normalised key: lower case, ``_`` and ``-`` as spaces, runs of spaces collapsed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from carzero_viewer.annotations.boxes import (
    MAX_ANNOTATION_BYTES,
    MAX_LABEL_CHARS,
    AnnotationError,
    text_value,
)
from carzero_viewer.untrusted import read_json, require_object

DEFAULT_TEMPLATE = "There is {}."

# canonical label -> (prompt finding text, other spellings)
BUILTIN: dict[str, tuple[str, tuple[str, ...]]] = {
    "Atelectasis": ("atelectasis", ()),
    "Cardiomegaly": ("cardiomegaly", ("Enlarged heart",)),
    "Effusion": ("pleural effusion", ("Pleural effusion", "Pleural Effusion")),
    "Infiltration": ("infiltration", ("Infiltrate", "Infiltrates", "Pulmonary infiltration")),
    "Mass": ("lung mass", ("Lung mass",)),
    "Nodule": ("lung nodule", ("Lung nodule",)),
    "Nodule/Mass": ("lung nodule or mass", ("Nodule Mass",)),
    "Pneumonia": ("pneumonia", ()),
    "Pneumothorax": ("pneumothorax", ()),
    "Consolidation": ("consolidation", ()),
    "Edema": ("pulmonary edema", ("Oedema", "Pulmonary edema")),
    "Emphysema": ("emphysema", ()),
    "Fibrosis": ("fibrosis", ("Pulmonary fibrosis",)),
    "Pleural Thickening": ("pleural thickening", ("Pleural_Thickening",)),
    "Hernia": ("hernia", ()),
    "Calcification": ("calcification", ()),
    "Fracture": ("fracture", ("Rib fracture",)),
    # VinDr-CXR local labels
    "Aortic enlargement": ("aortic enlargement", ()),
    "ILD": ("interstitial lung disease", ("Interstitial lung disease",)),
    "Lung Opacity": ("lung opacity", ("Opacity",)),
    "Other lesion": ("lesion", ()),
    # CheXpert
    "Enlarged Cardiomediastinum": ("enlarged cardiomediastinum", ()),
    "Lung Lesion": ("lung lesion", ()),
    "Pleural Other": ("pleural abnormality", ()),
    "Support Devices": ("support devices", ()),
}


def normalise(text: str) -> str:
    """Lower case, ``_``/``-`` as spaces, single spaces, no surrounding space or final full stop."""
    return re.sub(r"\s+", " ", re.sub(r"[_\-]", " ", text)).strip().rstrip(".").strip().lower()


@dataclass
class LabelMap:
    """Canonical labels, their spellings and the prompt finding text for each."""

    findings: dict[str, str] = field(default_factory=dict)  # canonical -> finding text
    aliases: dict[str, str] = field(default_factory=dict)  # normalised spelling -> canonical

    @classmethod
    def builtin(cls) -> LabelMap:
        table = cls()
        for canonical, (finding, spellings) in BUILTIN.items():
            table.add(canonical, finding, spellings)
        return table

    @classmethod
    def load(cls, path: str | Path | None = None) -> LabelMap:
        """The built-in table, extended/overridden by a user JSON ``{"Label": "prompt finding"}`` if given."""
        table = cls.builtin()
        if path is None:
            return table
        data = read_json(path, AnnotationError, "label map", MAX_ANNOTATION_BYTES)
        table.update(require_object(data, path, AnnotationError), Path(path))
        return table

    def add(self, canonical: str, finding: str, spellings: tuple[str, ...] = ()) -> None:
        self.findings[canonical] = finding
        for spelling in (canonical, *spellings):
            self.aliases[normalise(spelling)] = canonical

    def update(self, mapping: Mapping[str, object], path: Path | None = None) -> None:
        """Apply user entries; labels and findings must be non-empty, bounded strings."""
        for key, value in mapping.items():
            label = text_value(path, "label map", "key", key, MAX_LABEL_CHARS)
            finding = text_value(path, f"label map[{label[:60]!r}]", "finding", value, MAX_LABEL_CHARS)
            known = self.aliases.get(normalise(label))
            if known is not None:
                self.findings[known] = finding
            else:
                self.add(label, finding)

    def canonical(self, label: str) -> str:
        """The canonical label for any known spelling; an unknown label is returned stripped."""
        return self.aliases.get(normalise(label), label.strip())

    def finding(self, label: str) -> str:
        """The finding text for the prompt: from the table, or the label itself in lower case."""
        canonical = self.canonical(label)
        return self.findings.get(canonical, normalise(canonical))

    def prompt_for(self, label: str, template: str = DEFAULT_TEMPLATE) -> str:
        """The full prompt, e.g. ``prompt_for("Infiltrate") == "There is infiltration."``."""
        return template.format(self.finding(label))

    def labels_match(self, box_label: str, prompt_or_label: str) -> bool:
        """Whether a box label and a label / finding / prompt text name the same class.

        True when both spell the same canonical label, or when the box label's finding text occurs as whole
        words in the (normalised) prompt, e.g. ``("Effusion", "There is pleural effusion.")``.
        """
        if self.canonical(box_label) == self.canonical(prompt_or_label):
            return True
        finding = normalise(self.finding(box_label))
        return re.search(rf"\b{re.escape(finding)}\b", normalise(prompt_or_label)) is not None


def canonical(label: str) -> str:
    """:meth:`LabelMap.canonical` with the built-in table."""
    return _BUILTIN_MAP.canonical(label)


def prompt_for(label: str, template: str = DEFAULT_TEMPLATE) -> str:
    """:meth:`LabelMap.prompt_for` with the built-in table."""
    return _BUILTIN_MAP.prompt_for(label, template)


def labels_match(box_label: str, prompt_or_label: str) -> bool:
    """:meth:`LabelMap.labels_match` with the built-in table."""
    return _BUILTIN_MAP.labels_match(box_label, prompt_or_label)


_BUILTIN_MAP = LabelMap.builtin()
