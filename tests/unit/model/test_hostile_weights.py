"""Hostile weights built from the tiny fixture: each ends in one typed line naming the file and the field.

Issue 11, item 6: before the checks these gave tracebacks, NaN scores with exit 0, a hang, or gigabytes.
"""

from __future__ import annotations

import copy
import json
import pickle
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from carzero_viewer.errors import ModelLoadError, WeightsError
from carzero_viewer.inference.device import select_device
from carzero_viewer.inference.engine import InferenceEngine
from carzero_viewer.model.preprocessing import decode_grayscale
from tests.unit.model.conftest import FIXTURE
from tests.unit.model.hostile import (
    assert_refused,
    copy_bert,
    fixture_raw,
    load,
    stored_config,
    write_ckpt,
    write_safetensors,
)


class _Call:
    """Pickles as ``function(*args)``: how a crafted checkpoint asks the unpickler to build something."""

    def __init__(self, function: object, *args: object) -> None:
        self.function, self.args = function, args

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return self.function, self.args


def _scores(folder: Path) -> np.ndarray:
    engine = InferenceEngine(load(folder), select_device("cpu"), pack_weights=False)
    results = engine.score_texts(
        decode_grayscale(FIXTURE / "image.png"), ["There is effusion."], word_maps=False
    )
    return np.array([r.score for r in results])


# --- configuration values: the .ckpt form (hyper-parameters, fixture_architecture, BERT config.json) -----


@pytest.mark.parametrize(
    ("section", "dotted", "value", "pattern"),
    [
        (
            "hparams",
            "data.text.word_num",
            "97",
            r"hyper_parameters\.data\.text\.word_num: must be an integer",
        ),
        ("hparams", "data.text.word_num", float("inf"), r"word_num: must be an integer, not a number"),
        ("hparams", "data.text.word_num", 10**30, r"word_num: \d+ is outside the accepted range 3\.\.512"),
        (
            "hparams",
            "data.text.word_num",
            200,
            r"text\.max_length: 200 is outside the accepted range 3\.\.128",
        ),
        ("hparams", "model.text", "not a mapping", r"hyper_parameters\.model\.text: must be an object"),
        ("hparams", "model.text.last_n_layers", 0, r"last_n_layers: 0 is outside"),
        (
            "hparams",
            "data.image.imsize",
            100,
            r"preprocess\.resize_to: 100 is outside the accepted range 224\.\.",
        ),
        (
            "architecture",
            "vit.layernorm_eps",
            -1e-6,
            r"fixture_architecture\.vit\.layernorm_eps: -1e-06 is outside",
        ),
        ("architecture", "fusion.layernorm_eps", float("inf"), r"fusion\.layernorm_eps: inf is not a finite"),
        ("architecture", "fusion.layernorm_eps", 0.0, r"fusion\.layernorm_eps: 0 is outside"),
        ("architecture", "vit.num_heads", 3, r"vision\.num_heads: 3 heads do not divide the width 64"),
        ("architecture", "vit.num_heads", "4", r"vit\.num_heads: must be an integer, not a string"),
        ("architecture", "fusion.num_heads", True, r"fusion\.num_heads: must be an integer, not a boolean"),
    ],
)
def test_ckpt_configuration_values(
    tmp_path: Path, section: str, dotted: str, value: Any, pattern: str
) -> None:
    raw = fixture_raw()
    tree = raw.hparams if section == "hparams" else raw.architecture
    assert tree is not None
    *parents, last = dotted.split(".")
    for part in parents:
        tree = tree[part]
    tree[last] = value
    path = write_ckpt(tmp_path / "w", raw)
    assert_refused(lambda: load(tmp_path / "w"), ModelLoadError, pattern, path)


def test_deeply_nested_hyper_parameters(tmp_path: Path) -> None:
    raw = fixture_raw()
    nested: Any = {}
    for _ in range(300):
        nested = {"a": nested}
    raw.hparams["deep"] = nested
    path = write_ckpt(tmp_path / "w", raw)
    assert_refused(
        lambda: load(tmp_path / "w"), WeightsError, r"hyper_parameters: nested deeper than 64", path
    )


def test_cyclic_hyper_parameters(tmp_path: Path) -> None:
    raw = fixture_raw()
    loop: list[Any] = []
    loop.append(loop)
    raw.hparams["loop"] = loop
    path = write_ckpt(tmp_path / "w", raw)
    assert_refused(
        lambda: load(tmp_path / "w"), WeightsError, r"hyper_parameters: nested deeper .*cyclic", path
    )


