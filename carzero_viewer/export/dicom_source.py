"""Attributes of a source DICOM that may be copied into a DICOM this application writes.

A Secondary Capture copies the Patient and Study attributes of its source so that an archive files it with the
original study. The source is a user's file: real exports carry values that break their VR (a 56-character
Accession Number where SH allows 16 bytes, an age ``62`` without its unit, a hash in a date field). Copying
such a value makes our own output invalid, so every attribute is copied only when its value is valid;
otherwise it is fixed when the fix cannot change its meaning, or dropped. Each fix or drop is recorded as a
:class:`SourceNote` naming the attribute and the reason, never the value (it may be patient identity).

What "valid" means, checked on the UTF-8 bytes that will be written (our objects use ``ISO_IR 192``; DICOM
length limits count bytes, which is what validators such as ``dciodvfy`` check):

- pydicom's own validators (:func:`pydicom.valuerep.validate_value`): length per VR (SH 16, LO 64, CS 16,
  UI 64, IS 12, DS 16; PN 64 per component group, at most 3 groups) and the formats of AS, CS, DA, DS, IS,
  TM and UI;
- what pydicom does not check: control characters (only ST/LT/UT may hold CR, LF, FF and TAB), at most five
  PN components per group, IS within a signed 32-bit integer, no DA/TM ranges (query syntax, not values);
- the value multiplicity the data dictionary gives (``PatientOrientation`` has exactly 2 values);
- the enumerated values of the few attributes whose values the IOD restricts (Patient's Sex, laterality,
  Patient Orientation);
- for a sequence (Other Patient IDs), every element inside it, recursively; it is copied whole or dropped.

Fixes, each one unambiguous:

- CS in lower case is upper-cased (``m`` → ``M``, ``chest`` → ``CHEST``): CS is upper-case by definition.
- An age without its unit (``62``) becomes ``062Y`` only when Patient's Birth Date and Study Date confirm
  62 full years; otherwise the unit is unknown (days, weeks, months or years) and the age is dropped.

Never fixed: over-long identifiers or names are dropped, not truncated, because a truncated Accession Number
or Patient ID could match another patient's record.
"""

from __future__ import annotations

import copy
import datetime as _dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydicom import config
from pydicom.datadict import dictionary_VM, dictionary_VR
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import Tag
from pydicom.valuerep import MAX_VALUE_LEN, validate_value

OUTPUT_ENCODING = "utf-8"  # the encoding of Specific Character Set ISO_IR 192, which our objects declare
TEXT_VRS = frozenset(
    {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"}
)
TEXT_VRS_WITH_CONTROLS = frozenset({"LT", "ST", "UT"})  # free text: CR, LF, FF and TAB are allowed
TEXT_CONTROLS = frozenset("\r\n\f\t")
PN_MAX_COMPONENTS = 5
PN_MAX_GROUPS = 3  # alphabetic, ideographic, phonetic
IS_RANGE = (-(2**31), 2**31 - 1)

# Attributes whose values the IOD restricts beyond their VR (enumerated values, PS3.3 C.7).
VALUE_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "PatientSex": (re.compile(r"^[MFO]$"), "not M, F or O"),
    "Laterality": (re.compile(r"^[RL]$"), "not R or L"),
    "ImageLaterality": (re.compile(r"^[RLUB]$"), "not R, L, U or B"),
    "PatientOrientation": (re.compile(r"^[LRAPHF]+$"), "not a direction made of L, R, A, P, H and F"),
}


@dataclass(frozen=True)
class SourceNote:
    """One source attribute that was not copied as it was: its keyword, what was done and why (no value)."""

    keyword: str
    action: str  # "fixed", "dropped" or "replaced"
    reason: str

    def __str__(self) -> str:
        return f"{self.keyword} {self.action}: {self.reason}"


