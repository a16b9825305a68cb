"""``Tensor``: a NumPy array that remembers how it was computed, and backpropagation over arrays.

A Tensor is to an array what a :class:`~micrograd.engine.Value` is to a number: every
operation makes a new Tensor whose ``_prev`` are its inputs and whose ``_op`` is the
operation, and ``backward()`` applies the chain rule from the output back to the leaves.
The rules are the scalar ones: ``x.tanh()`` runs ``ops.TANH``'s forward and backward
with the array backend (:mod:`micrograd.tensor.arraymath`); array-only operations
(``@``, ``sum``, indexing, ...) are rules of the same shape (:mod:`micrograd.tensor.arrayops`).

Semantics are PyTorch's:

* dtypes: float data is float64 unless it is float32 (kept); integer data is int64 and
  bool stays bool. float32 with float64 gives float64; an integer tensor with a float
  tensor gives the float's dtype; a Python number never changes a tensor's dtype
  (``x32 * 2.5`` is float32; an int tensor with a float number gives float64).
  Functions that are only defined on reals (exp, log, tanh, ...) refuse integer tensors;
  ``/`` on integers is true division (float64).
* broadcasting as NumPy's, as an ``expand`` node whose gradient sums back to the input's shape;
* leaves that require grad accumulate ``.grad`` over backward passes; an intermediate keeps
  its ``.grad`` only after ``retain_grad()``; the graph is kept, so a second ``backward()``
  through it works and accumulates again;
* in-place changes (``t[i] = v``, ``t += 1``) are refused while they would enter the graph,
  and a tensor changed in place after a node used it makes ``backward()`` through that
  node raise, instead of giving a wrong gradient.

No node stores a closure or anything that refers back to itself, so a dropped graph is
freed at once by reference counting; ``backward()`` sorts the graph without recursion.
"""

from __future__ import annotations

import numbers
import weakref
from collections import namedtuple
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from micrograd.engine import is_grad_enabled
from micrograd.ops import ABS, ADD, DIV, MUL, NEG, OPS, POW, RELU, SUB, Op, PowConst, pow_const
from micrograd.tensor import anomaly as _anomaly
from micrograd.tensor.arraymath import ARRAY
from micrograd.tensor.arrayops import (
    MATMUL,
    Cast,
    Cat,
    Expand,
    Extreme,
    Index,
    LogSoftmax,
    Mean,
    Permute,
    Reshape,
    Select,
    Softmax,
    Stack,
    Std,
    Sum,
    TakeAlong,
    Var,
)

__all__ = ["Tensor", "tensor", "cat", "stack", "where", "as_dtype", "grad"]

MinMax = namedtuple("MinMax", ["values", "indices"])

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


def _as_array(data: Any, dtype: np.dtype | None, what: str = "Tensor data") -> np.ndarray:
    """``data`` as a new array of a tensor dtype: floats float64 (float32 kept), integers int64."""
    if isinstance(data, Tensor):
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


