"""Checks on every tensor a weights file hands us, before anything reads its data.

A ``.ckpt`` describes each tensor as a view (size, stride, offset) of a storage record; nothing obliges that
view to be sensible. A stride of 0 on a long axis, or strides that make elements overlap, describe a tensor
far larger than the bytes in the file, and the first copy (a dtype cast, a finiteness check, ``contiguous``)
would materialise it: gigabytes from a few bytes. So the layout is checked with plain integer arithmetic on the
metadata first; only then is the data touched. The dtype policy and the element bounds are those of
:mod:`.weights_bounds`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor

from carzero_viewer.errors import WeightsError
from carzero_viewer.model.weights_bounds import MAX_TENSOR_ELEMENTS, MAX_TOTAL_ELEMENTS
from carzero_viewer.untrusted import fail, require_choice, require_int, require_object

# Reduced or extended precision is widened/narrowed to the float32 the model runs in (weights_bounds).
CAST_TO_FLOAT32 = frozenset({torch.float16, torch.bfloat16, torch.float64})
# The two integer buffers an old BertModel checkpoint carries; they are never used (see checkpoint.py).
INTEGER_BUFFERS = frozenset(
    {"text_encoder.model.embeddings.position_ids", "text_encoder.model.embeddings.token_type_ids"}
)


def check_layout(key: str, tensor: Tensor, path: Path) -> None:
    """Refuse a view that is too large, overlaps itself or reaches outside its storage.

    Sufficient condition for no overlap: with the axes longer than 1 sorted by stride, every stride exceeds
    the furthest offset the faster axes can reach. Computed on Python ints, so nothing is allocated.
    """
    field = f"state_dict[{key!r}]"
    numel = tensor.numel()
    if numel > MAX_TENSOR_ELEMENTS:
        fail(WeightsError, path, field, f"{numel:,} elements; at most {MAX_TENSOR_ELEMENTS:,} per tensor")
    if numel == 0:
        return
    reach = 0
    for stride, size in sorted(
        (st, sz) for sz, st in zip(tensor.shape, tensor.stride(), strict=True) if sz > 1
    ):
        if stride <= reach:
            fail(
                WeightsError,
                path,
                field,
                f"layout with strides {tuple(tensor.stride())} for shape {tuple(tensor.shape)} repeats or "
                "overlaps elements (a zero-stride or overlapping view would expand far beyond the file)",
            )
        reach += (size - 1) * stride
    available = tensor.untyped_storage().nbytes() // tensor.element_size()
    offset = tensor.storage_offset()
    if offset < 0 or offset + reach + 1 > available:
        fail(
            WeightsError,
            path,
            field,
            f"view (offset {offset}, last element {offset + reach}) reaches past its storage of {available} elements",
        )


def _check_dtype(key: str, value: Tensor, path: Path) -> None:
    if value.dtype in CAST_TO_FLOAT32 or value.dtype == torch.float32:
        return
    if value.dtype == torch.int64 and key in INTEGER_BUFFERS:
        return
    fail(
        WeightsError,
        path,
        f"state_dict[{key!r}]",
        f"has dtype {str(value.dtype).removeprefix('torch.')}; CARZero weights are float32 "
        "(float16, bfloat16 and float64 are converted)",
    )


def checked_tensors(entries: Mapping[str, object], path: Path) -> dict[str, Tensor]:
    """The entries as tensors after every check of this module, floating point ones cast to float32.

    All entries are checked (type, layout, dtype, total size) before the first cast allocates anything.

    Raises:
        WeightsError: naming the file and the entry.
    """
    tensors: dict[str, Tensor] = {}
    for key, value in entries.items():
        if not isinstance(value, Tensor):
            fail(WeightsError, path, f"state_dict[{key!r}]", f"is not a tensor ({type(value).__name__})")
        check_layout(key, value, path)
        _check_dtype(key, value, path)
        tensors[key] = value
    check_total_elements(sum(t.numel() for t in tensors.values()), path)
    return {key: t.to(torch.float32) if t.dtype in CAST_TO_FLOAT32 else t for key, t in tensors.items()}


# safetensors dtype names -> bytes per element, for the dtypes the policy above admits.
SAFETENSORS_DTYPES = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8}


def check_safetensors_entry(key: str, entry: object, data_bytes: int, path: Path) -> int:
    """Check one tensor entry of a safetensors header against the file; returns its element count.

    The entry must name an admitted dtype, a shape of non-negative ints within the per-tensor bound, and a
    byte range inside the data section whose length is exactly ``elements x itemsize``.
    """
    field = f"header[{key!r}]"
    item = require_object(entry, path, WeightsError, field)
    dtype = require_choice(item.get("dtype"), path, WeightsError, field + ".dtype", tuple(SAFETENSORS_DTYPES))
    shape = item.get("shape")
    if not isinstance(shape, list) or len(shape) > 8:
        fail(WeightsError, path, field + ".shape", "must be a list of at most 8 sizes")
    numel = 1
    for axis, size in enumerate(shape):
        numel *= require_int(size, path, WeightsError, f"{field}.shape[{axis}]", 0, MAX_TENSOR_ELEMENTS)
        if numel > MAX_TENSOR_ELEMENTS:
            fail(
                WeightsError, path, field + ".shape", f"more than {MAX_TENSOR_ELEMENTS:,} elements per tensor"
            )
    offsets = item.get("data_offsets")
    if not isinstance(offsets, list) or len(offsets) != 2:
        fail(WeightsError, path, field + ".data_offsets", "must be a list [begin, end]")
    begin = require_int(offsets[0], path, WeightsError, field + ".data_offsets[0]", 0, data_bytes)
    end = require_int(offsets[1], path, WeightsError, field + ".data_offsets[1]", begin, data_bytes)
    if end - begin != numel * SAFETENSORS_DTYPES[str(dtype)]:
        fail(
            WeightsError,
            path,
            field + ".data_offsets",
            f"span {end - begin} bytes, but shape {shape} of {dtype} needs {numel * SAFETENSORS_DTYPES[str(dtype)]}",
        )
    return numel


def all_finite(tensor: Tensor) -> bool:
    """True when every element of ``tensor`` is finite, usually at the cost of one sum instead of a full scan.

    Why this is exact: in IEEE arithmetic no addition turns NaN or an infinity back into a finite number
    (``inf + x = inf`` for finite ``x``, ``inf + -inf = NaN``, ``NaN + x = NaN``), whatever the summation order
    or vectorisation, so a tensor holding any non-finite value has a non-finite sum. A finite sum therefore
    proves every element finite. The converse fails (finite values near 3.4e38 can overflow a float32 sum to
    ``inf``), so a non-finite sum falls back to the exact element-wise scan. Integer tensors are always finite.
    The scan of ``torch.isfinite`` allocates a boolean tensor per weight and costs ~0.6 s on the full-size
    model; the sum costs ~0.05 s (``benchmarks/model_load.py``).
    """
    if not tensor.is_floating_point():
        return True
    if bool(torch.isfinite(tensor.sum())):
        return True
    return bool(torch.isfinite(tensor).all())


def check_total_elements(total: int, path: Path) -> None:
    """Refuse a file whose tensors hold more than :data:`MAX_TOTAL_ELEMENTS` numbers in all."""
    if total > MAX_TOTAL_ELEMENTS:
        fail(
            WeightsError,
            path,
            None,
            f"tensors hold {total:,} numbers; at most {MAX_TOTAL_ELEMENTS:,} are loaded",
        )
