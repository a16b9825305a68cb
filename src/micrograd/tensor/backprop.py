"""The backward pass over a tensor graph: sort it (without recursion), then run each node's rule, last node first.

This is the driver only. Which numbers the rules compute with is its caller's choice,
passed in as ``graph_math``: left out, the rules run on the arrays (``.grad`` is an
array); given the Tensor math backend (:mod:`micrograd.tensor.tensormath`), they run on
the nodes themselves and every gradient is a Tensor in a graph of its own. Taking the
backend as an argument keeps this module below tensormath, which is built from Tensor
operations; the entry points that choose it, ``backward()`` and ``grad()``, are in
:mod:`micrograd.tensor.autograd`, above both.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from micrograd.tensor import anomaly as _anomaly
from micrograd.tensor.arraymath import ARRAY
from micrograd.tensor.tensor import Tensor, _constant, _expand

__all__ = ["on_leaf_grad"]


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


def _backpropagate(roots: Sequence[Tensor], seeds: Sequence[Any], graph_math: Any = None,
                   inputs: Sequence[Tensor] | None = None) -> dict[int, Any]:  # fmt: skip
    """The backward pass: each node's rule, last node first, gradients summed per input.

    With ``graph_math`` (the tensor backend, :mod:`micrograd.tensor.tensormath`) the rules run
    on the nodes themselves, so every gradient is a Tensor in a graph of its own. Without
    ``inputs`` (``backward()``) the leaves' and retained tensors' ``.grad`` accumulate; with
    them (:func:`grad`) only the nodes on a path to an input are visited, nothing's ``.grad``
    changes, and the gradient of each input is returned by its id.
    """
    order = _graph_order(roots)
    wanted = None if inputs is None else {id(t) for t in inputs}
    reaching = None if wanted is None else _leading_to(order, wanted)
    create_graph = graph_math is not None
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
                local = node._op.backward(graph_math, g, node, *parents)
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
