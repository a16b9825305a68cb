"""The Value engine: the lecture's API and examples, backprop semantics, numerics, errors."""

from __future__ import annotations

import gc
import math
import os
import subprocess
import sys

import pytest

from micrograd import Value, grad, gradcheck, is_grad_enabled, no_grad, topological_order
from micrograd.engine import dot

# --- the lecture, as typed in the lecture --------------------------------------------


def test_lecture_expression_and_its_gradients():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    L.backward()
    assert L.data == -8.0
    assert (a.grad, b.grad, c.grad, e.grad, d.grad, f.grad, L.grad) == (6.0, -4.0, -2.0, -2.0, -2.0, 4.0, 1.0)
    assert d._op == "+" and set(d._prev) == {e, c}
    assert L._prev == (d, f)


def test_lecture_neuron_backprop_by_hand_with_underscore_backward():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    assert round(o.data, 4) == 0.7071
    o.grad = 1.0
    for node in (o, n, x1w1x2w2, x2w2, x1w1):  # the lecture's manual, node-by-node backprop
        node._backward()
    assert math.isclose(n.grad, 0.5, rel_tol=1e-12)
    assert math.isclose(x1.grad, -1.5, rel_tol=1e-12)
    assert math.isclose(w1.grad, 1.0, rel_tol=1e-12)
    assert math.isclose(x2.grad, 0.5, rel_tol=1e-12)
    assert w2.grad == 0.0


def test_manual_backward_and_backward_agree():
    def build():
        xs = [Value(v) for v in (2.0, 0.0, -3.0, 1.0, 6.8813735870195432)]
        return xs, (xs[0] * xs[2] + xs[1] * xs[3] + xs[4]).tanh()

    xs_manual, o = build()
    o.grad = 1.0
    for node in reversed(topological_order(o)):
        node._backward()
    xs_auto, o2 = build()
    o2.backward()
    assert [x.grad for x in xs_manual] == [x.grad for x in xs_auto]


def test_repr_and_lecture_constructor():
    x = Value(2.0, label="x")
    assert repr(x) == "Value(data=2.0, grad=0.0)"
    assert x.label == "x" and x._op == "" and x._prev == ()
    y = Value(5.0, (x, Value(3.0)), "+")
    assert y._op == "+" and y._prev[0] is x
    assert Value(3).data == 3.0 and isinstance(Value(3).data, float)
    assert f"{Value(1 / 3):.3f}" == "0.333"
    assert float(Value(2.5)) == 2.5


def test_values_hash_and_compare_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert a != b and len({a, b}) == 2
    assert hash(a) == hash(a)


def test_prev_order_is_deterministic_and_duplicates_kept():
    a = Value(3.0)
    sq = a * a
    assert sq._prev == (a, a)
    sq.backward()
    assert a.grad == 6.0  # both uses contribute


# --- backward semantics ----------------------------------------------------------------


def test_backward_twice_doubles_leaves_exactly_and_recomputes_intermediates():
    x = Value(0.5)
    w = Value(-1.5)
    h = (x * w).tanh()
    out = h * h + h
    out.backward()
    first = (x.grad, w.grad, h.grad)
    out.backward()
    assert (x.grad, w.grad) == (2 * first[0], 2 * first[1])
    assert h.grad == first[2]  # an intermediate node is not compounded


def test_matches_pytorch_accumulation_with_retain_graph(torch_module):
    torch = torch_module
    xt = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    out_t = (xt * 3).tanh() * xt
    out_t.backward(retain_graph=True)
    out_t.backward()
    x = Value(0.5)
    out = (x * 3).tanh() * x
    out.backward()
    out.backward()
    assert math.isclose(x.grad, xt.grad.item(), rel_tol=1e-15)


def test_backward_of_a_leaf_and_of_a_constant_graph():
    x = Value(4.0)
    x.backward()
    assert x.grad == 1.0
    y = Value(2.0) * 3
    y.backward()
    assert y.grad == 1.0 and y._prev[0].grad == 3.0


def test_zero_grad_by_hand_then_backward_again():
    x = Value(2.0)
    y = x**3
    y.backward()
    x.grad = 0.0
    y.backward()
    assert x.grad == 12.0


def test_deep_chain_of_a_million_nodes_backpropagates_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(500_000):  # two nodes per step: a million deep
        y = y * 0.999999 + 1e-6
    y.backward()
    assert len(topological_order(y, leaves=False)) == 1_000_000
    assert math.isclose(x.grad, 0.999999**500_000, rel_tol=1e-9)


