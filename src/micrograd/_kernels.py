"""What ``backward()`` runs for the built-in operations: their rules, written out as Python.

Each function is the rule of one operation in :mod:`micrograd.ops`, run once on symbols
and written down (``forward_tanh`` computes what ``TANH.forward`` computes, bit for bit).
Written by ``python -m micrograd.compiler.kernels``; do not edit: ``tests/test_kernels.py``
writes it again and fails on any difference.
"""

from math import inf, nan  # noqa: F401

import micrograd.ops as ops

div = ops.FloatMath.div
pow = ops.FloatMath.pow
exp = ops.FloatMath.exp
log = ops.FloatMath.log
log1p = ops.FloatMath.log1p
expm1 = ops.FloatMath.expm1
sqrt = ops.FloatMath.sqrt
tanh = ops.FloatMath.tanh
sin = ops.FloatMath.sin
cos = ops.FloatMath.cos
sign = ops.FloatMath.sign


def forward_add(parents):  # a + b
    p0, p1 = parents
    return p0.data + p1.data


def backward_add(node):  # ∂/∂a = 1, ∂/∂b = 1
    g = node.grad
    p0, p1 = node._p0, node._p1
    p0.grad += g
    p1.grad += g


def forward_sub(parents):  # a - b
    p0, p1 = parents
    return p0.data - p1.data


def backward_sub(node):  # ∂/∂a = 1, ∂/∂b = -1
    g = node.grad
    p0, p1 = node._p0, node._p1
    p0.grad += g
    p1.grad += -g


def forward_mul(parents):  # a · b
    p0, p1 = parents
    return p0.data * p1.data


def backward_mul(node):  # ∂/∂a = b, ∂/∂b = a
    g = node.grad
    p0, p1 = node._p0, node._p1
    p0.grad += g * p1.data
    p1.grad += g * p0.data


def forward_div(parents):  # a / b
    p0, p1 = parents
    return div(p0.data, p1.data)


def backward_div(node):  # ∂/∂a = 1/b, ∂/∂b = -a/b²
    g = node.grad
    p0, p1 = node._p0, node._p1
    p0.grad += div(g, p1.data)
    p1.grad += -g * div(div(p0.data, p1.data), p1.data)


def forward_neg(parents):  # -x
    (p0,) = parents
    return -p0.data


def backward_neg(node):  # ∂/∂x = -1
    g = node.grad
    p0 = node._p0
    p0.grad += -g


def forward_pow(parents):  # a ** b
    p0, p1 = parents
    return pow(p0.data, p1.data)


def backward_pow(node):  # ∂/∂a = b·a^(b-1), ∂/∂b = a^b·ln a (0 where a = 0, b ≥ 0)
    g = node.grad
    out = node.data
    p0, p1 = node._p0, node._p1
    p0.grad += 0.0 if p1.data == 0.0 else g * (p1.data * pow(p0.data, p1.data - 1.0))
    p1.grad += g * (0.0 if p0.data == 0.0 and p1.data >= 0.0 else out * log(p0.data))


def forward_exp(parents):  # e^x
    (p0,) = parents
    return exp(p0.data)


def backward_exp(node):  # ∂/∂x = e^x (the output itself)
    g = node.grad
    out = node.data
    p0 = node._p0
    p0.grad += g * out


def forward_log(parents):  # ln x
    (p0,) = parents
    return log(p0.data)


def backward_log(node):  # ∂/∂x = 1/x
    g = node.grad
    p0 = node._p0
    p0.grad += div(g, p0.data)


def forward_sqrt(parents):  # √x
    (p0,) = parents
    return sqrt(p0.data)


def backward_sqrt(node):  # ∂/∂x = 1 / (2√x)
    g = node.grad
    out = node.data
    p0 = node._p0
    p0.grad += div(g, 2.0 * out)


def forward_tanh(parents):  # tanh x
    (p0,) = parents
    return tanh(p0.data)


def backward_tanh(node):  # ∂/∂x = 1 - tanh²x
    g = node.grad
    out = node.data
    p0 = node._p0
    p0.grad += g * (1.0 - out * out)


def forward_sigmoid(parents):  # σ(x) = 1 / (1 + e^-x)
    (p0,) = parents
    return div(1.0, 1.0 + exp(-p0.data))


