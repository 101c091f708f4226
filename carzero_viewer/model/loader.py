"""Build a ready-to-run CARZero model from a weights location, and say honestly what those weights are.

Construction happens on the meta device and the checkpoint tensors are assigned in place (``assign=True``):
no random initialisation of 220M parameters and no second copy in memory.

Provenance: weights are *verified* when their checksum is in the manifest as trained, *untrained* when they
say so (random demo models and test fixtures), and *unverified* otherwise. An untrained model's results are
labelled as such everywhere they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import torch

from carzero_viewer.checksums import lookup, sha256_file
from carzero_viewer.model.bert_folder import load_bert_config
from carzero_viewer.model.checkpoint import check_keys, config_for, is_unused_key, read_weights
from carzero_viewer.model.config import CarzeroConfig
from carzero_viewer.model.network import CarzeroModel
from carzero_viewer.model.wordpiece import WordPieceTokenizer, load_tokenizer
from carzero_viewer.paths import WeightsLocation


class WeightsStatus(Enum):
    VERIFIED = "verified"
    UNVERIFIED = "unverified"
    UNTRAINED = "untrained"


UNTRAINED_BANNER = "UNTRAINED DEMO MODEL - random weights, results carry no medical meaning"


@dataclass(frozen=True)
class ModelInfo:
    """What was loaded, for the status bar, logs and every export."""

    checkpoint: Path
    bert_dir: Path
    sha256: str
    status: WeightsStatus
    status_detail: str
    config: CarzeroConfig
    tensor_count: int = 0
    """Tensors in the file, all accounted for by the strict load (434 in the release, used and unused)."""

    @property
    def short_checksum(self) -> str:
        return self.sha256[:12]

    @property
    def is_untrained(self) -> bool:
        return self.status is WeightsStatus.UNTRAINED


@dataclass
class LoadedModel:
    model: CarzeroModel
    tokenizer: WordPieceTokenizer
    info: ModelInfo


def _status(info: dict[str, object], sha256: str) -> tuple[WeightsStatus, str]:
    if info.get("trained") is False:
        return WeightsStatus.UNTRAINED, str(info.get("description", UNTRAINED_BANNER))
    entry = lookup(sha256)
    if entry is not None:
        if entry.trained:
            return WeightsStatus.VERIFIED, entry.description or "checksum matches the manifest"
        return WeightsStatus.UNTRAINED, entry.description or "listed in the manifest as untrained"
    return WeightsStatus.UNVERIFIED, "checksum not in weights/manifest.json; presumed trained, not verified"


def load_model(location: WeightsLocation, device: str | torch.device = "cpu") -> LoadedModel:
    """Read, check and assemble the model in eval mode on ``device``.

    Raises:
        WeightsError: a file is missing, unsafe, truncated, or does not match the architecture.
        ModelLoadError: a configuration value (BERT ``config.json``, hyper-parameters, stored configuration)
            is of the wrong type or outside the bounds of ``weights_bounds``.
    """
    bert_config = load_bert_config(location.bert_dir)
    raw = read_weights(location.checkpoint)
    config = config_for(raw, bert_config, location.checkpoint)
    with torch.device("meta"):
        model = CarzeroModel(config)
    expected = {key: tuple(t.shape) for key, t in model.state_dict().items()}
    check_keys(raw, expected, location.checkpoint)
    used = {key: tensor for key, tensor in raw.tensors.items() if not is_unused_key(key)}
    model.load_state_dict(used, strict=True, assign=True)
    model.requires_grad_(False)
    model.to(device)
    model.eval()
    tokenizer = load_tokenizer(location.bert_dir, int(config.text.bert["vocab_size"]))
    sha = sha256_file(location.checkpoint)
    status, detail = _status(raw.info, sha)
    info = ModelInfo(
        checkpoint=location.checkpoint,
        bert_dir=location.bert_dir,
        sha256=sha,
        status=status,
        status_detail=detail,
        config=config,
        tensor_count=len(raw.tensors),
    )
    return LoadedModel(model=model, tokenizer=tokenizer, info=info)
