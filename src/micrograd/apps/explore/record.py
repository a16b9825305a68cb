"""A graph's forward and backward pass, recorded step by step with each local rule and its numbers.

Every backward step is the engine's own: each operation's ``backward`` rule in
:mod:`micrograd.ops` computes the local derivatives, and the formula shown next to them is
that op's ``derivative`` text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from micrograd.apps.explore.layout import layout as graph_layout
from micrograd.apps.formatting import SUBSCRIPTS, neuron_inputs, number, op_label
from micrograd.checks import index
from micrograd.engine import Value, topological_order
from micrograd.ops import DOT, FloatMath, Op, PowConst

__all__ = ["MAX_VALUES", "record_graph", "json_number"]

MAX_VALUES = 150
"""Largest graph (in Values) the page steps through: beyond it the nodes are too small to read
on a projector and the layout takes long, so a part of the graph is shown instead."""

_INFIX = {"+": "+", "-": "−", "*": "×", "/": "/", "**": "^"}


def json_number(x: float) -> float | str:
    """JSON has no inf or nan: those travel as strings."""
    return x if math.isfinite(x) else repr(x)


def _grouped(text: str) -> str:
    """``text`` in parentheses when it is not a plain name or a non-negative number."""
    return text if re.fullmatch(r"[\w.₀-₉]+", text) else f"({text})"


def _formula(op: str, args: Sequence[str]) -> str:
    """How ``op`` applied to ``args`` (names or numbers) reads on the page: ``x × w``, ``tanh(n)``, ``x^2``."""
    if op == DOT:
        n = len(args) // 2
        return " + ".join([_grouped(args[-1]), *(f"{_grouped(args[i])}·{_grouped(args[n + i])}" for i in range(n))])
    if isinstance(op, PowConst):
        return f"{_grouped(args[0])}^{op.exponent:g}"
    if op == "neg":
        return f"−{_grouped(args[0])}"
    if op in _INFIX and len(args) == 2:
        return f"{_grouped(args[0])} {_INFIX[op]} {_grouped(args[1])}"
    return f"{op}({', '.join(args)})"


# --- the local rule, as micrograd.ops states it ---------------------------------------------------


def _rule_text(op: Op) -> tuple[str, dict[str, str]]:
    """An operation's derivative text, and its formula for each input name.

    ``Tanh.derivative`` ``∂/∂x = 1 - tanh²x`` gives ``("∂/∂x = 1 - tanh²x", {"x": "1 - tanh²x"})``.
    """
    text = op.derivative
    clauses = {}
    for clause in re.split(r",\s*(?=∂/∂)", text):
        match = re.fullmatch(r"∂/∂(\S+) = (.+)", clause.strip())
        if match:
            clauses[match.group(1)] = match.group(2)
    return text, clauses


def _without_remark(formula: str) -> str:
    """A formula without its closing remark in words: ``sign(x) (the subgradient 0 at x = 0)`` → ``sign(x)``."""
    return re.sub(r"\s+\((?=[^()]*[A-Za-z]{2})[^()]*\)$", "", formula)


def _input_names(op: Op, count: int) -> list[tuple[str, dict[str, int]]]:
    """For each input of ``op``: the name its rule uses, and which input each name in the rule stands for."""
    if op == DOT:
        n = count // 2
        return [
            ("wᵢ" if k < n else "xᵢ" if k < 2 * n else "b", {"wᵢ": k % n, "xᵢ": n + k % n, "b": count - 1})
            for k in range(count)
        ]
    if count == 1:
        return [("x", {"x": 0})]
    if count == 2:
        return [("a", {"a": 0, "b": 1}), ("b", {"a": 0, "b": 1})]
    return [("", {}) for _ in range(count)]


def _substitute(formula: str, names: dict[str, str]) -> str:
    """``formula`` with each single-letter input name (``x``, ``wᵢ``) replaced by the node it stands for."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(1)
        if token not in names:
            return token
        before = formula[match.start() - 1] if match.start() > 0 else " "
        follows_function = before.isalpha() or before in "²√"
        return f"({names[token]})" if follows_function else _grouped(names[token])

    return re.sub(r"(?<![A-Za-z])([a-z]ᵢ?)(?![A-Za-z])", replace, formula)


