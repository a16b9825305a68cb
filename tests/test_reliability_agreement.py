"""Agreement at scale: thousands of random expression graphs per run, checked against
PyTorch, against the compiled code, against the unfused neuron and against gradcheck.

Each example draws a batch of programs (``tests/strategies.py``) so that one run checks
many graphs: GRAPHS_PER_EXAMPLE × the profile's ``max_examples`` (``ci``: 40 × 300 =
12,000 graphs; ``thorough``: 40 × 5,000 = 200,000; ``dev``: 4,000), less the 0.4% or
so in which sin or cos meets a number beyond 1e6 (see ``_periodic_of_a_huge_number``).
A failure names the first disagreeing program; Hypothesis then shrinks the batch.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, note
from hypothesis import strategies as st
from strategies import Program, agree, programs, run_micrograd, run_torch

import micrograd
from micrograd import MLP, Value, dot, grad, gradcheck
from micrograd.gradcheck import GradcheckError

GRAPHS_PER_EXAMPLE = 40


def _same(a: float, b: float) -> bool:
    """Bit for bit, with nan equal to nan."""
    return a == b or (math.isnan(a) and math.isnan(b))


def _first_derivative_problems(ours: dict, theirs: dict, rel: float) -> list[str]:
    scales = ours["scales"]
    problems = []
    if not agree(ours["value"], theirs["value"], rel, scales["value"]):
        problems.append(f"value {ours['value']!r} vs {theirs['value']!r}")
    for i, (a, b) in enumerate(zip(ours["grads"], theirs["grads"], strict=True)):
        if not agree(a, b, rel, scales["grads"][i]):
            problems.append(f"d/dx{i} {a!r} vs {b!r}")
    return problems


def _periodic_of_a_huge_number(program) -> bool:
    """True when sin or cos is applied to a number beyond 1e6 in magnitude. There one unit
    in the last place of the argument moves the result by about |x|·1e-16 relative:
    PyTorch's exp(40) is one unit below the correctly rounded value that ``math.exp``
    gives, and sin(exp(40)) then differs in the first digit. No tolerance on the result
    can tell that rounding apart from an error, so such graphs are not compared."""
    out = program.run([Value(v) for v in program.leaves])
    return any(n._op in ("sin", "cos") and abs(n._prev[0].data) > 1e6 for n in micrograd.topological_order(out))


@pytest.mark.torch
@given(st.lists(programs(), min_size=GRAPHS_PER_EXAMPLE, max_size=GRAPHS_PER_EXAMPLE))
def test_many_random_graphs_agree_with_pytorch_float64(batch):
    """Values and first derivatives equal PyTorch's to 1e-9 (nan and ±inf in the same places)."""
    import torch

    for program in batch:
        if _periodic_of_a_huge_number(program):
            continue
        problems = _first_derivative_problems(run_micrograd(program), run_torch(program, torch), 1e-9)
        assert not problems, f"{program!r}: {'; '.join(problems)}"


def test_the_comparison_can_fail():
    """The tolerance is tight enough to see a one-in-a-million error and nan against a number."""
    assert not agree(1.0, 1.0 + 1e-6)
    assert not agree(math.nan, 1.0) and not agree(math.inf, -math.inf)
    assert agree(math.nan, math.nan) and agree(1.0, 1.0 + 1e-13)


@pytest.mark.parametrize("backend", ["python", "numpy"])
@given(batch=st.lists(programs(), min_size=6, max_size=6), shift=st.sampled_from((0.0, 0.25, -1.5)))
def test_compiled_equals_eager_on_random_graphs(backend, batch, shift):
    """One trace serves several samples: leaf 0 is the data (the traced value and a moved
    one), the other leaves are captured parameters whose ``.grad`` must equal the eager
    gradient summed over the samples. The Python backend runs the very same float
    operations, so its outputs are bit for bit the eager ones."""
    if backend == "numpy":
        pytest.importorskip("numpy")
    for program in batch:
        note(repr(program))
        samples = [program.leaves[0], program.leaves[0] + shift]
        if backend == "numpy" and any(_periodic_of_a_huge_number(Program((x, *program.leaves[1:]), program.steps))
                                      for x in samples):
            continue  # NumPy's exp may differ from math.exp in the last place: see _periodic_of_a_huge_number
        params = [Value(v) for v in program.leaves[1:]]
        step = micrograd.compile(lambda x, params=params, program=program: program.run([x, *params]) * 1.0,
                                 backend=backend)
        outputs = step(samples, reduction="none")
        loss = step(samples, reduction="sum")
        eager = [run_micrograd(Program((s, *program.leaves[1:]), program.steps)) for s in samples]
        for got, reference in zip(outputs, eager, strict=True):
            if backend == "python":  # the very same float operations, in the same order
                assert _same(got, reference["value"]), (program, got, reference["value"])
            else:  # NumPy's exp, tanh and pow may differ from the C library's in the last place
                assert agree(got, reference["value"], 1e-12, reference["scales"]["value"]), (program, got)
        # the gradient is summed over the samples in a different order: rounding is measured
        # against the size of the terms
        total = sum(r["value"] for r in eager)
        assert agree(loss, total, 1e-12, max(r["scales"]["value"] for r in eager)), (program, loss, total)
        for i, p in enumerate(params, start=1):
            terms = [r["grads"][i] for r in eager]
            expected = sum(terms)
            if math.inf in terms and -math.inf in terms:
                # +inf and -inf from different samples: eager adds them (nan); the compiled step
                # may first sum what the samples share and multiply once (±inf), as PyTorch's
                # batched graph does. Both are IEEE results of a different order; only "not
                # finite" is the same outcome.
                assert not math.isfinite(p.grad), (program, i, p.grad, terms)
                continue
            scale = max(r["scales"]["grads"][i] for r in eager)
            assert agree(p.grad, expected, 1e-12, scale), (program, i, p.grad, expected)


