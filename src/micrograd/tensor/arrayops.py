"""The operations only arrays have: broadcasting, matrix products, reductions, shapes, indexing, joins.

Each is one rule, written as the scalar ones in :mod:`micrograd.ops` are: an
:class:`~micrograd.ops.Op` (so ``node._op == 'sum'`` reads as in the lecture) with
``forward(m, *xs)`` and ``backward(m, g, out, *xs)`` side by side. An op carries the
constants it was made with (the dims of a sum, the shape of a reshape, the index of
an indexing), as ``x ** c`` carries its exponent, and touches its arrays only through
the backend ``m`` (:mod:`micrograd.tensor.arraymath`).

The gradients follow PyTorch's formulas (``derivatives.yaml``) term for term, so that
they agree with it as closely as floating point allows.
"""

from __future__ import annotations

from typing import Any, TypeVar

from micrograd.ops import SQRT, Op

_Op = TypeVar("_Op", bound="ArrayOp")

__all__ = [
    "ArrayOp",
    "LogSoftmax",
    "Softmax",
    "NLLLoss",
    "Expand",
    "Matmul",
    "Sum",
    "Mean",
    "Var",
    "Std",
    "Extreme",
    "TakeAlong",
    "Reshape",
    "Permute",
    "Index",
    "IndexAdd",
    "PutAlong",
    "Cat",
    "Stack",
    "Cast",
    "Select",
    "MATMUL",
]


class ArrayOp(Op):
    """An array operation: its symbol plus the constants this node was made with."""

    def __new__(cls: type[_Op], symbol: str, **constants: Any) -> _Op:
        op = super().__new__(cls, symbol)  # type: ignore[misc]
        op.__dict__.update(constants)
        return op

    def __reduce__(self) -> tuple[Any, ...]:  # str subclasses otherwise pickle (and deepcopy) as plain str
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


def _rebuild(cls: type[ArrayOp], symbol: str, constants: dict[str, Any]) -> ArrayOp:
    return ArrayOp.__new__(cls, symbol, **constants)


class Expand(ArrayOp):
    """Broadcast x to a larger shape;  ∂/∂x = g summed over the broadcast axes (back to x's shape).

    Broadcasting is a node of its own, so the elementwise rules always see equal shapes and
    the reduction of their gradients is visible in the graph.
    """

    arity = 1
    shape: tuple[int, ...]

    def __new__(cls, shape: tuple[int, ...]) -> Expand:
        return super().__new__(cls, "expand", shape=shape)

    def forward(self, m, x):
        return m.broadcast_to(x, self.shape)

    def backward(self, m, g, out, x):
        return (m.sum_to(g, x.shape),)


class Matmul(ArrayOp):
    """a @ b over matching batch dims;  ∂/∂a = g @ bᵀ, ∂/∂b = aᵀ @ g (ᵀ: the last two axes swapped)."""

    arity = 2

    def forward(self, m, a, b):
        return m.matmul(a, b)

    def backward(self, m, g, out, a, b):
        return m.matmul(g, m.swap_last(b)), m.matmul(m.swap_last(a), g)


MATMUL = Matmul("@")


def _restore(m: Any, g: Any, dims: tuple[int, ...], keepdim: bool) -> Any:
    """A reduction's result (or gradient) with its reduced dims back as size 1."""
    return g if keepdim else m.expand_dims(g, dims)


class Sum(ArrayOp):
    """Σ over dims;  ∂/∂xᵢ = g (broadcast back over the summed dims)."""

    arity = 1
    dims: tuple[int, ...]
    keepdim: bool

    def __new__(cls, dims: tuple[int, ...], keepdim: bool) -> Sum:
        return super().__new__(cls, "sum", dims=dims, keepdim=keepdim)

    def forward(self, m, x):
        return m.sum(x, self.dims, self.keepdim)

    def backward(self, m, g, out, x):
        return (m.broadcast_to(_restore(m, g, self.dims, self.keepdim), x.shape),)


