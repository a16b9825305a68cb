"""Nodes built the lecture's way: a label, and a ``_backward`` closure assigned to the node.

``out = Value(math.exp(x), (self,), 'exp')`` then ``out._backward = _backward``: the
closure, not a rule, is what ``backward()`` runs for ``out``, whatever its label. A
closure computes numbers, so it cannot be differentiated again (``create_graph``) or
turned into code (``micrograd.compile``); an :class:`~micrograd.ops.Op` can.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from micrograd.ops import Op, op_from_symbol

__all__ = ["ClosureOp"]


class ClosureOp(str):
    """The ``_op`` of a node built the lecture's way: its label, and the closure assigned to it."""

    function: Callable[[], None] | None

    def __new__(cls, label: str, function: Callable[[], None] | None = None) -> ClosureOp:
        op = super().__new__(cls, label)
        op.function = function
        return op


def lecture_op(symbol: str, arity: int) -> Op | ClosureOp:
    """The ``_op`` of ``Value(data, children, symbol)``: the built-in op of that symbol, or the user's own label."""
    try:
        op = op_from_symbol(symbol)
    except ValueError:  # a label of the user's own ('softplus'): its _backward is assigned next
        return ClosureOp(symbol)
    if not op.takes(arity):
        expected = op.arity if op.arity is not None else "an odd number of (w..., x..., b)"
        raise ValueError(f"operation {symbol!r} takes {expected} input(s), got {arity} children")
    return op


def _named(node: Any) -> str:
    label = f" labelled {node.label!r}" if node.label else ""
    return f"the {str(node._op)!r} node{label}"


def closure_error(node: Any, what: str) -> TypeError:
    """Why a lecture-style node cannot be differentiated again or compiled, and what to do instead."""
    return TypeError(
        f"{what} {_named(node)}: its backward is a Python closure (the _backward "
        "assigned to it), which computes numbers, not an expression; define the operation once as a "
        "micrograd.ops.Op and build it with micrograd.engine.apply (README: 'Your own operations')"
    )


def run_closure(node: Any, create_graph: bool) -> None:
    """One step of the chain rule for a lecture-style node: the closure assigned to it."""
    op: ClosureOp = node._op
    if create_graph:
        raise closure_error(node, "create_graph=True cannot differentiate again")
    if op.function is None:
        raise TypeError(
            f"{_named(node)} has no backward: {str(op)!r} is not an operation micrograd "
            "knows, so assign the node a _backward closure (out._backward = _backward), or define "
            "the operation as a micrograd.ops.Op and build it with micrograd.engine.apply"
        )
    op.function()