def test_dropped_graph_is_freed_by_reference_counting_alone():
    """No node refers back to itself, so the cyclic collector never has anything to find."""
    gc.collect()
    gc.disable()
    try:
        x = Value(1.0)
        y = x
        for _ in range(1000):
            y = (y * 0.5).tanh() + x
        y.backward()
        (dx,) = grad(y, [x], create_graph=True)  # higher order through grad(): no cycles either
        (d2x,) = grad(dx * 2, [x])
        assert math.isfinite(d2x)
        del y, dx
        assert gc.collect() == 0
        cyclic = Value(1.0)
        cyclic.grad = cyclic * 1  # the probe can fail: a real cycle is found
        del cyclic
        assert gc.collect() > 0
    finally:
        gc.enable()


def test_topological_order_of_several_roots_lists_each_node_once_inputs_first():
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    shared = x * y
    a, b = shared + x, shared.tanh()
    order = topological_order([a, b])
    assert len(order) == len(set(order)) == 5  # x, y, shared, a, b: each once
    assert order.index(shared) < order.index(a) and order.index(shared) < order.index(b)
    assert order[: order.index(a) + 1] == topological_order(a)
    assert topological_order([a, b], leaves=False) == [n for n in order if n._prev]
    with pytest.raises(TypeError, match="expected a Value or a list of Values, got str"):
        topological_order("a")


def test_results_are_identical_across_hash_seeds():
    program = (
        "import random; random.seed(3)\n"
        "from micrograd import MLP\n"
        "m = MLP(2, [8, 8, 1])\n"
        "for k in range(5):\n"
        "    loss = sum((m([x / 7, -x / 5]) - x / 10) ** 2 for x in range(10))\n"
        "    m.zero_grad(); loss.backward()\n"
        "    for p in m.parameters(): p.data -= 0.05 * p.grad\n"
        "print([p.data.hex() for p in m.parameters()])\n"
    )
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True)
        outputs.add(run.stdout)
    assert len(outputs) == 1


# --- higher-order gradients --------------------------------------------------------------


def test_create_graph_makes_grads_differentiable():
    x = Value(1.5)
    y = x**3 + x.sin()
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    dydx = x.grad
    assert math.isclose(dydx.data, 3 * 1.5**2 + math.cos(1.5), rel_tol=1e-15)
    (d2,) = grad(dydx, [x])
    assert math.isclose(d2, 6 * 1.5 - math.sin(1.5), rel_tol=1e-14)


def test_grad_does_not_touch_dot_grad_and_handles_unused_inputs():
    x, y, unused = Value(2.0), Value(3.0), Value(7.0)
    f = x * y + x
    gx, gy, gu = grad(f, [x, y, unused])
    assert (gx, gy, gu) == (4.0, 2.0, 0.0)
    assert x.grad == 0.0 and f.grad == 0.0
    assert grad(f, x) == (4.0,)


def test_third_derivative_and_mixed_partials():
    x, y = Value(0.7), Value(-1.2)
    f = (x * y).exp() + x**2 * y
    fx, fy = grad(f, [x, y], create_graph=True)
    fxy = grad(fx, [y], create_graph=True)[0]
    fyx = grad(fy, [x], create_graph=True)[0]
    expected = math.exp(0.7 * -1.2) * (1 + 0.7 * -1.2) + 2 * 0.7
    assert math.isclose(fxy.data, expected, rel_tol=1e-14)
    assert math.isclose(fyx.data, expected, rel_tol=1e-14)
    fxyx = grad(fxy, [x])[0]
    assert math.isclose(fxyx, math.exp(-0.84) * (-1.2 * (1 - 0.84) + -1.2) + 2, rel_tol=1e-13)


def test_mixed_partials_match_pytorch(torch_module):
    torch = torch_module

    def f(x, y):
        return (x * y).tanh() * (x / y).exp() + (x**y).sigmoid()

    x, y = Value(0.8), Value(1.3)
    fx, fy = grad(f(x, y), [x, y], create_graph=True)
    ours = [grad(fx, [x, y]), grad(fy, [x, y])]
    xt = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    yt = torch.tensor(1.3, dtype=torch.float64, requires_grad=True)
    gx, gy = torch.autograd.grad(f(xt, yt), [xt, yt], create_graph=True)
    theirs = [
        [g.item() for g in torch.autograd.grad(gx, [xt, yt], retain_graph=True)],
        [g.item() for g in torch.autograd.grad(gy, [xt, yt])],
    ]
    for row_ours, row_theirs in zip(ours, theirs):
        for a, b in zip(row_ours, row_theirs):
            assert math.isclose(a, b, rel_tol=1e-12)