@pytest.mark.parametrize(
    ("key", "value", "pattern"),
    [
        ("layer_norm_eps", -1e-12, r"config\.json: layer_norm_eps: -1e-12 is outside"),
        ("layer_norm_eps", "1e-12", r"layer_norm_eps: must be a number, not a string"),
        ("num_attention_heads", "4", r"config\.json: num_attention_heads: must be an integer"),
        ("num_hidden_layers", 1e400, r"num_hidden_layers: must be an integer, not a number"),
        ("hidden_dropout_prob", 2, r"hidden_dropout_prob: 2 is outside the accepted range \[0, 1\]"),
        ("hidden_act", ["gelu"], r"hidden_act: a list is not one of"),
        ("position_embedding_type", "relative_key", r"position_embedding_type: 'relative_key' is not one of"),
    ],
)
def test_bert_config_values(tmp_path: Path, key: str, value: Any, pattern: str) -> None:
    folder = copy_bert(tmp_path / "w")
    write_ckpt(folder, fixture_raw())
    config = folder / "bert" / "config.json"
    data = json.loads(config.read_text(encoding="utf-8"))
    data[key] = value
    config.write_text(json.dumps(data).replace("Infinity", "1e400"), encoding="utf-8")
    assert_refused(lambda: load(folder), ModelLoadError, pattern, config)


def test_bert_config_nan_literal_and_nesting(tmp_path: Path) -> None:
    folder = copy_bert(tmp_path / "w")
    write_ckpt(folder, fixture_raw())
    config = folder / "bert" / "config.json"
    config.write_text('{"layer_norm_eps": NaN}', encoding="utf-8")
    assert_refused(lambda: load(folder), WeightsError, r"NaN is not valid JSON", config)
    config.write_text('{"x": ' + "[" * 5000 + "]" * 5000 + "}", encoding="utf-8")
    assert_refused(lambda: load(folder), WeightsError, r"nested deeper than 64 levels", config)


@pytest.mark.parametrize(
    ("options", "pattern"),
    [
        (
            {"do_lower_case": "yes"},
            r"tokenizer_config\.json: do_lower_case: must be true or false, not a string",
        ),
        ({"strip_accents": 1}, r"strip_accents: must be true or false, not an integer"),
        ({"tokenize_chinese_chars": None}, r"tokenize_chinese_chars: must be true or false, not null"),
    ],
)
def test_tokenizer_option_types(tmp_path: Path, options: dict[str, Any], pattern: str) -> None:
    folder = copy_bert(tmp_path / "w")
    write_ckpt(folder, fixture_raw())
    path = folder / "bert" / "tokenizer_config.json"
    path.write_text(json.dumps(options), encoding="utf-8")
    assert_refused(lambda: load(folder), WeightsError, pattern, path)


# --- the pickle: large or deep non-tensor payloads ------------------------------------------------------


def test_two_gigabyte_bytearray_refused_without_allocating(tmp_path: Path) -> None:
    path = write_ckpt(tmp_path / "w", fixture_raw(), junk=_Call(bytearray, 2**31))
    assert_refused(lambda: load(tmp_path / "w"), WeightsError, r"calls bytearray\(<size>\)", path)


def test_large_literal_payload_refused(tmp_path: Path) -> None:
    path = write_ckpt(tmp_path / "w", fixture_raw(), junk=bytearray(2 * 1024 * 1024))
    assert_refused(lambda: load(tmp_path / "w"), WeightsError, r"data\.pkl: refused: .*2,097,152 bytes", path)


def test_constructor_expansion_refused(tmp_path: Path) -> None:
    text = "x" * 1_000_000
    path = write_ckpt(tmp_path / "w", fixture_raw(), junk=[_Call(list, text) for _ in range(5)])
    assert_refused(lambda: load(tmp_path / "w"), WeightsError, r"builds more than 4,000,000 elements", path)


def test_too_many_pickle_operations_refused(tmp_path: Path) -> None:
    path = write_ckpt(tmp_path / "w", fixture_raw(), junk=list(range(1_100_000)))
    assert_refused(lambda: load(tmp_path / "w"), WeightsError, r"more than 1,000,000 operations", path)


def test_oversized_pickle_record_refused_before_reading(tmp_path: Path) -> None:
    path = write_ckpt(tmp_path / "w", fixture_raw(), junk=[bytes(1024 * 1023) for _ in range(17)])
    assert_refused(
        lambda: load(tmp_path / "w"), WeightsError, r"data\.pkl: is [\d,]+ bytes; a checkpoint's pickle", path
    )


