"""Model files for tensor modules: the architecture and every array, as readable JSON.

A file looks like::

    {
      "format": "micrograd.tensor.Module",
      "version": 1,
      "architecture": {"type": "Sequential", "config": {"layers": [{"type": "Linear", "config": {...}}, ...]}},
      "state": {"0.weight": {"dtype": "float64", "shape": [16, 2], "data": [0.23..., ...]}, ...}
    }

The guarantees are the scalar model files' (:mod:`micrograd.serialize`, whose atomic
write and JSON reading this module uses): numbers are written with ``repr`` precision so
arrays reload bit for bit; a crash mid-write leaves the previous file; a bad file raises
:class:`~micrograd.serialize.ModelFileError` naming the problem, and loading builds a new
module only once every entry has been checked, so nothing is ever half-loaded.

Any module whose layers are this package's (``Linear``, ``BatchNorm1d``, ``Sequential``, ...)
saves and loads as it is. A module class of your own saves when it has ``config()`` (its
constructor arguments); load it with ``Module.load(path, classes=[MyModel])``. This module
knows no layer class itself: :mod:`micrograd.tensor.nn` hands it the classes a file may
name, so the layers import their file format and never the other way round.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from micrograd.serialize import ModelFileError, _read_json, write_json_atomic

__all__ = ["FORMAT", "VERSION", "architecture", "save", "load"]

FORMAT = "micrograd.tensor.Module"
VERSION = 1
_TOP_KEYS = ("format", "version", "architecture", "state")
_DTYPES = ("float64", "float32", "int64")


def architecture(module: Any) -> dict[str, Any]:
    """``{"type": class name, "config": constructor arguments}``, nested for a Sequential."""
    if not (callable(getattr(module, "config", None)) and callable(getattr(module, "state_dict", None))):
        raise TypeError(f"expected a micrograd.tensor.nn Module, got {type(module).__name__}")
    return {"type": type(module).__name__, "config": module.config()}


def save(module: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``module``'s architecture and arrays to ``path`` atomically; a non-finite array is refused."""
    arch = architecture(module)
    state = {}
    for name, array in module.state_dict().items():
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ValueError(f"cannot save the model: {name!r} is not finite everywhere (did training diverge?)")
        state[name] = {"dtype": array.dtype.name, "shape": list(array.shape), "data": array.reshape(-1).tolist()}
    return write_json_atomic(path, {"format": FORMAT, "version": VERSION, "architecture": arch, "state": state})


def _build(arch: Any, where: str, classes: Mapping[str, type], path: Path) -> Any:
    if not isinstance(arch, dict) or set(arch) != {"type", "config"}:
        raise ModelFileError(f"{path}: {where} must be an object with 'type' and 'config'")
    kind, config = arch["type"], arch["config"]
    if not isinstance(config, dict):
        raise ModelFileError(f"{path}: {where} 'config' must be an object, got {type(config).__name__}")
    if kind == "Sequential":
        layers = config.get("layers")
        if set(config) != {"layers"} or not isinstance(layers, list):
            raise ModelFileError(f"{path}: {where} (Sequential) config must be {{'layers': [...]}}")
        sequential = classes["Sequential"]
        return sequential(*[_build(a, f"{where}.layers[{i}]", classes, path) for i, a in enumerate(layers)])
    cls = classes.get(kind) if isinstance(kind, str) and kind != "Sequential" else None
    if cls is None:
        known = ", ".join(sorted(classes))
        raise ModelFileError(
            f"{path}: {where} has type {str(kind)[:40]!r}, which is not a known layer ({known}); "
            "for a module class of your own pass Module.load(path, classes=[YourModule])"
        )
    try:
        return cls(**config)
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"{path}: {where} ({kind}): {error}"[:400]) from None


def _array(entry: Any, name: str, path: Path) -> np.ndarray:
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data"}:
        raise ModelFileError(f"{path}: state[{name!r}] must be an object with 'dtype', 'shape' and 'data'"[:300])
    dtype, shape, data = entry["dtype"], entry["shape"], entry["data"]
    if dtype not in _DTYPES:
        raise ModelFileError(f"{path}: state[{name!r}] has dtype {str(dtype)[:20]!r}; expected one of {_DTYPES}")
    if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                              for n in shape):  # fmt: skip
        raise ModelFileError(f"{path}: state[{name!r}] 'shape' must be a list of sizes >= 0"[:300])
    size = int(np.prod(shape)) if shape else 1
    if not isinstance(data, list) or len(data) != size:
        got = f"{len(data)} numbers" if isinstance(data, list) else type(data).__name__
        raise ModelFileError(f"{path}: state[{name!r}] of shape {tuple(shape)} needs {size} numbers, got {got}"[:300])
    for i, x in enumerate(data):
        if isinstance(x, bool) or not isinstance(x, numbers.Real) or (dtype == "int64" and not isinstance(x, int)):
            raise ModelFileError(f"{path}: state[{name!r}] entry {i} must be a number, got {str(x)[:30]!r}"[:300])
    try:
        array = np.array(data, dtype=np.float64 if dtype != "int64" else np.int64)
    except OverflowError:
        raise ModelFileError(f"{path}: state[{name!r}] holds an integer too large for int64") from None
    if dtype != "int64" and not np.isfinite(array).all():
        raise ModelFileError(f"{path}: state[{name!r}] holds a number too large to be finite")
    return array.astype(dtype).reshape(shape)


def load(path: str | os.PathLike[str], classes: Mapping[str, type], expect: type) -> Any:
    """The module saved at ``path`` (by :func:`save`), or ``ModelFileError`` naming what is wrong.

    ``classes`` maps each class name the file may use (``"Sequential"`` among them) to its
    class; ``expect`` is the class the result must be (``Sequential.load`` expects a Sequential).
    Called by :meth:`micrograd.tensor.nn.Module.load`, which knows the layers.
    """
    path = Path(path)
    data = _read_json(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a micrograd tensor model file (no \"format\": \"{FORMAT}\" entry)")
    if data.get("version") != VERSION:
        raise ModelFileError(f"{path}: unsupported format version {str(data.get('version'))[:20]}; "
                             f"this micrograd reads {VERSION}")  # fmt: skip
    if set(data) != set(_TOP_KEYS):
        raise ModelFileError(f"{path}: a tensor model file has exactly the entries {list(_TOP_KEYS)}")
    module = _build(data["architecture"], "architecture", classes, path)
    if not isinstance(module, expect):
        raise ModelFileError(f"{path}: holds a {type(module).__name__}, not a {expect.__name__}")
    state = data["state"]
    if not isinstance(state, dict):
        raise ModelFileError(f"{path}: 'state' must be an object of name: array, got {type(state).__name__}")
    arrays = {name: _array(entry, name, path) for name, entry in state.items()}
    try:
        module.load_state_dict(arrays)
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"{path}: {error}"[:400]) from None
    return module