# --- recording a graph --------------------------------------------------------------------------


def _is_number(text: str, value: float) -> bool:
    """Whether ``text`` is a plain number equal to ``value`` (so writing the value again adds nothing)."""
    try:
        return float(text) == value
    except ValueError:
        return False


def _names(
    nodes: list[Any],
    label: Callable[[Any], str] = lambda node: node.label,
    constant: Callable[[Any], str] = lambda node: f"{node.data:g}",
) -> dict[Any, str]:
    """What the page calls each node: its label, a constant's value, n₁, n₂, … for unlabelled results,
    and ``o`` (as in the lecture) for an unlabelled output. ``label`` and ``constant`` read a node's
    label and write a constant (a Value's by default)."""
    names: dict[Any, str] = {}
    count = 0
    root = nodes[-1]
    if not label(root):
        taken = {label(node) for node in nodes}
        names[root] = next(name for name in ("o", "out", "output", "result") if name not in taken)
    for node in nodes:
        if node in names:
            continue
        if label(node):
            names[node] = label(node)
        elif not node._prev:
            names[node] = constant(node)
        else:
            count += 1
            names[node] = f"n{count}".translate(SUBSCRIPTS)
    return names


def _excerpt(root: Value, limit: int) -> tuple[Value, int]:
    """The part of ``root``'s graph nearest the output, at most ``limit`` Values, as a graph of its own.

    Nodes are taken breadth-first back from the output; a taken node whose inputs are not
    all taken becomes an input (a leaf with the same data and label). Returns the new root
    and the number of Values in the whole graph.
    """
    total = len(topological_order(root))
    kept: list[Value] = [root]
    seen = {root}
    for node in kept:
        if len(kept) >= limit:
            break
        for parent in node._prev:
            if parent not in seen and len(kept) < limit:
                seen.add(parent)
                kept.append(parent)
    copies: dict[Value, Value] = {}
    for node in topological_order(root):
        if node not in seen:
            continue
        if node._prev and all(parent in seen for parent in node._prev):
            copy = Value(node.data, tuple(copies[parent] for parent in node._prev), node._op, label=node.label)
        else:
            copy = Value(node.data, label=node.label or f"{node.data:g}")
        copies[node] = copy
    return copies[root], total


