"""Property tests for tensors: random broadcastable shapes and random expression graphs against
PyTorch float64.

Example counts come from the Hypothesis profile (``ci``: 300 per test; see conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest

np = pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import mutually_broadcastable_shapes  # noqa: E402
from strategies import BINARY  # noqa: E402
from tensor_optable import relative, ulps  # noqa: E402
from tensor_strategies import programs, run_both  # noqa: E402

from micrograd.tensor import Tensor  # noqa: E402

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")
pytestmark = pytest.mark.torch



def _pair(ours: tuple[Tensor, ...], theirs: tuple[Any, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each input's gradient from both libraries."""
    return [(a.grad, b.grad.numpy()) for a, b in zip(ours, theirs)]


@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4),
    op=st.sampled_from(sorted(BINARY)),
    seed=st.integers(0, 2**32 - 1),
)
def test_binary_ops_broadcast_as_pytorch(shapes, op, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(0.2, 2.0, size=s) for s in shapes.input_shapes]
    ours = tuple(Tensor(a, requires_grad=True) for a in arrays)
    theirs = tuple(torch.tensor(a, requires_grad=True) for a in arrays)
    out, ref = BINARY[op](*ours), BINARY[op](*theirs)
    g = rng.uniform(-1.0, 1.0, size=shapes.result_shape)
    out.backward(g)
    ref.backward(torch.tensor(g))
    assert out.shape == tuple(ref.shape) == shapes.result_shape
    assert ulps(out.data, ref.detach().numpy()) <= (0 if op != "pow" else 2)
    # A broadcast input's gradient is a sum of terms g·∂out/∂x whose order of addition may
    # differ: its error is bounded by the sum of the terms' sizes, Σ|terms| (PyTorch's, unsummed).
    unsummed = [torch.tensor(np.broadcast_to(a, shapes.result_shape).copy(), requires_grad=True) for a in arrays]
    BINARY[op](*unsummed).backward(torch.tensor(g))
    for (a, b), terms, shape in zip(_pair(ours, theirs), unsummed, shapes.input_shapes):
        size = terms.grad.abs().sum_to_size(shape).numpy() if shape else terms.grad.abs().sum().numpy()
        assert a.shape == b.shape
        assert np.all(np.abs(a - b) <= 1e-13 * size), (a, b, size)


# --- random expression graphs ----------------------------------------------------------------

GRAPH_TOLERANCE = 1e-9
"""Relative to the largest element, as the scalar engine's random graphs use: a random graph can be
ill-conditioned (dividing by a log-softmax of -5e-5 magnifies its last-bit rounding 1e4 times), and
the last bit of each op is the op table's business."""


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)):
        return False
    finite = np.isfinite(b)
    if not np.array_equal(a[~finite], b[~finite], equal_nan=True):
        return False
    scale = np.max(np.abs(b[finite]), initial=1.0)
    return bool(np.all(np.abs(a[finite] - b[finite]) <= GRAPH_TOLERANCE * scale))


@given(programs())
def test_random_graphs_match_pytorch(program):
    run = run_both(program, torch)
    rng, ours, theirs, out, ref = run.rng, run.ours, run.theirs, run.out, run.ref
    assert _close(out.data, ref.detach().numpy())
    if out.requires_grad:
        g = rng.uniform(-1.0, 1.0, size=out.shape)
        out.backward(g)
        ref.backward(torch.tensor(g))
        for a, b in zip(ours, theirs):
            if b.grad is None:
                assert a.grad is None or not a.grad.any()
            else:
                assert a.grad is not None and _close(a.grad, b.grad.numpy())


# --- reductions, shapes and indexing over random shapes and dims ---------------------------------

DIM_OPS = {
    "sum": lambda x, d, k: x.sum(d, keepdim=k),
    "mean": lambda x, d, k: x.mean(d, keepdim=k),
    "var": lambda x, d, k: x.var(d, keepdim=k),
    "std": lambda x, d, k: x.std(d, keepdim=k),
    "amax": lambda x, d, k: x.amax(d, keepdim=k),
    "amin": lambda x, d, k: x.amin(d, keepdim=k),
    "max": lambda x, d, k: x.max(d, keepdim=k)[0],
    "min": lambda x, d, k: x.min(d, keepdim=k)[0],
    "softmax": lambda x, d, k: x.softmax(d),
    "log_softmax": lambda x, d, k: x.log_softmax(d),
    "transpose": lambda x, d, k: x.transpose(d, -1),
    "unsqueeze": lambda x, d, k: x.unsqueeze(d),
    "flatten": lambda x, d, k: x.flatten(d),
    "index": lambda x, d, k: x[(slice(None),) * d + (slice(None, None, 2),)],
}


@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple),
    op=st.sampled_from(sorted(DIM_OPS)),
    dim=st.integers(-4, 3),
    keepdim=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_ops_along_a_dim_match_pytorch(shape, op, dim, keepdim, seed):
    dim = dim % len(shape)
    if op in ("var", "std") and shape[dim] == 1:
        dim = None  # one element: PyTorch's unbiased estimate divides by 0 (covered in the op table)
        if int(np.prod(shape)) == 1:
            return
    rng = np.random.default_rng(seed)
    array = rng.uniform(-2.0, 2.0, size=shape)
    ours, theirs = Tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    out, ref = DIM_OPS[op](ours, dim, keepdim), DIM_OPS[op](theirs, dim, keepdim)
    assert out.shape == tuple(ref.shape)
    assert relative(out.data, ref.detach().numpy()) <= 1e-13
    g = rng.uniform(-1.0, 1.0, size=out.shape)
    out.backward(g)
    ref.backward(torch.tensor(g))
    assert relative(ours.grad, theirs.grad.numpy()) <= 1e-13
