"""``Tensor``: a NumPy array that remembers how it was computed.

A Tensor is to an array what a :class:`~micrograd.engine.Value` is to a number: every
operation makes a new Tensor whose ``_prev`` are its inputs and whose ``_op`` is the
operation, and ``backward()`` applies the chain rule from the output back to the leaves.
The rules are the scalar ones: ``x.tanh()`` runs ``ops.TANH``'s forward and backward
with the array backend (:mod:`micrograd.tensor.arraymath`); array-only operations
(``@``, ``sum``, indexing, ...) are rules of the same shape (:mod:`micrograd.tensor.arrayops`).
This module is the operations, each making one node; what a tensor holds (data, grad,
in-place changes) is :mod:`micrograd.tensor.base`, the dtype rules :mod:`micrograd.tensor.dtypes`.

Semantics are PyTorch's: dtypes promote as ``torch`` does; broadcasting is NumPy's, as an
``expand`` node whose gradient sums back to the input's shape; views (reshape, transpose,
slices) share their base's version counter, so a write through a view counts as a change
of the base.

``backward()`` and ``to_values()`` are methods here but their work is done by modules
above this one: the backward driver (:mod:`micrograd.tensor.autograd`) needs the Tensor
math backend (:mod:`micrograd.tensor.tensormath`), and the bridge to Values
(:mod:`micrograd.tensor.bridge`) reads whole graphs, and both are built from this class.
Each of those modules hands its function to :func:`_provide` when it is imported, and
``micrograd.tensor`` imports them all, so both are in place before a user can call them;
nothing here imports upward.

No node stores a closure or anything that refers back to itself, so a dropped graph is
freed at once by reference counting.
"""

from __future__ import annotations

import numbers
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from micrograd.engine import is_grad_enabled
from micrograd.ops import ABS, ADD, DIV, MUL, NEG, OPS, POW, SUB, Op, pow_const
from micrograd.tensor import anomaly as _anomaly
from micrograd.tensor.arraymath import ARRAY
from micrograd.tensor.arrayops import (
    MATMUL,
    Cast,
    Expand,
    Extreme,
    Index,
    LogSoftmax,
    Mean,
    Permute,
    Reshape,
    Softmax,
    Std,
    Sum,
    TakeAlong,
    Var,
)
from micrograd.tensor.base import TensorBase, _as_array, _index_key
from micrograd.tensor.dtypes import _BOOL, _FLOAT32, _FLOAT64, _INT64, _result_dtype
from micrograd.tensor.shapes import _broadcast_shape, _count, _dims, _pick, _shape_of

__all__ = ["Tensor", "tensor"]

MinMax = namedtuple("MinMax", ["values", "indices"])

# --- making nodes ------------------------------------------------------------------------

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


# --- elementwise ops: promoted and broadcast ----------------------------------------------


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


# --- work done above this module ---------------------------------------------------------


_provided: dict[str, Callable[..., Any]] = {}
"""``backward`` and ``to_values``, by name, from the modules that define them (see the module docstring)."""


def _provide(name: str, function: Callable[..., Any]) -> None:
    """Make ``function`` the one the Tensor method ``name`` calls."""
    _provided[name] = function


# --- the tensor --------------------------------------------------------------------------


class Tensor(TensorBase):
    """An n-dimensional array in a computation graph: its ``data``, and after ``backward()`` its ``grad``.

    >>> W = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x = Tensor([1.0, -1.0])
    >>> loss = (W @ x).tanh().sum()
    >>> loss.backward()
    >>> W.grad.shape
    (2, 2)
    """

    __slots__ = ()  # the attributes are TensorBase's
    _prev: tuple[Tensor, ...]  # the inputs of the operation that made it: Tensors
    __array_ufunc__ = None  # NumPy defers to our operators: ndarray * tensor is a Tensor
    __hash__ = object.__hash__  # == compares elementwise, so identity is the hash

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    # --- gradients ----------------------------------------------------------------------

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
        _provided["backward"](self, gradient, retain_graph, create_graph)

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
        return _provided["to_values"](self, names, fused)

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


def _install_elementwise_methods() -> None:
    """A method per one-input op of :mod:`micrograd.ops` (``x.tanh()``, ``x.relu()``, and any op
    added there later); a two-input op with a name (not an operator symbol) becomes ``x.name(y)``."""
    for op in OPS.values():
        if not op.isidentifier():
            continue
        name = op.lower()
        if hasattr(Tensor, name):
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