# --- no_grad, detach, dot ------------------------------------------------------------------


def test_no_grad_records_nothing_and_restores_state():
    x = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 3 + 1
    assert is_grad_enabled()
    assert y.data == 7.0 and y._prev == () and y._op == ""

    @no_grad()
    def evaluate(v):
        return v * v

    assert evaluate(x)._prev == ()
    assert (x * x)._prev == (x, x)


def test_no_grad_restores_state_after_an_exception():
    with pytest.raises(ZeroDivisionError), no_grad():
        raise ZeroDivisionError
    assert is_grad_enabled()


def test_detach_stops_gradients():
    x = Value(3.0)
    y = x * x
    z = y.detach() * x
    z.backward()
    assert x.grad == 9.0 and z._prev[0]._prev == ()


def test_dot_is_one_node_equal_to_the_unfused_sum():
    ws = [Value(v) for v in (0.3, -1.2, 2.5)]
    xs = [Value(v) for v in (1.1, 0.4, -0.7)]
    b = Value(0.25)
    fused = dot(ws, xs, b)
    unfused = sum((w * x for w, x in zip(ws, xs)), b)
    assert fused.data == unfused.data and fused._op == "dot" and len(fused._prev) == 7
    fused.backward()
    fused_grads = [v.grad for v in (*ws, *xs, b)]
    for v in (*ws, *xs, b):
        v.grad = 0.0
    unfused.backward()
    assert fused_grads == [v.grad for v in (*ws, *xs, b)]


# --- IEEE 754 numerics, as PyTorch ---------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (lambda: Value(1000.0).exp(), math.inf),
        (lambda: Value(0.0).log(), -math.inf),
        (lambda: Value(-1.0).log(), math.nan),
        (lambda: Value(-1.0).sqrt(), math.nan),
        (lambda: Value(1.0) / 0, math.inf),
        (lambda: Value(-1.0) / 0, -math.inf),
        (lambda: Value(0.0) / 0, math.nan),
        (lambda: Value(1e200) ** 2, math.inf),
        (lambda: Value(0.0) ** -1, math.inf),
        (lambda: Value(-8.0) ** Value(1 / 3), math.nan),
        (lambda: Value(1000.0).tanh(), 1.0),
        (lambda: Value(-1000.0).tanh(), -1.0),
        (lambda: Value(1000.0).sigmoid(), 1.0),
        (lambda: Value(-1000.0).sigmoid(), 0.0),
        (lambda: Value(math.inf).sin(), math.nan),
        (lambda: Value(math.nan).relu(), math.nan),
    ],
)
def test_ieee_results_instead_of_python_exceptions(expression, expected):
    out = expression().data
    assert (math.isnan(out) and math.isnan(expected)) or out == expected


EDGE_CASES = [
    # (name, ours, theirs, at): points where a subgradient or an IEEE special value decides
    ("relu at 0", lambda v: v.relu(), lambda t, T: t.relu(), 0.0),
    ("abs at 0", lambda v: abs(v), lambda t, T: t.abs(), 0.0),
    ("sqrt at 0", lambda v: v.sqrt(), lambda t, T: t.sqrt(), 0.0),
    ("log at 0", lambda v: v.log(), lambda t, T: t.log(), 0.0),
    ("sigmoid at -1000", lambda v: v.sigmoid(), lambda t, T: t.sigmoid(), -1000.0),
    ("tanh at 1000", lambda v: v.tanh(), lambda t, T: t.tanh(), 1000.0),
    ("exp at 1000", lambda v: v.exp(), lambda t, T: t.exp(), 1000.0),
    ("1/x at 0", lambda v: 1 / v, lambda t, T: 1 / t, 0.0),
    ("x**0.5 at 0", lambda v: v**0.5, lambda t, T: t**0.5, 0.0),
    ("x**0 at 0", lambda v: v**0, lambda t, T: t**0, 0.0),
    ("x**Value(2) at 0", lambda v: v ** Value(2.0), lambda t, T: t ** T.tensor(2.0, dtype=T.float64), 0.0),
    ("0**x at 2", lambda v: Value(0.0) ** v, lambda t, T: T.tensor(0.0, dtype=T.float64) ** t, 2.0),
    ("0**x at 0", lambda v: Value(0.0) ** v, lambda t, T: T.tensor(0.0, dtype=T.float64) ** t, 0.0),
    ("(-2)**x at 0.5", lambda v: Value(-2.0) ** v, lambda t, T: T.tensor(-2.0, dtype=T.float64) ** t, 0.5),
    ("x**Value(0.5) at -4", lambda v: v ** Value(0.5), lambda t, T: t ** T.tensor(0.5, dtype=T.float64), -4.0),
    ("x/x at 0", lambda v: v / v, lambda t, T: t / t, 0.0),
]


