"""The engine: ``Value``, a scalar that remembers how it was computed, and backpropagation.

Every arithmetic operation on Values makes a new Value whose ``_prev`` are its inputs
and whose ``_op`` is the operation (see :mod:`micrograd.ops`). ``backward()`` visits
that graph from the output back to the inputs and applies the chain rule,

    ∂L/∂x = Σ over the nodes y that use x of  ∂L/∂y · ∂y/∂x,

leaving ∂L/∂x in ``x.grad`` for every node x.

Design notes (why it is fast and small): a node stores no closure and nothing that
points back at itself, so a graph has no reference cycles and is freed by reference
counting the moment it is dropped; Python's cyclic garbage collector, which dominates
the run time of closure-based engines, has nothing to do. Nodes use ``__slots__`` and keep
their parents in two of them (:mod:`micrograd.graph`), so that a node is one object for that
collector to count, not two; the graph is sorted without recursion, so a chain a million
nodes deep works.
Each node of a built-in op runs its rules written out as plain Python (:mod:`micrograd._kernels`),
not through a generic call per node.
"""

from __future__ import annotations

import importlib
import numbers
import operator
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from operator import attrgetter
from typing import Any

from micrograd import gradmode
from micrograd._kernels import BACKWARD, FORWARD
from micrograd.checks import bool_error, comparison_error, describe, is_number, too_large_error
from micrograd.closures import ClosureOp, lecture_op, run_closure
from micrograd.gradmode import is_grad_enabled, no_grad
from micrograd.graph import depth_first, keep_parents, parents_of
from micrograd.ops import (
    ABS,
    ADD,
    COS,
    DIV,
    DOT,
    EXP,
    EXPM1,
    LOG,
    LOG1P,
    MUL,
    NEG,
    OPS,
    POW,
    RELU,
    SIGMOID,
    SIN,
    SQRT,
    SUB,
    TANH,
    WHERE_FIRST,
    WHERE_SECOND,
    FloatMath,
    Op,
    pow_const,
)

__all__ = ["Value", "apply", "grad", "no_grad", "is_grad_enabled", "topological_order", "dot"]

Scalar = Any  # a Value or a real number (int, float, NumPy scalar)


def _to_float(x: Any, what: str = "Value data") -> float:
    """A real number as a float, or a TypeError that names what was given instead."""
    if type(x) is float:
        return x
    if isinstance(x, Value):
        raise TypeError(
            f"{what} must be a number, got a Value ({x!r}); use the Value itself, "
            "or x.detach() for a copy without its history"
        )
    if isinstance(x, bool):
        raise bool_error(what, x)
    if isinstance(x, numbers.Real):
        try:
            return float(x)
        except OverflowError:
            raise too_large_error(what, x) from None
    if getattr(x, "ndim", None) == 0 and hasattr(x, "item") and not isinstance(x, (str, bytes)):
        return _to_float(x.item(), what)  # a 0-d NumPy array
    raise TypeError(f"{what} must be a real number, got {type(x).__name__}: {describe(x, 40)}")


_new = object.__new__
_DRAWN_NODES = 500  # a Jupyter picture of more Values is unreadable: the text repr is shown instead
_LARGE_INT = 2**1023  # every int up to this converts to a float


def _node(data: float, parents: tuple[Value, ...], op: Op) -> Value:
    """A new node; with gradients off (``no_grad``) it is a leaf that remembers nothing."""
    if not (gradmode.recording_everywhere or gradmode.thread_mode.enabled):
        return _leaf(data)
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    keep_parents(node, parents)
    node._op = op
    return node


def _node2(data: float, first: Value, second: Value, op: Op) -> Value:
    """``_node`` for two parents, the arithmetic operators' case, without a tuple to take apart."""
    if not (gradmode.recording_everywhere or gradmode.thread_mode.enabled):
        return _leaf(data)
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node._p0 = first
    node._p1 = second
    node._op = op
    return node


def _leaf(data: float) -> Value:
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node._p0 = node._p1 = None
    node._op = ""
    return node


