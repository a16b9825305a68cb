"""What a tensor holds: its array, whether it requires grad, its gradient, its version.

:class:`TensorBase` is the part of a :class:`~micrograd.tensor.Tensor` that computes
nothing: the data made from what the user gave (always a new array of a tensor dtype), the
questions about it (shape, dtype, ``item()``, ``len``), the gradient bookkeeping
(``requires_grad``, ``.grad``, ``retain_grad()``), and the in-place changes (``t[i] = v``,
``t += 1``), which are refused while they would enter the graph and otherwise counted in
the version that lets ``backward()`` notice a tensor changed after a node used it.
Everything that makes a new node (the operators, reductions, reshapes) is the subclass's,
in :mod:`micrograd.tensor.tensor`, as PyTorch builds ``torch.Tensor`` on ``TensorBase``.
"""

from __future__ import annotations

import numbers
from typing import Any, TypeVar

import numpy as np

from micrograd.engine import is_grad_enabled
from micrograd.tensor.dtypes import _BOOL, _FLOAT32, _FLOAT64, _INT64, as_dtype
from micrograd.tensor.shapes import _dims

__all__ = ["TensorBase"]

_Self = TypeVar("_Self", bound="TensorBase")


def _as_array(data: Any, dtype: np.dtype | None, what: str = "Tensor data") -> np.ndarray:
    """``data`` as a new array of a tensor dtype: floats float64 (float32 kept), integers int64."""
    if isinstance(data, TensorBase):
        data = data.data
    try:
        array = np.array(data, dtype=dtype, copy=True)
    except (ValueError, TypeError):
        text = repr(data)
        text = text if len(text) <= 40 else text[:37] + "..."
        raise TypeError(f"{what} must be numbers in a regular (not ragged) shape, got {text}") from None
    kind = array.dtype.kind
    if dtype is None:
        if kind == "f" and array.dtype != _FLOAT32:
            if array.dtype.itemsize < 4:
                raise TypeError(f"unsupported dtype {array.dtype}: convert to float32 or float64 first")
            array = array.astype(_FLOAT64)
        elif kind in "iu":
            array = array.astype(_INT64)
        elif kind not in "fb":
            text = repr(data)
            text = text if len(text) <= 40 else text[:37] + "..."
            raise TypeError(f"{what} must be numbers, got {type(data).__name__}: {text}")
    return array


def _index_key(key: Any) -> tuple[Any, bool]:
    """A key NumPy understands (int tensors and lists become arrays), and whether it names each element once."""
    items = key if isinstance(key, tuple) else (key,)
    out, unique = [], True
    for k in items:
        if isinstance(k, TensorBase):
            k = k.data
        elif isinstance(k, list):
            k = np.asarray(k)
        if isinstance(k, np.ndarray):
            if k.dtype.kind in "iu":
                k, unique = k.astype(np.intp, copy=False), False
            elif k.dtype.kind != "b":
                raise TypeError(f"tensors used as indices must be integer or bool, got {k.dtype}")
        elif not (k is None or k is Ellipsis or isinstance(k, (slice, numbers.Integral))):
            raise TypeError(f"a tensor index is an int, a slice, None, ..., or an int/bool array, got {k!r}")
        out.append(k)
    return tuple(out), unique


