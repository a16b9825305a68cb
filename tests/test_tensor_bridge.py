"""The bridge to Values: every tensor op unrolled into scalar Values gives the tensor's numbers and
gradients (the scalar engine is the reference a learner trusts), and Values gathered into a tensor
receive its gradient."""

from __future__ import annotations

import pytest

np = pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')
from tensor_optable import TENSOR_OP_TABLE, differentiable_run, upstream  # noqa: E402

from micrograd import topological_order  # noqa: E402
from micrograd.engine import Value  # noqa: E402
from micrograd.tensor import Tensor, cross_entropy, from_values, to_values, unroll  # noqa: E402

CASES = [c for c in TENSOR_OP_TABLE if any(spec[0] == "f" for spec in c.inputs) and "float32" not in c.name]
TOLERANCE = 1e-13
"""Relative to the largest element: an unrolled sum adds left to right where NumPy adds pairwise and
BLAS in blocks, and math's exp/tanh/pow may differ from NumPy's in the last bit."""


LOOSER = {"softmax(1)large": 1e-10}
"""softmax(400·x) unrolled into exp, + and / nodes: its gradient is a difference of terms 400 times the
size of the result, so their last-bit rounding is 1e-11 of it (measured 6.9e-12)."""


def _array(nested):
    return np.array(nested.data if isinstance(nested, Value) else
                    np.vectorize(lambda v: v.data, otypes=[float])(np.array(nested, dtype=object)))  # fmt: skip


def _grads(nested):
    return np.vectorize(lambda v: v.grad, otypes=[float])(np.array(nested, dtype=object))


def _close(a, b, tolerance=TOLERANCE):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    finite = np.isfinite(b)
    assert np.array_equal(np.isnan(a), np.isnan(b)) and np.array_equal(a[~finite & ~np.isnan(b)],
                                                                      b[~finite & ~np.isnan(b)])  # fmt: skip
    scale = np.max(np.abs(b[finite]), initial=1e-300)
    assert np.all(np.abs(a[finite] - b[finite]) <= tolerance * scale), np.max(np.abs(a[finite] - b[finite])) / scale


@pytest.mark.parametrize("fused", [True, False], ids=["dot", "lecture"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_unrolled_graph_has_the_tensors_numbers_and_gradients(case, fused):
    run = differentiable_run(case)
    if run is None:
        return
    _, xs, out = run
    G = upstream(case, out.shape)
    out.backward(G)
    names = {f"x{k}": x for k, x in enumerate(xs) if x.grad is not None}  # where's condition is not in the graph
    values, leaves = unroll(out, names, fused=fused)
    _close(_array(values), out.data)
    terms = [g * v for g, v in zip(G.ravel().tolist(), np.array(values, dtype=object).ravel())]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    total.backward()
    for name, x in names.items():
        _close(_grads(leaves[name]), x.grad, LOOSER.get(case.name, TOLERANCE))


def test_a_layer_becomes_its_neurons():
    x = Tensor([[1.0, -2.0, 0.5]])
    W = Tensor(np.arange(6.0).reshape(3, 2) / 10, requires_grad=True)
    out = (x @ W).tanh()
    fused = topological_order(to_values(out)[0])
    assert [v._op for v in fused if v._prev] == ["dot", "tanh", "dot", "tanh"]
    chained, _ = unroll(out, {"W": W}, fused=False)
    ops = [v._op for v in topological_order(chained[0]) if v._prev]
    assert sorted(ops) == sorted(["*"] * 6 + ["+"] * 4 + ["tanh"] * 2)
    assert out.to_values()[0][1].data == pytest.approx(out.data[0, 1], rel=1e-15)


def test_a_layer_with_a_bias_becomes_the_lectures_neurons():
    x = Tensor([[1.0, -2.0, 0.5]])
    W = Tensor(np.arange(6.0).reshape(3, 2) / 10, requires_grad=True)
    b = Tensor([0.3, -0.1], requires_grad=True)
    out = (x @ W + b).tanh()
    value, leaves = unroll(out.sum(), {"W": W, "b": b})
    neurons = [v for v in topological_order(value) if v._op == "dot"]
    assert len(neurons) == 2 and [n._prev[-1] for n in neurons] == leaves["b"]  # each bias inside its neuron
    assert "+" not in [v._op for v in topological_order(value) if v._prev][:-1]
    value.backward()
    out.sum().backward()
    np.testing.assert_allclose(_grads(leaves["b"]), b.grad, rtol=1e-15)
    shared = x @ W  # used twice: not fused, a dot and a + each
    value = unroll((shared + b).sum() + shared.sum())[0]
    assert sum(v._op == "dot" for v in topological_order(value)) == 2


def test_unrolled_leaves_are_labelled_by_name_and_index():
    W = Tensor(np.ones((2, 2)), requires_grad=True)
    _, leaves = unroll((W * 2.0).sum(), {"W": W})
    assert [[v.label for v in row] for row in leaves["W"]] == [["W[0,0]", "W[0,1]"], ["W[1,0]", "W[1,1]"]]


def test_an_unrolled_graph_can_be_drawn():
    pytest.importorskip("graphviz")
    from micrograd.apps.viz import draw_dot

    W = Tensor([[0.5, -1.0]], requires_grad=True)
    x = Tensor([[2.0], [1.0]])
    loss = (W @ x).tanh().sum()
    value, _ = unroll(loss, {"W": W, "x": x})
    value.backward()
    source = draw_dot(value).source
    assert "W[0,1]" in source and "tanh" in source and "w·x + b" in source


def test_a_graph_too_large_to_unroll_is_refused():
    big = Tensor(np.ones((200, 200)), requires_grad=True)
    with pytest.raises(ValueError, match=r"to_values would make about \d+ Values \(more than max_values=100000\)"):
        to_values((big @ big).sum())


def test_values_gathered_into_a_tensor_receive_its_gradient():
    a, b = Value(2.0, label="a"), Value(-1.0, label="b")
    logits = from_values([[a * b, a + b, b.tanh()]])
    assert logits.shape == (1, 3) and logits.requires_grad
    loss = cross_entropy(logits, [1])
    loss.backward()
    scalar_a, scalar_b = Value(2.0), Value(-1.0)
    row = [scalar_a * scalar_b, scalar_a + scalar_b, scalar_b.tanh()]
    top = max(v.data for v in row)
    scalar_loss = -(row[1] - top - sum(((v - top).exp() for v in row), Value(0.0)).log())
    scalar_loss.backward()
    assert a.grad == pytest.approx(scalar_a.grad, rel=1e-14)
    assert b.grad == pytest.approx(scalar_b.grad, rel=1e-14)
    np.testing.assert_allclose(loss.item(), scalar_loss.data, rtol=1e-15)
