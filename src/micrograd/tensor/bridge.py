"""The bridge between tensors and Values: a tensor expression unrolled into the scalar graph it stands for,
and Values gathered into a tensor.

``to_values`` rebuilds a tensor's graph with one :class:`~micrograd.engine.Value` per element:
an elementwise op becomes one node of the same op per element (``tanh`` nodes, ``+`` nodes), a
matrix product becomes its neurons (one fused ``dot`` node per output, which takes in the ``+ b``
that follows as its bias, as the lecture's ``Neuron``; or the lecture's chain of ``*`` and ``+``),
a sum a chain of ``+``; broadcasting, reshapes and indexing make no nodes,
they only say which Value goes where. The picture of a small layer is the one from the scalar
lecture, and its gradients are the tensor's.

The array ops are not written again for this: their forward rules run with a backend whose
arrays hold Values (NumPy object arrays), where ``m.matmul`` builds neurons and ``m.sum`` chains
of ``+``. Two ops say what their scalar form is: ``max``/``min`` (the element that is the largest,
or the mean of tied ones, which shares the gradient as the tensor rule does) and the stabilising
shift of softmax, a constant as in the fused rule.

Values hold Python floats, so a float32 expression is unrolled in float64.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import reduce
from operator import add, mul
from typing import Any

import numpy as np

from micrograd.engine import Value, dot
from micrograd.ops import ADD, OPS, FloatMath, Op, PowConst
from micrograd.tensor.arraymath import ARRAY
from micrograd.tensor.arrayops import Cast, Extreme, Matmul, Sum
from micrograd.tensor.backprop import _graph_order, on_leaf_grad
from micrograd.tensor.tensor import Tensor, _provide

__all__ = ["to_values", "unroll", "from_values", "MAX_VALUES"]

MAX_VALUES = 100_000
"""The most Values an unrolled graph may have by default: beyond this it is too slow to build and
far too large to draw (``draw_dot`` draws up to 500)."""


def _objects(values: Any, shape: tuple[int, ...]) -> np.ndarray:
    holder = np.empty(int(np.prod(shape, dtype=np.int64)), dtype=object)
    holder[:] = list(values)
    return holder.reshape(shape)


def _as_value(x: Any) -> Value:
    return x if isinstance(x, Value) else Value(float(x))


def _lift_all(array: Any) -> np.ndarray:
    """An object array whose every element is a Value (a plain number becomes a constant leaf)."""
    array = np.asarray(array, dtype=object)
    return _objects(map(_as_value, array.ravel().tolist()), array.shape)


def _numbers(array: np.ndarray) -> np.ndarray:
    return np.array([v.data if isinstance(v, Value) else float(v) for v in array.ravel()]).reshape(array.shape)


def _rows(x: np.ndarray, dims: tuple[int, ...]) -> tuple[np.ndarray, tuple[int, ...]]:
    """x with the reduced dims moved last and merged: (kept..., n), and the kept shape."""
    dims = tuple(range(x.ndim)) if dims is None else tuple(dims)
    kept = [d for d in range(x.ndim) if d not in dims]
    moved = np.transpose(x, kept + list(dims))
    shape = tuple(x.shape[d] for d in kept)
    return moved.reshape(shape + (-1,)), shape


def _restore(result: np.ndarray, x_ndim: int, dims: Any, keepdim: bool) -> np.ndarray:
    if not keepdim:
        return result
    dims = tuple(range(x_ndim)) if dims is None else tuple(dims)
    return np.expand_dims(result, dims)


class ValueArrays:
    """The backend of object arrays of Values: the array rules' forwards build scalar graphs."""

    def __init__(self, fused: bool) -> None:
        self.fused = fused

    # elementwise: Value methods per element
    @staticmethod
    def _each(name: str) -> Any:
        return np.vectorize(lambda v: getattr(_as_value(v), name)(), otypes=[object])

    def __getattr__(self, name: str) -> Any:
        if name in ("exp", "log", "sqrt", "tanh", "sin", "cos", "abs") or (name in OPS and OPS[name].arity == 1):
            return self._each(name.lower())
        function = getattr(ARRAY, name)  # data movement: reshape, transpose, indexing, joins, broadcasting
        return function

    @staticmethod
    def div(a: Any, b: Any) -> Any:
        return np.asarray(a, dtype=object) / np.asarray(b, dtype=object)

    @staticmethod
    def pow_by_constant(x: Any, c: float) -> Any:
        return np.vectorize(lambda v: _as_value(v) ** c, otypes=[object])(x)

    @staticmethod
    def cast(x: Any, dtype: Any) -> Any:
        return x  # Values are floats of every precision

    def matmul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Each output is a neuron: Σₖ a[i, k]·b[k, j], one fused dot (the right operand as its weights)
        or the lecture's chain of * and +."""
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = np.broadcast_to(a, batch + a.shape[-2:])
        b = np.broadcast_to(b, batch + b.shape[-2:])
        out = np.empty(batch + (a.shape[-2], b.shape[-1]), dtype=object)
        for index in np.ndindex(*out.shape):
            *lead, i, j = index
            row, column = list(a[tuple(lead) + (i,)]), list(b[tuple(lead) + (slice(None), j)])
            if self.fused:
                out[index] = dot(column, row, 0.0)
            else:
                out[index] = reduce(add, map(mul, row, column))
        return out

    @staticmethod
    def sum(x: np.ndarray, dims: Any, keepdim: bool) -> np.ndarray:
        rows, shape = _rows(np.asarray(x, dtype=object), dims)
        sums = _objects((reduce(add, row) if len(row) else Value(0.0) for row in rows.reshape(-1, rows.shape[-1])),
                        shape)  # fmt: skip
        return _restore(sums, np.ndim(x), dims, keepdim)

    def mean(self, x: np.ndarray, dims: Any, keepdim: bool) -> np.ndarray:
        count = int(np.prod([np.shape(x)[d] for d in (range(np.ndim(x)) if dims is None else dims)]))
        return self.sum(x, dims, keepdim) / count

    def var(self, x: np.ndarray, dims: Any, correction: int, keepdim: bool) -> np.ndarray:
        count = int(np.prod([np.shape(x)[d] for d in (range(np.ndim(x)) if dims is None else dims)]))
        deviation = x - self.mean(x, dims, True)
        return self.sum(deviation * deviation, dims, keepdim) / (count - correction)

    def std(self, x: np.ndarray, dims: Any, correction: int, keepdim: bool) -> np.ndarray:
        return self._each("sqrt")(self.var(x, dims, correction, keepdim))

    @staticmethod
    def amax(x: np.ndarray, dims: Any, keepdim: bool) -> np.ndarray:
        """The largest element as a constant: the shift that keeps softmax's exponentials finite."""
        largest = np.amax(_numbers(np.asarray(x, dtype=object)), axis=dims, keepdims=keepdim)
        return _objects(map(Value, np.ravel(largest).tolist()), np.shape(largest))


