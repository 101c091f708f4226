"""``carzero-viewer weights verify|convert|demo``: check, convert and create weight folders."""

from __future__ import annotations

import argparse
from pathlib import Path

from carzero_viewer.errors import WeightsError
from carzero_viewer.files import check_target, ensure_directory, write_bytes_atomic


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
    demo = actions.add_parser("demo", help="write RANDOM full-size weights (untrained, for trying the app)")
    demo.add_argument("destination", type=Path)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--format", choices=("ckpt", "safetensors"), default="safetensors")
    demo.add_argument("--force", action="store_true", help="overwrite existing files")


def run(args: argparse.Namespace) -> int:
    action = {"verify": _verify, "convert": _convert, "demo": _demo}[args.weights_action]
    return action(args)


def _verify(args: argparse.Namespace) -> int:
    from carzero_viewer.checksums import load_manifest, lookup, sha256_file
    from carzero_viewer.model.loader import load_model
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
    loaded = load_model(location)
    info = loaded.info
    print(f"bert:       {location.bert_dir}")
    print(f"structure:  all tensors present with the expected shapes; status {info.status.value}")
    print(f"            ({info.status_detail})")
    return 0


def _convert(args: argparse.Namespace) -> int:
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
    from carzero_viewer.paths import find_weights
    from carzero_viewer.untrusted import read_bytes

    location = find_weights(args.source)
    raw = read_weights(location.checkpoint)
    config = config_for(raw, load_bert_config(location.bert_dir), location.checkpoint)
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in CarzeroModel(config).state_dict().items()}
    check_keys(raw, expected, location.checkpoint)
    destination: Path = args.destination
    target = (
        destination / f"{location.checkpoint.stem}.{'safetensors' if args.to == 'safetensors' else 'ckpt'}"
    )
    bert_files = sorted(p for p in location.bert_dir.iterdir() if p.is_file())
    bert_target = destination / "bert"
    if target.resolve() == location.checkpoint.resolve():
        raise WeightsError("destination is the source file", target)
    for existing in (target, *(bert_target / p.name for p in bert_files)):
        check_target(existing, args.force)
    ensure_directory(bert_target)
    if args.to == "safetensors":
        save_safetensors(raw, config, target, force=args.force)
    else:
        save_official_checkpoint(raw, target, config, force=args.force)
    for source in bert_files:
        write_bytes_atomic(bert_target / source.name, read_bytes(source, WeightsError), force=args.force)
    print(f"wrote {target} and {bert_target}/")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from carzero_viewer.model.random_init import released_config, write_weights_folder

    path = write_weights_folder(
        args.destination, released_config(), seed=args.seed, fmt=args.format, force=args.force
    )
    print(
        f"wrote RANDOM (untrained) full-size weights to {path}; every result from them is labelled untrained"
    )
    return 0
