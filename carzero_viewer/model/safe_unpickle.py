"""A restricted unpickler for Lightning checkpoints: tensors and plain containers in, nothing executable.

A ``.ckpt`` is a pickle, and unpickling can call any importable callable (``os.system`` included). The released
checkpoint also pickles OmegaConf and PyTorch-Lightning objects, so ``torch.load(weights_only=True)`` refuses it
and a plain load needs the whole training stack. This module is the single gate: ``find_class`` returns

* torch's tensor/storage rebuild functions and dtypes, ``collections.OrderedDict``/``defaultdict`` and the
  builtin container and scalar types (explicit allow-list);
* inert stand-in classes for anything under ``omegaconf``, ``pytorch_lightning`` or ``lightning`` (they only
  record their constructor arguments and pickled state, and never run code), plus ``typing.Any`` which
  OmegaConf metadata references;

and refuses every other global with :class:`RefusedGlobal` *before* it is called. The stubbed OmegaConf tree is
then read back as plain Python by :func:`to_plain`.

Refusing code is not enough: plain data can still exhaust memory or the stack. ``bytearray(2**31)`` is a
40-byte pickle that allocates 2 GB, ``list(s)`` of a memoised string a million times is a small pickle that
allocates gigabytes, and a million nested lists crash every recursive walk. So (bounds and reasons in
:mod:`.weights_bounds`): the pickle stream is scanned before unpickling (:func:`scan_pickle`: size, opcode
count, string length), the builtin constructors are handed out wrapped so that integer-sized ``bytes`` and
``bytearray`` are refused and the elements they copy are counted against one budget, and :func:`to_plain`
stops at a nesting depth. Tensors are views whose layout is checked separately (``tensor_checks.py``).
"""

from __future__ import annotations

import collections
import io
import pickle
import pickletools
import typing
from collections.abc import Callable
from typing import IO, Any

import torch

from carzero_viewer.model.weights_bounds import (
    MAX_PICKLE_BUILT,
    MAX_PICKLE_BYTES,
    MAX_PICKLE_OPS,
    MAX_PICKLE_STRING,
)
from carzero_viewer.untrusted import MAX_JSON_DEPTH

# Python 2 module names that protocol-2 pickles use (the base Unpickler maps them after find_class).
_COMPAT_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}
_COMPAT_NAMES = {("builtins", "long"): "int", ("builtins", "unicode"): "str"}

_BUILTINS_ALLOWED = frozenset(
    {
        "dict",
        "list",
        "tuple",
        "set",
        "frozenset",
        "str",
        "bytes",
        "bytearray",
        "int",
        "float",
        "bool",
        "complex",
    }
)
_TORCH_ALLOWED = {
    "torch._utils": frozenset(
        {
            "_rebuild_tensor",
            "_rebuild_tensor_v2",
            "_rebuild_tensor_v3",
            "_rebuild_parameter",
            "_rebuild_parameter_with_state",
        }
    ),
    "torch._tensor": frozenset({"_rebuild_from_type_v2"}),
    "torch": frozenset({"Size", "Tensor"}),
    "collections": frozenset({"OrderedDict", "defaultdict"}),
}
_STUB_PREFIXES = ("omegaconf", "pytorch_lightning", "lightning")


class RefusedGlobal(pickle.UnpicklingError):
    """The pickle referenced a global outside the allow-list; nothing it names has been called."""

    def __init__(self, module: str, name: str) -> None:
        self.qualified_name = f"{module}.{name}"
        super().__init__(f"refused to load {self.qualified_name}: not a tensor or plain data")


class PickleTooLarge(pickle.UnpicklingError):
    """The pickle is within the allow-list but asks for more than the bounds of ``weights_bounds``."""


def scan_pickle(data: bytes) -> None:
    """Walk the opcodes of ``data`` without building anything; refuse what exceeds the bounds.

    Raises:
        PickleTooLarge: too many bytes or opcodes, or a string/bytes argument that is too long.
        pickle.UnpicklingError: a malformed stream (e.g. a length prefix pointing past the end).
    """
    if len(data) > MAX_PICKLE_BYTES:
        raise PickleTooLarge(f"its pickle is {len(data):,} bytes; at most {MAX_PICKLE_BYTES:,} are read")
    try:
        for count, (opcode, argument, _) in enumerate(pickletools.genops(data), 1):
            if count > MAX_PICKLE_OPS:
                raise PickleTooLarge(f"its pickle has more than {MAX_PICKLE_OPS:,} operations")
            if isinstance(argument, str | bytes | bytearray) and len(argument) > MAX_PICKLE_STRING:
                raise PickleTooLarge(
                    f"its pickle holds a {opcode.name} of {len(argument):,} bytes; at most "
                    f"{MAX_PICKLE_STRING:,} are accepted outside tensor records"
                )
    except (ValueError, TypeError) as exc:
        raise pickle.UnpicklingError(f"malformed pickle stream ({exc})") from exc