def _extreme(op: Extreme, x: np.ndarray, data: np.ndarray) -> np.ndarray:
    """max/min as the element chosen, or the mean of the tied elements (each then gets g/k, as the rule gives)."""
    numbers = _numbers(x)
    result = np.asarray(ARRAY.amax(numbers, op.dims, True) if op in ("amax", "max") else
                        -ARRAY.amax(-numbers, op.dims, True))  # fmt: skip
    with np.errstate(invalid="ignore"):
        hit = (numbers == result) if op in ("amax", "amin") else np.where(np.isnan(result), np.isnan(numbers),
                                                                          numbers == result)  # fmt: skip
    rows, shape = _rows(x, op.dims)
    hits, _ = _rows(np.broadcast_to(hit, x.shape), op.dims)
    values = []
    for row, chosen in zip(rows.reshape(-1, rows.shape[-1]), hits.reshape(-1, hits.shape[-1])):
        picked = [v for v, h in zip(row, chosen) if h]
        if not picked:  # amax of a row with nan: no element equals it, and the rule's g/0·0 is nan for each
            values.append(reduce(add, row) * float("nan"))
        elif len(picked) == 1:
            values.append(picked[0])
        else:
            values.append(reduce(add, picked) / len(picked))
    return _restore(_objects(values, shape), x.ndim, op.dims, op.keepdim)


def _elementwise(op: Op, parents: list[np.ndarray]) -> np.ndarray:
    """One Value node of the op per element, its number from the scalar rule."""
    arrays = np.broadcast_arrays(*parents)
    out = np.empty(arrays[0].shape, dtype=object)
    for index in np.ndindex(*out.shape):
        children = tuple(_as_value(a[index]) for a in arrays)
        out[index] = Value(op.forward(FloatMath, *(c.data for c in children)), children, op)
    return out


def _with_bias(neurons: np.ndarray, biases: np.ndarray) -> np.ndarray:
    """``x @ W + b`` as the lecture's neurons: each ``dot`` node of the product remade with its bias
    (b + w₁x₁ + … + wₙxₙ, one node), where the product is used only by this sum."""
    neurons, biases = np.broadcast_arrays(neurons, biases)
    out = np.empty(neurons.shape, dtype=object)
    for index in np.ndindex(*out.shape):
        inputs = neurons[index]._prev
        n = len(inputs) // 2
        out[index] = dot(list(inputs[:n]), list(inputs[n : 2 * n]), biases[index])
    return out


def _size(order: list[Tensor]) -> int:
    """About how many Values unrolling makes: an element per node's element, and a term per product term."""
    total = 0
    for node in order:
        n = node.data.size
        if isinstance(node._op, Matmul):
            n *= node._prev[0].shape[-1]
        elif isinstance(node._op, Sum) or node._op in ("mean", "var", "std", "softmax", "log_softmax", "nll_loss"):
            n = max(n, node._prev[0].data.size) * (2 if node._op != "sum" else 1)
        total += n
    return total


