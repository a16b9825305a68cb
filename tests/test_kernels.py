"""The engine's generated float kernels compute exactly what the op rules compute.

The eager engine runs every node through code written from its op's rules
(:mod:`micrograd.kernels`). These tests hold that code to the rules themselves, bit for
bit, on every operation, including nan, ±inf and signed zeros.
"""

from __future__ import annotations

import math
import struct
import traceback

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd import kernels
from micrograd.engine import Value, _propagate, dot, topological_order
from micrograd.ops import DOT, MUL, OPS, RELU, TANH, WHERE_FIRST, WHERE_SECOND, FloatMath, pow_const

FIXED_OPS = [op for op in OPS.values() if op.arity is not None] + [WHERE_FIRST, WHERE_SECOND]
EXPONENTS = [0, 1, 2, 3, -1, -2, 0.5, -0.5, 1.5, -2.7]
ALL_FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 1.0, -1.0])


def bits(x: float) -> bytes:
    """The float's exact bit pattern (so -0.0 differs from 0.0; every nan is one nan)."""
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


def run_kernels(op, data: list[float], g: float) -> tuple[float, list[float]]:
    """Forward and backward of one node of ``op`` through the generated kernels."""
    parents = tuple(Value(x) for x in data)
    out = Value(op.float_forward(parents))
    out._prev, out._op, out.grad = parents, op, g
    op.float_backward(out)
    return out.data, [p.grad for p in parents]


def run_rules(op, data: list[float], g: float) -> tuple[float, list[float]]:
    """The same node through the rules in micrograd.ops, called with floats."""
    out = op.forward(FloatMath, *data)
    grads = op.backward(FloatMath, g, out, *data)
    return out, [0.0 + gr for gr in grads]


def assert_same(op, data, g):
    ours, theirs = run_kernels(op, data, g), run_rules(op, data, g)
    assert bits(ours[0]) == bits(theirs[0]), (op, data, "forward", ours[0], theirs[0])
    assert [bits(x) for x in ours[1]] == [bits(x) for x in theirs[1]], (op, data, g, ours[1], theirs[1])


OP_PARAMS = [pytest.param(op, id=f"{op}{op.take_first if op == 'where' else ''}") for op in FIXED_OPS]


@pytest.mark.parametrize("op", OP_PARAMS)
@given(data=st.lists(ALL_FLOATS, min_size=2, max_size=2), g=ALL_FLOATS)
def test_each_ops_kernels_equal_its_rules_bit_for_bit(op, data, g):
    assert_same(op, data[: op.arity], g)


@pytest.mark.parametrize("exponent", EXPONENTS)
@given(x=ALL_FLOATS, g=ALL_FLOATS)
def test_constant_power_kernels_equal_their_rules(exponent, x, g):
    op = pow_const(exponent)
    (Value(2.0) ** exponent)  # the engine installs the kernels of an op made after import  # noqa: B018
    assert_same(op, [x], g)


@pytest.mark.parametrize("inputs", [0, 1, 2, 16, 64, 65, 100])
@given(st.data())
def test_dot_kernels_equal_its_rule_for_any_width(inputs, data):
    """Up to 64 inputs the neuron is unrolled code; wider ones run the rule itself."""
    values = data.draw(st.lists(ALL_FLOATS, min_size=2 * inputs + 1, max_size=2 * inputs + 1))
    assert_same(DOT, values, data.draw(ALL_FLOATS))


def test_wide_dot_runs_the_rule_not_unrolled_code():
    assert "p64.grad +=" in kernels.kernel_source(DOT, 2 * 64 + 1)
    assert "runs its rule" in kernels.kernel_source(DOT, 2 * 65 + 1)


def test_a_repeated_parent_receives_every_contribution():
    """dot([w], [w]) + w·w: the same Value twice in one node accumulates twice, in order."""
    w = Value(3.0)
    y = dot([w], [w], 1.0) + w * w
    y.backward()
    assert y.data == 19.0 and w.grad == 12.0


def test_the_source_is_the_rule_written_out():
    assert "p0.grad += g * (1.0 - out * out)" in kernels.kernel_source(TANH)
    assert "return 0.0 if p0.data < 0.0 else p0.data" in kernels.kernel_source(RELU)
    mul = kernels.kernel_source(MUL)
    assert "p0.grad += g * p1.data" in mul and "p1.grad += g * p0.data" in mul
    assert "return p4.data + p0.data * p2.data + p1.data * p3.data" in kernels.kernel_source(DOT, 5)


def test_kernel_source_rejects_arities_the_op_cannot_take():
    with pytest.raises(ValueError, match="'dot' takes any number of inputs: pass arity="):
        kernels.kernel_source(DOT)
    with pytest.raises(ValueError, match="'dot' cannot take 4 inputs"):
        kernels.kernel_source(DOT, 4)
    with pytest.raises(ValueError, match=r"'\*' cannot take 3 inputs"):
        kernels.kernel_source(MUL, 3)


def test_a_dot_node_needs_weights_inputs_and_a_bias():
    a, b = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match=r"operation 'dot' takes an odd number of \(w\.\.\., x\.\.\., b\) input"):
        Value(0.0, (a, b), "dot")


def test_a_traceback_through_a_kernel_shows_the_generated_line():
    class Exploding(Value):
        __slots__ = ()

        @property
        def data(self):
            raise RuntimeError("boom")

    node = Value(1.0) * Value(2.0)
    exploding = Exploding.__new__(Exploding)
    exploding.grad = 0.0
    node._prev = (exploding, node._prev[1])
    node.grad = 1.0
    with pytest.raises(RuntimeError) as info:
        MUL.float_backward(node)
    text = "".join(traceback.format_exception(info.value))
    assert "<micrograd kernel * (2 inputs)>" in text and "p1.grad += g * p0.data" in text


def test_backward_through_kernels_equals_backward_through_rules():
    """The whole float pass: kernels (the engine's loop) against each node's rule-based _backward()."""
    x = [Value(v) for v in (0.3, -1.2, 2.0)]
    y = ((x[0] * x[1] + x[2]).tanh() * x[0] - (x[2] ** 2).sqrt() / x[1]).relu() + x[0].exp().log()
    order = topological_order(y)
    results = []
    for run in (_propagate, lambda order: [node._backward() for node in reversed(order)]):
        for node in order:
            node.grad = 0.0
        y.grad = 1.0
        run(order)
        results.append([bits(node.grad) for node in order])
    assert results[0] == results[1]


def test_a_deep_copied_graph_writes_kernels_for_its_recreated_ops():
    """copy.deepcopy re-creates x ** c ops outside the engine; backward still runs their rules."""
    import copy

    x = Value(2.0)
    y = x**2.5 * x + Value(0.0, (x,), "**3.5")
    twin = copy.deepcopy(y)
    y.backward()
    twin.backward()
    twin_x = twin._prev[0]._prev[1]
    assert twin._prev[0]._prev[0]._op is not y._prev[0]._prev[0]._op
    assert bits(twin_x.grad) == bits(x.grad) == bits(2.5 * 2.0**1.5 * 2.0 + 2.0**2.5 + 3.5 * 2.0**2.5)
