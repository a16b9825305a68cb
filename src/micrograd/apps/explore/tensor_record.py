"""A Tensor graph's forward and backward pass, recorded step by step with each local rule and its arrays.

The same recording as :mod:`.record` makes for Values, so the same page replays it: each
node's array when the forward pass reaches it, then, from the output back, each node
handing its gradient to its inputs by its operation's rule. Every number is the engine's:
the steps follow the order ``backward()`` uses, each contribution is the op's own
``backward`` rule run on the arrays, and the totals are checked to be exactly the grads
``backward()`` leaves. Where a step's arrays appear in its text they travel as tables
(an *equation* is a list of text and array pieces), so the page can show, for a matrix
product, ``W.grad += o.grad @ xᵀ`` with the three matrices, and for a broadcast the sum
that undoes it: ``b.grad += sum over axis 0 of n.grad``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from micrograd.apps.explore.layout import layout as graph_layout
from micrograd.apps.explore.record import (
    MAX_VALUES,
    _formula,
    _names,
    _rule_text,
    _substitute,
    _without_remark,
    json_number,
)
from micrograd.apps.formatting import SUBSCRIPTS, number
from micrograd.apps.tensor_expression import one_number
from micrograd.apps.tensorviz import op_text, shape_text, sum_text, summed_axes, tensor_order
from micrograd.ops import PowConst
from micrograd.tensor import Tensor
from micrograd.tensor.arraymath import ARRAY
from micrograd.tensor.arrayops import ArrayOp, Expand, Matmul, Mean, Permute, Reshape, Sum
from micrograd.tensor.backprop import _fit, _graph_order

__all__ = ["MAX_TABLE_SIDE", "record_tensor_graph"]

MAX_TABLE_SIDE = 6
"""Longest side (rows or columns) of an array the page shows as a table."""


def _rows(array: np.ndarray) -> np.ndarray:
    """An array of at most 2 dims as the rows of its table: a 0-d array is one row of one, a vector one row."""
    return array.reshape(1, -1) if array.ndim < 2 else array


def _exact(array: np.ndarray) -> list[list[float | str]]:
    return [[json_number(float(x)) for x in row] for row in _rows(array)]


def _text(array: np.ndarray) -> list[list[str]]:
    return [[number(float(x)) for x in row] for row in _rows(array)]


def _table(array: np.ndarray) -> dict[str, Any]:
    """One array as a piece of an equation: its numbers, exact and as shown."""
    return {"array": _exact(array), "text": _text(array), "shape": list(array.shape)}


def _equation(*parts: str | np.ndarray) -> list[dict[str, Any]]:
    """Text and arrays in reading order, e.g. ``("W.grad += ", g, " @ ", xT, " = ", contribution)``."""
    return [_table(p) if isinstance(p, np.ndarray) else {"text": p} for p in parts]


def _check_size(order: list[Tensor], names: dict[Tensor, str]) -> None:
    for node in order:
        if node.ndim > 2 or max(node.shape, default=1) > MAX_TABLE_SIDE:
            raise ValueError(
                f"{names[node]} has shape {shape_text(node.shape)}: the explorer shows arrays of at most 2 dims and "
                f"{MAX_TABLE_SIDE} × {MAX_TABLE_SIDE} numbers"
            )


def _symbolic(op: Any, args: list[str], out: Tensor, inputs: Sequence[Tensor]) -> str:
    """How ``op`` applied to ``args`` (names) reads: ``W @ x``, ``b broadcast to (2, 2)``, ``tanh(n₁)``."""
    if isinstance(op, Matmul):
        return f"{args[0]} @ {args[1]}"
    if isinstance(op, Expand):
        return f"{args[0]} broadcast to {shape_text(out.shape)}"
    if isinstance(op, (Sum, Mean)):
        axes = "" if len(op.dims) == inputs[0].ndim else f" over axis {', '.join(map(str, op.dims))}"
        return f"{op}({args[0]}){axes}"
    if isinstance(op, Reshape):
        return f"{args[0]} reshaped to {shape_text(out.shape)}"
    if isinstance(op, Permute):
        return f"{args[0]}ᵀ"
    if isinstance(op, ArrayOp):
        return f"{op_text(op, [p.shape for p in inputs], out.shape)}({', '.join(args)})"
    return _formula(op, args)


def _forward(node: Tensor, names: dict[Tensor, str]) -> dict[str, Any]:
    name = names[node]
    if not node._prev:
        kind = " (a constant)" if not node.requires_grad else " (an input)"
        text = f"{name} = {shape_text(node.shape)} array{kind}"
        return {"text": text, "equation": _equation(f"{name} = ", node.data, kind)}
    parents = list(node._prev)
    symbolic = _symbolic(node._op, [names[p] for p in parents], node, parents)
    marks = [f"\0{i}\0" for i in range(len(parents))]
    numeric = _symbolic(node._op, marks, node, parents)
    pieces: list[str | np.ndarray] = [f"{name} = {symbolic} = "]
    for i, chunk in enumerate(numeric.split("\0")):
        if i % 2:
            pieces.append(parents[int(chunk)].data)
        elif chunk:
            pieces.append(chunk)
    pieces += [" = ", node.data]
    return {"text": f"{name} = {symbolic}", "equation": _equation(*pieces)}


def _rule(op: Any) -> str:
    """The op's derivative in one line, as its class states it (``∂/∂a = g @ bᵀ, …``)."""
    if isinstance(op, ArrayOp):
        first = (type(op).__doc__ or "").strip().splitlines()[0]
        return first.split(";", 1)[1].strip() if ";" in first else ""
    return _rule_text(op)[0]