class Mean(ArrayOp):
    """(1/n) Σ over dims;  ∂/∂xᵢ = g / n, n the number of elements averaged."""

    arity = 1
    dims: tuple[int, ...]
    keepdim: bool
    n: int  # the number of elements reduced

    def __new__(cls, dims: tuple[int, ...], keepdim: bool, n: int) -> Mean:
        return super().__new__(cls, "mean", dims=dims, keepdim=keepdim, n=n)

    def forward(self, m, x):
        return m.mean(x, self.dims, self.keepdim)

    def backward(self, m, g, out, x):
        return (m.broadcast_to(_restore(m, g, self.dims, self.keepdim), x.shape) / self.n,)


class Var(ArrayOp):
    """Σ(x - x̄)² / (n - correction) over dims;  ∂/∂xᵢ = g · 2(xᵢ - x̄) / (n - correction)."""

    arity = 1
    dims: tuple[int, ...]
    correction: int
    keepdim: bool
    n: int  # the number of elements reduced

    def __new__(cls, dims: tuple[int, ...], correction: int, keepdim: bool, n: int) -> Var:
        return super().__new__(cls, "var", dims=dims, correction=correction, keepdim=keepdim, n=n)

    def forward(self, m, x):
        return m.var(x, self.dims, self.correction, self.keepdim)

    def backward(self, m, g, out, x):
        scale = 2.0 / (self.n - self.correction)
        g = _restore(m, g, self.dims, self.keepdim)
        return ((scale * g) * (x - m.mean(x, self.dims, True)),)


class Std(ArrayOp):
    """√var over dims, one node so that float32 data is accumulated and rooted in float64 and rounded
    once, as PyTorch does;  ∂/∂x = var's rule applied to g / (2·out) (the chain rule through √, both rules reused)."""

    arity = 1
    dims: tuple[int, ...]
    correction: int
    keepdim: bool
    n: int

    def __new__(cls, dims: tuple[int, ...], correction: int, keepdim: bool, n: int) -> Std:
        return super().__new__(cls, "std", dims=dims, correction=correction, keepdim=keepdim, n=n)

    def forward(self, m, x):
        return m.std(x, self.dims, self.correction, self.keepdim)

    def backward(self, m, g, out, x):
        (through_root,) = SQRT.backward(m, g, out, None)
        return Var(self.dims, self.correction, self.keepdim, self.n).backward(m, through_root, None, x)


class Extreme(ArrayOp):
    """max (or min) over dims;  ∂/∂xᵢ = g / k where xᵢ is one of the k elements equal to the result, else 0.

    Ties share the gradient evenly, as PyTorch's ``amax`` and full ``max()`` do. Where the
    result is nan, the full ``max()``/``min()`` (symbols ``max``, ``min``) send the gradient to
    the nan elements, as PyTorch's; ``amax``/``amin`` compare with ==, which no nan passes.
    """

    arity = 1
    dims: tuple[int, ...]
    keepdim: bool

    def __new__(cls, symbol: str, dims: tuple[int, ...], keepdim: bool) -> Extreme:
        return super().__new__(cls, symbol, dims=dims, keepdim=keepdim)

    def forward(self, m, x):
        largest = self in ("amax", "max")
        return m.amax(x, self.dims, self.keepdim) if largest else -m.amax(-x, self.dims, self.keepdim)

    def backward(self, m, g, out, x):
        out = _restore(m, out, self.dims, self.keepdim)
        hit = m.eq(x, out) if self in ("amax", "amin") else m.where(m.isnan(out), m.isnan(x), m.eq(x, out))
        hit = m.cast(hit, x.dtype)
        return (_restore(m, g, self.dims, self.keepdim) / m.sum(hit, self.dims, True) * hit,)