def test_non_string_state_key(tmp_path: Path) -> None:
    raw = fixture_raw()
    path = write_ckpt(tmp_path / "w", raw)
    payload = {"state_dict": {**{f"CARZero.{k}": v for k, v in raw.tensors.items()}, ("a",): torch.zeros(1)}}
    torch.save(payload, path)
    assert_refused(
        lambda: load(tmp_path / "w"), WeightsError, r"state_dict: has a key that is not a string", path
    )


# --- tensors: layout, size, dtype --------------------------------------------------------------------------


def test_zero_stride_tensor_refused(tmp_path: Path) -> None:
    raw = fixture_raw()
    raw.tensors["img_encoder.model.norm.weight"] = torch.ones(1).expand(64)
    path = write_ckpt(tmp_path / "w", raw)
    assert_refused(
        lambda: load(tmp_path / "w"), WeightsError, r"norm\.weight'\]: layout with strides \(0,\)", path
    )


def test_zero_stride_giant_tensor_refused(tmp_path: Path) -> None:
    raw = fixture_raw()
    raw.tensors["img_encoder.model.norm.weight"] = torch.ones(1).expand(100_000, 100_000)
    path = write_ckpt(tmp_path / "w", raw)
    assert_refused(lambda: load(tmp_path / "w"), WeightsError, r"10,000,000,000 elements; at most", path)


def test_overlapping_tensor_refused(tmp_path: Path) -> None:
    raw = fixture_raw()
    raw.tensors["img_encoder.model.pos_embed"] = torch.zeros(300).as_strided((1, 197, 64), (0, 1, 1))
    path = write_ckpt(tmp_path / "w", raw)
    assert_refused(lambda: load(tmp_path / "w"), WeightsError, r"pos_embed'\]: layout .* overlaps", path)


def test_view_past_its_storage_refused(tmp_path: Path) -> None:
    raw = fixture_raw()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TypedStorage is deprecated, but it is what checkpoints hold
        storage = torch.zeros(4).storage()
    rebuild = _Call(torch._utils._rebuild_tensor_v2, storage, 0, (64,), (1,), False, OrderedDict())
    path = write_ckpt(tmp_path / "w", raw)
    payload = {"state_dict": {**{f"CARZero.{k}": v for k, v in raw.tensors.items()}, "CARZero.x": rebuild}}
    torch.save(payload, path)
    assert_refused(
        lambda: load(tmp_path / "w"),
        WeightsError,
        r"truncated or corrupt \(Trying to resize storage|past its storage",
        path,
    )


@pytest.mark.parametrize("form", ["ckpt", "safetensors"])
def test_integer_tensor_refused(tmp_path: Path, form: str) -> None:
    raw = fixture_raw()
    raw.tensors["img_encoder.model.norm.weight"] = torch.ones(64, dtype=torch.int32)
    folder = tmp_path / "w"
    path = write_ckpt(folder, raw) if form == "ckpt" else write_safetensors(folder, raw.tensors)
    pattern = (
        r"norm\.weight'\]: has dtype int32" if form == "ckpt" else r"norm\.weight'\]\.dtype: 'I32' is not one"
    )
    assert_refused(lambda: load(folder), WeightsError, pattern, path)


@pytest.mark.parametrize("form", ["ckpt", "safetensors"])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_reduced_or_extended_precision_is_cast_to_float32(
    tmp_path: Path, form: str, dtype: torch.dtype
) -> None:
    raw = fixture_raw()
    reference = _scores(FIXTURE)
    raw.tensors = {k: v.to(dtype) if v.is_floating_point() else v for k, v in raw.tensors.items()}
    folder = tmp_path / "w"
    write_ckpt(folder, raw) if form == "ckpt" else write_safetensors(folder, raw.tensors)
    loaded = load(folder)
    assert all(p.dtype == torch.float32 for p in loaded.model.parameters())
    scores = _scores(folder)
    # float64 holds the float32 weights exactly: same scores to the fixture policy, 1e-5 relative to the
    # magnitude. Half precision keeps ~3 significant digits: only finiteness is asserted.
    assert np.isfinite(scores).all()
    if dtype == torch.float64:
        assert np.abs(scores - reference).max() <= 1e-5 * max(1.0, float(np.abs(reference).max()))


