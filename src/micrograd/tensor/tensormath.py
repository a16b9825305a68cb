"""The tensor backend: the math functions the rules call, on Tensors, so that a rule builds graph nodes.

This is to :mod:`micrograd.tensor.arraymath` what the engine's ``ValueMath`` is to
``FloatMath``. ``TANH.backward(TENSOR, g, out, x)`` computes ``g * (1 - out * out)`` with
``g``, ``out`` and ``x`` Tensors, so the gradient it returns is itself a Tensor in a graph
that leads back to ``x``: differentiating it again gives second derivatives
(``backward(create_graph=True)``, :func:`micrograd.tensor.grad`). No rule is written a
second time; every function here is an operation that already has its rule.

A function given plain arrays or numbers (no Tensor) computes with the array backend and
gives an array, a constant of the gradient graph: comparisons, ``sign`` and the masks made
from them read the numbers only, as in PyTorch, where they carry no gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.ops import OPS
from micrograd.tensor.arraymath import ARRAY
from micrograd.tensor.arrayops import Index, IndexAdd, PutAlong, TakeAlong
from micrograd.tensor.joins import cat, stack, where
from micrograd.tensor.tensor import Tensor, _apply, _elementwise, _expand, _matmul

__all__ = ["TensorMath", "TENSOR"]


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _is_tensor(*xs: Any) -> bool:
    return any(isinstance(x, Tensor) for x in xs)


def _unique(key: Any) -> bool:
    """Whether an (already NumPy) index key names each element at most once: no integer arrays."""
    items = key if isinstance(key, tuple) else (key,)
    return not any(isinstance(k, np.ndarray) and k.dtype.kind in "iu" for k in items)


def _method(name: str) -> Any:
    def function(x: Any) -> Any:
        return getattr(x, name)() if isinstance(x, Tensor) else getattr(ARRAY, name)(x)

    function.__name__ = name
    return staticmethod(function)


def _on_numbers(name: str) -> Any:
    """A comparison (or a mask made from one): read from the numbers, a constant of the gradient graph."""

    def function(*xs: Any) -> Any:
        return getattr(ARRAY, name)(*map(_data, xs))

    function.__name__ = name
    return staticmethod(function)


class TensorMath:
    """Tensor functions with the semantics the rules are written for (see the module docstring)."""

    # --- what the scalar rules of micrograd.ops call ------------------------------------

    @staticmethod
    def div(a: Any, b: Any) -> Any:
        return a / b if _is_tensor(a, b) else ARRAY.div(a, b)

    @staticmethod
    def pow(a: Any, b: Any) -> Any:
        return a**b if _is_tensor(a, b) else ARRAY.pow(a, b)

    @staticmethod
    def pow_by_constant(x: Any, c: float) -> Any:
        return x**c if isinstance(x, Tensor) else ARRAY.pow_by_constant(x, c)

    exp = _method("exp")
    log = _method("log")
    sqrt = _method("sqrt")
    tanh = _method("tanh")
    sin = _method("sin")
    cos = _method("cos")
    abs = _method("abs")

    @staticmethod
    def sign(x: Any) -> Any:
        return ARRAY.sign(_data(x))

    @staticmethod
    def where(condition: Any, if_true: Any, if_false: Any) -> Any:
        """A node that routes the gradient to the branch taken (the other gets zeros, as in PyTorch)."""
        condition = np.asarray(_data(condition))
        if _is_tensor(if_true, if_false):
            return where(condition, if_true, if_false)
        return ARRAY.where(condition, if_true, if_false)

    lt = _on_numbers("lt")
    le = _on_numbers("le")
    eq = _on_numbers("eq")
    ge = _on_numbers("ge")
    isnan = _on_numbers("isnan")
    and_ = _on_numbers("and_")

    def __getattr__(self, name: str) -> Any:
        """A math function a newer scalar rule calls (``m.log1p``): the elementwise op of that name."""
        op = OPS.get(name)
        if op is None or op.arity != 1:
            raise AttributeError(
                f"the tensor backend has no function {name!r} (and micrograd.ops no one-input op of that name)"
            )

        def function(x: Any) -> Any:
            return _elementwise(op, (x,)) if isinstance(x, Tensor) else getattr(ARRAY, name)(x)

        return function

    # --- what the array rules call -----------------------------------------------------

    @staticmethod
    def sum_to(x: Any, shape: tuple[int, ...]) -> Any:
        """x summed down to ``shape`` (the inverse of broadcasting), as a sum and a reshape."""
        if not isinstance(x, Tensor):
            return ARRAY.sum_to(x, shape)
        if x.shape == shape:
            return x
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
        return (x.sum(axes, keepdim=True) if axes else x).reshape(shape)

    @staticmethod
    def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
        return _expand(x, tuple(shape)) if isinstance(x, Tensor) else ARRAY.broadcast_to(x, shape)

    @staticmethod
    def matmul(a: Any, b: Any) -> Any:
        if not _is_tensor(a, b):
            return ARRAY.matmul(a, b)
        return _matmul(*(x if isinstance(x, Tensor) else Tensor(x) for x in (a, b)))

    @staticmethod
    def reshape(x: Any, shape: tuple[int, ...]) -> Any:
        return x.reshape(tuple(shape)) if isinstance(x, Tensor) else ARRAY.reshape(x, shape)  # type: ignore[arg-type]

    @staticmethod
    def transpose(x: Any, axes: tuple[int, ...]) -> Any:
        return x.permute(*axes) if isinstance(x, Tensor) else ARRAY.transpose(x, axes)

    @staticmethod
    def expand_dims(x: Any, dims: tuple[int, ...]) -> Any:
        if not isinstance(x, Tensor):
            return ARRAY.expand_dims(x, dims)
        return x.reshape(np.expand_dims(np.empty(x.shape, dtype=bool), dims).shape)

    @staticmethod
    def concatenate(xs: Any, dim: int) -> Any:
        return cat([x if isinstance(x, Tensor) else Tensor(x) for x in xs], dim) if _is_tensor(*xs) else \
            ARRAY.concatenate(xs, dim)  # fmt: skip

    @staticmethod
    def stack(xs: Any, dim: int) -> Any:
        return stack([x if isinstance(x, Tensor) else Tensor(x) for x in xs], dim) if _is_tensor(*xs) else \
            ARRAY.stack(xs, dim)  # fmt: skip

    @staticmethod
    def take_along(x: Any, indices: Any, dim: int) -> Any:
        if not isinstance(x, Tensor):
            return ARRAY.take_along(x, indices, dim)
        return _apply(TakeAlong("take_along", indices, dim, True, indices.shape), (x,))

    @staticmethod
    def sum(x: Any, dims: tuple[int, ...] | None, keepdim: bool) -> Any:
        return x.sum(dims, keepdim) if isinstance(x, Tensor) else ARRAY.sum(x, dims, keepdim)

    @staticmethod
    def amax(x: Any, dims: tuple[int, ...] | None, keepdim: bool) -> Any:
        return x.amax(dims, keepdim) if isinstance(x, Tensor) else ARRAY.amax(x, dims, keepdim)

    @staticmethod
    def mean(x: Any, dims: tuple[int, ...] | None, keepdim: bool) -> Any:
        return x.mean(dims, keepdim) if isinstance(x, Tensor) else ARRAY.mean(x, dims, keepdim)

    @staticmethod
    def var(x: Any, dims: tuple[int, ...] | None, correction: int, keepdim: bool) -> Any:
        if not isinstance(x, Tensor):
            return ARRAY.var(x, dims, correction, keepdim)
        return x.var(dims, keepdim=keepdim, correction=correction)

    @staticmethod
    def std(x: Any, dims: tuple[int, ...] | None, correction: int, keepdim: bool) -> Any:
        if not isinstance(x, Tensor):
            return ARRAY.std(x, dims, correction, keepdim)
        return x.std(dims, keepdim=keepdim, correction=correction)

    @staticmethod
    def swap_last(x: Any) -> Any:
        return x.transpose(-1, -2) if isinstance(x, Tensor) else ARRAY.swap_last(x)

    @staticmethod
    def cast(x: Any, dtype: Any) -> Any:
        return x._to(np.dtype(dtype)) if isinstance(x, Tensor) else ARRAY.cast(x, dtype)

    @staticmethod
    def index(x: Any, key: Any) -> Any:
        return _apply(Index(key, _unique(key)), (x,)) if isinstance(x, Tensor) else ARRAY.index(x, key)

    @staticmethod
    def index_add(shape: tuple[int, ...], key: Any, g: Any, basic: bool) -> Any:
        if not isinstance(g, Tensor):
            return ARRAY.index_add(shape, key, g, basic)
        return _apply(IndexAdd(tuple(shape), key, basic), (g,))

    @staticmethod
    def put_along(shape: tuple[int, ...], indices: Any, g: Any, dim: int) -> Any:
        if not isinstance(g, Tensor):
            return ARRAY.put_along(shape, indices, g, dim)
        return _apply(PutAlong(tuple(shape), indices, dim), (g,))

    @staticmethod
    def split(x: Any, sizes: tuple[int, ...], dim: int) -> tuple[Any, ...]:
        if not isinstance(x, Tensor):
            return ARRAY.split(x, sizes, dim)
        bounds = np.cumsum((0, *sizes))
        before = (slice(None),) * dim
        return tuple(x[before + (slice(int(a), int(b)),)] for a, b in zip(bounds[:-1], bounds[1:]))

    @staticmethod
    def unstack(x: Any, dim: int) -> tuple[Any, ...]:
        if not isinstance(x, Tensor):
            return ARRAY.unstack(x, dim)
        before = (slice(None),) * dim
        return tuple(x[before + (i,)] for i in range(x.shape[dim]))


TENSOR = TensorMath()
