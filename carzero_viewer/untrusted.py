"""The one boundary for values read from files a user hands us (weights configs, BERT folder, annotations,
prompt files, DICOMDIR, settings).

Every reader turns raw bytes into checked, plain values here and raises the caller's typed error (a
:class:`~carzero_viewer.errors.CarzeroError` subclass) naming the file and the field, so the code behind a
reader never re-checks and never sees an unchecked value. The bounds are derived from the formats and from
what this application can use, not from the files we happened to have:

- :data:`MAX_JSON_DEPTH` = 64 levels: the deepest legitimate structure we read (a COCO file, a Lightning
  ``hyper_parameters`` dict) is under 10 levels; Python's recursive JSON decoder and our own walkers would hit
  the interpreter's recursion limit (1,000) long before a crafted file ran out of brackets, so nesting is
  counted *before* parsing.
- :data:`MAX_JSON_ITEMS` = 10,000,000 values: a ChestX-ray14 or COCO annotation file of the largest public
  CXR sets holds a few million; more is a decompression-bomb-shaped file, refused before it fills memory.
- ``NaN``/``Infinity`` literals (Python's JSON extension) are refused: no format we read allows them.
- Lone surrogates (``"\\ud800"``) are refused: they cannot be encoded as UTF-8, so they would fail later in a
  writer or a tokenizer far from the file that carried them.
- Only regular files are read: a FIFO or a device would block or never end.
"""

from __future__ import annotations

import json
import math
import re
import stat
from pathlib import Path
from typing import Any, NoReturn

from carzero_viewer.errors import CarzeroError

MAX_JSON_DEPTH = 64
MAX_JSON_ITEMS = 10_000_000
MAX_TEXT_BYTES = 512 * 1024 * 1024

ErrorType = type[CarzeroError]

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
MAX_NUMBER_TEXT = 64


def fail(error: ErrorType, path: str | Path | None, field: str | None, reason: str) -> NoReturn:
    """Raise ``error`` as ``<file>: <field>: <reason>`` (the field omitted when there is none)."""
    raise error(f"{field}: {reason}" if field else reason, path)


def require_regular_file(path: str | Path, error: ErrorType, label: str = "file") -> int:
    """The size of ``path`` after checking it is an existing regular file (never a FIFO, device or folder).

    A FIFO opened for reading blocks until a writer appears, and a character device may never end; both are
    refused by type before any ``open``.
    """
    try:
        info = Path(path).stat()
    except FileNotFoundError:
        fail(error, path, None, f"{label} does not exist")
    except OSError as exc:
        fail(error, path, None, f"{label} cannot be read ({exc.strerror or exc})")
    if stat.S_ISDIR(info.st_mode):
        fail(error, path, None, f"is a folder, not a {label}")
    if not stat.S_ISREG(info.st_mode):
        fail(
            error,
            path,
            None,
            f"is not a regular file (a pipe, socket or device), so it is not read as a {label}",
        )
    return info.st_size


def read_bytes(
    path: str | Path, error: ErrorType, label: str = "file", max_bytes: int = MAX_TEXT_BYTES
) -> bytes:
    """The whole content of a regular file of at most ``max_bytes``."""
    size = require_regular_file(path, error, label)
    if size > max_bytes:
        fail(error, path, None, f"{label} is {size:,} bytes; at most {max_bytes:,} are read")
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        fail(error, path, None, f"{label} cannot be read ({exc.strerror or exc})")
    if len(data) > max_bytes:
        fail(error, path, None, f"{label} grew past {max_bytes:,} bytes while being read")
    return data


def read_text(
    path: str | Path, error: ErrorType, label: str = "file", max_bytes: int = MAX_TEXT_BYTES
) -> str:
    """A regular file as UTF-8 text (a byte-order mark is tolerated)."""
    data = read_bytes(path, error, label, max_bytes)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(error, path, None, f"{label} is not UTF-8 text ({exc.reason} at byte {exc.start})")


def _check_nesting(text: str, path: str | Path | None, error: ErrorType, label: str, max_depth: int) -> None:
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > max_depth:
                fail(error, path, None, f"{label} is nested deeper than {max_depth} levels")
        else:
            depth -= 1


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _check_values(
    data: object, path: str | Path | None, error: ErrorType, label: str, max_items: int
) -> None:
    """Count values and refuse strings (keys included) that hold lone surrogates; iterative, no recursion."""
    stack: list[object] = [data]
    count = 0
    while stack:
        item = stack.pop()
        count += 1
        if count > max_items:
            fail(error, path, None, f"{label} holds more than {max_items:,} values")
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                fail(error, path, None, f"{label} holds a string with an unpaired surrogate ({item[:40]!r})")


def parse_json(
    text: str,
    path: str | Path | None,
    error: ErrorType,
    label: str = "JSON file",
    max_depth: int = MAX_JSON_DEPTH,
    max_items: int = MAX_JSON_ITEMS,
) -> object:
    """Parse untrusted JSON text within the bounds of this module; a syntax error names its line."""
    _check_nesting(text, path, error, label, max_depth)
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        fail(
            error,
            path,
            None,
            f"{label} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
        )
    except (ValueError, RecursionError) as exc:
        fail(error, path, None, f"{label} is not valid JSON ({exc})")
    _check_values(data, path, error, label, max_items)
    return data


