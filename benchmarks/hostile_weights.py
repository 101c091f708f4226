"""Crafted weights for ``hostile_inputs.py``: checkpoints, BERT folders and safetensors files.

Everything starts from the tiny fixture (official layout: ``checkpoint.ckpt`` + ``bert/``), converted by the
CLI under test to safetensors and back to a plain-data ``.ckpt`` (which ``torch.load(weights_only=True)``
reads, so its dict can be edited and saved again). Malicious pickles are spliced into a real checkpoint's
``data.pkl`` as raw opcodes, so everything but the hostile value is a valid checkpoint.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import struct
import zipfile
from pathlib import Path
from typing import Any

from hostile_cases import DEEP, EITHER, ERROR, FIFO_HANG_S, Case, Context, absent, deep_json, score

PLACEHOLDER = "HOSTILE-PLACEHOLDER-7f3a"
TUPLE1_REDUCE = b"\x85R"  # pickle: wrap the top of the stack in a 1-tuple, call the callable below it


def weights_copy(ctx: Context, name: str, source: Path, checkpoint: str | None = None) -> Path:
    """A case folder holding ``source``'s ``bert/`` (and its ``checkpoint`` file when named)."""
    folder = ctx.folder(name)
    shutil.copytree(source / "bert", folder / "bert", dirs_exist_ok=True)
    if checkpoint is not None:
        shutil.copy(source / checkpoint, folder / checkpoint)
    return folder


def _binunicode(text: str) -> bytes:
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def spliced_checkpoint(payload: dict[str, Any], key: str, opcodes: bytes, dest: Path) -> None:
    """``torch.save`` ``payload`` with ``payload[key]`` replaced by raw pickle ``opcodes`` (protocol 2)."""
    import torch

    buffer = io.BytesIO()
    torch.save({**payload, key: PLACEHOLDER}, buffer)
    marker = _binunicode(PLACEHOLDER)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/data.pkl"):
                if data.count(marker) != 1:
                    raise RuntimeError("the placeholder is not in data.pkl exactly once")
                data = data.replace(marker, opcodes)
            out.writestr(info.filename, data)


