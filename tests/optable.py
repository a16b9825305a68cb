"""The op table that drives the engine's tests: each entry is one operation written
twice, once for micrograd Values and once for PyTorch tensors, with the points to try.

The reference numbers PyTorch gives for these entries are stored in
``tests/reference/torch_float64.json`` (made by ``tests/reference/make_reference.py``),
so the engine is checked against them even where PyTorch is not installed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Fn = Callable[..., Any]


@dataclass(frozen=True)
class OpCase:
    name: str
    ours: Fn  # on micrograd Values
    theirs: Fn  # on torch tensors (float64)
    points: tuple[tuple[float, ...], ...]
    symbol: str | None = None  # the _op the result node must carry


ANY = ((-2.5,), (-0.5,), (0.3,), (1.7,))
POSITIVE = ((0.2,), (0.9,), (1.7,), (3.5,))
PAIRS = ((-2.5, 0.7), (-0.5, -1.3), (0.3, 2.0), (1.7, -0.4))
POSITIVE_BASE = ((0.4, -1.3), (1.7, 0.5), (2.5, 2.0), (0.9, 3.0))

def sanity_check(x):
    """The original micrograd's first test expression (works on Values and tensors alike)."""
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    return h + q + q * x


def more_ops(a, b):
    """The original micrograd's second test expression, with ``c += ...`` spelled out."""
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    return g + 10.0 / f


def fused_neuron(w1, w2, x1, x2, b):
    """A two-input neuron's sum as one ``dot`` node; b + w1·x1 + w2·x2 on tensors (the same order)."""
    if isinstance(w1, float) or type(w1).__module__.startswith("torch"):
        return b + w1 * x1 + w2 * x2
    from micrograd import dot

    return dot([w1, w2], [x1, x2], b)


def lecture_neuron(x1, x2, w1, w2, b):
    """The lecture's neuron: o = tanh(x1·w1 + x2·w2 + b)."""
    return (x1 * w1 + x2 * w2 + b).tanh()


