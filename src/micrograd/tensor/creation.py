"""New tensors: filled with zeros or ones, ranges, and one-hot encodings of class indices."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from micrograd.tensor.dtypes import as_dtype
from micrograd.tensor.shapes import _shape_of
from micrograd.tensor.tensor import Tensor

__all__ = ["zeros", "ones", "arange", "one_hot"]


def _filled(fill: float, shape: tuple[Any, ...], dtype: Any, requires_grad: bool) -> Tensor:
    dtype = np.float64 if dtype is None else as_dtype(dtype)
    return Tensor(np.full(_shape_of(shape), fill, dtype=dtype), requires_grad=requires_grad)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``; float64 unless ``dtype`` says otherwise."""
    return _filled(0.0, shape, dtype, requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _filled(1.0, shape, dtype, requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, *, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:  # fmt: skip
    """start, start + step, ... up to (not including) end; int64 when all three are ints, else float64."""
    for name, x in (("start", start), ("end", end), ("step", step)):
        if x is not None and (not isinstance(x, numbers.Real) or isinstance(x, bool)):
            raise TypeError(f"arange {name} must be a number, got {type(x).__name__}")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange step must not be zero")
    integral = all(isinstance(x, numbers.Integral) for x in (start, end, step))
    chosen = as_dtype(dtype) if dtype is not None else (np.int64 if integral else np.float64)
    return Tensor(np.arange(start, end, step, dtype=chosen), requires_grad=requires_grad)


def one_hot(indices: Any, num_classes: int = -1) -> Tensor:
    """An int64 tensor with a trailing dim of ``num_classes``: 1 at each index, 0 elsewhere.

    ``num_classes=-1`` uses the largest index + 1, as ``torch.nn.functional.one_hot``.
    """
    array = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if array.dtype.kind not in "iu":
        raise TypeError(f"one_hot needs integer class indices, got {array.dtype}")
    if not isinstance(num_classes, numbers.Integral) or isinstance(num_classes, bool):
        raise TypeError(f"one_hot num_classes must be an int, got {type(num_classes).__name__}")
    if num_classes == -1:
        num_classes = int(array.max()) + 1 if array.size else 0
    if array.size and (array.min() < 0 or array.max() >= num_classes):
        bad = int(array.min()) if array.min() < 0 else int(array.max())
        raise IndexError(f"one_hot: class {bad} is not in 0..{num_classes - 1}")
    return Tensor(np.eye(num_classes, dtype=np.int64)[array])
