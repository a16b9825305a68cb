"""The original micrograd's two engine tests and the lecture's cells, typed as a user types
them (``from micrograd.engine import Value``, ``c += ...``), checked against PyTorch float64."""

from __future__ import annotations

import math

import pytest

from micrograd.engine import Value

REL = 1e-12


def test_sanity_check(torch_module):
    torch = torch_module
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xmg, ymg = x, y

    x = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xpt, ypt = x, y

    assert ymg.data == pytest.approx(ypt.data.item(), rel=REL)
    assert xmg.grad == pytest.approx(xpt.grad.item(), rel=REL)


def test_more_ops(torch_module):
    torch = torch_module
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    amg, bmg, gmg = a, b, g

    a = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()

    assert gmg.data == pytest.approx(g.data.item(), rel=REL)
    assert amg.grad == pytest.approx(a.grad.item(), rel=REL)
    assert bmg.grad == pytest.approx(b.grad.item(), rel=REL)


def test_the_lectures_cells():
    """Lecture cells: labels, the manual chain rule, a neuron, its backward by hand and by backward()."""
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
    assert (L.data, L._op, [p.label for p in L._prev]) == (-8.0, "*", ["d", "f"])
    L.backward()
    assert (a.grad, b.grad, c.grad, f.grad) == (6.0, -4.0, -2.0, 4.0)
    # one step of gradient ascent, as the lecture nudges the leaves
    for leaf in (a, b, c, f):
        leaf.data += 0.01 * leaf.grad
    e, d = a * b, a * b + c
    assert (d * f).data > -8.0

    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.grad = 1.0
    o._backward()
    n._backward()
    assert n.grad == pytest.approx(0.5, rel=1e-12) and o.data == pytest.approx(math.sqrt(0.5), rel=1e-12)
    for v in (x1, x2, w1, w2, b, n, o):
        v.grad = 0.0
    o.backward()
    assert (x1.grad, w1.grad) == pytest.approx((-1.5, 1.0), rel=1e-12)
    # the lecture's tanh spelled out: exp, pow, subtraction and division
    e = (2 * n).exp()
    o2 = (e - 1) / (e + 1)
    assert o2.data == pytest.approx(o.data, rel=1e-12)