def checkpoint_cases(ctx: Context) -> list[Case]:
    """Edited ``.ckpt`` dicts (sizes, epsilons, dtypes, strides) and spliced malicious pickles."""
    import torch

    payload = torch.load(ctx.ckpt / "checkpoint.ckpt", weights_only=True)
    state, architecture = payload["state_dict"], payload["fixture_architecture"]
    cls_key = next(k for k in state if k.endswith("cls_token"))
    huge = torch.zeros(1, dtype=torch.float16).expand(1, 65536, 65536)  # 4.3e9 elements on one stored value
    edits: dict[str, tuple[str, bool, dict[str, Any]]] = {
        "ckpt_hparam_string": (ERROR, False, {"hyper_parameters": {"data": {"image": {"imsize": "9"}}}}),
        "ckpt_hparam_inf": (ERROR, False, {"hyper_parameters": {"data": {"text": {"word_num": math.inf}}}}),
        "ckpt_arch_string_heads": (ERROR, False, {"fixture_architecture": {**architecture, "vit": {
            **architecture["vit"], "num_heads": "four"}}}),
        "ckpt_negative_layernorm_eps": (ERROR, True, {"fixture_architecture": {**architecture, "vit": {
            **architecture["vit"], "layernorm_eps": -1.0}}}),
        "ckpt_state_dict_list": (ERROR, False, {"state_dict": list(state.values())}),
        "ckpt_fp16": (EITHER, True, {"state_dict": {k: v.half() for k, v in state.items()}}),
        "ckpt_bf16": (EITHER, False, {"state_dict": {k: v.bfloat16() for k, v in state.items()}}),
        "ckpt_fp64": (EITHER, False, {"state_dict": {k: v.double() for k, v in state.items()}}),
        "ckpt_zero_stride_tensor": (ERROR, True, {"state_dict": {**state, cls_key: huge}}),
    }  # fmt: skip
    cases = []
    for name, (expect, quick, changes) in edits.items():
        folder = weights_copy(ctx, name, ctx.ckpt)
        torch.save({**payload, **changes}, folder / "checkpoint.ckpt")
        out = folder / "out.json"
        command = score(ctx, folder, "--json", out)
        cases.append(Case(name, command, expect, "checkpoint.ckpt", quick, outputs=[out]))

    nested = (b"}" + _binunicode("a")) * DEEP + b"}" + b"s" * DEEP  # {"a": {"a": ...}} without recursion
    bytearray_2gb = b"cbuiltins\nbytearray\n\x8a\x05" + (2**31).to_bytes(5, "little") + TUPLE1_REDUCE
    for name, key, opcodes, quick in (
        ("ckpt_deep_hparams", "hyper_parameters", nested, False),
        ("ckpt_2gb_bytearray", "callbacks", bytearray_2gb, True),
    ):
        folder = weights_copy(ctx, name, ctx.ckpt)
        spliced_checkpoint(payload, key, opcodes, folder / "checkpoint.ckpt")
        cases.append(Case(name, score(ctx, folder), ERROR, "checkpoint.ckpt", quick))

    for name, zipped in (("ckpt_pickle_os_system", True), ("ckpt_legacy_pickle_os_system", False)):
        folder = weights_copy(ctx, name, ctx.ckpt)
        marker = folder / "PWNED"
        opcodes = b"cos\nsystem\n" + _binunicode(f"touch {marker}") + TUPLE1_REDUCE
        if zipped:
            spliced_checkpoint(payload, "callbacks", opcodes, folder / "checkpoint.ckpt")
        else:
            (folder / "checkpoint.ckpt").write_bytes(b"\x80\x02" + opcodes + b".")
        cases.append(Case(name, score(ctx, folder), ERROR, "checkpoint.ckpt", zipped, [absent(marker)]))

    folder = weights_copy(ctx, "ckpt_truncated", ctx.ckpt)
    data = (ctx.ckpt / "checkpoint.ckpt").read_bytes()
    (folder / "checkpoint.ckpt").write_bytes(data[: len(data) // 2])
    cases.append(Case("ckpt_truncated", score(ctx, folder), ERROR, "checkpoint.ckpt", True))
    return cases


def bert_cases(ctx: Context) -> list[Case]:
    """The official tiny checkpoint with one hostile file in its ``bert/`` folder."""
    config = json.loads((ctx.tiny / "bert" / "config.json").read_text())
    vocab = (ctx.tiny / "bert" / "vocab.txt").read_text(encoding="utf-8").splitlines()
    files = {
        "bert_tokenizer_option_type": ("tokenizer_config.json", '{"do_lower_case": "yes"}', False),
        "bert_negative_layernorm_eps": ("config.json", json.dumps({**config, "layer_norm_eps": -1.0}), False),
        "bert_config_deep": ("config.json", deep_json(), False),
        "bert_vocab_duplicates": (
            "vocab.txt",
            "\n".join([*vocab[:-1], vocab[-2]]) + "\n",
            True,
        ),  # same count
    }
    cases = []
    for name, (file, text, quick) in files.items():
        folder = weights_copy(ctx, name, ctx.tiny, "checkpoint.ckpt")
        (folder / "bert" / file).write_text(text, encoding="utf-8")
        out = folder / "out.json"
        cases.append(Case(name, score(ctx, folder, "--json", out), ERROR, file, quick, outputs=[out]))
    return cases


def safetensors_cases(ctx: Context) -> list[Case]:
    """The safetensors form with a hostile configuration in its metadata, reduced precision or truncated."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    source = ctx.safetensors / "checkpoint.safetensors"
    tensors = load_file(str(source))
    with safe_open(str(source), "pt") as handle:
        metadata = dict(handle.metadata())
    config = json.loads(metadata["carzero_config"])

    def vision(**changes: Any) -> str:
        return json.dumps({**config, "vision": {**config["vision"], **changes}})

    variants = {
        "st_depth_100000": (ERROR, True, vision(depth=100_000)),
        "st_patch_size_0": (ERROR, False, vision(patch_size=0)),
        "st_string_size": (ERROR, False, vision(embed_dim="64")),
        "st_infinite_size": (ERROR, False, vision(img_size=float("inf"))),
        "st_negative_layernorm_eps": (ERROR, False, vision(layernorm_eps=-1.0)),
        "st_deep_config": (ERROR, True, deep_json()),
        "st_fp16": (EITHER, False, json.dumps(config)),
    }
    cases = []
    for name, (expect, quick, config_text) in variants.items():
        folder = weights_copy(ctx, name, ctx.safetensors)
        stored = {k: v.half() for k, v in tensors.items()} if name == "st_fp16" else tensors
        save_file(stored, str(folder / source.name), {**metadata, "carzero_config": config_text})
        out = folder / "out.json"
        cases.append(Case(name, score(ctx, folder, "--json", out), expect, source.name, quick, outputs=[out]))

    data = source.read_bytes()
    damaged = {
        "st_truncated": data[: len(data) * 2 // 3],
        "st_header_length_2_63": (2**63).to_bytes(8, "little") + data[8:],
    }
    for name, content in damaged.items():
        folder = weights_copy(ctx, name, ctx.safetensors)
        (folder / source.name).write_bytes(content)
        cases.append(Case(name, score(ctx, folder), ERROR, source.name))
    return cases


def fifo_weights_cases(ctx: Context) -> list[Case]:
    """A weights folder whose checkpoint, BERT config or vocabulary is a FIFO nobody writes to."""
    cases = []
    for name, source, relative in (
        ("fifo_checkpoint", ctx.tiny, "checkpoint.ckpt"),
        ("fifo_safetensors", ctx.safetensors, "checkpoint.safetensors"),
        ("fifo_bert_config", ctx.tiny, "bert/config.json"),
        ("fifo_vocab", ctx.tiny, "bert/vocab.txt"),
    ):
        folder = ctx.work / name
        shutil.copytree(source, folder)
        (folder / relative).unlink()
        os.mkfifo(folder / relative)
        # --weights names the folder: an error naming it (or the FIFO inside) names the file the user gave
        cases.append(Case(name, score(ctx, folder), ERROR, name, time_limit_s=FIFO_HANG_S))
    return cases


BUILDERS = (checkpoint_cases, bert_cases, safetensors_cases, fifo_weights_cases)
