"""Each tensor operation's gradient equals the scalar engine's on the same numbers.

The scalar engine is the reference a learner already trusts: here every element is a
``Value`` (held in a NumPy object array, so indexing, broadcasting and ``@`` build the
scalar graph), the same upstream gradient G flows in through Σ G·out, and the leaves'
grads are compared with the tensor's. Elementwise ops without broadcasting run the very
same rule on floats and on arrays, so where the arithmetic is correctly rounded in both
(+ − × ÷, √, |x|, relu, the x·x forms of powers) they must agree bit for bit. exp, tanh,
pow, ... come from NumPy's vectorised library on arrays and from the C library on floats,
which may differ in the last bit, so those agree within 1e-15 relative (about 4 ulps). Where the
tensor sums (broadcast gradients, reductions, matrix products) the order of additions may
differ, so those agree within 1e-13 of the terms' size.
"""

from __future__ import annotations

import math

import pytest

np = pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')

from micrograd.engine import Value  # noqa: E402
from micrograd.ops import OPS, FloatMath  # noqa: E402
from micrograd.tensor import Tensor, cat, cross_entropy, log_softmax, softmax, stack  # noqa: E402

RNG = np.random.default_rng(20261201)
ANY = (-2.0, 2.0)
POSITIVE = (0.2, 3.0)


def values(array: np.ndarray) -> np.ndarray:
    flat = [Value(float(v)) for v in array.ravel()]
    holder = np.empty(len(flat), dtype=object)
    holder[:] = flat
    return holder.reshape(array.shape)


def scalar_grads(fn, arrays, upstream):
    leaves = [values(a) for a in arrays]
    out = np.asarray(fn(*leaves), dtype=object)
    terms = [g * o for g, o in zip(upstream.ravel().tolist(), out.ravel())]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    total.backward()
    result = np.array([[o.data for o in out.ravel()]]).reshape(out.shape)
    return result, [np.array([v.grad for v in leaf.ravel()]).reshape(leaf.shape) for leaf in leaves]


def tensor_grads(fn, arrays, upstream):
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    out.backward(upstream)
    return out.data, [x.grad for x in xs]


TRANSCENDENTAL = 1e-15
SUMS = 1e-13
CORRECTLY_ROUNDED = {"neg", "sqrt", "abs", "ReLU", "+", "-", "*", "/"}
EXACT_POWERS = {2, 3, -1, 0.5, 0}  # x·x, x·x·x, 1/x, √x forms, forward and backward


def agree(tensor_fn, scalar_fn, arrays, exact, rtol=SUMS):
    shape = np.shape(tensor_fn(*[Tensor(a) for a in arrays]).data)
    upstream = RNG.uniform(-1.0, 1.0, size=shape)
    ours_value, ours = tensor_grads(tensor_fn, arrays, upstream)
    ref_value, ref = scalar_grads(scalar_fn, arrays, upstream)
    for got, want in [(ours_value, ref_value), *zip(ours, ref)]:
        if exact:
            np.testing.assert_array_equal(got, want)
        else:
            scale = np.max(np.abs(np.where(np.isfinite(want), want, 0.0)), initial=1.0)
            np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)


def uniform(shape, domain):
    return RNG.uniform(*domain, size=shape)


def scalar_op(op):
    """The scalar engine's node for ``op``: the Value method or operator a learner would write,
    or a node made by hand (``Value(data, children, op)``) for an op without one."""
    name = op.lower()
    if op.arity == 1 and op.isidentifier() and hasattr(Value, name):
        return lambda v: getattr(v, name)()
    if op == "neg":
        return lambda v: -v
    if op in OPERATORS:
        return OPERATORS[op]
    return lambda *vs: Value(op.forward(FloatMath, *[v.data for v in vs]), vs, op)


ONE_INPUT = [op for op in OPS.values() if op.arity == 1]
TWO_INPUTS = [op for op in OPS.values() if op.arity == 2]


@pytest.mark.parametrize("domain", [ANY, POSITIVE], ids=["any", "positive"])
@pytest.mark.parametrize("op", ONE_INPUT, ids=str)
def test_every_one_input_op_of_the_registry(op, domain):
    by_element = np.frompyfunc(scalar_op(op), 1, 1)
    agree(lambda x: getattr(x, op.lower())() if op.isidentifier() else -x, by_element, [uniform((3, 4), domain)],
          op in CORRECTLY_ROUNDED, TRANSCENDENTAL)  # fmt: skip


@pytest.mark.parametrize("exponent", [2, 3, -1, 0.5, -0.5, -2, 1.5, 0, 4])
def test_powers_with_a_constant(exponent):
    agree(lambda x: x**exponent, np.frompyfunc(lambda v: v**exponent, 1, 1), [uniform(5, POSITIVE)],
          exponent in EXACT_POWERS, TRANSCENDENTAL)  # fmt: skip


BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (2, 3))]
OPERATORS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
             "**": lambda a, b: a**b}  # fmt: skip


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("op", TWO_INPUTS, ids=str)
def test_every_two_input_op_of_the_registry_with_broadcasting(op, shapes):
    by_element = np.frompyfunc(scalar_op(op), 2, 1)
    tensor_fn = OPERATORS.get(op) or (lambda a, b: getattr(a, op.lower())(b))
    arrays = [uniform(s, POSITIVE) for s in shapes]
    same_shape = shapes[0] == shapes[1]
    agree(tensor_fn, by_element, arrays, same_shape and op in CORRECTLY_ROUNDED, TRANSCENDENTAL if same_shape else SUMS)


def _row_softmax(row, log):
    top = max(v.data for v in row)
    shifted = [v - top for v in row]
    exps = [s.exp() for s in shifted]
    total = exps[0]
    for e in exps[1:]:
        total = total + e
    return [s - total.log() for s in shifted] if log else [e / total for e in exps]


def _rows(fn, x, log):
    return np.array([_row_softmax(list(row), log) for row in x], dtype=object)


def _scalar_sum(items):
    items = list(items)
    total = items[0]
    for v in items[1:]:
        total = total + v
    return total


def _scalar_var(x, axis):
    n = x.shape[axis]
    moved = np.moveaxis(x, axis, -1)
    out = []
    for row in moved.reshape(-1, n):
        mean = _scalar_sum(row) / n
        out.append(_scalar_sum([(v - mean) ** 2 for v in row]) / (n - 1))
    return np.array(out, dtype=object).reshape(moved.shape[:-1])


TARGETS = np.array([2, 0, 3, 3])
INDEX = np.array([0, 2, 2, 1])

ARRAY_CASES = [
    ("matmul", lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4, 2)]),
    ("batched matmul", lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3, 4), (4, 2)]),
    ("sum(1)", lambda x: x.sum(1), lambda x: x.sum(axis=1), [(3, 4)]),
    ("sum()", lambda x: x.sum(), lambda x: x.sum(), [(3, 4)]),
    ("mean(0)", lambda x: x.mean(0), lambda x: x.sum(axis=0) / 3, [(3, 4)]),
    ("var(1)", lambda x: x.var(1), lambda x: _scalar_var(x, 1), [(3, 4)]),
    ("max(1)", lambda x: x.max(1).values,
     lambda x: np.array([row[int(np.argmax([v.data for v in row]))] for row in x], dtype=object), [(3, 4)]),
    ("index", lambda x: x[INDEX], lambda x: x[INDEX], [(3, 2)]),
    ("x[arange, y]", lambda x: x[np.arange(4), TARGETS], lambda x: x[np.arange(4), TARGETS], [(4, 5)]),
    ("reshape+T", lambda x: x.reshape(4, 3).T * 2.0, lambda x: x.reshape(4, 3).T * 2.0, [(3, 4)]),
    ("cat", lambda a, b: cat([a, b], 1), lambda a, b: np.concatenate([a, b], 1), [(2, 3), (2, 2)]),
    ("stack", lambda a, b: stack([a, b], 1), lambda a, b: np.stack([a, b], 1), [(2, 3), (2, 3)]),
    ("softmax", lambda x: softmax(x, 1), lambda x: _rows(None, x, False), [(3, 5)]),
    ("log_softmax", lambda x: log_softmax(x, 1), lambda x: _rows(None, x, True), [(3, 5)]),
    ("cross_entropy", lambda x: cross_entropy(x, TARGETS),
     lambda x: -_scalar_sum(_rows(None, x, True)[np.arange(4), TARGETS]) / 4, [(4, 5)]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "tensor_fn", "scalar_fn", "shapes"), ARRAY_CASES, ids=[c[0] for c in ARRAY_CASES])
def test_array_ops(name, tensor_fn, scalar_fn, shapes):
    agree(tensor_fn, scalar_fn, [uniform(s, ANY) for s in shapes], exact=False)


def test_agreement_is_checked_for_real():
    """A wrong tensor result must be caught (the comparison is not vacuous)."""
    with pytest.raises(AssertionError):
        agree(lambda x: x * 2.0, lambda x: x * (2.0 + 1e-12), [uniform(3, ANY)], exact=False)
    with pytest.raises(AssertionError):
        agree(lambda x: x * 2.0, lambda x: x * (2.0 + 1e-15), [uniform(3, ANY)], exact=True)
    assert not math.isnan(uniform(1, ANY)[0])