def record_graph(root: Value, *, title: str = "", max_values: int = MAX_VALUES, layout: bool = True) -> dict[str, Any]:
    """Run ``root.backward()`` and record the forward and backward pass for the explorer page.

    Leaves' grads are zeroed first, so the page shows one pass. Every backward step is the
    engine's own: each node hands ``grad · ∂node/∂parent`` to its parents, computed by its
    operation's rule, in the order ``backward()`` uses; the recorded totals are checked to be
    exactly the grads ``backward()`` leaves. A graph of more than ``max_values`` Values is cut
    to the part nearest the output (see the recording's ``note``). ``layout=False`` skips
    Graphviz (the recording then has no positions and cannot be rendered).
    """
    if not isinstance(root, Value):
        raise TypeError(f"record_graph expects a Value, got {type(root).__name__}")
    max_values = index("max_values", max_values)
    note = ""
    order = topological_order(root)
    if len(order) > max_values:
        root, total = _excerpt(root, max_values)
        order = topological_order(root)
        note = (
            f"This graph has {total:,} values, more than the {max_values} that can be followed on one page: "
            f"shown here are the {len(order)} nearest the output, with the values that feed them taken as inputs "
            "(their gradients are those of this part)."
        )
    for node in order:
        node.grad = 0.0
    ids = {node: f"v{i}" for i, node in enumerate(order)}
    names = _names(order)

    forward = []
    for node in order:
        if node._prev:
            symbolic = _formula(node._op, [names[p] for p in node._prev])
            numeric = _formula(node._op, [number(p.data) for p in node._prev])
            text = f"{names[node]} = {symbolic} = {numeric} = {number(node.data)}"
        else:
            text = f"{names[node]} = {number(node.data)}" + (" (an input)" if node.label else " (a constant)")
        forward.append({"node": ids[node], "text": text})

    grads = {node: 0.0 for node in order}
    grads[root] = 1.0
    backward: list[dict[str, Any]] = [
        {
            "node": ids[root],
            "seed": True,
            "text": f"{names[root]}.grad = 1: the output's derivative with respect to itself, ∂{names[root]}/∂"
            f"{names[root]} = 1. Every other grad starts at 0.",
            "updates": [{"node": ids[root], "grad": 1.0, "text": number(1.0)}],
        }
    ]
    for node in reversed(order):
        if not node._prev:
            continue
        g = grads[node]
        xs = [p.data for p in node._prev]
        local = node._op.backward(FloatMath, 1.0, node.data, *xs)  # type: ignore[attr-defined]
        pushed = node._op.backward(FloatMath, g, node.data, *xs)  # type: ignore[attr-defined]
        rule, clauses = _rule_text(node._op)  # type: ignore[arg-type]
        terms, updates = [], []
        for parent, (input_name, meaning), d, contribution in zip(
            node._prev, _input_names(node._op, len(xs)), local, pushed  # type: ignore[arg-type]
        ):
            stands_for = {name: names[node._prev[k]] for name, k in meaning.items()}
            if isinstance(node._op, PowConst):
                stands_for["c"] = f"{node._op.exponent:g}"
            derivative = f"∂{names[node]}/∂{names[parent]}"
            if input_name in clauses:
                derivative += f" = {_substitute(_without_remark(clauses[input_name]), stands_for)}"
            if not _is_number(derivative.rsplit(" = ", 1)[-1], d):
                derivative += f" = {number(d)}"
            before = grads[parent]
            grads[parent] = before + contribution
            terms.append(
                {
                    "parent": ids[parent],
                    "derivative": derivative,
                    "update": f"{names[parent]}.grad += {names[node]}.grad × ∂{names[node]}/∂{names[parent]}"
                    f" = {_grouped(number(g))} × {_grouped(number(d))} = {number(contribution)}",
                    "total": f"{names[parent]}.grad: {number(before)} → {number(grads[parent])}",
                }
            )
            updates.append({"node": ids[parent], "grad": json_number(grads[parent]), "text": number(grads[parent])})
        backward.append(
            {
                "node": ids[node],
                "text": f"{names[node]} = {_formula(node._op, [names[p] for p in node._prev])},"
                f"  {names[node]}.grad = {number(g)}",
                "rule": f"{_formula(node._op, _rule_arguments(node._op, len(xs)))}:  {rule}" if rule else "",
                "terms": terms,
                "updates": updates,
            }
        )

    root.backward()
    for node in order:
        if not (node.grad == grads[node] or (math.isnan(node.grad) and math.isnan(grads[node]))):
            raise RuntimeError(
                f"the recorded backward pass gives {names[node]}.grad = {grads[node]!r} but backward() gives "
                f"{node.grad!r}: the recording no longer follows the engine"
            )

    recording: dict[str, Any] = {
        "kind": "graph",
        "title": title,
        "note": note,
        "nodes": [
            {
                "id": ids[node],
                "name": names[node],
                "op": str(node._op) if node._prev else "",
                "op_text": _op_symbol(node._op) if node._prev else "",
                "parents": [ids[p] for p in node._prev],
                "data": json_number(node.data),
                "data_text": number(node.data),
                "grad": json_number(node.grad),
                "grad_text": number(node.grad),
            }
            for node in order
        ],
        "forward": forward,
        "backward": backward,
    }
    if layout:
        recording["layout"] = graph_layout(recording["nodes"])
    return recording


def _rule_arguments(op: Any, count: int) -> list[str]:
    """The generic input names a rule is written with: ``x``; ``a, b``; ``w₁ … x₁ … b``."""
    if op == DOT:
        return neuron_inputs(count)
    return ["x"] if count == 1 else ["a", "b"] if count == 2 else [f"x{i + 1}" for i in range(count)]


def _op_symbol(op: str) -> str:
    """An operation as the page writes it: ``×`` for ``*``, ``^2`` for a constant power, else the lecture's label."""
    if isinstance(op, PowConst):
        return f"^{op.exponent:g}"
    return _INFIX.get(op, op_label(op))