class TakeAlong(ArrayOp):
    """The elements at given positions along one dim (``max(dim)`` picks its argmax);
    ∂/∂x = g at those positions, 0 elsewhere (so a tie's gradient goes to the returned index)."""

    arity = 1
    indices: Any  # with the dim kept, as take_along_axis wants
    dim: int
    keepdim: bool
    shape: tuple[int, ...]  # of the result

    def __new__(cls, symbol: str, indices: Any, dim: int, keepdim: bool, shape: tuple[int, ...]) -> TakeAlong:
        return super().__new__(cls, symbol, indices=indices, dim=dim, keepdim=keepdim, shape=shape)

    def forward(self, m, x):
        picked = m.take_along(x, self.indices, self.dim)
        return picked if self.keepdim else m.reshape(picked, self.shape)

    def backward(self, m, g, out, x):
        return (m.put_along(x.shape, self.indices, _restore(m, g, (self.dim,), self.keepdim), self.dim),)


class Reshape(ArrayOp):
    """The same elements in another shape;  ∂/∂x = g reshaped back."""

    arity = 1
    shape: tuple[int, ...]

    def __new__(cls, shape: tuple[int, ...]) -> Reshape:
        return super().__new__(cls, "reshape", shape=shape)

    def forward(self, m, x):
        return m.reshape(x, self.shape)

    def backward(self, m, g, out, x):
        return (m.reshape(g, x.shape),)


class Permute(ArrayOp):
    """The axes reordered (transpose, ``.T``);  ∂/∂x = g with the inverse order."""

    arity = 1
    axes: tuple[int, ...]
    inverse: tuple[int, ...]

    def __new__(cls, axes: tuple[int, ...]) -> Permute:
        inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))
        return super().__new__(cls, "permute", axes=axes, inverse=inverse)

    def forward(self, m, x):
        return m.transpose(x, self.axes)

    def backward(self, m, g, out, x):
        return (m.transpose(g, self.inverse),)


class Index(ArrayOp):
    """x[key] (slices, ints, integer or boolean arrays);  ∂/∂x = g added back at the same places.

    An integer array may name one element several times (``C[X]`` of an embedding, ``x[[0, 0]]``):
    each occurrence adds its gradient (a scatter-add).
    """

    arity = 1
    key: Any
    unique: bool  # whether the key names each element at most once (no integer arrays)

    def __new__(cls, key: Any, unique: bool) -> Index:
        return super().__new__(cls, "index", key=key, unique=unique)

    def forward(self, m, x):
        return m.index(x, self.key)

    def backward(self, m, g, out, x):
        return (m.index_add(x.shape, self.key, g, self.unique),)


class IndexAdd(ArrayOp):
    """Zeros of a shape with g added at [key]: indexing's gradient, as a node of a gradient graph;
    ∂/∂g = the incoming gradient read back at [key] (so indexing and this op are each other's gradient)."""

    arity = 1
    shape: tuple[int, ...]
    key: Any
    unique: bool

    def __new__(cls, shape: tuple[int, ...], key: Any, unique: bool) -> IndexAdd:
        return super().__new__(cls, "index_add", shape=shape, key=key, unique=unique)

    def forward(self, m, g):
        return m.index_add(self.shape, self.key, g, self.unique)

    def backward(self, m, gg, out, g):
        return (m.index(gg, self.key),)


class PutAlong(ArrayOp):
    """Zeros of a shape with g placed at given positions along one dim: a gather's gradient, as a node;
    ∂/∂g = the incoming gradient gathered back from those positions."""

    arity = 1
    shape: tuple[int, ...]
    indices: Any
    dim: int

    def __new__(cls, shape: tuple[int, ...], indices: Any, dim: int) -> PutAlong:
        return super().__new__(cls, "put_along", shape=shape, indices=indices, dim=dim)

    def forward(self, m, g):
        return m.put_along(self.shape, self.indices, g, self.dim)

    def backward(self, m, gg, out, g):
        return (m.take_along(gg, self.indices, self.dim),)


