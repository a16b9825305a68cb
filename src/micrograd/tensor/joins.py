"""Joining tensors: ``cat`` along an existing dim, ``stack`` along a new one, ``where`` picking elementwise.

Each takes several tensors of possibly different dtypes and promotes them together first
(:mod:`micrograd.tensor.dtypes`), then makes one node whose rule hands each input its part
of the gradient (:mod:`micrograd.tensor.arrayops`: ``Cat``, ``Stack``, ``Select``).
They are functions, not methods, as in PyTorch, so they sit above the Tensor class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from micrograd.engine import is_grad_enabled
from micrograd.ops import ADD
from micrograd.tensor.arrayops import Cat, Select, Stack
from micrograd.tensor.dtypes import _BOOL, _result_dtype
from micrograd.tensor.shapes import _broadcast_shape, _dims
from micrograd.tensor.tensor import Tensor, _apply, _constant, _expand, _operand

__all__ = ["cat", "stack", "where"]


def _tensors(tensors: Any, what: str) -> list[Tensor]:
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError(f"{what} takes a non-empty list of tensors, got {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what}: item {i} must be a Tensor, got {type(t).__name__}")
    if len({t.dtype for t in tensors}) == 1:
        return list(tensors)
    dtype = _result_dtype(ADD, list(tensors), [])
    return [t._to(dtype) for t in tensors]


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Tensors joined along an existing dim; all other dims must match."""
    ts = _tensors(tensors, "cat")
    (d,) = _dims(dim, ts[0].ndim, "cat")
    for t in ts:
        if t.ndim != ts[0].ndim or t.shape[:d] + t.shape[d + 1 :] != ts[0].shape[:d] + ts[0].shape[d + 1 :]:
            shapes = ", ".join(str(x.shape) for x in ts)
            raise ValueError(f"cat along dim {d}: shapes {shapes} differ outside that dim")
    return _apply(Cat(d, tuple(t.shape[d] for t in ts)), tuple(ts))


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Tensors of one shape joined along a new dim."""
    ts = _tensors(tensors, "stack")
    if any(t.shape != ts[0].shape for t in ts):
        raise ValueError(f"stack needs tensors of one shape, got {', '.join(str(t.shape) for t in ts)}")
    (d,) = _dims(dim, ts[0].ndim + 1, "stack")
    return _apply(Stack(d), tuple(ts))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise a where condition is true, else b (broadcast together, as ``torch.where``)."""
    mask = np.asarray(condition.data if isinstance(condition, Tensor) else condition)
    if mask.dtype != _BOOL:
        raise TypeError(f"where: the condition must be a bool tensor, got {mask.dtype}")
    operands = [_operand(x) for x in (a, b)]
    tensors = [x for x in operands if isinstance(x, Tensor)]
    if not tensors or any(x is None for x in operands):
        raise TypeError("where: a and b must be tensors or numbers, at least one a tensor")
    dtype = _result_dtype(ADD, tensors, [x for x in operands if not isinstance(x, Tensor)])
    shapes = [np.shape(x.data if isinstance(x, Tensor) else x) for x in operands]
    shape = _broadcast_shape("where", [mask.shape, *shapes])
    parents = []
    for x in operands:
        x = x._to(dtype) if isinstance(x, Tensor) else _constant(np.asarray(x, dtype=dtype))
        parents.append(_expand(x, shape) if x._requires_grad and is_grad_enabled() else x)
    return _apply(Select(np.broadcast_to(mask, shape)), tuple(parents))