Pieces = list[dict[str, Any]]


def _update(node: Tensor, k: int, g: np.ndarray, contribution: np.ndarray,
            names: dict[Tensor, str]) -> tuple[str | Pieces, Pieces]:  # fmt: skip
    """The derivative line and the update equation for the input at position ``k`` of ``node``."""
    op, parents = node._op, node._prev
    n, p = names[node], names[parents[k]]
    head = f"{p}.grad += "
    if isinstance(op, Matmul):
        a, b = (x.data for x in parents)
        other = names[parents[1 - k]]
        if k == 0:
            return f"∂/∂{p}: {n}.grad @ {other}ᵀ", _equation(
                f"{head}{n}.grad @ {other}ᵀ = ", g, " @ ", np.swapaxes(b, -1, -2), " = ", contribution)
        return f"∂/∂{p}: {other}ᵀ @ {n}.grad", _equation(
            f"{head}{other}ᵀ @ {n}.grad = ", np.swapaxes(a, -1, -2), " @ ", g, " = ", contribution)
    if isinstance(op, Expand):
        summed = sum_text(summed_axes(parents[0].shape, node.shape), node.ndim)
        along = summed.split(" over ", 1)[1]
        return f"broadcasting copied {p} along {along}, so its grad adds up the copies' grads", _equation(
            f"{head}{summed} of {n}.grad = {summed.split(' over')[0]} of ", g, " = ", contribution)
    if isinstance(op, (Sum, Mean)):
        share = f", divided by {op.n}" if isinstance(op, Mean) else ""
        return f"every element of {p} adds into {n} once", _equation(
            f"{head}{n}.grad copied to each element of {p}{share} = ", g, " → ", contribution)
    if isinstance(op, Reshape):
        return "the same numbers in another shape", _equation(
            f"{head}{n}.grad reshaped to {shape_text(parents[0].shape)} = ", g, " → ", contribution)
    if isinstance(op, Permute):
        return "the same numbers, axes swapped back", _equation(f"{head}({n}.grad)ᵀ = ", g, " → ", contribution)
    if isinstance(op, ArrayOp):
        return _rule(op), _equation(f"{head}({_rule(op)}) = ", contribution)
    # elementwise: the local derivative, an array of the input's shape, times the incoming grad
    xs = [x.data for x in parents]
    local = _fit(op.backward(ARRAY, np.ones_like(g), node.data, *xs)[k], parents[k].data)
    clauses = _rule_text(op)[1]
    input_name = "x" if len(parents) == 1 else "ab"[k]
    stands_for = {"x": p} if len(parents) == 1 else {"a": names[parents[0]], "b": names[parents[1]]}
    if isinstance(op, PowConst):
        stands_for["c"] = f"{op.exponent:g}"
    derivative = f"∂{n}/∂{p}"
    if input_name in clauses:
        derivative += f" = {_substitute(_without_remark(clauses[input_name]), stands_for)}"
    return _equation(f"{derivative} = ", local), _equation(
        f"{head}{n}.grad × ∂{n}/∂{p} = ", g, " × ", local, " = ", contribution)


