"""The arguments that name shapes and dims, checked once for every tensor function.

``reshape(2, 3)`` and ``reshape((2, 3))``, ``dim=-1``, ``dim=(0, 2)``, NumPy's ``axis=`` and
``keepdims=`` beside PyTorch's ``dim=`` and ``keepdim=``: each function turns what it was
given into plain non-negative ints here, and a mistake gets one error naming the function.
Nothing here knows what a Tensor is, so the Tensor class and the functions above it share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def _shape_of(shape: Sequence[Any]) -> tuple[int, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` alike."""
    shape = tuple(shape)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"a shape is a tuple of ints, got {tuple(shape)!r}")
    return tuple(int(n) for n in shape)


def _broadcast_shape(op: str, shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        listed = " and ".join(str(s) for s in shapes)
        raise ValueError(f"{op}: shapes {listed} cannot be broadcast together") from None


def _dims(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``dim`` (None for all, an int, or a sequence) as sorted non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    out = []
    for d in dims:
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool):
            raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dim!r}")
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"{op}: dim {d} is out of range for a tensor with {ndim} dims")
        out.append(int(d) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dim {dim!r} names a dim twice")
    return tuple(sorted(out)) if ndim else ()


def _pick(primary: Any, alias: Any, name: str, alias_name: str, default: Any) -> Any:
    """PyTorch's spelling (``dim``) or NumPy's (``axis``), whichever was given, not both."""
    if alias is not None:
        if primary is not None and primary != default:
            raise TypeError(f"give {name} or {alias_name}, not both")
        return alias
    return default if primary is None else primary


def _count(shape: tuple[int, ...], dims: tuple[int, ...]) -> int:
    """How many elements a reduction over ``dims`` takes together: Π shape[d]."""
    n = 1
    for d in dims:
        n *= shape[d]
    return n