class SourceAttributes:
    """Checked values of one source dataset; every fix or drop is recorded once in :attr:`notes`.

    Args:
        source: the source dataset as pydicom read it (values are converted lazily, on first access).
    """

    def __init__(self, source: Dataset) -> None:
        self.source = source
        self.notes: list[SourceNote] = []
        self._checked: dict[str, Any] = {}

    def get(self, keyword: str) -> Any:
        """The value to write for ``keyword``: ``None`` when absent or dropped, ``""`` when present but empty.

        Text values come back as ``str`` (VM 1) or ``list[str]``; a sequence as a deep copy.
        """
        if keyword not in self._checked:
            self._checked[keyword] = self._check(keyword)
        return self._checked[keyword]

    def copy_to(self, target: Dataset, keywords: Iterable[str]) -> None:
        """Set every valid (or fixed) attribute of ``keywords`` on ``target``; absent or dropped ones are not set."""
        for keyword in keywords:
            value = self.get(keyword)
            if value is not None:
                target[keyword] = DataElement(Tag(keyword), dictionary_VR(keyword), value)

    def note(self, keyword: str, action: str, reason: str) -> None:
        """Record what was done to ``keyword`` and why (never its value)."""
        self.notes.append(SourceNote(keyword, action, reason))

    def _check(self, keyword: str) -> Any:
        if keyword not in self.source:
            return None
        try:
            # Reading converts the raw bytes; pydicom would warn and log about invalid values while converting
            # them, and they are judged here instead.
            with config.disable_value_validation():
                value = self.source[keyword].value
                if isinstance(value, DicomSequence):
                    problem = sequence_problem(value)
                    if problem is None:
                        return copy.deepcopy(value)
                    self.note(keyword, "dropped", problem)
                    return None
                texts = value_texts(value)
        except Exception as exc:  # pydicom's value converters raise many types on malformed bytes
            self.note(keyword, "dropped", f"unreadable ({type(exc).__name__})")
            return None
        return self._check_texts(keyword, texts)

    def _check_texts(self, keyword: str, texts: list[str]) -> str | list[str] | None:
        vr = dictionary_VR(keyword)
        problem = values_problem(keyword, vr, texts)
        if problem is not None:
            fixed = self._fix(keyword, vr, texts)
            if fixed is None:
                self.note(keyword, "dropped", problem)
                return None
            texts, reason = fixed
            self.note(keyword, "fixed", reason)
        if not texts:
            return ""
        return texts[0] if len(texts) == 1 else texts

    def _fix(self, keyword: str, vr: str, texts: list[str]) -> tuple[list[str], str] | None:
        if vr == "CS":
            upper = [text.upper() for text in texts]
            if upper != texts and values_problem(keyword, vr, upper) is None:
                return upper, "upper-cased (CS is upper case)"
        if vr == "AS" and len(texts) == 1 and texts[0].isdigit():
            return self._fix_age(texts[0])
        return None

    def _fix_age(self, number: str) -> tuple[list[str], str] | None:
        birth, study = _date(self.get("PatientBirthDate")), _date(self.get("StudyDate"))
        if birth is None or study is None:
            return None
        years = study.year - birth.year - ((study.month, study.day) < (birth.month, birth.day))
        if years != int(number) or not 0 <= years <= 999:
            return None
        return [f"{years:03d}Y"], "unit Y added: the birth and study dates give the same number of years"


def value_texts(value: Any) -> list[str]:
    """A DICOM value as the list of its values' text forms (empty for an empty value).

    IS and DS objects print their original text, PersonName its full ``=``-separated form.
    """
    if value is None or value == "":
        return []
    if isinstance(value, (MultiValue, list, tuple)):
        return [str(item) for item in value]
    if isinstance(value, bytes):
        raise TypeError("undecoded bytes")
    return [str(value)]


