"""The JSON files of a BERT folder: ``config.json`` (architecture) and the optional ``tokenizer_config.json``.

Both are read through the bounded JSON reader of :mod:`carzero_viewer.untrusted` (regular files of at most
:data:`~.weights_bounds.MAX_BERT_JSON_BYTES`, no NaN, bounded nesting) and their values are checked by
:func:`~.config.check_bert_settings` and :func:`~.weights_fields.read_tokenizer_options`; a problem with either
is a typed error naming the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from carzero_viewer.errors import WeightsError
from carzero_viewer.model.config import check_bert_settings
from carzero_viewer.model.weights_bounds import MAX_BERT_JSON_BYTES
from carzero_viewer.model.weights_fields import read_tokenizer_options
from carzero_viewer.untrusted import read_json


def load_bert_config(folder: Path) -> dict[str, Any]:
    """The BERT settings of ``config.json`` the encoder uses, checked (sizes the tensors tell may be absent)."""
    path = folder / "config.json"
    return check_bert_settings(read_json(path, WeightsError, "BERT config.json", MAX_BERT_JSON_BYTES), path)


def load_tokenizer_options(folder: Path) -> dict[str, bool | None]:
    """The casing options of ``tokenizer_config.json``, when the folder has one (a missing file is fine)."""
    path = folder / "tokenizer_config.json"
    if not path.exists():
        return {}
    return read_tokenizer_options(
        read_json(path, WeightsError, "tokenizer_config.json", MAX_BERT_JSON_BYTES), path
    )
