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
"""

from __future__ import annotations

import collections
import io
import pickle
import typing
from typing import IO, Any

import torch

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

    def find_class(self, module: str, name: str) -> Any:
        module = _COMPAT_MODULES.get(module, module)
        name = _COMPAT_NAMES.get((module, name), name)
        if module.split(".")[0] in _STUB_PREFIXES:
            return _stub_class(module, name)
        if module == "builtins" and name in _BUILTINS_ALLOWED:
            return getattr(__import__("builtins"), name)
        if module == "typing" and name == "Any":
            return typing.Any
        if name in _TORCH_ALLOWED.get(module, frozenset()):
            target = collections if module == "collections" else __import__(module, fromlist=[name])
            return getattr(target, name)
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


def to_plain(value: Any) -> Any:
    """Turn stubbed OmegaConf containers (``_content`` / ``_val`` in their state) into dicts, lists and scalars.

    Lightning and other stubs become their class name; plain containers are converted recursively.
    """
    if isinstance(value, InertStub):
        state = value.state if isinstance(value.state, dict) else {}
        for field in ("_content", "_val"):
            if field in state:
                return to_plain(state[field])
        return f"{value.stub_module}.{value.stub_name}"
    if isinstance(value, type) and issubclass(value, InertStub):
        return f"{value.stub_module}.{value.stub_name}"
    if isinstance(value, dict):
        return {str(to_plain(k)): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value
