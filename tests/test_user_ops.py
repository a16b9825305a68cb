"""Drop-in habits: attributes on Values, the lecture's own ops (``_backward`` closures),
an op defined once like the built-ins (softplus), and PyTorch's scalar habits."""

from __future__ import annotations

import math
import pickle
import random
import warnings

import pytest

import micrograd
from micrograd import MLP, Parameter, Value, grad, gradcheck
from micrograd.compiler.trace import TracingWarning
from micrograd.engine import ClosureOp, apply, topological_order
from micrograd.ops import Op

REL = 1e-12


# --- attributes ------------------------------------------------------------------


def test_values_and_parameters_take_attributes_of_their_own():
    p, v = Parameter(1.0), Value(2.0)
    p.m, p.v = 0.0, 0.0  # EurekaLabs' AdamW keeps its moments on the parameter
    v._vis_color = "red"  # and its drawing code colours nodes
    assert (p.m, p.v, v._vis_color) == (0.0, 0.0, "red")
    assert not hasattr(Value(3.0), "m") and Value(3.0).label == ""
    clone = pickle.loads(pickle.dumps(v))
    assert clone._vis_color == "red" and clone.data == 2.0


def test_an_adamw_that_keeps_its_state_on_the_parameters_trains():
    """EurekaLabs' AdamW, as written there: state in ``p.m`` and ``p.v``."""
    random.seed(0)
    model = MLP(2, [4, 1])
    params = model.parameters()
    for p in params:
        p.m, p.v = 0.0, 0.0
    xs, ys = [[0.5, -1.0], [1.0, 2.0], [-0.5, 0.3]], [1.0, -1.0, 1.0]

    def loss() -> Value:
        return sum((model(x) - y) ** 2 for x, y in zip(xs, ys))

    first = loss().data
    for t in range(1, 51):
        model.zero_grad()
        loss().backward()
        for p in params:
            p.m = 0.9 * p.m + 0.1 * p.grad
            p.v = 0.999 * p.v + 0.001 * p.grad**2
            m_hat, v_hat = p.m / (1 - 0.9**t), p.v / (1 - 0.999**t)
            p.data -= 0.05 * (m_hat / (v_hat**0.5 + 1e-8) + 0.01 * p.data)
    assert loss().data < first / 4


# --- the lecture's way: a _backward closure -----------------------------------------


def lecture_exp(self: Value) -> Value:
    """The lecture's exp, written as the lecture writes it."""
    x = self.data
    out = Value(math.exp(x), (self,), "exp")

    def _backward():
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def lecture_softplus(self: Value) -> Value:
    out = Value(math.log1p(math.exp(self.data)), (self,), "softplus")

    def _backward():
        self.grad += 1.0 / (1.0 + math.exp(-self.data)) * out.grad

    out._backward = _backward
    return out


def test_the_lectures_exp_backpropagates_with_its_closure_among_built_in_ops(torch_module):
    torch = torch_module
    a, b = Value(0.3), Value(-1.2)
    y = (lecture_exp(a * b) + b).tanh() * lecture_softplus(a)
    y.backward()
    ta, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.3, -1.2))
    ty = (torch.exp(ta * tb) + tb).tanh() * torch.nn.functional.softplus(ta)
    ty.backward()
    assert y.data == pytest.approx(ty.item(), rel=REL)
    assert a.grad == pytest.approx(ta.grad.item(), rel=REL)
    assert b.grad == pytest.approx(tb.grad.item(), rel=REL)
    assert y._prev[1]._op == "softplus" and isinstance(y._prev[1]._op, ClosureOp)


def test_a_closure_wins_over_the_rule_of_a_known_label():
    x = Value(1.0)
    out = Value(math.exp(1.0), (x,), "exp")  # without a closure: the built-in exp rule
    out.backward()
    assert x.grad == math.exp(1.0)

    x = Value(1.0)
    out = Value(math.exp(1.0), (x,), "exp")

    def _backward():  # deliberately not exp's derivative: it must be what runs
        x.grad += 7.0 * out.grad

    out._backward = _backward
    (out * 2.0).backward()
    assert x.grad == 14.0
    assert grad(out * 2.0, x) == (14.0,)  # grad() runs the closure too, and leaves .grad alone
    assert x.grad == 14.0


def test_calling_underscore_backward_by_hand_runs_the_closure_or_the_rule():
    a = Value(2.0)
    e = lecture_exp(a)
    t = e.tanh()
    t.grad = 1.0
    t._backward()  # a built-in node: its rule
    e._backward()  # the user's node: its closure
    assert e.grad == pytest.approx(1 - math.tanh(math.exp(2.0)) ** 2, rel=REL)
    assert a.grad == pytest.approx(e.grad * math.exp(2.0), rel=REL)


