"""Finding libraries: the built-in ones (package data) and the user's JSON files, merged in order.

A finding file is a JSON object ``{"Finding name": ["phrasing", ...], ...}``. The built-in libraries are made
of the same kind of file, ``data/phrasings.json`` (one entry per finding, keyed by the canonical label of
:class:`~carzero_viewer.annotations.LabelMap`), plus ``data/libraries.json``, which lists the finding names of
each library in its dataset's own spelling (``Pleural_Thickening`` in ChestX-ray14, ``Pleural Effusion`` in
CheXpert). Each phrasing is in the "There is ..." form of the paper's prompts, followed by synonyms.

Names are matched through the label map's canonical spelling, never compared as raw strings, so a
ground-truth label (``Infiltrate`` in the NIH box list) selects the finding ``Infiltration``
(:func:`finding_for_label`), and a user entry ``"Pleural Thickening"`` overrides the library's
``Pleural_Thickening``.

Merging (``--findings A --findings B``): specs are applied in order; a finding whose canonical name is
already present is replaced whole (its phrasings, and the name as the later spec spells it) and keeps its
place; a new name is appended. A file alone defines exactly its own findings.

User files pass :mod:`carzero_viewer.untrusted`. Bounds, and why:

- at most :data:`MAX_FINDINGS_FILE_BYTES` (4 MiB) in a regular file: the largest sensible library (PadChest's
  192 labels x a few phrasings) is tens of KiB;
- JSON nested at most :data:`MAX_FINDINGS_DEPTH` = 2 levels (an object of lists);
- at most :data:`MAX_FINDINGS` = 1,000 findings per file and :data:`MAX_PHRASINGS` = 32 phrasings per
  finding: each phrasing is a text-encoder pass and a result per image, and averaging more wordings of one
  finding adds nothing a few dozen do not;
- names: non-empty strings of at most :data:`~carzero_viewer.annotations.boxes.MAX_LABEL_CHARS` characters
  (the label bound, since names line up with labels), two names of one file may not name the same finding;
- phrasings: non-empty strings of at most :data:`MAX_PHRASING_CHARS` = 1,000 characters (the model reads 95
  word pieces, at most a few hundred characters), distinct within a finding (a repeat would count twice).
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from carzero_viewer.annotations import LabelMap
from carzero_viewer.annotations.boxes import MAX_LABEL_CHARS
from carzero_viewer.findings.finding import Finding, FindingsError
from carzero_viewer.untrusted import fail, read_json, require_list, require_object, require_text

MAX_FINDINGS_FILE_BYTES = 4 * 1024 * 1024
MAX_FINDINGS_DEPTH = 2
MAX_FINDINGS = 1_000
MAX_PHRASINGS = 32
MAX_PHRASING_CHARS = 1_000
LIBRARIES = ("chestxray14", "chexpert", "chexpert-competition", "chestx-det10")
DATA = "data"


def load_findings(*specs: str | Path, label_map: LabelMap | None = None) -> tuple[Finding, ...]:
    """The findings of one or more specs, merged in order (later wins; see the module docstring).

    Args:
        specs: a library name (:data:`LIBRARIES`, case-insensitive) or the path of a finding file; a name
            wins over a file of the same name (write ``./chexpert`` for the file).
        label_map: the label spellings that decide which names are the same finding (default: built-in).

    Raises:
        FindingsError: no spec, an unknown library that is no file either, or a bad file (file and entry
            named).
    """
    if not specs:
        raise FindingsError("no finding library or file given")
    labels = label_map or LabelMap.builtin()
    merged: dict[str, Finding] = {}
    for spec in specs:
        for finding in _load_one(spec, labels):
            merged[labels.canonical(finding.name)] = finding
    return tuple(merged.values())


def library(name: str, label_map: LabelMap | None = None) -> tuple[Finding, ...]:
    """A built-in library by name (:data:`LIBRARIES`).

    Raises:
        FindingsError: not a built-in library name.
    """
    key = name.strip().lower()
    if key not in LIBRARIES:
        raise FindingsError(f"{name!r} is not a finding library ({', '.join(LIBRARIES)})")
    labels = label_map or LabelMap.builtin()
    phrasings = {labels.canonical(f.name): f.phrasings for f in _data_file("phrasings.json", labels)}
    catalogue = require_object(_read_data("libraries.json"), "libraries.json", FindingsError)
    entries = require_list(catalogue.get(key), "libraries.json", FindingsError, key, MAX_FINDINGS)
    names = [require_text(n, "libraries.json", FindingsError, f"{key}[{i}]") for i, n in enumerate(entries)]
    return tuple(Finding(n, phrasings[labels.canonical(n)]) for n in names)


def read_findings_file(path: str | Path, label_map: LabelMap | None = None) -> tuple[Finding, ...]:
    """The findings of a user's JSON file ``{"Finding name": ["phrasing", ...], ...}``, in file order.

    Raises:
        FindingsError: unreadable or unbounded file, not an object of lists, or a bad name or phrasing
            (``<file>: ["name"]: <reason>`` or ``<file>: ["name"][i]: <reason>``).
    """
    data = read_json(path, FindingsError, "finding file", MAX_FINDINGS_FILE_BYTES, MAX_FINDINGS_DEPTH)
    return _parse(data, path, label_map or LabelMap.builtin())


def parse_findings(
    data: object, source: str | Path, label_map: LabelMap | None = None
) -> tuple[Finding, ...]:
    """The findings of an already-parsed document of the finding-file form (e.g. kept in the settings file),
    checked as a finding file is.

    Raises:
        FindingsError: not an object of lists, or a bad name or phrasing (``source`` named).
    """
    return _parse(data, source, label_map or LabelMap.builtin())


def finding_for_label(
    findings: tuple[Finding, ...], label: str, label_map: LabelMap | None = None
) -> Finding | None:
    """The finding a ground-truth label selects (same canonical spelling), or ``None``."""
    labels = label_map or LabelMap.builtin()
    wanted = labels.canonical(label)
    return next((f for f in findings if labels.canonical(f.name) == wanted), None)


def _load_one(spec: str | Path, labels: LabelMap) -> tuple[Finding, ...]:
    if isinstance(spec, str) and spec.strip().lower() in LIBRARIES:
        return library(spec, labels)
    if isinstance(spec, str) and not Path(spec).exists() and not spec.lower().endswith(".json"):
        raise FindingsError(f"{spec!r} is neither a finding library ({', '.join(LIBRARIES)}) nor a file")
    return read_findings_file(spec, labels)


def _parse(data: object, path: str | Path, labels: LabelMap) -> tuple[Finding, ...]:
    entries = require_object(data, path, FindingsError)
    if not entries:
        fail(FindingsError, path, None, "finding file holds no finding")
    if len(entries) > MAX_FINDINGS:
        fail(
            FindingsError,
            path,
            None,
            f"finding file holds {len(entries):,} findings; at most {MAX_FINDINGS:,}",
        )
    findings: dict[str, Finding] = {}
    for key, value in entries.items():
        where = f"[{key[:60]!r}]"
        name = require_text(key, path, FindingsError, f"{where}: name", MAX_LABEL_CHARS)
        canonical = labels.canonical(name)
        if canonical in findings:
            fail(FindingsError, path, where, f"names the same finding as {findings[canonical].name!r}")
        texts = require_list(value, path, FindingsError, where, MAX_PHRASINGS)
        phrasings = [
            require_text(text, path, FindingsError, f"{where}[{index}]", MAX_PHRASING_CHARS)
            for index, text in enumerate(texts)
        ]
        for index, text in enumerate(phrasings):
            if text in phrasings[:index]:
                fail(FindingsError, path, f"{where}[{index}]", f"repeats the phrasing {text[:60]!r}")
        findings[canonical] = Finding(name, tuple(phrasings))
    return tuple(findings.values())


def _read_data(name: str) -> object:
    """A shipped data file, read through the same bounded reader as a user's file."""
    with as_file(files(__package__ or "carzero_viewer.findings") / DATA / name) as path:
        return read_json(path, FindingsError, "finding library", MAX_FINDINGS_FILE_BYTES, MAX_FINDINGS_DEPTH)


def _data_file(name: str, labels: LabelMap) -> tuple[Finding, ...]:
    return _parse(_read_data(name), name, labels)
