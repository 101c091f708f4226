"""Fuzzing the weights-configuration readers: random and mutated values give a valid config or a typed error.

The fixture's stored configuration (safetensors form), its hyper-parameters and ``fixture_architecture``
(``.ckpt`` form), BERT ``config.json`` settings and tokenizer options are mutated field by field with values of
every JSON/pickle type, boundary integers, non-finite floats and deep nesting, and random configurations are
drawn whole. The only acceptable outcomes are a configuration from which the network builds (on the meta
device, so no memory is spent) or a :class:`ModelLoadError`/:class:`WeightsError`; any other exception is a
hole in the boundary. Example counts are modest so that CI stays fast; raise them locally with
``--hypothesis-seed`` / a profile when changing the readers.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carzero_viewer.errors import ModelLoadError, WeightsError
from carzero_viewer.model.config import CarzeroConfig, check_bert_settings, infer_config
from carzero_viewer.model.network import CarzeroModel
from carzero_viewer.model.weights_fields import (
    read_architecture,
    read_stored_config,
    read_tokenizer_options,
    read_training_hints,
)
from carzero_viewer.untrusted import parse_json
from tests.unit.model.hostile import fixture_raw, stored_config

PATH = Path("weights/checkpoint.safetensors")
TYPED = (ModelLoadError, WeightsError)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

RAW = fixture_raw()
SHAPES = {k: tuple(v.shape) for k, v in RAW.tensors.items()}
STORED = stored_config()

boundary_ints = st.sampled_from(
    [0, 1, -1, 2, 3, 4, 7, 16, 63, 64, 65, 97, 128, 129, 512, 2**31, 2**63, 10**30]
)
floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, -0.0, 1e-12, -1e-12, 1e-45, 1e400]
)
scalars = st.none() | st.booleans() | st.integers() | boundary_ints | floats | st.text(max_size=20)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _nested(depth: int) -> Any:
    node: Any = 1
    for _ in range(depth):
        node = {"a": node}
    return node


hostile_values = values | st.integers(min_value=60, max_value=200).map(_nested)


def _paths(tree: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key path of a nested dict (inner nodes included, so whole sections get replaced too)."""
    found = [prefix] if prefix else []
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += _paths(value, (*prefix, key))
    return found