def test_a_closure_node_cannot_be_differentiated_again_or_compiled():
    x = Value(0.5)
    y = lecture_exp(x) * x
    message = "create_graph=True cannot differentiate again the 'exp' node: its backward is a Python closure"
    with pytest.raises(TypeError, match=message):
        y.backward(create_graph=True)
    with pytest.raises(TypeError, match="micrograd.ops.Op and build it with micrograd.engine.apply"):
        grad(y, x, create_graph=True)
    step = micrograd.compile(lambda v: lecture_softplus(v * 2.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TracingWarning)  # the closure reads the number, as it must
        with pytest.raises(TypeError, match="micrograd.compile cannot write code for the 'softplus' node"):
            step([0.5, 1.0])


def test_an_unknown_label_without_a_closure_says_what_is_missing():
    node = Value(1.0, (Value(1.0),), "softplus")
    with pytest.raises(TypeError, match="'softplus' node has no backward"):
        node.backward()
    with pytest.raises(TypeError, match="_backward must be a function of no arguments, got int"):
        node._backward = 3


# --- an op defined once, like the built-ins -----------------------------------------


class Softplus(Op):
    """ln(1 + e^x), a smooth relu."""

    formula = "ln(1 + e^x)"
    derivative = "∂/∂x = σ(x) = 1 / (1 + e^-x)"
    arity = 1

    def forward(self, m, x):
        return m.log1p(m.exp(x))

    def backward(self, m, g, out, x):
        return (g * m.div(1.0, 1.0 + m.exp(-x)),)


SOFTPLUS = Softplus("softplus")


def softplus(x):
    return apply(SOFTPLUS, x)


XS = [-8.0, -1.5, -0.1, 0.0, 0.3, 2.0, 12.0]


@pytest.mark.parametrize("x0", XS)
def test_an_op_defined_once_matches_pytorch_in_value_gradient_and_second_derivative(x0, torch_module):
    torch = torch_module
    x = Value(x0)
    y = softplus(x * x) * x  # mixed with built-in ops
    (dy,) = grad(y, x, create_graph=True)
    (d2y,) = grad(dy, x)
    y.backward()
    tx = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    ty = torch.nn.functional.softplus(tx * tx) * tx
    (tdy,) = torch.autograd.grad(ty, tx, create_graph=True)
    (td2y,) = torch.autograd.grad(tdy, tx)
    assert y.data == pytest.approx(ty.item(), rel=REL)
    assert x.grad == pytest.approx(tdy.item(), rel=REL) and dy.data == x.grad
    assert d2y == pytest.approx(td2y.item(), rel=1e-9, abs=1e-300)


def test_an_op_defined_once_passes_gradcheck_draws_pickles_and_compiles():
    gradcheck(lambda a, b: softplus(a * b) + softplus(-b), [0.7, -1.3])
    assert softplus(Value(1.0))._op is SOFTPLUS
    pytest.importorskip("graphviz")
    from micrograd.apps.viz import draw_dot

    assert "softplus" in draw_dot(softplus(Value(1.0, label="x"))).source
    clone = pickle.loads(pickle.dumps(softplus(Value(0.25))))
    assert type(clone._op) is Softplus and clone.data == softplus(Value(0.25)).data

    random.seed(1)
    model = MLP(2, [3, 1])
    X, Y = [[0.5, -1.0], [1.0, 2.0], [-0.5, 0.3]], [1.0, -1.0, 1.0]

    def loss_fn(x, y):
        return softplus(-y * model(x))

    model.zero_grad()
    eager = sum(loss_fn(x, y) for x, y in zip(X, Y)) / 3
    eager.backward()
    expected = [p.grad for p in model.parameters()]
    for backend in ("python", "numpy"):
        model.zero_grad()
        assert micrograd.compile(loss_fn, backend=backend)(X, Y) == pytest.approx(eager.data, rel=REL)
        assert [p.grad for p in model.parameters()] == pytest.approx(expected, rel=1e-10)


def test_apply_checks_its_operation_and_inputs():
    with pytest.raises(TypeError, match="apply\\(\\) expects an operation"):
        apply("exp", Value(1.0))
    with pytest.raises(ValueError, match="operation 'softplus' takes 1 input\\(s\\), got 2"):
        apply(SOFTPLUS, 1.0, 2.0)
    assert apply(SOFTPLUS, 0.0).data == math.log(2.0)


# --- PyTorch's scalar habits -------------------------------------------------------


def test_item_round_int_and_ordering_read_the_data():
    a, b, c = Value(1.5), Value(-2.0), Value(1.5)
    assert a.item() == 1.5 and type(a.item()) is float
    assert round(Value(2.567), 2) == 2.57 and round(Value(2.5)) == 2 and int(Value(-2.9)) == -2
    assert max(a, b) is a and min(a, b) is b and sorted([a, b]) == [b, a]
    assert a < 2 and 2 > a  # noqa: SIM300  (the reflected form is what is tested)
    assert b <= -2.0 and a >= c and not a > c
    with pytest.raises(TypeError, match="'<' not supported between instances of 'Value' and 'str'"):
        a < "x"  # noqa: B015


def test_ordering_compares_data_but_equality_is_identity():
    """``a <= c <= a`` holds, yet ``a == c`` is False: == asks 'the same node?'."""
    a, c = Value(1.5), Value(1.5)
    assert a <= c and c <= a and a != c and a == a
    assert len({a, c}) == 2
    with pytest.raises(TypeError, match="compare numbers with v.data == 1.5"):
        a == 1.5  # noqa: B015


def test_tracing_warns_when_a_comparison_reads_a_placeholder():
    step = micrograd.compile(lambda x: x * 2.0 if x > 0 else x.relu())
    with pytest.warns(TracingWarning, match="read the number of x"):
        step([1.0, 2.0])
    for read in (round, int, lambda v: v.item()):
        step = micrograd.compile(lambda x, read=read: x * (2.0 if read(x) >= 1 else 3.0))
        with pytest.warns(TracingWarning, match="read the number of x"):
            step([1.0, 1.25])


def test_jupyter_shows_a_picture_or_falls_back_to_text(monkeypatch):
    pytest.importorskip("graphviz")
    import shutil

    y = (Value(2.0, label="x") * 3.0).tanh()
    if shutil.which("dot"):
        assert y._repr_svg_().lstrip().startswith("<?xml") and "tanh" in y._repr_svg_()
    big = sum(Value(float(i)) for i in range(600))
    assert len(topological_order(big)) > 500 and big._repr_svg_() is None
    import micrograd.apps.viz as viz

    def broken(*args, **kwargs):
        raise RuntimeError("dot crashed")

    monkeypatch.setattr(viz, "draw_dot", broken)
    assert y._repr_svg_() is None  # never raises: Jupyter then shows repr(y)