def _leaf(tensor: Tensor, label: str) -> np.ndarray:
    numbers = tensor.data.astype(np.float64).ravel().tolist()
    if tensor.ndim == 0:
        return _objects([Value(numbers[0], label=label)], ())
    labels = ([f"{label}[{','.join(map(str, i))}]" for i in np.ndindex(*tensor.shape)] if label else
              [""] * len(numbers))  # fmt: skip
    return _objects((Value(n, label=t) for n, t in zip(numbers, labels)), tensor.shape)


def _nested(array: np.ndarray) -> Any:
    return array[()] if array.ndim == 0 else array.tolist()


def unroll(output: Tensor, inputs: Mapping[str, Tensor] | None = None, fused: bool = True,
           max_values: int = MAX_VALUES) -> tuple[Any, dict[str, Any]]:  # fmt: skip
    """``output``'s graph as Values, and the Values of each named input (nested lists of the tensors' shapes).

    ``inputs`` names tensors of the graph (``{"W": W, "x": x}``): their Values are labelled
    ``W[0,1]``, ... and returned, so their ``.grad`` can be read after a scalar ``backward()``.
    ``fused=False`` writes each neuron as the lecture's chain of ``*`` and ``+`` instead of a
    ``dot`` node. Refuses graphs that would need more than ``max_values`` Values.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"to_values takes a Tensor, got {type(output).__name__}")
    if output.dtype.kind != "f":
        raise TypeError(f"to_values needs a floating-point tensor, got {output.dtype}")
    names = dict(inputs or {})
    for name, t in names.items():
        if not isinstance(name, str) or not isinstance(t, Tensor):
            raise TypeError(f"to_values inputs map names (str) to Tensors, got {name!r}: {type(t).__name__}")
    order = _graph_order([output])
    size = _size(order) + (output.data.size if not order else 0)
    if size > max_values:
        raise ValueError(
            f"to_values would make about {size} Values (more than max_values={max_values}): "
            "unroll a smaller expression (a few rows, a narrow layer), or pass a larger max_values"
        )
    label_of = {id(t): name for name, t in names.items()}
    made: dict[int, np.ndarray] = {}

    def values_of(t: Tensor) -> np.ndarray:
        if id(t) not in made:
            made[id(t)] = _leaf(t, label_of.get(id(t), ""))
        return made[id(t)]

    backend = ValueArrays(fused)
    uses: dict[int, int] = {}
    for node in order:
        for p in node._prev:
            uses[id(p)] = uses.get(id(p), 0) + 1
    for node in order:
        parents = [values_of(p) for p in node._prev]
        op = node._op
        products = [k for k, p in enumerate(node._prev) if isinstance(p._op, Matmul) and uses[id(p)] == 1]
        if fused and op is ADD and products:
            k = products[0]
            result = _with_bias(parents[k], parents[1 - k])
        elif isinstance(op, PowConst) or (op in OPS and OPS[op] is op):
            result = _elementwise(op, parents)
        elif isinstance(op, Extreme):
            result = _extreme(op, parents[0], node.data)
        elif isinstance(op, Cast):
            result = parents[0]
        else:
            result = op.forward(backend, *parents)
        result = _lift_all(result)
        if result.shape != node.shape:  # pragma: no cover - a rule that does not run on object arrays
            raise TypeError(f"to_values: the '{op}' operation gave shape {result.shape}, expected {node.shape}")
        made[id(node)] = result
    missing = [name for name, t in names.items() if id(t) not in made]
    if missing:
        raise ValueError(f"to_values: input {missing[0]!r} is not part of the output's graph")
    return _nested(values_of(output)), {name: _nested(made[id(t)]) for name, t in names.items()}


def to_values(output: Tensor, names: Mapping[str, Tensor] | None = None, fused: bool = True,
              max_values: int = MAX_VALUES) -> Any:  # fmt: skip
    """``output`` unrolled into Values: a Value for a 0-d tensor, else nested lists of its shape
    (see :func:`unroll`)."""
    return unroll(output, names, fused, max_values)[0]


def from_values(values: Sequence[Any]) -> Tensor:
    """Values (a list, or nested lists) gathered into a float64 tensor that requires grad.

    Its gradient flows on into the Values: after ``backward()`` through the tensor, each
    Value's graph has been backpropagated as if it continued into the tensor (leaves
    accumulate, as a scalar ``backward()`` leaves them).
    """
    try:
        array = np.array(values, dtype=object)
    except ValueError:  # ragged
        array = np.empty(0, dtype=object)
    if array.size == 0 or not all(isinstance(v, Value) for v in array.ravel()):
        raise TypeError("from_values takes a non-empty list (or nested lists of one shape) of Values")
    holder = np.empty(array.size, dtype=object)
    holder[:] = list(array.ravel())
    gathered = Tensor(_numbers(array), requires_grad=True)
    flat = holder.tolist()

    def backpropagate(g: np.ndarray) -> None:
        dot(flat, np.asarray(g, dtype=np.float64).ravel().tolist(), 0.0).backward()

    on_leaf_grad(gathered, backpropagate)
    return gathered


_provide("to_values", to_values)  # Tensor.to_values() calls it; this module is built on Tensor, so it registers