OP_TABLE: tuple[OpCase, ...] = (
    # binary operators, Value ∘ Value
    OpCase("add", lambda a, b: a + b, lambda a, b: a + b, PAIRS, "+"),
    OpCase("sub", lambda a, b: a - b, lambda a, b: a - b, PAIRS, "-"),
    OpCase("mul", lambda a, b: a * b, lambda a, b: a * b, PAIRS, "*"),
    OpCase("div", lambda a, b: a / b, lambda a, b: a / b, PAIRS, "/"),
    OpCase("pow", lambda a, b: a**b, lambda a, b: a**b, POSITIVE_BASE, "**"),
    # with a constant on the right
    OpCase("add_const", lambda a: a + 2.5, lambda a: a + 2.5, ANY, "+"),
    OpCase("sub_const", lambda a: a - 2.5, lambda a: a - 2.5, ANY, "-"),
    OpCase("mul_const", lambda a: a * 2.5, lambda a: a * 2.5, ANY, "*"),
    OpCase("div_const", lambda a: a / 2.5, lambda a: a / 2.5, ANY, "/"),
    # reflected forms: the constant on the left
    OpCase("radd", lambda a: 2.5 + a, lambda a: 2.5 + a, ANY, "+"),
    OpCase("rsub", lambda a: 2.5 - a, lambda a: 2.5 - a, ANY, "-"),
    OpCase("rmul", lambda a: 2.5 * a, lambda a: 2.5 * a, ANY, "*"),
    OpCase("rtruediv", lambda a: 2.5 / a, lambda a: 2.5 / a, ANY, "/"),
    OpCase("rpow", lambda a: 2.5**a, lambda a: 2.5**a, ANY, "**"),
    # powers with a constant exponent
    OpCase("square", lambda a: a**2, lambda a: a**2, ANY, "**2"),
    OpCase("cube", lambda a: a**3, lambda a: a**3, ANY, "**3"),
    OpCase("reciprocal", lambda a: a**-1, lambda a: a**-1, ANY, "**-1"),
    OpCase("pow_half", lambda a: a**0.5, lambda a: a**0.5, POSITIVE, "**0.5"),
    OpCase("pow_zero", lambda a: a**0, lambda a: a**0, ANY, "**0"),
    # unary functions
    OpCase("neg", lambda a: -a, lambda a: -a, ANY, "neg"),
    OpCase("exp", lambda a: a.exp(), lambda a: a.exp(), ANY, "exp"),
    OpCase("log", lambda a: a.log(), lambda a: a.log(), POSITIVE, "log"),
    OpCase("sqrt", lambda a: a.sqrt(), lambda a: a.sqrt(), POSITIVE, "sqrt"),
    OpCase("tanh", lambda a: a.tanh(), lambda a: a.tanh(), ANY, "tanh"),
    OpCase("sigmoid", lambda a: a.sigmoid(), lambda a: a.sigmoid(), ANY, "sigmoid"),
    OpCase("relu", lambda a: a.relu(), lambda a: a.relu(), ANY, "ReLU"),
    OpCase("abs", lambda a: abs(a), lambda a: a.abs(), ANY, "abs"),
    OpCase("sin", lambda a: a.sin(), lambda a: a.sin(), ANY, "sin"),
    OpCase("cos", lambda a: a.cos(), lambda a: a.cos(), ANY, "cos"),
    OpCase("log1p", lambda a: a.log1p(), lambda a: a.log1p(), ((-0.5,), (1e-10,), (0.3,), (3.5,)), "log1p"),
    OpCase("expm1", lambda a: a.expm1(), lambda a: a.expm1(), ((-2.5,), (-1e-10,), (0.3,), (1.7,)), "expm1"),
    # a fused neuron: one node with many inputs
    OpCase("dot", fused_neuron, fused_neuron, ((0.5, -1.5, 2.0, 0.25, 0.1), (-2.5, 0.7, -0.3, 1.9, -1.0)), "dot"),
    # whole expressions
    OpCase("sanity_check", sanity_check, sanity_check, ((-4.0,), (1.5,)), "+"),
    OpCase("more_ops", more_ops, more_ops, ((-4.0, 2.0), (0.5, -1.5)), "+"),
    OpCase("lecture_neuron", lecture_neuron, lecture_neuron, ((2.0, 0.0, -3.0, 1.0, 6.8813735870195432),), "tanh"),
)


def case_key(case: OpCase, point: tuple[float, ...]) -> str:
    return f"{case.name}{tuple(point)}"


def evaluate_ours(case: OpCase, point: tuple[float, ...]) -> dict[str, Any]:
    """Value, gradient and Hessian of the case at ``point``, computed by micrograd.

    The gradient twice: by ``grad(create_graph=True)`` (the rules on Values, as the
    Hessian needs) and by plain ``backward()`` (the float kernels training runs).
    """
    from micrograd import Value, grad

    xs = [Value(p) for p in point]
    out = case.ours(*xs)
    grads = grad(out, xs, create_graph=True)
    hessian = [[float(h) for h in grad(g, xs)] for g in grads]
    out.backward()
    return {"value": out.data, "grads": [g.data for g in grads], "backward": [x.grad for x in xs], "hessian": hessian}


def evaluate_torch(case: OpCase, point: tuple[float, ...], torch: Any) -> dict[str, Any]:
    """The same three quantities computed by PyTorch in float64."""
    xs = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in point]
    out = case.theirs(*xs)
    grads = torch.autograd.grad(out, xs, create_graph=True, allow_unused=True)
    grads = [g if g is not None else torch.zeros((), dtype=torch.float64, requires_grad=True) for g in grads]
    hessian = []
    for g in grads:
        if g.requires_grad:
            row = torch.autograd.grad(g, xs, allow_unused=True, retain_graph=True)
            hessian.append([0.0 if h is None else h.item() for h in row])
        else:  # the gradient is a constant: its derivative is zero
            hessian.append([0.0 for _ in xs])
    return {"value": out.item(), "grads": [g.item() for g in grads], "hessian": hessian}
