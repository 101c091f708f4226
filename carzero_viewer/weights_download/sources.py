"""Where the released files live, as published by the CARZero authors (github.com/laihaoran/CARZero README).

Only ``config.json`` and ``vocab.txt`` of the BERT repository are needed: every BERT weight is inside the
CARZero checkpoint. The original code also builds its image encoder from a separate pretrained ViT file; this
application does not (the checkpoint holds the trained encoder), so nothing else is fetched.
"""

from __future__ import annotations

HF_BERT_REPO = "Laihaoran/BioClinicalMPBERT"
HF_REVISION = "main"
BERT_FILES = ("config.json", "vocab.txt")
BERT_FOLDER = "bert"
DRIVE_FILE_ID = "1kYF-k5otW5DHwz1En5d_ScV3zu2E27Ch"
CHECKPOINT_STEM = "CARZero_best_model"
CHECKPOINT_NAME = f"{CHECKPOINT_STEM}.ckpt"
# The release with its optimizer state, as reported by the authors' link (about 2.6 GB); shown before the
# transfer starts, until the server announces the exact size.
RELEASE_SIZE_ESTIMATE = 2_600_000_000


def drive_download_url(file_id: str) -> str:
    """The direct-download form of a Drive file id that gdown follows through Drive's confirmation page."""
    if not file_id or not all(c.isalnum() or c in "-_" for c in file_id):
        raise ValueError(f"not a Google Drive file id: {file_id!r}")
    return f"https://drive.google.com/uc?id={file_id}"


def drive_view_url(file_id: str) -> str:
    """The page a user opens in a browser when Drive refuses automated downloads."""
    return f"https://drive.google.com/file/d/{file_id}/view"