def _operand(x: Any) -> Value | None:
    """The other side of a binary operator as a Value, or None if it is not a number."""
    if isinstance(x, Value):
        return x
    if type(x) is float or isinstance(x, numbers.Real):
        return _leaf(_to_float(x, "operand"))
    return None


_data_of = attrgetter("data")


def _rule_forward(op: Op) -> Callable[[tuple[Value, ...]], float]:
    """For an op made at run time (``x ** c``, ``where``): its forward rule, run on floats."""
    return lambda parents: op.forward(FloatMath, *map(_data_of, parents))


def _apply(op: Op, parents: tuple[Value, ...]) -> Value:
    """A node of ``op`` on ``parents``: its checked-in forward kernel, or its rule for an op made at run time."""
    try:
        forward = FORWARD[op]  # a plain dict and try/except: the fastest lookup Python has
    except KeyError:
        forward = _rule_forward(op)
    return _node(forward(parents), parents, op)


def apply(op: Op, *inputs: Scalar) -> Value:
    """A node of ``op`` (an :class:`~micrograd.ops.Op`) on ``inputs`` (Values or numbers).

    This is how an operation defined once, like the built-ins in :mod:`micrograd.ops`, is
    used: ``apply(SOFTPLUS, x)``. Its forward and backward rules are then what eager
    ``backward()``, ``create_graph``, gradcheck, drawings and ``micrograd.compile`` run.
    """
    if not isinstance(op, Op):
        raise TypeError(f"apply() expects an operation (an instance of micrograd.ops.Op), got {type(op).__name__}")
    if not op.takes(len(inputs)):
        raise ValueError(f"operation {str(op)!r} takes {op.arity} input(s), got {len(inputs)}")
    parents = tuple(x if isinstance(x, Value) else _leaf(_to_float(x, f"{str(op)!r} input")) for x in inputs)
    if OPS.get(op) is op:
        return _apply(op, parents)
    return _node(_rule_forward(op)(parents), parents, op)


def _ordering(compare: Callable[[Any, Any], bool], symbol: str) -> Callable[[Value, Any], Any]:
    """``Value.__lt__`` and its kin: the data compared (``max(a, b)``, ``sorted(values)`` work)."""

    def method(self: Value, other: Any) -> Any:
        if isinstance(other, Value):
            return compare(self.data, other.data)
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return compare(self.data, other)
        return NotImplemented

    method.__name__ = method.__qualname__ = f"__{compare.__name__}__"
    method.__doc__ = f"self.data {symbol} other (a Value's data or a number)."
    return method


def _arithmetic(op: Op, name: str) -> tuple[Callable[[Value, Scalar], Value], Callable[[Value, Scalar], Value]]:
    """``Value.__add__`` and ``__radd__`` (and their kin), written once for every binary operator.

    ``self op other`` and the reflected ``other op self``, for ``other`` a Value or a real
    number; anything else gives ``NotImplemented``, so Python tries the other side.
    """
    forward = FORWARD[op]

    def method(self: Value, other: Scalar) -> Value:
        if type(other) is not Value:
            other = _operand(other)
            if other is None:
                return NotImplemented
        return _node2(forward((self, other)), self, other, op)

    def reflected(self: Value, other: Scalar) -> Value:
        other = _operand(other)  # a number: Python reflects only when the left side is not a Value
        return NotImplemented if other is None else method(other, self)

    method.__name__ = method.__qualname__ = name
    reflected.__name__ = reflected.__qualname__ = "__r" + name[2:]
    method.__doc__ = f"self {op} other: one {str(op)!r} node (its rule is micrograd.ops.{type(op).__name__})."
    reflected.__doc__ = f"other {op} self, for a number on the left: one {str(op)!r} node."
    return method, reflected