class Cat(ArrayOp):
    """Tensors joined along an existing dim;  ∂/∂xₖ = the k-th piece of g."""

    dim: int
    sizes: tuple[int, ...]

    def __new__(cls, dim: int, sizes: tuple[int, ...]) -> Cat:
        return super().__new__(cls, "cat", dim=dim, sizes=sizes)

    def forward(self, m, *xs):
        return m.concatenate(xs, self.dim)

    def backward(self, m, g, out, *xs):
        return m.split(g, self.sizes, self.dim)


class Stack(ArrayOp):
    """Tensors of one shape joined along a new dim;  ∂/∂xₖ = g[k] along that dim."""

    dim: int

    def __new__(cls, dim: int) -> Stack:
        return super().__new__(cls, "stack", dim=dim)

    def forward(self, m, *xs):
        return m.stack(xs, self.dim)

    def backward(self, m, g, out, *xs):
        return m.unstack(g, self.dim)


class Cast(ArrayOp):
    """The same numbers in another floating dtype (``.float()``, ``.double()``);  ∂/∂x = g in x's dtype."""

    arity = 1
    dtype: Any

    def __new__(cls, dtype: Any) -> Cast:
        return super().__new__(cls, f"to_{dtype}", dtype=dtype)

    def forward(self, m, x):
        return m.cast(x, self.dtype)

    def backward(self, m, g, out, x):
        return (m.cast(g, x.dtype),)


class Select(ArrayOp):
    """Elementwise choice by a fixed mask: a where condition else b;  ∂/∂a = g where condition, ∂/∂b = g elsewhere.

    The array form of :class:`micrograd.ops.Where`, whose condition is one bool.
    """

    arity = 2
    condition: Any

    def __new__(cls, condition: Any) -> Select:
        return super().__new__(cls, "where", condition=condition)

    def forward(self, m, a, b):
        return m.where(self.condition, a, b)

    def backward(self, m, g, out, a, b):
        return m.where(self.condition, g, 0.0), m.where(self.condition, 0.0, g)


# --- the softmax family (see micrograd.tensor.softmax for the math) ---------------------------


class LogSoftmax(ArrayOp):
    """log softmax(x) along dim;  ∂/∂x = g - e^out · Σ_dim g."""

    arity = 1
    dim: int

    def __new__(cls, dim: int) -> LogSoftmax:
        return super().__new__(cls, "log_softmax", dim=dim)

    def forward(self, m, x):
        shifted = x - m.amax(x, (self.dim,), True)
        return shifted - m.log(m.sum(m.exp(shifted), (self.dim,), True))

    def backward(self, m, g, out, x):
        return (g - m.exp(out) * m.sum(g, (self.dim,), True),)


class Softmax(ArrayOp):
    """e^x / Σ e^x along dim;  ∂/∂x = out · (g - Σ_dim g·out)."""

    arity = 1
    dim: int

    def __new__(cls, dim: int) -> Softmax:
        return super().__new__(cls, "softmax", dim=dim)

    def forward(self, m, x):
        e = m.exp(x - m.amax(x, (self.dim,), True))
        return e / m.sum(e, (self.dim,), True)

    def backward(self, m, g, out, x):
        return (out * (g - m.sum(g * out, (self.dim,), True)),)


class NLLLoss(ArrayOp):
    """-(1/N) Σᵢ logp[i, tᵢ] for log-probabilities (N, C) and class targets t;  ∂/∂logp[i, tᵢ] = -g / N."""

    arity = 1
    key: Any  # (arange(N), targets): the entry of each row's target class
    batch: int

    def __new__(cls, key: Any, batch: int) -> NLLLoss:
        return super().__new__(cls, "nll_loss", key=key, batch=batch)

    def forward(self, m, logp):
        return -m.sum(m.index(logp, self.key), None, False) / self.batch

    def backward(self, m, g, out, logp):
        return (m.index_add(logp.shape, self.key, m.broadcast_to(-g / self.batch, (self.batch,)), True),)
