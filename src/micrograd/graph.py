"""How a node keeps its parents, and the order in which a graph of nodes is visited.

A node keeps its parents in two slots, ``_p0`` and ``_p1``, not in a tuple: the first and
second parent (``None`` where there is none), or, for a node of more than two parents (a
fused neuron), the tuple of all of them in ``_p0``. ``node._prev`` gives them as a tuple
either way. Why: Python's cyclic garbage collector counts and scans every object that
can hold references, and a tuple of Values is one; with one object per node instead of
two, building a graph triggers half as many collections, and while a graph is built in
a training loop those collections take most of the time (on CPython 3.11 with PyTorch
loaded, a full collection scans about 170,000 other objects as well).

The depth-first sort puts nothing on its stack that it makes per node (no tuple, no
iterator, except for a node of more than two parents): objects made per node would be as
many more objects for the collector, and on a chain a million nodes deep it would scan
the stack many times over.
"""

from __future__ import annotations

from typing import Any

__all__ = ["parents_of", "keep_parents", "depth_first"]


def parents_of(node: Any) -> tuple[Any, ...]:
    """The node's inputs in order, constants' leaves included: ``(a, b)`` for ``a * b``, ``()`` for a leaf."""
    first = node._p0
    if first is None:
        return ()
    if type(first) is tuple:
        return first
    second = node._p1
    return (first,) if second is None else (first, second)


def keep_parents(node: Any, inputs: tuple[Any, ...]) -> None:
    """Store ``inputs`` (a tuple of Values) in the node's two parent slots."""
    if len(inputs) == 2:
        node._p0, node._p1 = inputs
    elif len(inputs) == 1:
        node._p0, node._p1 = inputs[0], None
    else:
        node._p0, node._p1 = (inputs or None), None


def depth_first(root: Any, order: list[Any], visited: set[Any], leaves: bool) -> None:
    """Append ``root`` to ``order`` after every node it depends on that is not yet in ``visited``.

    Each parent comes before its child, the parents of a node in their order (a leaf as
    soon as its child reaches it, with ``leaves``); ``root`` must have parents. The stack
    holds the nodes whose inputs are being listed: a node of one or two parents is looked
    at again after each input it waited for, skipping those already visited, and only a
    node of more parents is saved with an iterator over them.
    """
    emit, mark = order.append, visited.add
    first = root._p0
    stack: list[Any] = [(root, iter(first)) if type(first) is tuple else root]
    push, pop = stack.append, stack.pop
    while stack:
        top = stack[-1]
        if type(top) is tuple:  # (node, iterator over its parents)
            for parent in top[1]:
                if parent not in visited:
                    break
            else:
                pop()
                emit(top[0])
                continue
        else:
            parent = top._p0
            if parent in visited:
                parent = top._p1
                if parent is None or parent in visited:
                    pop()
                    emit(top)
                    continue
        mark(parent)
        first = parent._p0
        if first is not None:
            push((parent, iter(first)) if type(first) is tuple else parent)
        elif leaves:
            emit(parent)