def values_problem(keyword: str, vr: str, texts: list[str]) -> str | None:
    """Why ``texts`` cannot be written as ``keyword`` (VR ``vr``), or ``None`` when they are valid."""
    if vr not in TEXT_VRS:
        return f"VR {vr} is not copied"
    if texts and not vm_allows(dictionary_VM(keyword), len(texts)):
        return f"{len(texts)} values where the dictionary allows {dictionary_VM(keyword)}"
    rule = VALUE_RULES.get(keyword)
    for number, text in enumerate(texts, 1):
        problem = text_problem(vr, text)
        if problem is None and rule is not None and text and not rule[0].match(text):
            problem = rule[1]
        if problem is not None:
            return problem if len(texts) == 1 else f"value {number}: {problem}"
    return None


def text_problem(vr: str, text: str) -> str | None:
    """Why one value ``text`` is not valid for ``vr`` once encoded as UTF-8, or ``None``."""
    try:
        data = text.encode(OUTPUT_ENCODING)
    except UnicodeEncodeError:
        return "not encodable as UTF-8"
    return (
        _characters_problem(vr, text) or _pydicom_problem(vr, text, data) or _beyond_pydicom_problem(vr, text)
    )


def _characters_problem(vr: str, text: str) -> str | None:
    allowed = TEXT_CONTROLS if vr in TEXT_VRS_WITH_CONTROLS else frozenset()
    if any((ord(c) < 0x20 or ord(c) == 0x7F) and c not in allowed for c in text):
        return f"contains control characters not allowed in {vr}"
    return None


def _pydicom_problem(vr: str, text: str, data: bytes) -> str | None:
    """pydicom's length and format checks, on the bytes (DICOM length limits count bytes, not characters)."""
    limit = MAX_VALUE_LEN.get(vr)
    if limit is not None and len(data) > limit:
        return f"{len(data)} bytes where {vr} allows {limit}"
    try:
        validate_value(vr, data, config.RAISE)
    except ValueError:
        if vr == "PN":
            groups = data.split(b"=")
            if len(groups) > PN_MAX_GROUPS:
                return f"{len(groups)} component groups where PN allows {PN_MAX_GROUPS}"
            return f"a component group of {max(len(g) for g in groups)} bytes where PN allows 64"
        if vr == "AS" and text.isdigit():
            return "a number without its unit (D, W, M or Y)"
        return f"not a valid {vr} value"
    return None


def _beyond_pydicom_problem(vr: str, text: str) -> str | None:
    if vr == "PN" and any(group.count("^") >= PN_MAX_COMPONENTS for group in text.split("=")):
        return f"more than {PN_MAX_COMPONENTS} name components"
    if vr in ("DA", "TM") and "-" in text:
        return f"a {vr} range (query syntax), not a value"
    if vr == "IS" and not IS_RANGE[0] <= int(text) <= IS_RANGE[1]:
        return "outside the signed 32-bit range of IS"
    return None


def vm_allows(vm: str, count: int) -> bool:
    """Whether ``count`` values satisfy a dictionary VM such as ``1``, ``2``, ``1-3``, ``1-n`` or ``2-2n``."""
    if "-" not in vm:
        return count == int(vm)
    low, high = vm.split("-")
    if count < int(low):
        return False
    if high == "n":
        return True
    if high.endswith("n"):
        return count % int(high[:-1]) == 0
    return count <= int(high)


def sequence_problem(sequence: DicomSequence) -> str | None:
    """Why a source sequence cannot be copied whole (the first invalid element inside it), or ``None``."""
    for item in sequence:
        for element in item:
            name = element.keyword or str(element.tag)
            if element.tag.is_private or not element.keyword:
                return f"holds {name}, which is private or unknown"
            if isinstance(element.value, DicomSequence):
                problem = sequence_problem(element.value)
            else:
                vr = dictionary_VR(element.tag)
                problem = values_problem(element.keyword, vr, value_texts(element.value))
            if problem is not None:
                return f"{name} in it: {problem}"
    return None


def _date(value: Any) -> _dt.date | None:
    if not isinstance(value, str) or len(value) != 8:
        return None
    try:
        return _dt.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        return None