@pytest.mark.torch
@pytest.mark.parametrize(("name", "ours", "theirs", "at"), EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_edge_values_and_gradients_match_pytorch(name, ours, theirs, at, torch_module):
    torch = torch_module
    x = Value(at)
    out = ours(x)
    out.backward()
    xt = torch.tensor(at, dtype=torch.float64, requires_grad=True)
    out_t = theirs(xt, torch)
    out_t.backward()
    for a, b in ((out.data, out_t.item()), (x.grad, xt.grad.item())):
        assert (math.isnan(a) and math.isnan(b)) or a == b, (name, a, b)


# --- NumPy interop ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["float64", "float32", "int64", "int32"])
def test_numpy_scalars_mix_in_on_either_side(kind):
    np = pytest.importorskip("numpy")
    scalar = getattr(np, kind)(2)
    x = Value(3.0)
    for out, expected in [
        (x * scalar, 6.0),
        (scalar * x, 6.0),
        (scalar + x, 5.0),
        (scalar - x, -1.0),
        (scalar / x, 2 / 3),
        (x**scalar, 9.0),
        (scalar**x, 8.0),
    ]:
        assert type(out) is Value and out.data == expected
    assert Value(scalar).data == 2.0 and type(Value(scalar).data) is float


def test_numpy_zero_d_array_and_float32_precision():
    np = pytest.importorskip("numpy")
    assert Value(np.array(1.5)).data == 1.5
    assert Value(np.float32(0.1)).data == float(np.float32(0.1))


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("2.0", "got str"),
        (None, "got NoneType"),
        ([1.0], "got list"),
        (1 + 2j, "got complex"),
    ],
)
def test_non_numeric_data_raises_type_error_naming_the_type(data, message):
    with pytest.raises(TypeError, match=message):
        Value(data)


def test_a_numpy_array_is_not_a_scalar():
    np = pytest.importorskip("numpy")
    with pytest.raises(TypeError, match="got ndarray"):
        Value(np.array([1.0, 2.0]))


def test_nested_value_is_an_error_not_a_nested_value():
    with pytest.raises(TypeError, match="got a Value"):
        Value(Value(1.0))


def test_huge_int_overflows_with_a_clear_message():
    with pytest.raises(ValueError, match="too large"):
        Value(10**400)


def test_operators_with_non_numbers_raise_type_error_naming_both_types():
    x = Value(1.0)
    with pytest.raises(TypeError, match="'Value' and 'str'"):
        x + "a"
    with pytest.raises(TypeError, match="'list' and 'Value'"):
        [1] - x
    with pytest.raises(TypeError):
        x ** "2"


def test_constructor_checks_children_op_and_label():
    x = Value(1.0)
    with pytest.raises(TypeError, match="children must be Values"):
        Value(2.0, (x, 3.0), "+")
    foo = Value(2.0, (x,), "foo")  # a label of the user's own: a lecture-style op, its _backward comes next
    with pytest.raises(TypeError, match="'foo' node has no backward: 'foo' is not an operation micrograd knows"):
        foo.backward()
    with pytest.raises(ValueError, match="takes 2 input"):
        Value(2.0, (x,), "+")
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=3)
    assert Value(2.0, (x,), "**2")._op.exponent == 2.0


def test_grad_and_gradcheck_argument_errors():
    x = Value(1.0)
    with pytest.raises(TypeError, match="output must be a Value"):
        grad(1.0, [x])
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Value"):
        grad(x * 2, [x, 3.0])
    with pytest.raises(TypeError, match="must be callable"):
        gradcheck(3, [x])
    with pytest.raises(ValueError, match="eps must be a positive"):
        gradcheck(lambda v: v, [x], eps=0)
    with pytest.raises(TypeError, match="topological_order|expected a Value"):
        topological_order(3)
    with pytest.raises(ValueError, match="as many weights as inputs"):
        dot([x], [x, x])
    with pytest.raises(TypeError, match="dot\\(\\) w must be a list of Values or numbers, got int"):
        dot(1, 2, 3)
    with pytest.raises(TypeError, match="inputs must be a Value or a list of Values, got int"):
        grad(x * 2, 1)
    with pytest.raises(TypeError, match="create_graph must be True or False, got str"):
        grad(x * 2, [x], create_graph="yes")
    with pytest.raises(TypeError, match="create_graph must be True or False, got int"):
        (x * 2).backward(create_graph=1)
    with pytest.raises(TypeError):
        (x * 2).backward(True)  # keyword only, as the lecture and PyTorch spell it