def _mutate(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    mutated = copy.deepcopy(tree)
    node = mutated
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return mutated


def _buildable(config: CarzeroConfig) -> None:
    """A configuration the readers accept must build; the meta device makes that free of memory."""
    with torch.device("meta"):
        CarzeroModel(config)


@FUZZ
@given(data=st.data())
def test_stored_configuration_mutations(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(_paths(STORED)))
    mutated = _mutate(STORED, path, data.draw(boundary_ints | hostile_values))
    try:
        config = read_stored_config(mutated, PATH, "__metadata__.carzero_config.")
    except TYPED as error:
        assert "\n" not in str(error) and error.path == PATH
        return
    _buildable(config)


@FUZZ
@given(text=st.text(max_size=200) | st.sampled_from(["", "[]", "{}", '{"vision": {}}']))
def test_stored_configuration_text(text: str) -> None:
    try:
        read_stored_config(parse_json(text, PATH, ModelLoadError), PATH, "cfg.")
    except TYPED as error:
        assert error.path == PATH


@FUZZ
@given(data=st.data())
def test_stored_configuration_json_byte_flips(data: st.DataObject) -> None:
    text = bytearray(json.dumps(STORED).encode())
    for _ in range(data.draw(st.integers(1, 4))):
        text[data.draw(st.integers(0, len(text) - 1))] = data.draw(
            st.sampled_from(b'0123456789-.e"[]{}:,tn ')
        )
    try:
        config = read_stored_config(parse_json(text.decode(), PATH, ModelLoadError), PATH, "cfg.")
    except TYPED:
        return
    _buildable(config)


@FUZZ
@given(data=st.data())
def test_checkpoint_hyper_parameters_and_architecture(data: st.DataObject) -> None:
    hparams: Any = RAW.hparams
    architecture: Any = RAW.architecture
    if data.draw(st.booleans()):
        hparams = _mutate(hparams, data.draw(st.sampled_from(_paths(hparams))), data.draw(hostile_values))
    else:
        architecture = _mutate(
            architecture, data.draw(st.sampled_from(_paths(architecture))), data.draw(hostile_values)
        )
    if data.draw(st.booleans()):
        hparams = data.draw(hostile_values)
    try:
        hints = read_training_hints(hparams, PATH)
        config = infer_config(
            SHAPES, check_bert_settings({}, PATH), hints, read_architecture(architecture, PATH), PATH
        )
    except TYPED as error:
        assert "\n" not in str(error) and error.path == PATH
        return
    _buildable(config)


@FUZZ
@given(settings_=st.dictionaries(st.sampled_from(sorted(STORED["text"]["bert"])), hostile_values, max_size=6))
def test_bert_settings(settings_: dict[str, Any]) -> None:
    base = dict(STORED["text"]["bert"])
    base.update(settings_)
    try:
        clean = check_bert_settings(base, PATH, complete=True)
    except TYPED:
        return
    assert set(clean) <= set(STORED["text"]["bert"])
    assert all(
        isinstance(clean[k], int) and not isinstance(clean[k], bool) for k in ("hidden_size", "vocab_size")
    )


@FUZZ
@given(options=hostile_values)
def test_tokenizer_options(options: Any) -> None:
    try:
        clean = read_tokenizer_options(options, PATH)
    except TYPED:
        return
    assert all(value is None or isinstance(value, bool) for value in clean.values())


@FUZZ
@given(data=st.data())
def test_tensor_shapes(data: st.DataObject) -> None:
    """Sizes inferred from (crafted) tensor shapes pass the same bounds as declared ones."""
    shapes = dict(SHAPES)
    for _ in range(data.draw(st.integers(1, 3))):
        key = data.draw(st.sampled_from(sorted(shapes)))
        if data.draw(st.booleans()):
            del shapes[key]
        else:
            sizes = st.integers(0, 300) | boundary_ints.filter(lambda n: 0 <= n < 2**40)
            shapes[key] = tuple(data.draw(st.lists(sizes, max_size=5)))
    try:
        config = infer_config(shapes, check_bert_settings({"num_attention_heads": 4}, PATH), None, None, PATH)
    except TYPED as error:
        assert "\n" not in str(error) and error.path == PATH
        return
    _buildable(config)


SWEEP = (
    0,
    -1,
    1,
    2,
    3,
    15,
    16,
    63,
    65,
    129,
    513,
    4097,
    2**31,
    10**30,
    0.5,
    -1e-12,
    1e-300,
    1e300,
    True,
    "8",
    None,
)


def _leaves(tree: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(tree, dict):
        return [leaf for key, value in tree.items() for leaf in _leaves(value, (*prefix, key))]
    return [prefix]


def test_every_stored_field_at_its_boundaries() -> None:
    """Systematic companion of the random mutations: every leaf of the stored configuration (and every MLP
    width) set to each boundary value; random draws rarely hit one exact field/value pair."""
    leaves = _leaves(STORED) + [
        ("fusion", "mlp_dims", str(i)) for i in range(len(STORED["fusion"]["mlp_dims"]))
    ]
    for leaf in leaves:
        for value in SWEEP:
            if leaf[-1].isdigit():
                mutated = copy.deepcopy(STORED)
                mutated["fusion"]["mlp_dims"][int(leaf[-1])] = value
            else:
                mutated = _mutate(STORED, leaf, value)
            try:
                config = read_stored_config(mutated, PATH, "cfg.")
            except TYPED as error:
                assert "\n" not in str(error) and error.path == PATH
                continue
            _buildable(config)