def read_json(
    path: str | Path,
    error: ErrorType,
    label: str = "JSON file",
    max_bytes: int = MAX_TEXT_BYTES,
    max_depth: int = MAX_JSON_DEPTH,
) -> object:
    """:func:`read_text` then :func:`parse_json`."""
    return parse_json(read_text(path, error, label, max_bytes), path, error, label, max_depth)


def require_object(
    value: object, path: str | Path | None, error: ErrorType, field: str | None = None
) -> dict[str, Any]:
    """A JSON object (``dict`` with string keys)."""
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        fail(error, path, field, f"must be an object, not {_kind(value)}")
    return value


def require_int(
    value: object, path: str | Path | None, error: ErrorType, field: str, low: int, high: int
) -> int:
    """An integer in ``[low, high]`` (``True``/``False`` and integral floats such as ``12.0`` are refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        fail(error, path, field, f"must be an integer, not {_kind(value)}")
    if not low <= value <= high:
        fail(error, path, field, f"{value} is outside the accepted range {low}..{high}")
    return value


def require_float(
    value: object,
    path: str | Path | None,
    error: ErrorType,
    field: str,
    low: float,
    high: float,
    low_open: bool = False,
) -> float:
    """A finite number in ``[low, high]`` (``(low, high]`` with ``low_open``); integers are accepted."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        fail(error, path, field, f"must be a number, not {_kind(value)}")
    number = float(value)
    if not math.isfinite(number):
        fail(error, path, field, f"{number} is not a finite number")
    if number < low or number > high or (low_open and number == low):
        bracket = "(" if low_open else "["
        fail(error, path, field, f"{number:g} is outside the accepted range {bracket}{low:g}, {high:g}]")
    return number


def require_number_text(
    value: object,
    path: str | Path | None,
    error: ErrorType,
    field: str,
    low: float,
    high: float,
    low_open: bool = False,
) -> float:
    """A number written as text (a CSV cell) in plain decimal notation, then checked as :func:`require_float`.

    Python's ``float()`` also accepts ``nan``, ``inf``, ``1_000``, surrounding control characters and
    non-ASCII digits; none of those is a number in a data file, so only ``[+-]digits[.digits][e[+-]digits]``
    (at most :data:`MAX_NUMBER_TEXT` characters, surrounding spaces ignored) is read.
    """
    if not isinstance(value, str):
        fail(error, path, field, f"must be a number written as text, not {_kind(value)}")
    text = value.strip(" ")
    if not text:
        fail(error, path, field, "is empty; a number is required")
    if len(text) > MAX_NUMBER_TEXT or not _DECIMAL.fullmatch(text):
        fail(error, path, field, f"{text[:40]!r} is not a number")
    return require_float(float(text), path, error, field, low, high, low_open)


def require_bool(value: object, path: str | Path | None, error: ErrorType, field: str) -> bool:
    if not isinstance(value, bool):
        fail(error, path, field, f"must be true or false, not {_kind(value)}")
    return value


def require_str(
    value: object, path: str | Path | None, error: ErrorType, field: str, max_length: int = 10_000
) -> str:
    """A string of at most ``max_length`` characters that UTF-8 can encode."""
    if not isinstance(value, str):
        fail(error, path, field, f"must be a string, not {_kind(value)}")
    if len(value) > max_length:
        fail(error, path, field, f"is {len(value):,} characters long; at most {max_length:,} are accepted")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        fail(error, path, field, "holds an unpaired surrogate (not encodable text)")
    return value


def require_text(
    value: object, path: str | Path | None, error: ErrorType, field: str, max_length: int = 10_000
) -> str:
    """:func:`require_str` stripped of surrounding white space, which must leave some text (a name, a phrase)."""
    text = require_str(value, path, error, field, max_length).strip()
    if not text:
        fail(error, path, field, "is empty")
    return text


def require_list(
    value: object, path: str | Path | None, error: ErrorType, field: str, max_items: int
) -> list[object]:
    """A JSON list of 1 to ``max_items`` values (an empty list is refused: it would hold nothing to use)."""
    if not isinstance(value, list):
        fail(error, path, field, f"must be a list, not {_kind(value)}")
    if not value:
        fail(error, path, field, "is an empty list")
    if len(value) > max_items:
        fail(error, path, field, f"holds {len(value):,} values; at most {max_items:,} are accepted")
    return value


def require_choice(
    value: object, path: str | Path | None, error: ErrorType, field: str, choices: tuple[object, ...]
) -> object:
    if isinstance(value, bool) and not any(isinstance(c, bool) for c in choices):
        fail(error, path, field, f"{value!r} is not one of {', '.join(map(repr, choices))}")
    if value not in choices:
        shown = repr(value) if isinstance(value, str | int | float | bool | None) else _kind(value)
        fail(error, path, field, f"{shown[:60]} is not one of {', '.join(map(repr, choices))}")
    return value


def _kind(value: object) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), f"a {type(value).__name__}")