def _shape_of(shape: Sequence[Any]) -> tuple[int, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` alike."""
    shape = tuple(shape)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"a shape is a tuple of ints, got {tuple(shape)!r}")
    return tuple(int(n) for n in shape)


_new = object.__new__


def _node(data: Any, parents: tuple[Tensor, ...], op: Op | None) -> Tensor:
    """A new tensor; it joins the graph when recording is on and an input requires grad."""
    t = _new(Tensor)
    t.data = data if type(data) is np.ndarray else np.asarray(data)
    t._grad = None
    t._retains_grad = False
    # Views (reshape, transpose, slices) share their base's version counter, as in PyTorch,
    # so a write through a view counts as a change of the base.
    view = op in _VIEWS and np.may_share_memory(t.data, parents[0].data)
    t._version = parents[0]._version if view else [0]
    if op is not None and is_grad_enabled() and any(p._requires_grad for p in parents):
        t._requires_grad = True
        t._prev = parents
        t._op = op
        t._saved = tuple(p._version[0] for p in parents) + (t._version[0],)
    else:
        t._requires_grad = False
        t._prev = ()
        t._op = ""
        t._saved = ()
    return t


_VIEWS = {"reshape", "permute", "index", "expand"}


def _apply(op: Op, parents: tuple[Tensor, ...]) -> Tensor:
    """Run ``op``'s forward rule on the parents' arrays and record the node."""
    with np.errstate(all="ignore"):
        out = op.forward(ARRAY, *[p.data for p in parents])
    node = _node(out, parents, op)
    if _anomaly.enabled:
        _anomaly.check_forward(op, parents, node)
    return node


def _constant(data: Any) -> Tensor:
    return _node(data, (), None)


# --- dtypes and broadcasting for the elementwise ops --------------------------------------

_INTEGER_OPS = {ADD, SUB, MUL, NEG, ABS, RELU}  # give integers for integers; any other op needs floats
_RANK = {"b": 0, "i": 1, "f": 2}


def _scalar_rank(x: Any) -> int:
    return 0 if isinstance(x, (bool, np.bool_)) else 1 if isinstance(x, numbers.Integral) else 2


def _result_dtype(op: Op, tensors: list[Tensor], scalars: list[Any]) -> np.dtype:
    """PyTorch's promotion: the widest float among the tensors; else a number's kind if higher."""
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


def _broadcast_shape(op: str, shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        listed = " and ".join(str(s) for s in shapes)
        raise ValueError(f"{op}: shapes {listed} cannot be broadcast together") from None


def _expand(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    return x if x.data.shape == shape else _apply(Expand(shape), (x,))


def _elementwise(op: Op, operands: Sequence[Any]) -> Tensor:
    """Apply an op of :mod:`micrograd.ops` to tensors and numbers, broadcast and promoted."""
    tensors = [x for x in operands if isinstance(x, Tensor)]
    scalars = [x for x in operands if not isinstance(x, Tensor)]
    dtype = _result_dtype(op, tensors, scalars)
    shape = tensors[0].data.shape
    if len(tensors) > 1 and any(t.data.shape != shape for t in tensors):
        shape = _broadcast_shape(op, [t.data.shape for t in tensors])
    recording = is_grad_enabled()
    parents = []
    for x in operands:
        if isinstance(x, Tensor):
            if x.data.dtype != dtype:
                x = x._to(dtype)
            if recording and x._requires_grad:
                x = _expand(x, shape)
            parents.append(x)
        else:
            parents.append(_constant(np.asarray(x, dtype=dtype)))
    result = _apply(op, tuple(parents))
    if result.data.dtype != dtype:  # a rule's float constant met integers: ReLU's 0.0
        result.data = result.data.astype(dtype)
    return result


def _operand(x: Any) -> Any:
    """The other side of an operator: a Tensor, an array as a constant tensor, a number; else None."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return _constant(_as_array(x, None, "operand"))
    if isinstance(x, numbers.Real):
        return x
    return None


def _binary_method(op: Op, reflected: bool = False) -> Any:
    def method(self: Tensor, other: Any) -> Any:
        other = _operand(other)
        if other is None:
            return NotImplemented
        return _elementwise(op, (other, self) if reflected else (self, other))

    return method


def _unary_method(op: Op) -> Any:
    def method(self: Tensor) -> Tensor:
        return _elementwise(op, (self,))

    method.__doc__ = (type(op).__doc__ or str(op)).splitlines()[0] + " (elementwise)"
    return method


# --- dims, indices ---------------------------------------------------------------------


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
    if alias is not None:
        if primary is not None and primary != default:
            raise TypeError(f"give {name} or {alias_name}, not both")
        return alias
    return default if primary is None else primary


def _index_key(key: Any) -> tuple[Any, bool]:
    """A key NumPy understands (int tensors and lists become arrays), and whether it names each element once."""
    items = key if isinstance(key, tuple) else (key,)
    out, unique = [], True
    for k in items:
        if isinstance(k, Tensor):
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


# --- the tensor --------------------------------------------------------------------------


class Tensor:
    """An n-dimensional array in a computation graph: its ``data``, and after ``backward()`` its ``grad``.

    >>> W = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x = Tensor([1.0, -1.0])
    >>> loss = (W @ x).tanh().sum()
    >>> loss.backward()
    >>> W.grad.shape
    (2, 2)
    """

    __slots__ = ("data", "_grad", "_requires_grad", "_prev", "_op", "_retains_grad", "_version", "_saved",
                 "__weakref__")  # fmt: skip
    __array_ufunc__ = None  # NumPy defers to our operators: ndarray * tensor is a Tensor

    data: np.ndarray
    _grad: Any  # an array, None, or a Tensor after backward(create_graph=True)
    _requires_grad: bool
    _prev: tuple[Tensor, ...]
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

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

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

    __hash__ = object.__hash__  # == compares elementwise, so identity is the hash

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

    def detach(self) -> Tensor:
        """The same data (shared, not copied) as a new leaf: gradients stop here."""
        t = _constant(self.data)
        t._version = self._version
        return t

    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Fill ``.grad`` of the leaves (and retained tensors) with ∂self/∂leaf, times ``gradient``.

        ``gradient`` is ∂L/∂self for some final L; it may be left out when self has one
        element (then it is 1). Leaves accumulate: a second call adds to their grads,
        as in PyTorch; the graph is kept, so calling it again needs no ``retain_graph``
        (accepted for PyTorch's signature). With ``create_graph=True`` each ``.grad`` is a
        Tensor in a graph of its own, which can be differentiated again (as in PyTorch,
        such a grad refers to a graph that refers to its leaf: a reference cycle until the
        grad is reset; :func:`micrograd.tensor.grad` returns gradients without storing them).
        """
        if not self._requires_grad:
            raise ValueError(
                f"backward() of a tensor that does not require grad (shape {self.shape}): "
                "set requires_grad=True on the leaves, outside no_grad()"
            )
        create_graph = _flag(create_graph, "create_graph")
        if retain_graph is not None:
            _flag(retain_graph, "retain_graph")
        _backpropagate([self], [_seed(self, gradient, create_graph, "backward()")], create_graph)

    # --- in-place changes -------------------------------------------------------------------

    def _refuse_in_place(self, what: str, other: Any = None) -> None:
        if is_grad_enabled() and (self._requires_grad or (isinstance(other, Tensor) and other._requires_grad)):
            raise ValueError(
                f"{what} on a tensor that requires grad would change the graph in place: write x = x + y "
                "instead, or update parameters inside no_grad() or through .data"
            )

    def _in_place(self, ufunc: Any, other: Any, symbol: str) -> Tensor:
        self._refuse_in_place(f"in-place {symbol}", other)
        value = other.data if isinstance(other, Tensor) else other
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

    def __iadd__(self, other: Any) -> Tensor:  # type: ignore[misc]
        return self._in_place(np.add, other, "+=")

    def __isub__(self, other: Any) -> Tensor:  # type: ignore[misc]
        return self._in_place(np.subtract, other, "-=")

    def __imul__(self, other: Any) -> Tensor:  # type: ignore[misc]
        return self._in_place(np.multiply, other, "*=")

    def __itruediv__(self, other: Any) -> Tensor:  # type: ignore[misc]
        return self._in_place(np.divide, other, "/=")

    def __setitem__(self, key: Any, value: Any) -> None:
        self._refuse_in_place("t[...] = v", value)
        numpy_key, _ = _index_key(key)
        try:
            self.data[numpy_key] = value.data if isinstance(value, Tensor) else value
        except IndexError as error:
            raise IndexError(f"index into a tensor of shape {self.shape}: {error}") from None
        self._version[0] += 1

    # --- operators: the rules of micrograd.ops ------------------------------------------------

    __add__ = _binary_method(ADD)
    __radd__ = _binary_method(ADD, reflected=True)
    __sub__ = _binary_method(SUB)
    __rsub__ = _binary_method(SUB, reflected=True)
    __mul__ = _binary_method(MUL)
    __rmul__ = _binary_method(MUL, reflected=True)
    __truediv__ = _binary_method(DIV)
    __rtruediv__ = _binary_method(DIV, reflected=True)
    __rpow__ = _binary_method(POW, reflected=True)

    def __pow__(self, other: Any) -> Any:
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            exponent = int(other) if isinstance(other, numbers.Integral) else float(other)
            return _elementwise(pow_const(exponent), (self,))
        other = _operand(other)
        return NotImplemented if other is None else _elementwise(POW, (self, other))

    def __neg__(self) -> Tensor:
        return _elementwise(NEG, (self,))

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _elementwise(ABS, (self,))

    # comparisons: boolean tensors, outside the graph
    def _compare(self, other: Any, ufunc: Any) -> Any:
        other = _operand(other)
        if other is None:
            return NotImplemented
        value = other.data if isinstance(other, Tensor) else other
        _broadcast_shape(ufunc.__name__, [self.shape, np.shape(value)])
        return _constant(ufunc(self.data, value))

    def __lt__(self, other: Any) -> Any:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Any:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    # --- matrix products --------------------------------------------------------------------

    def __matmul__(self, other: Any) -> Any:
        other = _operand(other)
        if other is None or not isinstance(other, Tensor):
            return NotImplemented
        return _matmul(self, other)

    def __rmatmul__(self, other: Any) -> Any:
        other = _operand(other)
        if other is None or not isinstance(other, Tensor):
            return NotImplemented
        return _matmul(other, self)

    def matmul(self, other: Tensor) -> Tensor:
        """self @ other."""
        return self @ other

    # --- reductions -------------------------------------------------------------------------

    def sum(self, dim: Any = None, keepdim: bool | None = None, *, axis: Any = None,
            keepdims: bool | None = None) -> Tensor:  # fmt: skip
        """Σ over ``dim`` (all dims by default); ``axis``/``keepdims`` are accepted as NumPy spells them."""
        dim = _pick(dim, axis, "dim", "axis", None)
        keepdim = bool(_pick(keepdim, keepdims, "keepdim", "keepdims", False))
        if self.dtype == _BOOL:
            return self.long().sum(dim, keepdim)
        return _apply(Sum(_dims(dim, self.ndim, "sum"), keepdim), (self,))

    def mean(self, dim: Any = None, keepdim: bool | None = None, *, axis: Any = None,
             keepdims: bool | None = None) -> Tensor:  # fmt: skip
        """The average over ``dim`` (all dims by default)."""
        self._need_float("mean")
        dims = _dims(_pick(dim, axis, "dim", "axis", None), self.ndim, "mean")
        keepdim = bool(_pick(keepdim, keepdims, "keepdim", "keepdims", False))
        return _apply(Mean(dims, keepdim, _count(self.shape, dims)), (self,))

    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool | None = None, *,
            correction: int | None = None, axis: Any = None, keepdims: bool | None = None) -> Tensor:  # fmt: skip
        """The variance over ``dim``, unbiased (divided by n - 1) by default as in PyTorch;
        ``correction=0`` (or ``unbiased=False``) divides by n."""
        dims, correction, keepdim = self._spread("var", dim, unbiased, keepdim, correction, axis, keepdims)
        return _apply(Var(dims, correction, keepdim, _count(self.shape, dims)), (self,))

    def _spread(self, what: str, dim: Any, unbiased: Any, keepdim: Any, correction: Any, axis: Any,
                keepdims: Any) -> tuple[tuple[int, ...], int, bool]:  # fmt: skip
        """var's and std's arguments as (dims, correction, keepdim), PyTorch's and NumPy's spellings alike."""
        self._need_float(what)
        dims = _dims(_pick(dim, axis, "dim", "axis", None), self.ndim, what)
        keepdim = bool(_pick(keepdim, keepdims, "keepdim", "keepdims", False))
        if correction is None:
            correction = 0 if unbiased is False else 1
        elif unbiased is not None:
            raise TypeError("give unbiased or correction, not both")
        return dims, int(correction), keepdim

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool | None = None, *,
            correction: int | None = None, axis: Any = None, keepdims: bool | None = None) -> Tensor:  # fmt: skip
        """The standard deviation √var over ``dim`` (unbiased by default), one node."""
        dims, correction, keepdim = self._spread("std", dim, unbiased, keepdim, correction, axis, keepdims)
        return _apply(Std(dims, correction, keepdim, _count(self.shape, dims)), (self,))

    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The largest element over ``dim`` (all dims by default); ties share the gradient."""
        return _apply(Extreme("amax", _dims(dim, self.ndim, "amax"), keepdim), (self,))

    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The smallest element over ``dim``; ties share the gradient."""
        return _apply(Extreme("amin", _dims(dim, self.ndim, "amin"), keepdim), (self,))

    def max(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """``max()``: the largest element (ties share the gradient); ``max(dim)``: (values, indices)
        along dim, the gradient going to the returned index, as in PyTorch."""
        if dim is None:
            return _apply(Extreme("max", _dims(None, self.ndim, "max"), False), (self,))
        return self._along("max", dim, keepdim)

    def min(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """As :meth:`max`, for the smallest."""
        if dim is None:
            return _apply(Extreme("min", _dims(None, self.ndim, "min"), False), (self,))
        return self._along("min", dim, keepdim)

    def _along(self, symbol: str, dim: int, keepdim: bool) -> MinMax:
        (d,) = _dims(dim, self.ndim, symbol)
        if self.ndim == 0:
            return MinMax(self, _constant(np.zeros((), dtype=_INT64)))
        picked = (np.argmax if symbol == "max" else np.argmin)(self.data, axis=d, keepdims=True)
        shape = picked.shape if keepdim else picked.shape[:d] + picked.shape[d + 1 :]
        values = _apply(TakeAlong(symbol, picked, d, keepdim, shape), (self,))
        return MinMax(values, _constant(picked.reshape(shape).astype(_INT64)))

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """The index of the largest element (over the flattened tensor when dim is None)."""
        if dim is None:
            return _constant(np.asarray(np.argmax(self.data), dtype=_INT64))
        (d,) = _dims(dim, self.ndim, "argmax")
        return _constant(np.argmax(self.data, axis=d, keepdims=keepdim).astype(_INT64))

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """The index of the smallest element."""
        if dim is None:
            return _constant(np.asarray(np.argmin(self.data), dtype=_INT64))
        (d,) = _dims(dim, self.ndim, "argmin")
        return _constant(np.argmin(self.data, axis=d, keepdims=keepdim).astype(_INT64))

    # --- shapes -----------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in another shape; one dim may be -1 (inferred)."""
        target = _shape_of(shape)
        try:
            result_shape = np.reshape(self.data, target).shape
        except ValueError:
            raise ValueError(
                f"cannot reshape a tensor of shape {self.shape} ({self.data.size} elements) into {target}"
            ) from None
        if result_shape == self.shape:
            return self
        return _apply(Reshape(result_shape), (self,))

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Dims start_dim..end_dim merged into one."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = _dims(start_dim, self.ndim, "flatten")[0], _dims(end_dim, self.ndim, "flatten")[0]
        return self.reshape(*self.shape[:start], -1, *self.shape[end + 1 :])

    def unsqueeze(self, dim: int) -> Tensor:
        """A new dim of size 1 at ``dim``."""
        (d,) = _dims(dim, self.ndim + 1, "unsqueeze")
        return self.reshape(*self.shape[:d], 1, *self.shape[d:])

    def squeeze(self, dim: int | None = None) -> Tensor:
        """Dims of size 1 removed (only ``dim``, if given)."""
        dims = _dims(dim, self.ndim, "squeeze")
        return self.reshape(*[n for i, n in enumerate(self.shape) if not (i in dims and n == 1)])

    def permute(self, *dims: Any) -> Tensor:
        """The axes in the order given."""
        order = _shape_of(dims)
        if sorted(_dims(order, self.ndim, "permute")) != list(range(self.ndim)) or len(order) != self.ndim:
            raise ValueError(f"permute{order} must name each of the {self.ndim} dims of shape {self.shape} once")
        axes = tuple(d % self.ndim for d in order)
        return self if axes == tuple(range(self.ndim)) else _apply(Permute(axes), (self,))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Two axes swapped."""
        a, b = (_dims(d, self.ndim, "transpose")[0] for d in (dim0, dim1))
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return self.permute(*axes)

    @property
    def T(self) -> Tensor:
        """The axes reversed (the transpose of a matrix)."""
        return self.permute(*reversed(range(self.ndim)))

    def __getitem__(self, key: Any) -> Tensor:
        numpy_key, unique = _index_key(key)
        try:
            return _apply(Index(numpy_key, unique), (self,))
        except IndexError as error:
            raise IndexError(f"index into a tensor of shape {self.shape}: {error}") from None

    # --- dtypes -------------------------------------------------------------------------

    def _to(self, dtype: np.dtype) -> Tensor:
        if self.data.dtype == dtype:
            return self
        if self._requires_grad and dtype.kind == "f":
            return _apply(Cast(dtype), (self,))
        return _constant(self.data.astype(dtype))

    def float(self) -> Tensor:
        """As float32 (the gradient flows back in this tensor's dtype)."""
        return self._to(_FLOAT32)

    def double(self) -> Tensor:
        """As float64."""
        return self._to(_FLOAT64)

    def long(self) -> Tensor:
        """As int64 (outside the graph: integers carry no gradient)."""
        return self._to(_INT64)

    def _need_float(self, what: str) -> None:
        if self.dtype.kind != "f":
            raise TypeError(f"{what} needs a floating-point tensor, got {self.dtype}: convert it first with .double()")

    # --- the bridge to Values ----------------------------------------------------------------

    def to_values(self, names: Any = None, fused: bool = True) -> Any:
        """This tensor's expression unrolled into scalar Values (see :func:`micrograd.tensor.to_values`)."""
        from micrograd.tensor.bridge import to_values

        return to_values(self, names, fused)

    # --- the softmax family as methods -------------------------------------------------------

    def softmax(self, dim: int = -1) -> Tensor:
        """e^x / Σ e^x along ``dim``, one fused node (see :func:`micrograd.tensor.softmax`)."""
        self._need_float("softmax")
        (d,) = _dims(dim, self.ndim, "softmax")
        return _apply(Softmax(d), (self,))

    def log_softmax(self, dim: int = -1) -> Tensor:
        """log softmax along ``dim``, one fused node."""
        self._need_float("log_softmax")
        (d,) = _dims(dim, self.ndim, "log_softmax")
        return _apply(LogSoftmax(d), (self,))


def _count(shape: tuple[int, ...], dims: tuple[int, ...]) -> int:
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _install_elementwise_methods() -> None:
    """A method per one-input op of :mod:`micrograd.ops` (``x.tanh()``, ``x.relu()``, and any op
    added there later); a two-input op with a name (not an operator symbol) becomes ``x.name(y)``."""
    for op in OPS.values():
        if not op.isidentifier():
            continue
        name = op.lower()
        if name in Tensor.__dict__:
            continue
        if op.arity == 1:
            setattr(Tensor, name, _unary_method(op))
        elif op.arity == 2:
            setattr(Tensor, name, _binary_method(op))


_install_elementwise_methods()


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    """a @ b as ``torch.matmul``: 2-D, batched (broadcast over the leading dims), and 1-D operands."""
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"@: both operands need at least one dim, got shapes {a.shape} and {b.shape}")
    dtype = _result_dtype(MATMUL, [a, b], [])
    a, b = a._to(dtype), b._to(dtype)
    vector_a, vector_b = a.ndim == 1, b.ndim == 1
    if vector_a:
        a = a.reshape(1, -1)
    if vector_b:
        b = b.reshape(-1, 1)
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(
            f"@: shapes {a.shape} and {b.shape} do not match: the last dim of the first ({a.shape[-1]}) "
            f"must equal the second-to-last of the second ({b.shape[-2]})"
        )
    batch = _broadcast_shape("@ (batch dims)", [a.shape[:-2], b.shape[:-2]])
    if is_grad_enabled():
        a = _expand(a, batch + a.shape[-2:]) if a._requires_grad else a
        b = _expand(b, batch + b.shape[-2:]) if b._requires_grad else b
    out = _apply(MATMUL, (a, b))
    if vector_a or vector_b:
        shape = out.shape[:-2] + (() if vector_a else out.shape[-2:-1]) + (() if vector_b else out.shape[-1:])
        out = out.reshape(*shape)
    return out


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (as ``torch.tensor``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


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


# --- backpropagation ---------------------------------------------------------------------


def _graph_order(roots: Sequence[Tensor]) -> list[Tensor]:
    """The nodes the roots depend on that have inputs, each after its inputs (no recursion)."""
    order: list[Tensor] = []
    visited: set[int] = set()
    for root in roots:
        if not root._prev or id(root) in visited:
            continue
        visited.add(id(root))
        stack = [(root, iter(root._prev))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent._prev and id(parent) not in visited:
                    visited.add(id(parent))
                    stack.append((parent, iter(parent._prev)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


_leaf_callbacks: dict[int, Any] = {}
"""Leaves (by id, while they live) whose gradient goes on elsewhere after backward(): Values
gathered into a tensor (:func:`micrograd.tensor.from_values`) backpropagate through their own graph.
Keyed by id because == on tensors compares elements."""


def on_leaf_grad(leaf: Tensor, callback: Any) -> None:
    """Call ``callback(g)`` with each gradient ``backward()`` gives ``leaf``, for as long as it lives."""
    _leaf_callbacks[id(leaf)] = callback
    weakref.finalize(leaf, _leaf_callbacks.pop, id(leaf), None)


def _leading_to(order: list[Tensor], wanted: set[int]) -> set[int]:
    """The ids of the nodes in ``order`` from which a path leads to a wanted tensor (or that are one)."""
    reaching = set(wanted)
    for node in order:  # inputs come first, so each parent is decided before its users
        if id(node) not in reaching and any(id(p) in reaching for p in node._prev):
            reaching.add(id(node))
    return reaching


def _fit(g: Any, like: np.ndarray) -> np.ndarray:
    """A rule's gradient as an array of the input's shape and dtype (rules may return 0.0 for zeros)."""
    if type(g) is np.ndarray and g.shape == like.shape and g.dtype == like.dtype:
        return g
    g = np.asarray(g)
    if g.dtype != like.dtype:
        g = g.astype(like.dtype)
    return g if g.shape == like.shape else np.broadcast_to(g, like.shape)


def _fit_tensor(g: Any, like: Tensor) -> Tensor:
    """A rule's gradient in a gradient graph as a Tensor of the input's shape and dtype."""
    if not isinstance(g, Tensor):
        return _constant(_fit(g, like.data))
    if g.dtype != like.dtype:
        g = g._to(like.dtype)
    return g if g.shape == like.shape else _expand(g, like.shape)


def _check_unchanged(node: Tensor) -> None:
    now = tuple(p._version[0] for p in node._prev) + (node._version[0],)
    if now != node._saved:
        changed = [p for p, before, after in zip((*node._prev, node), node._saved, now) if before != after][0]
        raise ValueError(
            f"a tensor of shape {changed.shape} that {node._op!r} needs for its gradient was changed in place "
            "after it was used: change a copy instead (or change .data, which is not tracked)"
        )


def _backpropagate(roots: Sequence[Tensor], seeds: Sequence[Any], create_graph: bool = False,
                   inputs: Sequence[Tensor] | None = None) -> dict[int, Any]:  # fmt: skip
    """The backward pass: each node's rule, last node first, gradients summed per input.

    With ``create_graph`` the rules run with the tensor backend (:mod:`micrograd.tensor.tensormath`)
    on the nodes themselves, so every gradient is a Tensor in a graph of its own. Without
    ``inputs`` (``backward()``) the leaves' and retained tensors' ``.grad`` accumulate; with
    them (:func:`grad`) only the nodes on a path to an input are visited, nothing's ``.grad``
    changes, and the gradient of each input is returned by its id.
    """
    order = _graph_order(roots)
    wanted = None if inputs is None else {id(t) for t in inputs}
    reaching = None if wanted is None else _leading_to(order, wanted)
    if create_graph:
        from micrograd.tensor.tensormath import TENSOR
    pending: dict[int, Any] = {}
    leaves: dict[int, tuple[Tensor, Any]] = {}
    found: dict[int, Any] = {}

    def receive(tensor: Tensor, g: Any) -> None:
        key = id(tensor)
        if tensor._prev:
            pending[key] = pending[key] + g if key in pending else g
        else:
            leaves[key] = (tensor, leaves[key][1] + g) if key in leaves else (tensor, g)

    for root, seed in zip(roots, seeds):
        receive(root, seed)
    with np.errstate(all="ignore"):
        for node in reversed(order):
            g = pending.pop(id(node), None)
            if g is None or (reaching is not None and id(node) not in reaching):
                continue
            if wanted is None:
                if node._retains_grad:
                    node._grad = (np.array(g) if not create_graph else g) if node._grad is None else node._grad + g
            elif id(node) in wanted:
                found[id(node)] = g
            _check_unchanged(node)
            parents = node._prev
            if create_graph:
                local = node._op.backward(TENSOR, g, node, *parents)
            else:
                local = node._op.backward(ARRAY, g, node.data, *[p.data for p in parents])
            if _anomaly.enabled:
                _anomaly.check_backward(node, g, local)
            for parent, pg in zip(parents, local):
                if pg is None or not parent._requires_grad or (reaching is not None and id(parent) not in reaching):
                    continue
                receive(parent, _fit_tensor(pg, parent) if create_graph else _fit(pg, parent.data))
    if wanted is not None:
        found.update((key, g) for key, (_, g) in leaves.items() if key in wanted)
        return found
    for leaf, g in leaves.values():
        if leaf._grad is None:
            leaf._grad = g if create_graph else np.array(g)
        else:
            leaf._grad = leaf._grad + g
        if _leaf_callbacks and id(leaf) in _leaf_callbacks:
            _leaf_callbacks[id(leaf)](g.data if isinstance(g, Tensor) else g)
    return found


def _as_list(x: Any, what: str) -> list[Tensor]:
    items = [x] if isinstance(x, Tensor) else list(x) if isinstance(x, (list, tuple)) else None
    if not items:
        raise TypeError(f"grad() {what} must be a Tensor or a non-empty list of Tensors, got {type(x).__name__}")
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad() {what}[{i}] must be a Tensor, got {type(t).__name__}")
    return items


def _seed(output: Tensor, gradient: Any, create_graph: bool, where: str) -> Any:
    """The gradient that starts a backward pass at ``output``: ones for a one-element tensor, else ``gradient``."""
    seed: Any
    if gradient is None:
        if output.data.size != 1:
            raise ValueError(
                f"{where} without a gradient needs a one-element tensor, got shape {output.shape}: "
                f"pass {'grad_outputs' if where.startswith('grad') else 'gradient'}= (an array of that shape), "
                "or reduce first (.sum(), .mean())"
            )
        seed = np.ones(output.shape, dtype=output.dtype)
    elif isinstance(gradient, Tensor) and create_graph:
        if gradient.shape != output.shape and not (gradient.data.size == 1 == output.data.size):
            raise ValueError(f"{where} gradient has shape {gradient.shape}, the tensor has shape {output.shape}")
        seed = gradient._to(output.dtype) if gradient.dtype.kind == "f" else _constant(gradient.data.astype(
            output.dtype))
        return seed if seed.shape == output.shape else seed.reshape(output.shape)
    else:
        seed = _as_array(gradient, output.dtype, f"{where} gradient")
        if seed.shape != output.shape:
            if seed.size == 1 and output.data.size == 1:
                seed = seed.reshape(output.shape)
            else:
                raise ValueError(f"{where} gradient has shape {seed.shape}, the tensor has shape {output.shape}")
    return _constant(seed) if create_graph else seed


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor], grad_outputs: Any = None,
         retain_graph: bool | None = None, create_graph: bool = False, allow_unused: bool = False,
         materialize_grads: bool = False) -> tuple[Tensor | None, ...]:  # fmt: skip
    """∂outputs/∂input for each input, as ``torch.autograd.grad``; no ``.grad`` is touched.

    ``grad_outputs`` (one per output; may be left out for one-element outputs) weights the
    outputs: the result is ∂(Σ grad_outputs·outputs)/∂input. With ``create_graph=True`` the
    gradients are Tensors in a graph, so they can be differentiated again:
    ``grad(grad(f, x, create_graph=True)[0].sum(), x)`` is Σ of the rows of f's Hessian. An
    input the outputs do not depend on is an error, or None with ``allow_unused=True``, or
    zeros with ``materialize_grads=True``. Inputs may be intermediate tensors.
    ``retain_graph`` is accepted for PyTorch's signature: the graph is always kept.
    """
    outs, xs = _as_list(outputs, "outputs"), _as_list(inputs, "inputs")
    create_graph, allow_unused = _flag(create_graph, "create_graph"), _flag(allow_unused, "allow_unused")
    materialize_grads = _flag(materialize_grads, "materialize_grads")
    if retain_graph is not None:
        _flag(retain_graph, "retain_graph")
    if grad_outputs is None:
        grad_outputs = [None] * len(outs)
    elif isinstance(grad_outputs, (list, tuple)) and all(g is None or isinstance(g, (Tensor, np.ndarray))
                                                         for g in grad_outputs):  # fmt: skip
        grad_outputs = list(grad_outputs)
    else:
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outs):
        raise ValueError(f"grad(): {len(grad_outputs)} grad_outputs for {len(outs)} outputs")
    for name, items in (("outputs", outs), ("inputs", xs)):
        for i, t in enumerate(items):
            if not t._requires_grad:
                raise ValueError(
                    f"grad(): {name}[{i}] (shape {t.shape}) does not require grad, so nothing can be differentiated "
                    + ("with respect to it: set requires_grad=True on it" if name == "inputs" else
                       "through it: it was computed from no tensor that requires grad, or inside no_grad()")
                )  # fmt: skip
    seeds = [_seed(out, g, create_graph, f"grad() outputs[{i}]") for i, (out, g) in enumerate(zip(outs, grad_outputs))]
    found = _backpropagate(outs, seeds, create_graph, xs)
    result: list[Tensor | None] = []
    for i, x in enumerate(xs):
        g = found.get(id(x))
        if g is None:
            if not (allow_unused or materialize_grads):
                raise ValueError(
                    f"grad(): inputs[{i}] (shape {x.shape}) was not used to compute the outputs: "
                    "pass allow_unused=True (None for it) or materialize_grads=True (zeros)"
                )
            result.append(_constant(np.zeros(x.shape, dtype=x.dtype)) if materialize_grads else None)
        elif create_graph:
            result.append(g)
        else:
            result.append(_constant(np.array(g)))
    return tuple(result)
