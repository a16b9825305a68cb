"""How a node keeps its parents (two slots, ``_prev`` as a tuple) and the order a graph is visited in."""

from __future__ import annotations

import gc
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd import Value, topological_order
from micrograd.engine import dot


def _reference_order(roots: list[Value], leaves: bool) -> list[Value]:
    """The order by its definition, recursively: each node after its parents, parents left to right."""
    order: list[Value] = []
    seen: set[Value] = set()

    def visit(inputs: tuple[Value, ...] | list[Value]) -> None:  # the roots are the inputs of a stand-in
        for node in inputs:
            if node not in seen:
                seen.add(node)
                if node._prev:
                    visit(node._prev)
                if node._prev or leaves:
                    order.append(node)

    visit(roots)
    return order


def _random_graph(seed: int, size: int) -> list[Value]:
    """Nodes of one, two and many parents, shared and repeated inputs, constants, user-built nodes."""
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(-1, 1)) for _ in range(3)]
    for _ in range(size):
        a, b = rng.choice(nodes), rng.choice(nodes)
        kind = rng.randrange(6)
        if kind == 0:
            nodes.append(a * b)
        elif kind == 1:
            nodes.append(a + 0.5)
        elif kind == 2:
            nodes.append(a.tanh())
        elif kind == 3:
            k = rng.randrange(0, 4)
            nodes.append(dot([rng.choice(nodes) for _ in range(k)], [rng.choice(nodes) for _ in range(k)], b))
        elif kind == 4:
            nodes.append(Value(a.data, (a, b, a), "mine"))
        else:
            nodes.append(a * a)
    return nodes


@given(st.integers(0, 10**6), st.integers(1, 40), st.booleans(), st.integers(1, 3))
def test_the_order_is_the_recursive_definitions_order(seed, size, leaves, n_roots):
    nodes = _random_graph(seed, size)
    roots = nodes[-n_roots:]
    assert topological_order(roots, leaves=leaves) == _reference_order(roots, leaves)


def test_prev_is_the_tuple_of_parents_for_every_kind_of_node():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    assert a._prev == () and type(a._prev) is tuple
    assert a.tanh()._prev == (a,)
    assert (a * b)._prev == (a, b)
    assert (a * 2)._prev[0] is a and (a * 2)._prev[1].data == 2.0  # a constant's leaf is a parent
    assert dot([a, b], [c, a], b)._prev == (a, b, c, a, b)
    assert dot([], [], c)._prev == (c,)
    assert Value(6.0, (a, b, c), "mine")._prev == (a, b, c)
    assert Value(6.0, (a, b), "+")._prev == (a, b)


def test_prev_can_be_given_new_parents_and_backward_uses_them():
    a, b, c = Value(2.0), Value(3.0), Value(5.0)
    node = a * b
    node._prev = (a, c)
    assert node._prev == (a, c)
    node.backward()
    assert (a.grad, b.grad, c.grad) == (5.0, 0.0, 2.0)


@pytest.mark.parametrize("bad", [[Value(1.0)], (Value(1.0), 2.0), None])
def test_prev_refuses_anything_but_a_tuple_of_values(bad):
    node = Value(1.0) * Value(2.0)
    with pytest.raises(TypeError, match="_prev must be a tuple of Values, got "):
        node._prev = bad


def test_a_node_is_one_object_for_the_collector_not_two():
    """A node refers to its parents directly: no tuple of them for the cyclic collector to track."""
    a, b = Value(1.0), Value(2.0)
    for node in (a * b, a.tanh(), Value(2.0, (a, b), "+")):
        referents = gc.get_referents(node)
        assert a in referents
        own = [r for r in referents if not isinstance(r, (Value, type)) and r is not node._op]  # the op is shared
        assert not any(gc.is_tracked(r) for r in own), own


def test_sorting_a_deep_chain_makes_nothing_for_the_collector_to_scan():
    """The sort's stack holds the nodes themselves: no collection runs while a 100,000-deep chain is sorted."""
    y = Value(1.0)
    for _ in range(50_000):
        y = y * 0.5 + 1.0
    runs = []
    gc.collect()
    gc.callbacks.append(lambda phase, info: runs.append(info["generation"]) if phase == "start" else None)
    try:
        order = topological_order(y)
    finally:
        gc.callbacks.pop()
    assert len(order) == 200_001
    assert runs == []
