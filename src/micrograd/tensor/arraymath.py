"""The array backend: the math functions the rules call (``m.exp``, ``m.div``, ``m.sum``, ...) on NumPy arrays.

Every rule in :mod:`micrograd.ops` is written against a backend ``m``; run with
:data:`ARRAY` the numbers are NumPy arrays, so ``TANH.backward(ARRAY, g, out, x)`` is
``g * (1 - out * out)`` for every element at once: the scalar rule, unchanged.

The array-only rules (:mod:`micrograd.tensor.arrayops`, :mod:`micrograd.tensor.softmax`)
also reach their arrays only through this backend (``m.sum``, ``m.matmul``,
``m.index_add``, ...), never through NumPy directly, so a backend whose numbers are
tensors can run the same rules to build gradient graphs.

IEEE 754 results are kept as PyTorch gives them (x/0 = ±inf, log 0 = -inf, √-1 = nan):
the tensor code runs the rules under ``np.errstate(all='ignore')``. Two functions need
care to match the scalar backend: ``sign`` is 0 at nan (NumPy's is nan), and
``pow_by_constant`` uses the same special forms as :meth:`FloatMath.pow_by_constant` (x·x for 2,
√x for ½, …), the forms PyTorch computes.

A math function added to :class:`~micrograd.ops.FloatMath` later (``log1p``) is found
here by name in NumPy, so a new scalar op runs on arrays with no change to this file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.ops import constant_power

__all__ = ["ArrayMath", "ARRAY", "sum_to_shape"]


def sum_to_shape(x: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``x`` down to ``shape``, the inverse of broadcasting ``shape`` up to ``x.shape``.

    Leading axes that broadcasting added are summed away; axes where ``shape`` has 1 are
    summed with keepdims.
    """
    x = np.asarray(x)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    total = x.sum(axis=axes, keepdims=True) if axes else x
    return total.reshape(shape)


class ArrayMath:
    """NumPy functions with the semantics the rules are written for (see the module docstring)."""

    # --- what the scalar rules of micrograd.ops call ------------------------------------

    div = staticmethod(np.divide)
    pow = staticmethod(np.power)
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    tanh = staticmethod(np.tanh)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    abs = staticmethod(np.abs)
    where = staticmethod(np.where)
    lt = staticmethod(np.less)
    le = staticmethod(np.less_equal)
    eq = staticmethod(np.equal)
    isnan = staticmethod(np.isnan)
    ge = staticmethod(np.greater_equal)
    and_ = staticmethod(np.logical_and)

    @staticmethod
    def sign(x: Any) -> Any:
        """-1, 0 or 1, and 0 at nan (as ``torch.sign`` and the scalar backend; NumPy gives nan)."""
        x = np.asarray(x)
        return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)

    @staticmethod
    def pow_by_constant(x: Any, c: float) -> Any:
        """x ** c in PyTorch's forms: x·x for 2, √x for ½, 1/√x for -½, 1/x for -1, x·x·x for 3, 1/x² for -2."""
        return constant_power(ArrayMath, x, c)

    def __getattr__(self, name: str) -> Any:
        """A math function a newer scalar rule calls (``m.log1p``): NumPy's function of that name."""
        function = getattr(np, name, None)
        if not isinstance(function, np.ufunc):
            raise AttributeError(f"the array backend has no function {name!r} (and NumPy has no ufunc of that name)")
        return function

    # --- what the array rules call -----------------------------------------------------

    sum_to = staticmethod(sum_to_shape)
    broadcast_to = staticmethod(np.broadcast_to)
    matmul = staticmethod(np.matmul)
    reshape = staticmethod(np.reshape)
    transpose = staticmethod(np.transpose)
    expand_dims = staticmethod(np.expand_dims)
    concatenate = staticmethod(np.concatenate)
    stack = staticmethod(np.stack)
    take_along = staticmethod(np.take_along_axis)

    @staticmethod
    def sum(x: Any, dims: tuple[int, ...] | None, keepdim: bool) -> Any:
        return np.sum(x, axis=dims, keepdims=keepdim)

    @staticmethod
    def amax(x: Any, dims: tuple[int, ...] | None, keepdim: bool) -> Any:
        return np.amax(x, axis=dims, keepdims=keepdim)

    @staticmethod
    def mean(x: Any, dims: tuple[int, ...] | None, keepdim: bool) -> Any:
        return np.mean(x, axis=dims, keepdims=keepdim)

    @staticmethod
    def var(x: Any, dims: tuple[int, ...] | None, correction: int, keepdim: bool) -> Any:
        """The variance, accumulated in float64 for float32 data and rounded once, as PyTorch's CPU var."""
        if x.dtype == np.float32:
            return np.var(x, axis=dims, ddof=correction, keepdims=keepdim, dtype=np.float64).astype(np.float32)
        return np.var(x, axis=dims, ddof=correction, keepdims=keepdim)

    @staticmethod
    def std(x: Any, dims: tuple[int, ...] | None, correction: int, keepdim: bool) -> Any:
        """√variance; for float32 data the root of the float64 variance, rounded once, as PyTorch's CPU std."""
        if x.dtype == np.float32:
            return np.std(x, axis=dims, ddof=correction, keepdims=keepdim, dtype=np.float64).astype(np.float32)
        return np.std(x, axis=dims, ddof=correction, keepdims=keepdim)

    @staticmethod
    def swap_last(x: Any) -> Any:
        """The matrix transpose of each matrix in a batch: the last two axes swapped."""
        return np.swapaxes(x, -1, -2)

    @staticmethod
    def cast(x: Any, dtype: Any) -> Any:
        return np.asarray(x).astype(dtype, copy=False)

    @staticmethod
    def index(x: Any, key: Any) -> Any:
        return x[key]

    @staticmethod
    def index_add(shape: tuple[int, ...], key: Any, g: Any, basic: bool) -> Any:
        """Zeros of ``shape`` with ``g`` added at ``x[key]``: the gradient of indexing.

        Basic keys (ints and slices) name each element once, so ``g`` is written in place;
        integer arrays may name an element twice (``x[[0, 0]]``), so those add (``np.add.at``).
        """
        g = np.asarray(g)
        grad = np.zeros(shape, dtype=g.dtype)
        if basic:
            grad[key] = g
        else:
            np.add.at(grad, key, g)
        return grad

    @staticmethod
    def put_along(shape: tuple[int, ...], indices: Any, g: Any, dim: int) -> Any:
        """Zeros of ``shape`` with ``g`` placed at ``indices`` along ``dim`` (the gradient of a gather)."""
        g = np.asarray(g)
        grad = np.zeros(shape, dtype=g.dtype)
        np.put_along_axis(grad, indices, g, axis=dim)
        return grad

    @staticmethod
    def split(x: Any, sizes: tuple[int, ...], dim: int) -> tuple[Any, ...]:
        """``x`` cut along ``dim`` into pieces of the given sizes (the inverse of concatenate)."""
        bounds = np.cumsum(sizes)[:-1]
        return tuple(np.split(x, bounds, axis=dim))

    @staticmethod
    def unstack(x: Any, dim: int) -> tuple[Any, ...]:
        """The slices of ``x`` along ``dim`` (the inverse of stack)."""
        return tuple(np.moveaxis(np.asarray(x), dim, 0))


ARRAY = ArrayMath()
