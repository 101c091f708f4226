"""``carzero-viewer weights download|list|verify|convert|demo``: fetch, list, check, convert and create weights.

All of them share one progress display (:mod:`carzero_viewer.commands.progress`) and the CLI's one error line
(``<file>: <reason>; <what to do>``); ``download`` reuses ``verify``'s structural load and ``convert``'s writer.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from carzero_viewer.errors import WeightsError
from carzero_viewer.files import check_target, ensure_directory, write_bytes_atomic
from carzero_viewer.paths import WeightsLocation


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("weights", help="verify, convert or create model weights")
    actions = parser.add_subparsers(dest="weights_action", metavar="ACTION", required=True)
    verify = actions.add_parser(
        "verify", help="check checksums against weights/manifest.json and load strictly"
    )
    verify.add_argument("path", nargs="?", help="weights folder or checkpoint (default: the lookup order)")
    convert = actions.add_parser(
        "convert", help="official .ckpt <-> pickle-free .safetensors (writes a complete weights folder)"
    )
    convert.add_argument("source", help="weights folder or checkpoint file")
    convert.add_argument("destination", type=Path, help="output folder (created; bert/ is copied)")
    convert.add_argument("--to", choices=("safetensors", "ckpt"), default="safetensors")
    convert.add_argument("--force", action="store_true", help="overwrite existing files")
    download = actions.add_parser(
        "download",
        help="fetch the released CARZero weights (BERT files from Hugging Face, checkpoint from Google Drive)",
    )
    download.add_argument(
        "--to",
        type=Path,
        metavar="DIR",
        help="weights folder (default: the first writable place of the weights lookup)",
    )
    source = download.add_mutually_exclusive_group()
    source.add_argument(
        "--checkpoint-url", metavar="URL", help="a mirror of CARZero_best_model.ckpt (http/https, resumable)"
    )
    source.add_argument(
        "--checkpoint-file", type=Path, metavar="PATH", help="a copy of the checkpoint you already have"
    )
    download.add_argument("--convert", action="store_true", help="also write the pickle-free .safetensors")
    download.add_argument("--delete-pickle", action="store_true", help="with --convert: remove the .ckpt")
    download.add_argument("--force", action="store_true", help="replace existing files")
    actions.add_parser("list", help="what is installed where: checksum, trained or untrained")
    demo = actions.add_parser("demo", help="write RANDOM full-size weights (untrained, for trying the app)")
    demo.add_argument("destination", type=Path)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--format", choices=("ckpt", "safetensors"), default="safetensors")
    demo.add_argument("--force", action="store_true", help="overwrite existing files")


def run(args: argparse.Namespace) -> int:
    action = {
        "download": _download,
        "list": _list,
        "verify": _verify,
        "convert": _convert,
        "demo": _demo,
    }[args.weights_action]
    return action(args)


def _verify(args: argparse.Namespace) -> int:
    from carzero_viewer.checksums import load_manifest, lookup, sha256_file
    from carzero_viewer.paths import find_weights

    location = find_weights(args.path)
    digest = sha256_file(location.checkpoint, use_cache=False)
    entry = lookup(digest)
    print(f"checkpoint: {location.checkpoint}")
    print(f"sha256:     {digest}")
    same_name = [e for e in load_manifest() if Path(e.name).name == location.checkpoint.name]
    if entry is None and same_name:
        raise WeightsError(
            f"checksum mismatch: expected {same_name[0].sha256} for {same_name[0].name}; the file is "
            "incomplete, corrupt or has been modified",
            location.checkpoint,
        )
    if entry is None:
        print("manifest:   no reference checksum for this file (not in weights/manifest.json)")
    else:
        kind = "trained" if entry.trained else "UNTRAINED"
        print(f"manifest:   matches {entry.name} ({kind}: {entry.description})")
    print(f"bert:       {location.bert_dir}")
    check_structure(location)
    return 0


def check_structure(location: WeightsLocation) -> bool:
    """Load ``location`` strictly (every tensor, its shape, finite values), print the result, return trained.

    Raises:
        WeightsError / ModelLoadError: the weights are unusable, with the file and the reason.
    """
    from carzero_viewer.model.loader import load_model

    info = load_model(location).info
    print(
        f"structure:  all {info.tensor_count} tensors present with the expected shapes; status "
        f"{info.status.value}"
    )
    print(f"            ({info.status_detail})")
    return not info.is_untrained


def _convert(args: argparse.Namespace) -> int:
    from carzero_viewer.paths import find_weights

    target = convert_weights(find_weights(args.source), args.destination, args.to, args.force)
    print(f"wrote {target} and {args.destination / 'bert'}/")
    return 0


def convert_weights(location: WeightsLocation, destination: Path, to: str, force: bool) -> Path:
    """Write ``location``'s checkpoint as ``to`` (``safetensors`` or ``ckpt``) into ``destination``.

    The BERT files are copied to ``destination/bert`` unless they are already there (converting in place,
    as ``weights download --convert`` does). Returns the checkpoint written.
    """
    import torch

    from carzero_viewer.model.bert_folder import load_bert_config
    from carzero_viewer.model.checkpoint import (
        check_keys,
        config_for,
        read_weights,
        save_official_checkpoint,
        save_safetensors,
    )
    from carzero_viewer.model.network import CarzeroModel
    from carzero_viewer.untrusted import read_bytes

    raw = read_weights(location.checkpoint)
    config = config_for(raw, load_bert_config(location.bert_dir), location.checkpoint)
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in CarzeroModel(config).state_dict().items()}
    check_keys(raw, expected, location.checkpoint)
    target = destination / f"{location.checkpoint.stem}.{'safetensors' if to == 'safetensors' else 'ckpt'}"
    bert_target = destination / "bert"
    in_place = bert_target.resolve() == location.bert_dir.resolve()
    bert_files = [] if in_place else sorted(p for p in location.bert_dir.iterdir() if p.is_file())
    if target.resolve() == location.checkpoint.resolve():
        raise WeightsError("destination is the source file", target)
    for existing in (target, *(bert_target / p.name for p in bert_files)):
        check_target(existing, force)
    ensure_directory(bert_target)
    if to == "safetensors":
        save_safetensors(raw, config, target, force=force)
    else:
        save_official_checkpoint(raw, target, config, force=force)
    for source in bert_files:
        write_bytes_atomic(bert_target / source.name, read_bytes(source, WeightsError), force=force)
    return target


def _demo(args: argparse.Namespace) -> int:
    from carzero_viewer.model.random_init import released_config, write_weights_folder

    path = write_weights_folder(
        args.destination, released_config(), seed=args.seed, fmt=args.format, force=args.force
    )
    print(
        f"wrote RANDOM (untrained) full-size weights to {path}; every result from them is labelled untrained"
    )
    return 0


def _download(args: argparse.Namespace) -> int:
    from carzero_viewer.commands.progress import StageProgress
    from carzero_viewer.weights_download.errors import DownloadError
    from carzero_viewer.weights_download.pipeline import (
        NO_PUBLISHED_CHECKSUM,
        DownloadRequest,
        default_destination,
        download_weights,
    )

    if args.delete_pickle and not args.convert:
        raise DownloadError("--delete-pickle only makes sense with --convert (the pickle is the only copy)")
    request = DownloadRequest(
        destination=args.to or default_destination(),
        checkpoint_url=args.checkpoint_url,
        checkpoint_file=args.checkpoint_file,
        force=args.force,
    )
    print(f"destination: {request.destination}")
    with StageProgress() as progress:
        result = download_weights(request, check_structure, progress)
    print(f"checkpoint: {result.location.checkpoint}")
    print(f"sha256:     {result.sha256}")
    print(f"            {NO_PUBLISHED_CHECKSUM}")
    if args.convert:
        _convert_downloaded(result.location, result.trained, args.force, args.delete_pickle)
    return 0


def _convert_downloaded(location: WeightsLocation, trained: bool, force: bool, delete_pickle: bool) -> None:
    """``--convert``: the safetensors form beside the pickle (preferred by the lookup), checksum recorded."""
    from carzero_viewer.checksums import ManifestEntry, record_checksum, sha256_file

    folder = location.checkpoint.parent
    target = convert_weights(location, folder, "safetensors", force)
    sha = sha256_file(target)
    record_checksum(
        ManifestEntry(str(target.resolve()), sha, trained, f"converted from {location.checkpoint}")
    )
    print(f"converted:  {target} (sha256 {sha})")
    if delete_pickle:
        location.checkpoint.unlink()
        print(f"deleted:    {location.checkpoint}")


def _list(args: argparse.Namespace) -> int:
    from carzero_viewer.checksums import sha256_file
    from carzero_viewer.paths import resolve_weights_folder, weights_candidates
    from carzero_viewer.weights_download.space import human_size

    for source, folder in weights_candidates():
        partial = sorted(p for p in folder.glob("*.part") if p.is_file()) if folder.is_dir() else []
        for part in partial:
            print(
                f"{source}: {part}: partial download, {part.stat().st_size:,} bytes (`weights download` resumes it)"
            )
        try:
            location = resolve_weights_folder(folder)
        except WeightsError as exc:
            print(f"{source}: {folder}: none ({exc.reason})")
            continue
        sha = sha256_file(location.checkpoint)
        size = location.checkpoint.stat().st_size
        print(f"{source}: {location.checkpoint} ({human_size(size)})")
        print(f"    sha256 {sha}; {_provenance(location, sha)}; bert {location.bert_dir}")
    return 0


def _provenance(location: WeightsLocation, sha: str) -> str:
    """Trained or not: from a manifest entry, else from what the file says about itself (demo files do)."""
    from carzero_viewer.checksums import lookup
    from carzero_viewer.model.checkpoint import read_weights

    entry = lookup(sha)
    if entry is not None:
        return f"{'trained' if entry.trained else 'UNTRAINED'} ({entry.description})"
    try:
        info = read_weights(location.checkpoint).info
    except WeightsError as exc:
        return f"unreadable ({exc.reason})"
    if info.get("trained") is False:
        return "UNTRAINED (the file says so)"
    return "presumed trained; its checksum is in no manifest (compare it with colleagues')"