def _scale_of(v: Value) -> float:
    return max((abs(n.data) for n in micrograd.topological_order(v) if math.isfinite(n.data)), default=0.0)


@given(
    batch=st.lists(programs(max_steps=6), min_size=5, max_size=5),
    weights=st.lists(st.floats(-2, 2), min_size=1, max_size=6),
    bias=st.floats(-2, 2),
)
def test_fused_dot_equals_the_unfused_sum_on_random_graphs(batch, weights, bias):
    """dot(w, x, b) over inputs computed by random graphs is the lecture's
    Σ wᵢ·xᵢ + b, bit for bit: value, and every leaf's gradient."""
    for program in batch:
        note(repr(program))
        results = []
        for fused in (True, False):
            leaves = [Value(v) for v in program.leaves]
            ws, b = [Value(w) for w in weights], Value(bias)
            x = [program.run(leaves) if k % 2 == 0 else program.run(leaves).tanh() for k in range(len(ws))]
            out = dot(ws, x, b) if fused else sum((w * xi for w, xi in zip(ws, x)), b)
            out.backward()
            results.append([out.data] + [v.grad for v in (*leaves, *ws, b)])
        assert all(map(_same, *results)), (program, results)


@given(
    sizes=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    nin=st.integers(1, 4),
    activation=st.sampled_from(("relu", "tanh", "sigmoid", "linear")),
    output=st.sampled_from(("relu", "tanh", "sigmoid", "linear")),
    seed=st.integers(0, 2**32 - 1),
    rows=st.lists(st.lists(st.sampled_from((0.0, -0.0, 1.0, -1.0, 1e-8, 3.5, -20.0, 1e300)), min_size=4, max_size=4),
                  min_size=1, max_size=3),
)
def test_fused_mlp_equals_unfused_mlp_bit_for_bit(sizes, nin, activation, output, seed, rows):
    """MLP(fused=True) and MLP(fused=False) with the same weights: the same outputs and
    the same gradients, to the last bit, edge values included."""
    models = [MLP(nin, sizes, activation=activation, output_activation=output, fused=f, rng=random.Random(seed))
              for f in (True, False)]
    results = []
    for model in models:
        total = Value(0.0)
        outputs = []
        for row in rows:
            out = model(row[:nin])
            out = out if isinstance(out, list) else [out]
            outputs += [o.data for o in out]
            total = total + sum(o * o for o in out)
        total.backward()
        results.append(outputs + [p.grad for p in model.parameters()])
    assert len(results[0]) == len(results[1])
    assert all(map(_same, *results)), results


def _smooth_here(program, xs) -> bool:
    """True where central, left and right differences agree: no kink or domain edge near."""
    out = program.run(xs)
    if not math.isfinite(out.data) or abs(out.data) > 1e6:
        return False
    if not all(math.isfinite(g) and abs(g) < 1e4 for g in grad(out, xs)):
        return False
    eps = 1e-6
    for i in range(len(xs)):
        plus, minus, here = (
            program.run([Value(v + s if j == i else v) for j, v in enumerate(program.leaves)]).data
            for s in (eps, -eps, 0.0)
        )
        right, left = (plus - here) / eps, (here - minus) / eps
        if not (math.isfinite(right) and math.isfinite(left)) or abs(right - left) > 1e-4 * (1 + abs(right)):
            return False
    return True


@given(st.lists(programs(max_steps=6), min_size=6, max_size=6))
def test_gradcheck_accepts_random_graphs_where_they_are_smooth(batch):
    for program in batch:
        xs = [Value(v) for v in program.leaves]
        if not _smooth_here(program, xs):
            continue
        assert gradcheck(lambda *v, program=program: program.run(list(v)), xs, rtol=1e-3, atol=1e-4), program


@given(st.lists(programs(max_steps=6), min_size=6, max_size=6))
def test_gradcheck_rejects_random_graphs_whose_gradient_was_cut(batch):
    """A graph cut by reading ``.data`` (the gradient is then 0) fails gradcheck
    wherever its true derivative is clearly not zero."""
    for program in batch:
        xs = [Value(v) for v in program.leaves]
        if not _smooth_here(program, xs):
            continue
        true = grad(program.run(xs), xs)
        if max(abs(g) for g in true) < 1e-2:
            continue

        def cut(*v, program=program):
            return Value(program.run(list(v)).data) * 1.0 + 0.0 * v[0]

        with pytest.raises(GradcheckError, match="disagree with central differences"):
            gradcheck(cut, xs)
