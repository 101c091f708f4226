"""One download from start to a usable weights folder: BERT files, checkpoint, structural check, checksum.

The order is chosen so that nothing unusable ever looks usable: the checkpoint arrives under a staging name
(``CARZero_best_model.ckpt.part`` for a mirror, ``.ckpt.download`` for gdown), the caller's structural check
runs on the staged file, and only a file that passed gets its final name (through
:func:`carzero_viewer.files.move_into_place`). A staged download the check refuses is deleted, so the next run
fetches it again instead of resuming onto damaged bytes. The SHA-256 of the accepted file is recorded in the
user's manifest (:func:`carzero_viewer.checksums.record_checksum`).

The destination defaults to the first folder of the weights lookup that can be written
(:func:`default_destination`), so the viewer finds the model afterwards without ``--weights``.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from carzero_viewer.checksums import ManifestEntry, record_checksum, sha256_file
from carzero_viewer.errors import CarzeroError
from carzero_viewer.files import check_target, ensure_directory, move_into_place, os_error, write_atomic_with
from carzero_viewer.paths import CHECKPOINT_SUFFIXES, WeightsLocation, weights_candidates
from carzero_viewer.untrusted import require_regular_file
from carzero_viewer.weights_download.drive import download_from_drive
from carzero_viewer.weights_download.errors import DownloadError
from carzero_viewer.weights_download.hf_files import fetch_bert_files
from carzero_viewer.weights_download.http_transfer import DEFAULT_RETRY, RetryPolicy, download_resumable
from carzero_viewer.weights_download.sources import BERT_FOLDER, CHECKPOINT_STEM, DRIVE_FILE_ID
from carzero_viewer.weights_download.space import require_free_space

StageProgress = Callable[[str, int, "int | None"], None]
"""``progress(stage, bytes_done, bytes_total_or_None)``; stages: ``"bert"``, ``"checkpoint"``, ``"check"``."""

StructuralCheck = Callable[[WeightsLocation], bool]
"""Loads the weights strictly (all tensors, shapes, finite values) and returns whether they are trained;
raises :class:`~carzero_viewer.errors.CarzeroError` when they are unusable."""

NO_PUBLISHED_CHECKSUM = (
    "There is no published checksum for the released checkpoint: compare this SHA-256 with a colleague's "
    "(`carzero-viewer weights list` or `weights verify` prints it) to be sure you have the same file."
)


@dataclass(frozen=True)
class DownloadRequest:
    """What to fetch and where; at most one of ``checkpoint_url`` / ``checkpoint_file`` (neither: Drive)."""

    destination: Path
    checkpoint_url: str | None = None
    checkpoint_file: Path | None = None
    force: bool = False
    drive_file_id: str = DRIVE_FILE_ID
    retry: RetryPolicy | None = None
    hf_cache_dir: Path | None = None


@dataclass(frozen=True)
class DownloadResult:
    location: WeightsLocation
    sha256: str
    trained: bool
    source: str


def default_destination() -> Path:
    """The first folder the weights lookup searches that this user can write (else the user data folder).

    ``$CARZERO_WEIGHTS`` when set, then ``weights/`` beside the application (a checkout, an unpacked bundle),
    then ``weights/`` in the user data folder (an installation in a read-only place).
    """
    candidates = [path for source, path in weights_candidates() if source != "--weights"]
    return next((path for path in candidates if _writable(path)), candidates[-1])


def _writable(path: Path) -> bool:
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    return existing is not None and existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)


def download_weights(
    request: DownloadRequest,
    check: StructuralCheck,
    progress: StageProgress | None = None,
    cancel: threading.Event | None = None,
) -> DownloadResult:
    """Fetch, check, name and record the weights described by ``request``.

    Raises:
        DownloadError: a transfer failed, or the checkpoint was refused by ``check`` (kind ``corrupt``).
        WriteError: the destination exists (without ``force``), is read-only or full.
        Cancelled: ``cancel`` was set; partial files are kept for a resume.
    """
    if request.checkpoint_url and request.checkpoint_file:
        raise DownloadError("give either --checkpoint-url or --checkpoint-file, not both")
    folder = ensure_directory(request.destination)
    suffix = request.checkpoint_file.suffix if request.checkpoint_file else ".ckpt"
    if suffix not in CHECKPOINT_SUFFIXES:
        raise DownloadError(
            f"not a checkpoint (expected {' or '.join(CHECKPOINT_SUFFIXES)})", request.checkpoint_file
        )
    if request.checkpoint_file is not None:
        require_regular_file(request.checkpoint_file, DownloadError, "checkpoint")
    target = check_target(folder / f"{CHECKPOINT_STEM}{suffix}", request.force)
    stop = cancel or threading.Event()
    policy = request.retry or DEFAULT_RETRY

    def stage(name: str) -> Callable[[int, int | None], None]:
        return lambda done, total: progress(name, done, total) if progress else None

    bert = fetch_bert_files(folder / BERT_FOLDER, request.force, request.hf_cache_dir)
    stage("bert")(1, 1)
    if request.checkpoint_file is not None:
        staged, source, ours = request.checkpoint_file, str(request.checkpoint_file), False
    elif request.checkpoint_url:
        staged, source, ours = target.with_name(target.name + ".part"), request.checkpoint_url, True
        download_resumable(request.checkpoint_url, staged, stage("checkpoint"), stop, policy)
    else:
        staged, ours = target.with_name(target.name + ".download"), True
        source = f"Google Drive file {request.drive_file_id}"
        download_from_drive(request.drive_file_id, staged, stage("checkpoint"), stop, policy)
    stage("check")(0, 1)
    trained = _checked(check, WeightsLocation(staged, bert), delete_when_refused=ours)
    stage("check")(1, 1)
    sha = sha256_file(staged)  # of the bytes the check accepted (cached by a check that hashed them already)
    if ours:
        move_into_place(staged, target, request.force)
    else:
        _copy_or_link(staged, target, request.force)
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    record_checksum(
        ManifestEntry(
            str(target.resolve()), sha, trained, f"recorded by weights download on {when} from {source}"
        )
    )
    return DownloadResult(WeightsLocation(target, bert), sha, trained, source)


def _checked(check: StructuralCheck, location: WeightsLocation, delete_when_refused: bool) -> bool:
    try:
        return check(location)
    except CarzeroError as exc:
        advice = "the user's file is left as it was"
        if delete_when_refused:
            with contextlib.suppress(OSError):
                location.checkpoint.unlink()
            advice = "the damaged download was deleted: run the command again to fetch it afresh"
        raise DownloadError(
            f"the checkpoint failed the structural check ({exc.reason}); {advice}",
            location.checkpoint,
            "corrupt",
        ) from exc


def _copy_or_link(source: Path, target: Path, force: bool) -> None:
    """A user's own file: hard-linked when possible (same disk: instant, no space), else copied atomically."""
    if not force:
        try:
            target.hardlink_to(source)
            return
        except FileExistsError as exc:
            raise os_error(exc, target) from exc
        except OSError:
            pass  # another disk or no hard links: copy
    require_free_space(target.parent, source.stat().st_size)
    with source.open("rb") as handle:
        write_atomic_with(target, lambda out: shutil.copyfileobj(handle, out, 1 << 22), force)
