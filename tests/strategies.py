"""Hypothesis strategies for random expression graphs, and their evaluation in
micrograd and in PyTorch.

A program is a list of leaves (numbers) and steps; each step applies one operation to
earlier nodes (any earlier node, so sub-expressions are shared and the graph is a
DAG) or combines a node with a constant on either side. The same program runs in both
engines; the last node is the output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

# name -> (micrograd, torch); "a", "b" are nodes and "c" is a Python constant
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}
WITH_CONSTANT = {
    "add_c": lambda a, c: a + c,
    "c_add": lambda a, c: c + a,
    "sub_c": lambda a, c: a - c,
    "c_sub": lambda a, c: c - a,
    "mul_c": lambda a, c: a * c,
    "c_mul": lambda a, c: c * a,
    "div_c": lambda a, c: a / c,
    "c_div": lambda a, c: c / a,
    "c_pow": lambda a, c: abs(c) ** a,
    "pow_c": lambda a, c: a**c,
}
UNARY_NAMES = ("neg", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "sin", "cos")


def apply_unary(name: str, a: Any) -> Any:
    if name == "neg":
        return -a
    if name == "abs":
        return abs(a)
    return getattr(a, name)()


EXPONENTS = (2, 3, -1, 0.5, -2, 0, 1.5)
CONSTANTS = (0.0, 1.0, -1.0, 0.5, 2.0, -3.0, 1e-3)

edge_numbers = st.sampled_from((0.0, 1.0, -1.0, 1e-8, -1e-8, 0.5, 2.0, 20.0, -20.0))
# Magnitudes below 1e-100 are drawn as 0 (a map, not a filter, so no draw is wasted): there
# the derivatives' intermediate products overflow, and which inf or nan comes out depends
# only on the order of rounding (both engines' answers are then artefacts; the true value
# may be finite).
plain_numbers = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False, allow_infinity=False).map(
    lambda v: v if abs(v) >= 1e-100 else 0.0
)
numbers = st.one_of(plain_numbers, plain_numbers, edge_numbers)


@dataclass(frozen=True)
class Program:
    leaves: tuple[float, ...]
    steps: tuple[tuple[Any, ...], ...]

    def run(self, leaves: list[Any], constant: Any = float) -> Any:
        """Apply the steps to ``leaves`` (Values or tensors); returns the output node.

        ``constant`` turns a constant into the engine's own number, so that both engines
        evaluate the same graph (PyTorch computes ``2 / tensor`` as ``reciprocal * 2``;
        with a tensor constant it divides, as micrograd does). Constant exponents stay
        plain numbers, the ``x ** c`` of both engines.
        """
        nodes = list(leaves)
        for step in self.steps:
            kind, name = step[0], step[1]
            if kind == "binary":
                nodes.append(BINARY[name](nodes[step[2]], nodes[step[3]]))
            elif kind == "constant":
                value = EXPONENTS[step[3]] if name == "pow_c" else constant(step[3])
                nodes.append(WITH_CONSTANT[name](nodes[step[2]], value))
            else:
                nodes.append(apply_unary(name, nodes[step[2]]))
        return nodes[-1]


@st.composite
def programs(draw: st.DrawFn, max_leaves: int = 3, max_steps: int = 10) -> Program:
    leaves = tuple(draw(st.lists(numbers, min_size=1, max_size=max_leaves)))
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        available = len(leaves) + len(steps)
        node = st.integers(0, available - 1)
        kind = draw(st.sampled_from(("binary", "constant", "unary", "unary")))
        if kind == "binary":
            steps.append(("binary", draw(st.sampled_from(sorted(BINARY))), draw(node), draw(node)))
        elif kind == "constant":
            name = draw(st.sampled_from(sorted(WITH_CONSTANT)))
            constant = draw(st.integers(0, len(EXPONENTS) - 1)) if name == "pow_c" else draw(st.sampled_from(CONSTANTS))
            steps.append(("constant", name, draw(node), constant))
        else:
            steps.append(("unary", draw(st.sampled_from(UNARY_NAMES)), draw(node)))
    return Program(leaves, tuple(steps))


def _scale(v: Any) -> float:
    """The largest finite magnitude among the nodes that computed ``v``: the size of the
    terms it was summed from, against which its rounding error must be measured."""
    from micrograd import Value, topological_order

    if not isinstance(v, Value):
        return abs(v) if math.isfinite(v) else 0.0
    return max((abs(n.data) for n in topological_order(v) if math.isfinite(n.data)), default=0.0)


def run_micrograd(program: Program, order: int = 1) -> dict[str, Any]:
    """Output value, gradient with respect to each leaf (and the Hessian if order=2), and
    for each number the scale of the terms it came from (see ``agree``)."""
    from micrograd import Value, grad

    xs = [Value(v) for v in program.leaves]
    out = program.run(xs)
    grads = grad(out, xs, create_graph=True)
    result: dict[str, Any] = {
        "value": out.data,
        "grads": [g.data for g in grads],
        "scales": {"value": _scale(out), "grads": [_scale(g) for g in grads]},
    }
    if order == 2:
        rows = [grad(g, xs, create_graph=True) for g in grads]
        result["hessian"] = [[h.data for h in row] for row in rows]
        result["scales"]["hessian"] = [[_scale(h) for h in row] for row in rows]
    return result


def run_torch(program: Program, torch: Any, order: int = 1) -> dict[str, Any]:
    xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in program.leaves]
    out = program.run(xs, constant=lambda c: torch.tensor(c, dtype=torch.float64))
    if not isinstance(out, torch.Tensor):  # a program whose output is a bare leaf
        out = out * 1.0
    result: dict[str, Any] = {"value": out.item()}
    if not out.requires_grad:
        zeros = [0.0 for _ in xs]
        result["grads"] = zeros
        if order == 2:
            result["hessian"] = [list(zeros) for _ in xs]
        return result
    grads = torch.autograd.grad(out, xs, allow_unused=True, create_graph=order == 2)
    result["grads"] = [0.0 if g is None else g.item() for g in grads]
    if order == 2:
        hessian = []
        for g in grads:
            if g is None or not g.requires_grad:
                hessian.append([0.0 for _ in xs])
                continue
            row = torch.autograd.grad(g, xs, allow_unused=True, retain_graph=True)
            hessian.append([0.0 if h is None else h.item() for h in row])
        result["hessian"] = hessian
    return result


def agree(ours: float, theirs: float, rel: float = 1e-9, scale: float = 0.0, nonfinite_alike: bool = False) -> bool:
    """Same number to ``rel`` (relative to the larger of the two, or to ``scale``, the
    size of the terms it was computed from); nan matches nan, infinities match in sign.

    ``nonfinite_alike`` (for second derivatives): nan and ±inf count as one outcome.
    Where a second derivative is infinite, PyTorch's fused double-backward formulas
    (``sigmoid_backward``: g·(1 - 2σ) in one term) give ±inf while differentiating the
    rule node by node sums +inf and -inf terms into nan; finite values must still agree.
    """
    if nonfinite_alike and not (math.isfinite(ours) or math.isfinite(theirs)):
        return True
    if math.isnan(ours) or math.isnan(theirs):
        return math.isnan(ours) and math.isnan(theirs)
    if math.isinf(ours) or math.isinf(theirs):
        return ours == theirs
    return abs(ours - theirs) <= rel * max(abs(ours), abs(theirs), scale) + 1e-300