# --- gradcheck ----------------------------------------------------------------------------


def test_gradcheck_passes_for_every_smooth_op():
    def f(a, b, c):
        return (a * b).tanh() + (a / c).exp() - b.sigmoid() * c.log() + a**3 + abs(b).sqrt() + (b**c).sin()

    assert gradcheck(f, [Value(0.3, label="a"), Value(1.7, label="b"), Value(2.2, label="c")])


def test_gradcheck_checks_second_derivatives_through_grad():
    def first_derivative(x):
        (dx,) = grad(x.sin() * x**2, [x], create_graph=True)
        return dx

    assert gradcheck(first_derivative, [Value(0.8)])


def test_gradcheck_reports_a_wrong_gradient_readably():
    from micrograd import GradcheckError

    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: a.relu(), [Value(0.0, label="kink")])
    report = str(info.value)
    assert "1 of 1 gradients disagree" in report and "kink" in report and "0.5" in report
    assert gradcheck(lambda a: a.relu(), [Value(0.0)], raise_exception=False) is False


def test_bool_follows_the_number():
    assert not Value(0.0) and not Value(-0.0) and not Value(2.0) - 2
    assert Value(2.0) and Value(-1e-300) and Value(math.inf)
    assert bool(Value(math.nan)) is bool(math.nan) is True  # as for a float (and a PyTorch tensor)


def test_a_value_equals_only_itself_and_hashes_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert (a == a) is True and (a == b) is False and (a != b) is True and (a != a) is False
    assert len({a, b}) == 2 and {a: 1, b: 2}[b] == 2
    assert b in [a, b] and a not in (b,) and [a, b].index(b) == 1
    assert hash(a) == id(a) >> 4 or hash(a) == object.__hash__(a)
    y = a * b
    assert a in y._prev and Value(1.0) not in y._prev


@pytest.mark.parametrize("kind", ["float", "int", "numpy.float64", "numpy.int64", "numpy 0-d array"])
def test_a_value_never_silently_equals_a_number(kind):
    if kind.startswith("numpy"):
        np = pytest.importorskip("numpy")
        number = {"numpy.float64": np.float64(2.0), "numpy.int64": np.int64(2), "numpy 0-d array": np.array(2.0)}[kind]
    else:
        number = {"float": 2.0, "int": 2}[kind]
    v = Value(2.0)
    with pytest.raises(TypeError, match=r"cannot compare a Value with a number by ==.*compare numbers with v.data =="):
        v == number  # noqa: B015
    with pytest.raises(TypeError, match=r"by ==:"):
        number == v  # noqa: B015
    with pytest.raises(TypeError, match=r"by !=:.* v.data != "):
        v != number  # noqa: B015
    assert v.data == number
    with pytest.raises(TypeError, match=r"by ==:"):
        Value(1.0) == True  # noqa: B015, E712


def test_a_value_is_unequal_to_things_that_are_not_numbers():
    v = Value(1.0)
    assert v != "1.0" and v != None and v != [1.0] and (v == object()) is False  # noqa: E711


def test_a_zero_value_grad_from_create_graph_keeps_its_graph_when_backward_adds_to_it():
    x = Value(0.0)
    (x * x).backward(create_graph=True)  # x.grad = 2x, a Value whose number is 0
    first = x.grad
    assert isinstance(first, Value) and first.data == 0.0
    (x * 3).backward()
    assert isinstance(x.grad, Value) and x.grad.data == 3.0
    assert grad(x.grad, x)[0] == 2.0  # d(2x + 3)/dx


def test_no_grad_is_per_thread():
    """no_grad() in one thread leaves recording on in another (as in PyTorch)."""
    import threading

    inside, release = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def evaluate():
        with no_grad():
            seen["worker enabled"] = is_grad_enabled()
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=evaluate)
    worker.start()
    assert inside.wait(10)
    x = Value(2.0)
    y = x * x
    seen["main enabled"] = is_grad_enabled()
    release.set()
    worker.join()
    assert seen == {"worker enabled": False, "main enabled": True}
    assert y._prev == (x, x)
    fresh: list[bool] = []
    with no_grad():
        newcomer = threading.Thread(target=lambda: fresh.append(is_grad_enabled()))
        newcomer.start()
        newcomer.join()
    assert fresh == [True]  # a new thread starts with recording on, whatever its creator does