class Value:
    """A scalar in a computation graph: its ``data``, and after ``backward()`` its ``grad``.

    >>> x = Value(2.0, label='x')
    >>> y = (x * x + 1).tanh()
    >>> y.backward()
    >>> round(x.grad, 6)   # d tanh(x²+1)/dx = 2x·(1 - tanh²(x²+1))
    0.000727

    Comparing Values: ``bool(v)`` is ``bool(v.data)``, as for a float or a PyTorch
    scalar. ``==`` and ``!=`` between Values ask whether they are the same node, and a
    Value hashes by identity: a graph keeps its nodes in sets, dicts and ``_prev``
    tuples, where two nodes that hold equal numbers are still two nodes. So ``==``
    cannot also compare numbers, and ``v == 2.0`` raises a TypeError pointing to
    ``v.data == 2.0`` rather than answer a question it was not asked (comparing data
    would also break Python's rule that equal objects hash equal). Ordering (``<``,
    ``<=``, ``>``, ``>=``) has no such duty to the graph, so it compares data; that
    ``a <= b <= a`` does not make ``a == b`` is the price of nodes having identity.
    """

    __slots__ = ("data", "grad", "_op", "_p0", "_p1", "__dict__")
    # __dict__: a node takes attributes of its own (an optimizer's ``p.m``, a drawing's
    # ``v._vis_color``), and a label; no dict exists until the first one is set. A node
    # then costs as many bytes as with a slot for the label and none for attributes.
    __array_ufunc__ = None  # NumPy defers to our operators: np.float64(2) * v is a Value

    data: float
    grad: Any  # a float; a Value after backward(create_graph=True)
    _p0: Value | tuple[Value, ...] | None
    """The first parent (None for a leaf), or the tuple of all parents when there are more than two."""
    _p1: Value | None
    """The second parent, or None."""
    _op: Op | ClosureOp | str
    """An Op (a ``str`` subclass: ``node._op == '+'`` reads as in the lecture) for a node
    with parents, a :class:`ClosureOp` for one built the lecture's way, ``''`` for a leaf."""
    label: str = ""
    """A name for drawings (``Value(2.0, label='x')``), kept in the node's ``__dict__`` when given."""

    def __init__(self, data: Any, _children: Iterable[Value] = (), _op: str = "", label: str = "") -> None:
        self.data = _to_float(data)
        self.grad = 0.0
        children = tuple(_children)
        for child in children:
            if not isinstance(child, Value):
                raise TypeError(f"Value children must be Values, got {type(child).__name__}: {child!r}")
        if not isinstance(_op, str):
            raise TypeError(f"Value _op must be a str such as '+', got {type(_op).__name__}")
        self._op = lecture_op(_op, len(children)) if children else _op
        keep_parents(self, children)
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        if label:
            self.label = label

    def _set_prev(self, inputs: tuple[Value, ...]) -> None:
        if not isinstance(inputs, tuple) or not all(isinstance(p, Value) for p in inputs):
            raise TypeError(f"_prev must be a tuple of Values, got {describe(inputs, 60)}")
        keep_parents(self, inputs)

    _prev = property(parents_of, _set_prev, doc=f"{parents_of.__doc__} Kept in two slots: see micrograd.graph.")
    del _set_prev

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def __float__(self) -> float:
        return self.data

    # --- truth and equality: see "Comparing Values" in the class docstring ------------

    def __bool__(self) -> bool:
        return self.data != 0.0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Value):
            return self is other
        if is_number(other):
            raise comparison_error("==", other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, Value):
            return self is not other
        if is_number(other):
            raise comparison_error("!=", other)
        return NotImplemented

    __hash__ = object.__hash__

    __lt__ = _ordering(operator.lt, "<")
    __le__ = _ordering(operator.le, "<=")
    __gt__ = _ordering(operator.gt, ">")
    __ge__ = _ordering(operator.ge, ">=")

    # --- the number inside, as PyTorch's scalars give it ------------------------------

    def item(self) -> float:
        """The number (``v.data``), as ``tensor.item()`` gives it."""
        return self.data

    def __int__(self) -> int:
        return int(self.data)

    def __round__(self, ndigits: int | None = None) -> float | int:
        return round(self.data, ndigits)

    def _repr_svg_(self) -> str | None:
        """Jupyter's picture of the graph (Graphviz), or None, so that Jupyter shows ``repr`` instead.

        None too when Graphviz is missing, the graph is larger than a drawing can show, or
        drawing fails in any way: a notebook's display must never raise.
        """
        try:
            if len(topological_order(self)) > _DRAWN_NODES:
                return None
            # the drawing app, looked up only when Jupyter asks: the core never imports it
            viz = importlib.import_module("micrograd.apps.viz")
            svg = viz.draw_dot(self).pipe(format="svg", encoding="utf-8")
        except Exception:  # noqa: BLE001  (Graphviz missing, dot failing: show the text instead)
            return None
        return svg if isinstance(svg, str) else None

    # --- arithmetic: each makes one node; its rule lives in micrograd.ops -------------

    __add__, __radd__ = _arithmetic(ADD, "__add__")
    __sub__, __rsub__ = _arithmetic(SUB, "__sub__")
    __mul__, __rmul__ = _arithmetic(MUL, "__mul__")
    __truediv__, __rtruediv__ = _arithmetic(DIV, "__truediv__")

    def __pow__(self, other: Scalar) -> Value:
        if isinstance(other, Value):
            return _apply(POW, (self, other))
        kind = type(other)
        if kind is float or (kind is int and -_LARGE_INT <= other <= _LARGE_INT):  # x ** 2: the common case
            return _apply(pow_const(other), (self,))
        if isinstance(other, numbers.Real):
            exponent = _to_float(other, "exponent")  # refuses bools and exponents beyond a float
            if isinstance(other, numbers.Integral):
                exponent = int(other)
            return _apply(pow_const(exponent), (self,))
        return NotImplemented

    def __rpow__(self, other: Scalar) -> Value:
        other = _operand(other)
        return NotImplemented if other is None else _apply(POW, (other, self))

    def __neg__(self) -> Value:
        return _apply(NEG, (self,))

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _apply(ABS, (self,))

    def exp(self) -> Value:
        """e^x."""
        return _apply(EXP, (self,))

    def log(self) -> Value:
        """Natural logarithm (-inf at 0, nan below)."""
        return _apply(LOG, (self,))

    def sqrt(self) -> Value:
        """Square root (nan below 0)."""
        return _apply(SQRT, (self,))

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return _apply(TANH, (self,))

    def sigmoid(self) -> Value:
        """Logistic sigmoid 1 / (1 + e^-x)."""
        return _apply(SIGMOID, (self,))

    def relu(self) -> Value:
        """max(0, x)."""
        return _apply(RELU, (self,))

    def abs(self) -> Value:
        """|x|."""
        return _apply(ABS, (self,))

    def sin(self) -> Value:
        """Sine."""
        return _apply(SIN, (self,))

    def cos(self) -> Value:
        """Cosine."""
        return _apply(COS, (self,))

    def log1p(self) -> Value:
        """ln(1 + x), exact for tiny x."""
        return _apply(LOG1P, (self,))

    def expm1(self) -> Value:
        """e^x - 1, exact for tiny x."""
        return _apply(EXPM1, (self,))

    def detach(self) -> Value:
        """A new leaf with the same data and no history: gradients stop here."""
        return _leaf(self.data)

    # --- backpropagation -------------------------------------------------------------

    def _local_grads(self, g: Any, create_graph: bool = False) -> tuple[Any, ...]:
        """What each parent receives from this node: g · ∂self/∂parent, by the op's rule."""
        op: Op = self._op  # type: ignore[assignment]  # a node with parents always holds an Op
        if create_graph:
            return op.backward(ValueMath, _lift(g), self, *self._prev)
        return op.backward(FloatMath, g, self.data, *map(_data_of, self._prev))

    @property
    def _backward(self) -> Callable[[], None]:
        """One step of the chain rule for this node: its ``grad`` into its parents' (``o._backward()``).

        The closure assigned to it, for a node built the lecture's way; otherwise its op's rule.
        """
        op = self._op
        if type(op) is ClosureOp and op.function is not None:
            return op.function
        return partial(_node_backward, self, False)

    @_backward.setter
    def _backward(self, function: Callable[[], None]) -> None:
        if not callable(function):
            raise TypeError(f"_backward must be a function of no arguments, got {type(function).__name__}")
        self._op = ClosureOp(self._op, function)

    def backward(self, *, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node in this Value's graph with ∂self/∂node.

        Leaves (inputs, parameters) accumulate: calling it twice doubles their grads,
        as in PyTorch. Intermediate nodes are recomputed each time. With
        ``create_graph=True`` the leaves' grads are Values that can be differentiated
        again; as in PyTorch, such a grad refers to a graph that refers to its leaf
        (a reference cycle until ``zero_grad``), so prefer :func:`grad` for that work.
        """
        if not isinstance(create_graph, bool):
            raise TypeError(f"create_graph must be True or False, got {type(create_graph).__name__}")
        order = topological_order(self)
        leaves = [node for node in order if node._p0 is None]
        earlier = [leaf.grad for leaf in leaves]  # leaves sum this pass's contributions first, then add
        _chain_rule(order, create_graph)
        if create_graph:
            for node in order:
                if node._p0 is not None:  # a Value grad here would refer back to its own node: keep the number
                    node.grad = node.grad.data
        for leaf, before in zip(leaves, earlier):
            if create_graph:
                leaf.grad = _accumulate(before, leaf.grad)
            elif before or type(before) is not float:  # a Value grad from create_graph stays in its graph, even at 0
                leaf.grad = before + leaf.grad


_float_backward: dict[type, Callable[[Value], None]] = {type(op): kernel for op, kernel in BACKWARD.items()}
"""The float kernels ``backward()`` runs. (Anomaly detection swaps in none, so that every
node runs its rule, through ``_local_grads``, where the checks are.)"""


def _chain_rule(order: list[Value], create_graph: bool) -> None:
    """The backward pass: ∂root/∂node into every ``node.grad``, for ``order`` ending at the root.

    Every grad starts at 0 and the root's at 1; then each node, last first, adds
    ``node.grad · ∂node/∂parent`` into its parents' grads. On floats a built-in op's node runs
    its kernel (:mod:`micrograd._kernels`, its rule's arithmetic), found by the op's class, so
    a lecture-style node labelled ``'exp'`` runs its own closure; other nodes, and all with
    ``create_graph`` (grads are Values), run their rule (:mod:`micrograd.ops`) or closure.
    """
    for node in order:
        node.grad = 0.0
    order[-1].grad = _leaf(1.0) if create_graph else 1.0
    kernels = {} if create_graph else _float_backward
    for node in reversed(order):
        if node._p0 is not None:
            try:
                kernel = kernels[type(node._op)]
            except KeyError:
                _node_backward(node, create_graph)
                continue
            kernel(node)


def _node_backward(node: Value, create_graph: bool) -> None:
    """Push ``node.grad`` into its parents' grads by its op's rule (or by its closure)."""
    if not node._prev:
        return
    if type(node._op) is ClosureOp:
        run_closure(node, create_graph)
        return
    grads = node._local_grads(node.grad, create_graph)
    if create_graph:
        for parent, g in zip(node._prev, grads):
            parent.grad = _accumulate(parent.grad, g)
    else:
        for parent, g in zip(node._prev, grads):
            parent.grad += g


def topological_order(root: Value | Sequence[Value], leaves: bool = True) -> list[Value]:
    """Every node ``root`` depends on, each after all of its inputs; ``root`` comes last.

    A depth-first search with an explicit stack (no recursion, so any depth works).
    The order depends only on the graph, never on hashing, so runs are reproducible.
    ``root`` may also be a list of Values: their graphs, each node once, in order.
    With ``leaves=False`` only nodes that have parents are listed (what backward visits).
    """
    roots = (root,) if isinstance(root, Value) else tuple(root) if isinstance(root, (list, tuple)) else None
    if roots is None or not all(isinstance(r, Value) for r in roots):
        raise TypeError(f"expected a Value or a list of Values, got {type(root).__name__}")
    order: list[Value] = []
    visited: set[Value] = set()
    for node in roots:
        if node not in visited:
            visited.add(node)
            if node._p0 is not None:
                depth_first(node, order, visited, leaves)
            elif leaves:
                order.append(node)
    return order


def _lift(x: Any) -> Value:
    return x if isinstance(x, Value) else _leaf(_to_float(x, "gradient"))


def _accumulate(current: Any, g: Any) -> Value:
    """current + g as a Value (a gradient that is still part of the graph)."""
    if isinstance(current, Value):
        return current + g
    if current == 0:
        return _lift(g)
    return _lift(g) + current


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else x


class ValueMath:
    """The Value backend: a rule run with it builds graph nodes (for higher-order grads).

    Comparisons and ``sign`` read the numbers and act as constants (no edge, as in
    PyTorch); ``where`` builds a node that routes the gradient to the branch taken.
    """

    @staticmethod
    def div(a: Any, b: Any) -> Value:
        return _lift(a) / b

    @staticmethod
    def pow(a: Any, b: Any) -> Value:
        return _lift(a) ** b

    @staticmethod
    def pow_by_constant(x: Any, c: float) -> Value:
        return _lift(x) ** c

    exp = staticmethod(lambda x: _lift(x).exp())
    log = staticmethod(lambda x: _lift(x).log())
    log1p = staticmethod(lambda x: _lift(x).log1p())
    expm1 = staticmethod(lambda x: _lift(x).expm1())
    sqrt = staticmethod(lambda x: _lift(x).sqrt())
    tanh = staticmethod(lambda x: _lift(x).tanh())
    sin = staticmethod(lambda x: _lift(x).sin())
    cos = staticmethod(lambda x: _lift(x).cos())
    abs = staticmethod(lambda x: _lift(x).abs())

    @staticmethod
    def sign(x: Any) -> float:
        return FloatMath.sign(_data(x))

    @staticmethod
    def where(condition: bool, if_true: Any, if_false: Any) -> Value:
        return _apply(WHERE_FIRST if condition else WHERE_SECOND, (_lift(if_true), _lift(if_false)))

    lt = staticmethod(lambda a, b: _data(a) < _data(b))
    le = staticmethod(lambda a, b: _data(a) <= _data(b))
    eq = staticmethod(lambda a, b: _data(a) == _data(b))
    ge = staticmethod(lambda a, b: _data(a) >= _data(b))
    and_ = staticmethod(lambda a, b: a and b)


def dot(w: Sequence[Value], x: Sequence[Scalar], b: Scalar = 0.0) -> Value:
    """w·x + b as one node (a fused neuron): b + w₁x₁ + … + wₙxₙ, summed left to right."""
    for name, seq in (("w", w), ("x", x)):
        if not isinstance(seq, (list, tuple)):
            raise TypeError(f"dot() {name} must be a list of Values or numbers, got {type(seq).__name__}")
    if len(w) != len(x):
        raise ValueError(f"dot needs as many weights as inputs, got {len(w)} weights and {len(x)} inputs")
    parents = tuple(v if isinstance(v, Value) else Value(v) for v in (*w, *x, b))
    return _apply(DOT, parents)


def grad(
    output: Value,
    inputs: Value | Sequence[Value],
    create_graph: bool = False,
) -> tuple[Any, ...]:
    """∂output/∂input for each input, like ``torch.autograd.grad``; no ``.grad`` is touched.

    Returns a tuple with one gradient per input (0.0 for an input the output does not
    depend on). With ``create_graph=True`` the gradients are Values, so they can be
    differentiated again: ``grad(grad(f, x, create_graph=True)[0], x)`` is f''.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad() output must be a Value, got {type(output).__name__}")
    if isinstance(inputs, Value):
        targets: tuple[Any, ...] = (inputs,)
    elif isinstance(inputs, (list, tuple)):
        targets = tuple(inputs)
    else:
        raise TypeError(f"grad() inputs must be a Value or a list of Values, got {type(inputs).__name__}")
    if not isinstance(create_graph, bool):
        raise TypeError(f"grad() create_graph must be True or False, got {type(create_graph).__name__}")
    for i, x in enumerate(targets):
        if not isinstance(x, Value):
            raise TypeError(f"grad() inputs[{i}] must be a Value, got {type(x).__name__}")
    order = topological_order(output)
    saved = [node.grad for node in order]  # the pass runs in .grad; put every one back after
    try:
        _chain_rule(order, create_graph)
        reached = set(order)
        found = [x.grad if x in reached else None for x in targets]
    finally:
        for node, before in zip(order, saved):
            node.grad = before
    if create_graph:
        return tuple(_leaf(0.0) if g is None else _lift(g) for g in found)
    return tuple(0.0 if g is None else g for g in found)
