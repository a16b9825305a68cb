"""The four dtypes tensors hold, and PyTorch's rule for the dtype of a result.

float data is float64 unless it is float32 (kept); integer data is int64 and bool stays
bool. float32 with float64 gives float64; an integer tensor with a float tensor gives the
float's dtype; a Python number never changes a tensor's dtype (``x32 * 2.5`` is float32;
an int tensor with a float number gives float64). Functions that are only defined on reals
(exp, log, tanh, ...) refuse integer tensors; ``/`` on integers is true division (float64).

These rules read dtypes and numbers only (a tensor's ``.data.dtype``), so they sit below
the Tensor class and every module that makes tensors can use them.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from micrograd.ops import ABS, ADD, DIV, MUL, NEG, RELU, SUB, Op, PowConst

__all__ = ["as_dtype"]

_FLOAT64, _FLOAT32, _INT64, _BOOL = np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.int64), np.dtype(bool)
_DTYPE_NAMES: dict[str, np.dtype] = {
    "float64": _FLOAT64, "double": _FLOAT64, "float32": _FLOAT32, "float": _FLOAT32,
    "int64": _INT64, "long": _INT64, "bool": _BOOL,
}  # fmt: skip


def as_dtype(dtype: Any) -> np.dtype:
    """A dtype micrograd tensors use (float64, float32, int64, bool) from a name or a NumPy dtype."""
    if isinstance(dtype, str) and dtype in _DTYPE_NAMES:
        return _DTYPE_NAMES[dtype]
    found: np.dtype | None
    try:
        found = np.dtype(dtype)
    except TypeError:
        found = None
    if found is None or found not in (_FLOAT64, _FLOAT32, _INT64, _BOOL):
        raise TypeError(f"unsupported dtype {dtype!r}: tensors are float64, float32, int64 or bool")
    return found


_INTEGER_OPS = {ADD, SUB, MUL, NEG, ABS, RELU}  # give integers for integers; any other op needs floats
_RANK = {"b": 0, "i": 1, "f": 2}


def _scalar_rank(x: Any) -> int:
    return 0 if isinstance(x, (bool, np.bool_)) else 1 if isinstance(x, numbers.Integral) else 2


def _result_dtype(op: Op, tensors: Sequence[Any], scalars: list[Any]) -> np.dtype:
    """PyTorch's promotion: the widest float among the tensors; else a number's kind if higher.

    Only each tensor's ``.data.dtype`` is read, so this needs no import of the Tensor class.
    """
    floats = [t.data.dtype for t in tensors if t.data.dtype.kind == "f"]
    if floats:
        return _FLOAT64 if _FLOAT64 in floats else _FLOAT32
    rank = max(max((_RANK[t.data.dtype.kind] for t in tensors), default=0), max(map(_scalar_rank, scalars), default=0))
    natural_power = isinstance(op, PowConst) and op.exponent >= 0 and op.exponent == int(op.exponent)
    integer_ok = op in _INTEGER_OPS or natural_power
    if rank == 2 or op is DIV:
        return _FLOAT64
    if not integer_ok:
        dtype = tensors[0].data.dtype
        raise TypeError(
            f"{op} needs a floating-point tensor, got {dtype}: convert it first with .double() or .float()"
        )
    return _INT64  # bools count as 0 and 1