class InertStub:
    """Stand-in for a training-stack class: stores what the pickle gives it and does nothing else."""

    stub_module: typing.ClassVar[str] = ""
    stub_name: typing.ClassVar[str] = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs
        self.state: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def __repr__(self) -> str:
        return f"<stub {self.stub_module}.{self.stub_name}>"


_STUBS: dict[tuple[str, str], type[InertStub]] = {}


def _stub_class(module: str, name: str) -> type[InertStub]:
    key = (module, name)
    if key not in _STUBS:
        _STUBS[key] = type(
            name, (InertStub,), {"stub_module": module, "stub_name": name, "__module__": module}
        )
    return _STUBS[key]


def _is_torch_dtype(module: str, name: str) -> bool:
    return module == "torch" and isinstance(getattr(torch, name, None), torch.dtype)


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler whose ``find_class`` implements the allow-list described in the module docstring."""

    def __init__(self, file: IO[bytes], **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self.built = 0

    def _bounded(self, name: str, constructor: Callable[..., Any]) -> Callable[..., Any]:
        """``constructor`` counting the elements it copies; integer sizes refused for bytes/bytearray."""

        def build(*args: Any, **kwargs: Any) -> Any:
            if name in ("bytes", "bytearray") and any(isinstance(a, int) for a in args):
                raise PickleTooLarge(f"its pickle calls {name}(<size>), which no pickler writes")
            self.built += sum(len(a) for a in (*args, *kwargs.values()) if hasattr(a, "__len__"))
            if self.built > MAX_PICKLE_BUILT:
                raise PickleTooLarge(f"its pickle builds more than {MAX_PICKLE_BUILT:,} elements by calls")
            return constructor(*args, **kwargs)

        return build

    def find_class(self, module: str, name: str) -> Any:
        module = _COMPAT_MODULES.get(module, module)
        name = _COMPAT_NAMES.get((module, name), name)
        if module.split(".")[0] in _STUB_PREFIXES:
            return _stub_class(module, name)
        if module == "builtins" and name in _BUILTINS_ALLOWED:
            return self._bounded(name, getattr(__import__("builtins"), name))
        if module == "typing" and name == "Any":
            return typing.Any
        if module == "collections" and name in _TORCH_ALLOWED["collections"]:
            return self._bounded(name, getattr(collections, name))
        if name in _TORCH_ALLOWED.get(module, frozenset()):
            return getattr(__import__(module, fromlist=[name]), name)
        if _is_torch_dtype(module, name):
            return getattr(torch, name)
        raise RefusedGlobal(module, name)


class RestrictedPickleModule:
    """The ``pickle_module`` handed to ``torch.load``: only ``Unpickler`` and ``load`` are used by it."""

    __name__ = "carzero_viewer.restricted_pickle"
    Unpickler = RestrictedUnpickler

    @staticmethod
    def load(file: IO[bytes], **kwargs: Any) -> Any:
        return RestrictedUnpickler(file, **kwargs).load()

    @staticmethod
    def loads(data: bytes, **kwargs: Any) -> Any:
        return RestrictedUnpickler(io.BytesIO(data), **kwargs).load()


class NestedTooDeep(pickle.UnpicklingError):
    """A container nested deeper than the bound, or a cycle (which nests without end)."""


def to_plain(value: Any, depth: int = 0) -> Any:
    """Turn stubbed OmegaConf containers (``_content`` / ``_val`` in their state) into dicts, lists and scalars.

    Lightning and other stubs become their class name; plain containers are converted recursively, at most
    :data:`~carzero_viewer.untrusted.MAX_JSON_DEPTH` levels deep (a cycle reaches that bound too).

    Raises:
        NestedTooDeep: the value nests deeper than the bound.
    """
    if depth > MAX_JSON_DEPTH:
        raise NestedTooDeep(f"nested deeper than {MAX_JSON_DEPTH} levels (or cyclic)")
    if isinstance(value, InertStub):
        state = value.state if isinstance(value.state, dict) else {}
        for field in ("_content", "_val"):
            if field in state:
                return to_plain(state[field], depth + 1)
        return f"{value.stub_module}.{value.stub_name}"
    if isinstance(value, type) and issubclass(value, InertStub):
        return f"{value.stub_module}.{value.stub_name}"
    if isinstance(value, dict):
        plain = {}
        for key, item in value.items():
            name = to_plain(key, depth + 1)
            plain[name if isinstance(name, str) else repr(name)[:200]] = to_plain(item, depth + 1)
        return plain
    if isinstance(value, list | tuple):
        return [to_plain(v, depth + 1) for v in value]
    return value