def record_tensor_graph(
    root: Tensor, names: Mapping[str, Tensor] | None = None, *, title: str = "", max_values: int = MAX_VALUES,
    layout: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """Run the backward pass of ``root`` (one number) and record it for the explorer page.

    ``names`` labels tensors (``{"W": W}``); the others are called n₁, n₂, … and the output
    ``o``. Each array must have at most 2 dims and :data:`MAX_TABLE_SIDE` numbers a side.
    The leaves' ``.grad`` is replaced by this one pass's.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"record_tensor_graph expects a Tensor, got {type(root).__name__}")
    one_number(root)
    if not root.requires_grad:
        raise ValueError("the result does not require grad: none of its inputs does, so there is nothing to step")
    order = tensor_order([root])
    if len(order) > max_values:
        raise ValueError(f"this graph has {len(order)} tensors, more than the {max_values} one page can show")
    label_of = {id(t): name for name, t in (names or {}).items()}
    named = _names(order, label=lambda t: label_of.get(id(t), ""), constant=_constant_name(order, label_of))
    _check_size(order, named)
    ids = {node: f"v{i}" for i, node in enumerate(order)}

    forward = [{"node": ids[node], **_forward(node, named)} for node in order]
    ones = np.ones_like(root.data)
    grads: dict[Tensor, np.ndarray] = {root: ones}
    backward: list[dict[str, Any]] = [{
        "node": ids[root],
        "seed": True,
        "text": f"{named[root]}.grad = 1: the output's derivative with respect to itself. "
        "Every other grad starts at 0.",
        "updates": [{"node": ids[root], "grad": _exact(ones), "text": _text(ones)}],
    }]
    for node in reversed(_graph_order([root])):  # the order backward() runs the rules in
        g = grads.get(node)
        if g is None:
            continue
        pushed = node._op.backward(ARRAY, g, node.data, *[p.data for p in node._prev])
        terms, updates = [], []
        for k, (parent, pg) in enumerate(zip(node._prev, pushed)):
            if pg is None or not parent.requires_grad:
                continue
            contribution = _fit(pg, parent.data)
            before = grads.get(parent)
            grads[parent] = contribution if before is None else before + contribution
            derivative, update = _update(node, k, g, contribution, named)
            was = np.zeros_like(parent.data) if before is None else before
            terms.append({
                "parent": ids[parent],
                "derivative": derivative,
                "update": update,
                "total": _equation(f"{named[parent]}.grad: ", was, " → ", grads[parent]),
            })
            updates.append({"node": ids[parent], "grad": _exact(grads[parent]), "text": _text(grads[parent])})
        backward.append({
            "node": ids[node],
            "text": f"{named[node]} = {_symbolic(node._op, [named[p] for p in node._prev], node, node._prev)}",
            "rule": f"{op_text(node._op, [p.shape for p in node._prev], node.shape)}:  {_rule(node._op)}",
            "equation": _equation(f"{named[node]}.grad = ", g),
            "terms": terms,
            "updates": updates,
        })
    _check_against_engine(root, order, grads, named)

    recording: dict[str, Any] = {
        "kind": "graph",
        "arrays": True,
        "title": title,
        "note": "",
        "nodes": [
            {
                "id": ids[node],
                "name": named[node],
                "op": str(node._op) if node._prev else "",
                "op_text": op_text(node._op, [p.shape for p in node._prev], node.shape) if node._prev else "",
                "parents": [ids[p] for p in node._prev],
                "shape": list(node.shape),
                "shape_text": shape_text(node.shape),
                "constant": not node.requires_grad,
                "data": _exact(node.data),
                "data_text": _text(node.data),
                "grad": _exact(grads[node]) if node in grads else None,
                "grad_text": _text(grads[node]) if node in grads else None,
            }
            for node in order
        ],
        "forward": forward,
        "backward": backward,
    }
    if layout:
        recording["layout"] = graph_layout(recording["nodes"])
    return recording


def _constant_name(order: list[Tensor], label_of: dict[int, str]) -> Any:
    """Unnamed leaves are called by their value when they are one number, else c₁, c₂, …"""
    others = [node for node in order if not node._prev and id(node) not in label_of and node.data.size != 1]
    numbered = {id(node): f"c{i + 1}".translate(SUBSCRIPTS) for i, node in enumerate(others)}
    return lambda node: f"{float(node.data.reshape(-1)[0]):g}" if node.data.size == 1 else numbered[id(node)]


def _check_against_engine(root: Tensor, order: list[Tensor], grads: dict[Tensor, np.ndarray],
                          names: dict[Tensor, str]) -> None:  # fmt: skip
    """Run ``backward()`` itself (every intermediate keeping its grad) and demand the recorded totals, exactly."""
    for node in order:
        if not node._prev and node.requires_grad:
            node.grad = None
        elif node._prev:
            node.retain_grad()
            node._grad = None
    root.backward()
    for node in order:
        engine = node.grad
        mine = grads.get(node)
        same = (engine is None) == (mine is None) and (mine is None or np.array_equal(engine, mine, equal_nan=True))
        if not same:
            raise RuntimeError(
                f"the recorded backward pass gives {names[node]}.grad = {mine!r} but backward() gives {engine!r}: "
                "the recording no longer follows the engine"
            )