def test_float64_beyond_float32_range_refused(tmp_path: Path) -> None:
    raw = fixture_raw()
    raw.tensors = {k: v.double() for k, v in raw.tensors.items()}
    raw.tensors["img_encoder.model.norm.weight"][0] = 1e300
    path = write_ckpt(tmp_path / "w", raw)
    assert_refused(
        lambda: load(tmp_path / "w"), WeightsError, r"norm\.weight' contains NaN or infinite", path
    )


# --- the safetensors form: header and stored configuration -------------------------------------------------


@pytest.mark.parametrize(
    ("dotted", "value", "pattern"),
    [
        (
            "vision.depth",
            100_000,
            r"carzero_config\.vision\.depth: 100000 is outside the accepted range 1\.\.128",
        ),
        ("vision.depth", "2", r"carzero_config\.vision\.depth: must be an integer, not a string"),
        ("vision.patch_size", 0, r"vision\.patch_size: 0 is outside the accepted range 1\.\.224"),
        ("vision.patch_size", 15, r"vision\.patch_size: 15 does not divide the image size 224"),
        ("vision.layernorm_eps", -1e-6, r"vision\.layernorm_eps: -1e-06 is outside"),
        ("fusion.layernorm_eps", 1e400, r"fusion\.layernorm_eps: inf is not a finite number"),
        (
            "fusion.mlp_dims",
            [64, 32],
            r"fusion\.mlp_dims: \[64, 32\] must start at d_model \(64\) and end with one",
        ),
        ("fusion.num_heads", 0, r"fusion\.num_heads: 0 is outside"),
        ("text.bert.hidden_act", "swish", r"text\.bert\.hidden_act: 'swish' is not one of"),
        ("text.bert.layer_norm_eps", -1.0, r"text\.bert\.layer_norm_eps: -1 is outside"),
        ("text.bert.num_hidden_layers", 100_000, r"text\.bert\.num_hidden_layers: 100000 is outside"),
        ("text.max_length", 10**6, r"text\.max_length: 1000000 is outside"),
        ("preprocess.std", 0, r"preprocess\.std: 0 is outside"),
        ("preprocess.extra", 1, r"preprocess\.extra: is not a configuration field"),
        ("vision", [], r"carzero_config\.vision: must be an object, not a list"),
    ],
)
def test_safetensors_stored_configuration(tmp_path: Path, dotted: str, value: Any, pattern: str) -> None:
    data = stored_config()
    tree = data
    *parents, last = dotted.split(".")
    for part in parents:
        tree = tree[part]
    tree[last] = value
    path = write_safetensors(tmp_path / "w", config_text=json.dumps(data).replace("Infinity", "1e400"))
    assert_refused(lambda: load(tmp_path / "w"), ModelLoadError, pattern, path)


def test_safetensors_configuration_that_does_not_match_the_tensors(tmp_path: Path) -> None:
    data = stored_config()
    data["fusion"]["mlp_dims"] = [64, 1, 1]
    path = write_safetensors(tmp_path / "w", config_text=json.dumps(data))
    assert_refused(
        lambda: load(tmp_path / "w"), WeightsError, r"shape mismatch: fusion_module\.mlp_head", path
    )


def test_safetensors_depth_100000_is_refused_quickly(tmp_path: Path) -> None:
    import time

    data = stored_config()
    data["vision"]["depth"] = 100_000
    path = write_safetensors(tmp_path / "w", config_text=json.dumps(data))
    start = time.perf_counter()
    assert_refused(lambda: load(tmp_path / "w"), ModelLoadError, r"vision\.depth", path)
    assert time.perf_counter() - start < 10.0


@pytest.mark.parametrize(
    ("text", "error", "pattern"),
    [
        ("{not json", ModelLoadError, r"carzero_config is not valid JSON"),
        ('{"vision": Infinity}', ModelLoadError, r"Infinity is not valid JSON"),
        ("[" * 100 + "]" * 100, ModelLoadError, r"nested deeper than 64"),
        ("[1, 2]", ModelLoadError, r"carzero_config: must be an object, not a list"),
    ],
)
def test_safetensors_configuration_text(tmp_path: Path, text: str, error: type, pattern: str) -> None:
    path = write_safetensors(tmp_path / "w", config_text=text)
    assert_refused(lambda: load(tmp_path / "w"), error, pattern, path)


def test_safetensors_info_type(tmp_path: Path) -> None:
    path = write_safetensors(tmp_path / "w", info='{"trained": "no"}')
    assert_refused(
        lambda: load(tmp_path / "w"), WeightsError, r"carzero_info\.trained: must be true or false", path
    )


def _rewrite_header(path: Path, edit: Any) -> None:
    data = path.read_bytes()
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + length])
    edit(header)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(len(text).to_bytes(8, "little") + text + data[8 + length :])