def backward_sigmoid(node):  # ∂/∂x = σ(x)·(1 - σ(x))
    g = node.grad
    out = node.data
    p0 = node._p0
    p0.grad += g * (1.0 - out) * out


def forward_relu(parents):  # max(0, x)
    (p0,) = parents
    return 0.0 if p0.data < 0.0 else p0.data


def backward_relu(node):  # ∂/∂x = 1 if x > 0 else 0 (the subgradient 0 at x = 0)
    g = node.grad
    out = node.data
    p0 = node._p0
    p0.grad += 0.0 * out if out <= 0.0 else g


def forward_abs(parents):  # |x|
    (p0,) = parents
    return abs(p0.data)


def backward_abs(node):  # ∂/∂x = sign(x) (the subgradient 0 at x = 0)
    g = node.grad
    p0 = node._p0
    p0.grad += g * sign(p0.data)


def forward_sin(parents):  # sin x
    (p0,) = parents
    return sin(p0.data)


def backward_sin(node):  # ∂/∂x = cos x
    g = node.grad
    p0 = node._p0
    p0.grad += g * cos(p0.data)


def forward_cos(parents):  # cos x
    (p0,) = parents
    return cos(p0.data)


def backward_cos(node):  # ∂/∂x = -sin x
    g = node.grad
    p0 = node._p0
    p0.grad += g * -sin(p0.data)


def forward_log1p(parents):  # ln(1 + x)
    (p0,) = parents
    return log1p(p0.data)


def backward_log1p(node):  # ∂/∂x = 1 / (x + 1)
    g = node.grad
    p0 = node._p0
    p0.grad += div(g, p0.data + 1.0)


def forward_expm1(parents):  # e^x - 1
    (p0,) = parents
    return expm1(p0.data)


def backward_expm1(node):  # ∂/∂x = e^x (the output + 1)
    g = node.grad
    out = node.data
    p0 = node._p0
    p0.grad += g * (out + 1.0)


def forward_dot(parents):  # w·x + b = b + w₁x₁ + … + wₙxₙ, summed left to right
    n = len(parents) // 2
    total = parents[-1].data
    for w, x in zip(parents, parents[n:-1]):
        total = total + w.data * x.data
    return total


def backward_dot(node):  # ∂/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ, ∂/∂b = 1
    g = node.grad
    parents = node._prev
    n = len(parents) // 2
    for w, x in zip(parents, parents[n:-1]):
        w.grad += g * x.data
        x.grad += g * w.data
    parents[-1].grad += g


FORWARD = {
    ops.ADD: forward_add,
    ops.SUB: forward_sub,
    ops.MUL: forward_mul,
    ops.DIV: forward_div,
    ops.NEG: forward_neg,
    ops.POW: forward_pow,
    ops.EXP: forward_exp,
    ops.LOG: forward_log,
    ops.SQRT: forward_sqrt,
    ops.TANH: forward_tanh,
    ops.SIGMOID: forward_sigmoid,
    ops.RELU: forward_relu,
    ops.ABS: forward_abs,
    ops.SIN: forward_sin,
    ops.COS: forward_cos,
    ops.LOG1P: forward_log1p,
    ops.EXPM1: forward_expm1,
    ops.DOT: forward_dot,
}
"""Each built-in op's ``forward(parents)``: the output's float from the parents' ``.data``."""

BACKWARD = {
    ops.ADD: backward_add,
    ops.SUB: backward_sub,
    ops.MUL: backward_mul,
    ops.DIV: backward_div,
    ops.NEG: backward_neg,
    ops.POW: backward_pow,
    ops.EXP: backward_exp,
    ops.LOG: backward_log,
    ops.SQRT: backward_sqrt,
    ops.TANH: backward_tanh,
    ops.SIGMOID: backward_sigmoid,
    ops.RELU: backward_relu,
    ops.ABS: backward_abs,
    ops.SIN: backward_sin,
    ops.COS: backward_cos,
    ops.LOG1P: backward_log1p,
    ops.EXPM1: backward_expm1,
    ops.DOT: backward_dot,
}
"""Each built-in op's ``backward(node)``: adds ``node.grad · ∂node/∂parent`` to its parents' ``.grad``."""
