"""The JSON files of a BERT folder: ``config.json`` (architecture) and the optional ``tokenizer_config.json``.

Both are read the same way, and a problem with either is a :class:`WeightsError` naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from carzero_viewer.errors import WeightsError

TOKENIZER_OPTION_KEYS = ("do_lower_case", "strip_accents", "tokenize_chinese_chars")


def _read_object(path: Path, label: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise WeightsError(f"{label} is missing", path) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WeightsError(f"{label} is unreadable ({exc})", path) from exc
    if not isinstance(data, dict):
        raise WeightsError(f"{label} is not a JSON object", path)
    return data


def load_bert_config(folder: Path) -> dict[str, Any]:
    """``config.json`` of a BERT folder as plain data."""
    return _read_object(folder / "config.json", "BERT config.json")


def read_tokenizer_options(folder: Path) -> dict[str, Any]:
    """The casing options of ``tokenizer_config.json``, when the folder has one (a missing file is fine)."""
    path = folder / "tokenizer_config.json"
    if not path.is_file():
        return {}
    saved = _read_object(path, "tokenizer_config.json")
    return {key: saved[key] for key in TOKENIZER_OPTION_KEYS if key in saved}