def test_safetensors_header_bounds(tmp_path: Path) -> None:
    path = write_safetensors(tmp_path / "w")
    data = path.read_bytes()
    path.write_bytes((2**40).to_bytes(8, "little") + data[8:])
    assert_refused(lambda: load(tmp_path / "w"), WeightsError, r"header length past the end", path)
    path.write_bytes((17 * 1024 * 1024).to_bytes(8, "little") + b" " * (17 * 1024 * 1024))
    assert_refused(lambda: load(tmp_path / "w"), WeightsError, r"header: is 17,825,792 bytes; at most", path)


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (
            lambda e: e.update(shape=[64, 2**40]),
            r"\.shape: more than 268,435,456 elements|shape\[1\]: \d+ is outside",
        ),
        (lambda e: e.update(shape=[-1]), r"\.shape\[0\]: -1 is outside"),
        (lambda e: e.update(shape="64"), r"\.shape: must be a list"),
        (lambda e: e.update(data_offsets=[0, 2**50]), r"\.data_offsets\[1\]: \d+ is outside"),
        (
            lambda e: e.update(data_offsets=[0, 4]),
            r"\.data_offsets: span 4 bytes, but shape \[64\] of F32 needs 256",
        ),
        (lambda e: e.update(dtype="F8_E4M3"), r"\.dtype: 'F8_E4M3' is not one of"),
    ],
)
def test_safetensors_tensor_entries(tmp_path: Path, edit: Any, pattern: str) -> None:
    path = write_safetensors(tmp_path / "w")
    _rewrite_header(path, lambda header: edit(header["img_encoder.model.norm.weight"]))
    assert_refused(
        lambda: load(tmp_path / "w"),
        WeightsError,
        r"header\['img_encoder\.model\.norm\.weight'\]" + pattern,
        path,
    )


# --- vocab.txt ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "pattern"),
    [
        (lambda lines: [*lines[:-1], lines[5]], r"vocab\.txt: line 170: token '.*' repeats line 6"),
        (lambda lines: [*lines[:10], "", *lines[11:]], r"line 11: is empty"),
        (lambda lines: [t for t in lines if t != "[UNK]"], r"lacks the special token \[UNK\]"),
    ],
)
def test_vocab_content(tmp_path: Path, mutate: Any, pattern: str) -> None:
    folder = copy_bert(tmp_path / "w")
    write_ckpt(folder, fixture_raw())
    vocab = folder / "bert" / "vocab.txt"
    lines = vocab.read_text(encoding="utf-8").split("\n")[:-1]
    vocab.write_text("\n".join(mutate(copy.copy(lines))) + "\n", encoding="utf-8")
    assert_refused(lambda: load(folder), WeightsError, pattern, vocab)


def test_vocab_not_utf8_or_too_large(tmp_path: Path) -> None:
    folder = copy_bert(tmp_path / "w")
    write_ckpt(folder, fixture_raw())
    vocab = folder / "bert" / "vocab.txt"
    vocab.write_bytes(b"[PAD]\n\xff\xfe\n")
    assert_refused(lambda: load(folder), WeightsError, r"vocab\.txt is not UTF-8", vocab)
    with vocab.open("wb") as handle:
        handle.truncate(65 * 1024 * 1024)
    assert_refused(lambda: load(folder), WeightsError, r"vocab\.txt is 68,157,440 bytes; at most", vocab)


def test_plain_data_written_by_torch_still_loads(tmp_path: Path) -> None:
    """The bounded unpickler still reads what torch itself writes (protocol 2, the default)."""
    path = write_ckpt(
        tmp_path / "w", fixture_raw(), extra_set={1, 2}, extra_tuple=(1, "a"), extra={"k": [1.5]}
    )
    assert pickle.DEFAULT_PROTOCOL >= 2
    assert load(path.parent).info.checkpoint == path


def test_bert_heads_that_do_not_divide_the_width(tmp_path: Path) -> None:
    folder = copy_bert(tmp_path / "w")
    path = write_ckpt(folder, fixture_raw())
    config = folder / "bert" / "config.json"
    config.write_text(
        json.dumps({**json.loads(config.read_text(encoding="utf-8")), "num_attention_heads": 3})
    )
    # The width comes from the checkpoint's tensors, so the checkpoint is named with the BERT field.
    assert_refused(
        lambda: load(folder), ModelLoadError, r"text\.bert\.num_attention_heads: 3 heads do not divide", path
    )
