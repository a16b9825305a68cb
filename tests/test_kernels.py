"""The checked-in float kernels compute exactly what the op rules compute.

``backward()`` runs every built-in op's node through code written from its rules
(:mod:`micrograd._kernels`). These tests hold that code to the rules themselves, bit for
bit, on every operation, including nan, ±inf and signed zeros, and check that the file
is what the generator writes from ``micrograd.ops`` today.
"""

from __future__ import annotations

import math
import pickle
import struct
import subprocess
import sys
import traceback

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd import engine
from micrograd._kernels import BACKWARD, FORWARD
from micrograd.compiler.kernels import KERNELS_PATH, kernel_source, kernels_module
from micrograd.engine import Value, _chain_rule, dot, grad, topological_order
from micrograd.ops import DOT, MUL, OPS, RELU, TANH, WHERE_FIRST, WHERE_SECOND, FloatMath, pow_const

FIXED_OPS = [op for op in OPS.values() if op.arity is not None]
EXPONENTS = [0, 1, 2, 3, -1, -2, 0.5, -0.5, 1.5, -2.7]
ALL_FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 1.0, -1.0])


def bits(x: float) -> bytes:
    """The float's exact bit pattern (so -0.0 differs from 0.0; every nan is one nan)."""
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


def run_kernels(op, data: list[float], g: float) -> tuple[float, list[float]]:
    """Forward and backward of one node of ``op`` through the checked-in kernels."""
    parents = tuple(Value(x) for x in data)
    out = Value(FORWARD[op](parents))
    out._prev, out._op, out.grad = parents, op, g
    BACKWARD[op](out)
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


def test_the_checked_in_kernels_are_what_the_rules_write():
    """Edit a rule in micrograd.ops and this fails until ``python -m micrograd.compiler.kernels`` is run."""
    assert KERNELS_PATH.read_text(encoding="utf-8") == kernels_module()


def test_every_built_in_op_has_a_kernel_and_nothing_else_does():
    assert set(FORWARD) == set(BACKWARD) == set(OPS.values())
    assert all(FORWARD[op] is FORWARD[OPS[op]] for op in OPS)


@pytest.mark.parametrize("op", FIXED_OPS, ids=str)
@given(data=st.lists(ALL_FLOATS, min_size=2, max_size=2), g=ALL_FLOATS)
def test_each_ops_kernels_equal_its_rules_bit_for_bit(op, data, g):
    assert_same(op, data[: op.arity], g)


def backward_one_node(node: Value, g: float) -> list[bytes]:
    """The engine's backward pass over one node (whatever it runs for the node's op)."""
    node.grad = g
    for parent in node._prev:
        parent.grad = 0.0
    kernel = engine._float_backward.get(type(node._op))
    kernel(node) if kernel else node._backward()
    return [bits(p.grad) for p in node._prev]


@pytest.mark.parametrize("exponent", EXPONENTS)
@given(x=ALL_FLOATS, g=ALL_FLOATS)
def test_constant_powers_run_their_rule(exponent, x, g):
    op = pow_const(exponent)
    node = Value(x) ** exponent
    assert node._op is op and op not in FORWARD
    out, grads = run_rules(op, [x], g)
    assert bits(node.data) == bits(out)
    assert backward_one_node(node, g) == [bits(v) for v in grads]


@pytest.mark.parametrize("where", [WHERE_FIRST, WHERE_SECOND], ids=["first", "second"])
@given(data=st.lists(ALL_FLOATS, min_size=2, max_size=2), g=ALL_FLOATS)
def test_where_nodes_run_their_rule(where, data, g):
    node = engine._apply(where, (Value(data[0]), Value(data[1])))
    assert backward_one_node(node, g) == [bits(v) for v in run_rules(where, data, g)[1]]


@pytest.mark.parametrize("inputs", [0, 1, 2, 16, 64, 65, 100])
@given(st.data())
def test_dot_kernels_equal_its_rule_for_any_width(inputs, data):
    """One loop serves every width, and sums in the rule's order."""
    values = data.draw(st.lists(ALL_FLOATS, min_size=2 * inputs + 1, max_size=2 * inputs + 1))
    assert_same(DOT, values, data.draw(ALL_FLOATS))


def test_a_repeated_parent_receives_every_contribution():
    """dot([w], [w]) + w·w: the same Value twice in one node accumulates twice, in order."""
    w = Value(3.0)
    y = dot([w], [w], 1.0) + w * w
    y.backward()
    assert y.data == 19.0 and w.grad == 12.0


def test_the_source_is_the_rule_written_out():
    assert "p0.grad += g * (1.0 - out * out)" in kernel_source(TANH)
    assert "return 0.0 if p0.data < 0.0 else p0.data" in kernel_source(RELU)
    mul = kernel_source(MUL)
    assert "p0.grad += g * p1.data" in mul and "p1.grad += g * p0.data" in mul
    dot_source = kernel_source(DOT)
    assert "total = total + w.data * x.data" in dot_source and "x.grad += g * w.data" in dot_source
    assert "runs its rule: ops.PowConst" in kernel_source(pow_const(3))
    assert kernel_source(TANH) in KERNELS_PATH.read_text(encoding="utf-8")


