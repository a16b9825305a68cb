"""Every tensor operation against PyTorch float64: values and gradients, on the shapes of the
op table (broadcasting on every binary op), from the stored reference and from live PyTorch;
and each op's gradient against central differences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

np = pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')
from tensor_optable import (  # noqa: E402
    TENSOR_OP_TABLE,
    check,
    differences,
    differentiable_run,
    evaluate_ours,
    evaluate_torch,
    stored_arrays,
    upstream,
)

import micrograd.tensor as mt  # noqa: E402
from micrograd.tensor import Tensor  # noqa: E402

REFERENCE = json.loads((Path(__file__).parent / "reference" / "torch_tensor_float64.json").read_text())["cases"]
IDS = [case.name for case in TENSOR_OP_TABLE]



@pytest.mark.parametrize("case", TENSOR_OP_TABLE, ids=IDS)
def test_against_stored_reference(case):
    assert case.name in REFERENCE, f"{case.name} has no stored numbers: run tests/reference/make_tensor_reference.py"
    check(case, differences(evaluate_ours(case), stored_arrays(REFERENCE[case.name])))


@pytest.mark.torch
@pytest.mark.parametrize("case", TENSOR_OP_TABLE, ids=IDS)
def test_against_live_pytorch(case, torch_module):
    check(case, differences(evaluate_ours(case), evaluate_torch(case, torch_module)))


def test_stored_reference_has_no_stale_cases():
    assert set(REFERENCE) == set(IDS)


# --- gradcheck: each op's gradient against central differences -------------------------------

# Ties (max, amax of equal elements) are kinks, where the one-sided slopes differ from the shared
# gradient; nan has no slope; float32 steps of 1e-6 are rounding noise.
DIFFERENTIABLE = [c for c in TENSOR_OP_TABLE if any(spec[0] == "f" for spec in c.inputs)
                  and not any(word in c.name for word in ("ties", "nan", "float32"))]  # fmt: skip


@pytest.mark.parametrize("case", DIFFERENTIABLE, ids=[c.name for c in DIFFERENTIABLE])
def test_gradcheck(case):
    """⟨∇f, v⟩ = (f(x + εv) - f(x - εv)) / 2ε for a random direction v, f = Σ G·out."""
    run = differentiable_run(case)
    if run is None:
        return
    arrays, xs, out = run
    G = upstream(case, out.shape)
    out.backward(G)
    rng = np.random.default_rng(7)
    directions = [rng.uniform(-1.0, 1.0, size=a.shape) if a.dtype.kind == "f" else None for a in arrays]
    analytic = sum(float(np.sum(x.grad * v)) for x, v in zip(xs, directions) if v is not None and x.grad is not None)

    def f(step: float) -> float:
        moved = [Tensor(a + step * v) if v is not None else Tensor(a) for a, v in zip(arrays, directions)]
        return float(np.sum(G * case.fn(mt, *moved).data))

    eps = 1e-6
    numeric = (f(eps) - f(-eps)) / (2 * eps)
    assert abs(numeric - analytic) <= 1e-5 * max(1.0, abs(analytic)), (numeric, analytic)