class TensorBase:
    """A tensor's data and gradient bookkeeping; :class:`~micrograd.tensor.Tensor` adds the operations."""

    __slots__ = ("data", "_grad", "_requires_grad", "_prev", "_op", "_retains_grad", "_version", "_saved",
                 "__weakref__")  # fmt: skip

    data: np.ndarray
    _grad: Any  # an array, None, or a Tensor after backward(create_graph=True)
    _requires_grad: bool
    _prev: tuple[TensorBase, ...]
    _op: Any
    _retains_grad: bool
    _version: list[int]  # shared by a tensor and its views
    _saved: tuple[int, ...]  # the inputs' and own versions when the node was made

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        array = _as_array(data, None if dtype is None else as_dtype(dtype))
        self.data = array
        self._grad = None
        self._requires_grad = False
        self._prev = ()
        self._op = ""
        self._retains_grad = False
        self._version = [0]
        self._saved = ()
        self.requires_grad = requires_grad

    # --- what it is ---------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def numel(self) -> int:
        """The number of elements."""
        return int(self.data.size)

    def size(self, dim: int | None = None) -> Any:
        """The shape, or its length along ``dim`` (as ``torch.Tensor.size``)."""
        return self.data.shape if dim is None else self.data.shape[_dims(dim, self.ndim, "size")[0]]

    def item(self) -> Any:
        """The one number in a one-element tensor, as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The data array itself (shared, as ``torch.Tensor.numpy``)."""
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]


    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous: use .any() or .all()")
        return bool(self.data)

    def any(self) -> bool:
        """Whether any element is nonzero (true)."""
        return bool(self.data.any())

    def all(self) -> bool:
        """Whether every element is nonzero (true)."""
        return bool(self.data.all())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = "" if self.dtype in (_FLOAT64, _INT64, _BOOL) and self.data.size else f", dtype={self.dtype}"
        grad = ", requires_grad=True" if self._requires_grad else ""
        return f"tensor({body}{extra}{grad})"

    # --- gradients ----------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"requires_grad must be True or False, got {type(flag).__name__}")
        if self._prev:
            raise ValueError(
                "requires_grad can only be changed on a leaf tensor; use .detach() for a copy without history"
            )
        if flag and self.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got {self.dtype}")
        self._requires_grad = bool(flag)

    @property
    def is_leaf(self) -> bool:
        return not self._prev

    @property
    def grad(self) -> Any:
        """∂(what backward() started from)/∂self, an array of this tensor's shape, or None
        (a Tensor after ``backward(create_graph=True)``, to be differentiated again)."""
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is None:
            self._grad = None
            return
        array = _as_array(value, self.dtype, "grad")
        if array.shape != self.shape:
            raise ValueError(f"grad must have the tensor's shape {self.shape}, got {array.shape}")
        self._grad = array

    def retain_grad(self) -> None:
        """Keep this intermediate tensor's ``.grad`` after backward (leaves always keep theirs)."""
        if not self._requires_grad:
            raise ValueError("retain_grad() on a tensor that does not require grad")
        if self._prev:
            self._retains_grad = True

    # --- in-place changes -------------------------------------------------------------------

    def _refuse_in_place(self, what: str, other: Any = None) -> None:
        if is_grad_enabled() and (self._requires_grad or (isinstance(other, TensorBase) and other._requires_grad)):
            raise ValueError(
                f"{what} on a tensor that requires grad would change the graph in place: write x = x + y "
                "instead, or update parameters inside no_grad() or through .data"
            )

    def _in_place(self: _Self, ufunc: Any, other: Any, symbol: str) -> _Self:
        self._refuse_in_place(f"in-place {symbol}", other)
        value = other.data if isinstance(other, TensorBase) else other
        try:
            with np.errstate(all="ignore"):
                ufunc(self.data, value, out=self.data, casting="same_kind")
        except TypeError:  # NumPy's UFuncTypeError: the result does not fit the dtype
            result = np.result_type(self.data, value)
            article = "an" if self.dtype.name[0] in "aeiou" else "a"
            raise TypeError(
                f"in-place {symbol}: {article} {self.dtype} tensor cannot hold the {result} result; "
                f"write t = t {symbol[0]} x"
            ) from None
        except ValueError as error:
            raise ValueError(f"in-place {symbol} on a tensor of shape {self.shape}: {error}") from None
        self._version[0] += 1
        return self

    def __iadd__(self: _Self, other: Any) -> _Self:  # type: ignore[misc]
        return self._in_place(np.add, other, "+=")

    def __isub__(self: _Self, other: Any) -> _Self:  # type: ignore[misc]
        return self._in_place(np.subtract, other, "-=")

    def __imul__(self: _Self, other: Any) -> _Self:  # type: ignore[misc]
        return self._in_place(np.multiply, other, "*=")

    def __itruediv__(self: _Self, other: Any) -> _Self:  # type: ignore[misc]
        return self._in_place(np.divide, other, "/=")

    def __setitem__(self, key: Any, value: Any) -> None:
        self._refuse_in_place("t[...] = v", value)
        numpy_key, _ = _index_key(key)
        try:
            self.data[numpy_key] = value.data if isinstance(value, TensorBase) else value
        except IndexError as error:
            raise IndexError(f"index into a tensor of shape {self.shape}: {error}") from None
        self._version[0] += 1