def test_kernel_source_names_what_it_needs():
    with pytest.raises(TypeError, match="kernel_source expects an operation such as micrograd.ops.TANH, got str"):
        kernel_source("tanh")
    assert kernel_source(DOT, 5) == kernel_source(DOT, 129) == kernel_source(DOT)
    with pytest.raises(ValueError, match="'dot' cannot take 4 inputs"):
        kernel_source(DOT, 4)
    with pytest.raises(ValueError, match=r"'\*' cannot take 3 inputs"):
        kernel_source(MUL, 3)


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
        BACKWARD[MUL](node)
    text = "".join(traceback.format_exception(info.value))
    assert "_kernels.py" in text and "p1.grad += g * p0.data" in text


def test_backward_through_kernels_equals_backward_through_rules():
    """The whole float pass: kernels (the engine's loop) against each node's rule-based _backward()."""
    x = [Value(v) for v in (0.3, -1.2, 2.0)]
    y = ((x[0] * x[1] + x[2]).tanh() * x[0] - (x[2] ** 2).sqrt() / x[1]).relu() + x[0].exp().log()
    order = topological_order(y)
    results = []
    _chain_rule(order, create_graph=False)
    results.append([bits(node.grad) for node in order])
    for node in order:
        node.grad = 0.0
    y.grad = 1.0
    for node in reversed(order):
        node._backward()
    results.append([bits(node.grad) for node in order])
    assert results[0] == results[1]


def test_a_deep_copied_graph_shares_the_ops_and_gets_the_same_grads():
    """copy.deepcopy copies an op by its symbol, so the copy's nodes hold the shared ops."""
    import copy

    x = Value(2.0)
    y = x**2.5 * x + Value(0.0, (x,), "**3.5")
    twin = copy.deepcopy(y)
    y.backward()
    twin.backward()
    twin_x = twin._prev[0]._prev[1]
    assert twin._prev[0]._prev[0]._op is y._prev[0]._prev[0]._op
    assert bits(twin_x.grad) == bits(x.grad) == bits(2.5 * 2.0**1.5 * 2.0 + 2.0**2.5 + 3.5 * 2.0**2.5)


def test_a_graph_of_values_pickles_with_the_same_numbers():
    """Ops pickle by symbol and come back as the shared ops: the copy runs the same kernels."""
    x, w = Value(0.7, label="x"), Value(-1.3, label="w")
    y = (dot([w], [x], 0.25).tanh() * x**2.5 + (x / w).relu() - x.sigmoid().log()) ** 2
    twin = pickle.loads(pickle.dumps(y))
    assert twin._prev[0]._op is y._prev[0]._op
    twin_order, order = topological_order(twin), topological_order(y)
    assert [(n._op, bits(n.data), n.label) for n in twin_order] == [(n._op, bits(n.data), n.label) for n in order]
    y.backward()
    twin.backward()
    assert [bits(n.grad) for n in twin_order] == [bits(n.grad) for n in order]
    twin_x = next(n for n in twin_order if n.label == "x")
    assert grad(twin, twin_x) == grad(y, x) and twin_x.grad == x.grad


def test_import_micrograd_loads_neither_the_compiler_nor_numpy():
    code = (
        "import sys, micrograd\n"
        "from micrograd.engine import Value\n"
        "(Value(2.0).tanh() * 3).backward()\n"
        "print(sorted(m for m in sys.modules if m.startswith('micrograd.compiler') or m == 'numpy'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_core_imports_nothing_from_the_compiler_or_the_apps():
    import ast

    package = KERNELS_PATH.parent
    core = {"engine", "ops", "_kernels", "gradmode", "closures", "checks", "graph"}  # checks, graph: stdlib only
    for name in sorted(core):
        tree = ast.parse((package / f"{name}.py").read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {  # from micrograd import gradmode: the module micrograd.gradmode
            f"micrograd.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "micrograd"
            for a in n.names
        }
        ours = {m for m in imported if m.startswith("micrograd")} - {"micrograd"}
        assert ours <= {f"micrograd.{m}" for m in core}, (name, ours)


def test_micrograd_compile_is_the_function_after_the_compiler_is_imported():
    code = (
        "import sys, micrograd\n"
        "assert 'micrograd.compiler' not in sys.modules\n"
        "import micrograd.compiler\n"
        "from micrograd.engine import Value\n"
        "w = Value(2.0)\n"
        "step = micrograd.compile(lambda x: w * x, backend='python')\n"
        "print(step([1.0, 2.0]), w.grad, micrograd.compile is micrograd.compiler.compile)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["3.0", "1.5", "True"]


def test_star_import_keeps_the_builtin_compile():
    namespace: dict = {}
    exec("from micrograd import *", namespace)
    assert "compile" not in namespace and "Value" in namespace
    assert "compile" in dir(__import__("micrograd"))


def test_the_readme_kernel_source_still_works_and_micrograd_compile_stays_callable():
    code = (
        "import warnings; warnings.simplefilter('ignore')\n"
        "import micrograd\n"
        "from micrograd.kernels import kernel_source\n"
        "from micrograd.compile import compile\n"
        "from micrograd.ops import TANH\n"
        "from micrograd.engine import Value\n"
        "w = Value(3.0)\n"
        "print('p0.grad += g * (1.0 - out * out)' in kernel_source(TANH), micrograd.compile(lambda x: w * x)([2.0]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "6.0"]
