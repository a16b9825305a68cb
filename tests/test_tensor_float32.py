"""float32 as a first-class dtype: every op keeps it (values, gradients, gradients of gradients), and
agrees with PyTorch float32 within the tolerances of tests/tensor_optable.py (stored numbers always,
live PyTorch when installed); the variance accumulates in float64 as PyTorch's does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

np = pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')
from tensor_optable import (  # noqa: E402
    FLOAT32_CASES,
    case_inputs,
    check_float32,
    differences,
    evaluate_ours,
    evaluate_torch,
    stored_arrays,
    upstream,
)

import micrograd.tensor as mt  # noqa: E402
from micrograd.tensor import Tensor, grad  # noqa: E402

REFERENCE = json.loads((Path(__file__).parent / "reference" / "torch_tensor_float32.json").read_text())["cases"]
IDS = [case.name for case in FLOAT32_CASES]
F32 = np.dtype(np.float32)



@pytest.mark.parametrize("case", FLOAT32_CASES, ids=IDS)
def test_every_op_keeps_float32(case):
    arrays = [a.astype(F32) if a.dtype.kind == "f" else a for a in case_inputs(case)]
    xs = [Tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out = case.fn(mt, *xs)
    if out.dtype.kind != "f":
        return
    assert out.dtype == REFERENCE[case.name]["value"]["dtype"], f"{case.name} gave {out.dtype}"  # float32, or .double()
    if not out.requires_grad:
        return
    G = upstream(case, out.shape).astype(F32)
    floats = [x for x in xs if x.requires_grad]
    first = grad(out, floats, G, create_graph=True, allow_unused=True)
    for g in first:
        assert g is None or g.dtype == F32, f"{case.name}: gradient {g.dtype}"
    used = [(x, g) for x, g in zip(floats, first) if g is not None and g.requires_grad]
    if used:
        s = sum(((g * 0.5).sum() for _, g in used), Tensor(np.float32(0.0)))
        for h in grad(s, [x for x, _ in used], materialize_grads=True):
            assert h.dtype == F32, f"{case.name}: second derivative {h.dtype}"


@pytest.mark.parametrize("case", FLOAT32_CASES, ids=IDS)
def test_float32_against_stored_reference(case):
    check_float32(case, differences(evaluate_ours(case, F32), stored_arrays(REFERENCE[case.name])))


@pytest.mark.torch
@pytest.mark.parametrize("case", FLOAT32_CASES, ids=IDS)
def test_float32_against_live_pytorch(case, torch_module):
    check_float32(case, differences(evaluate_ours(case, F32), evaluate_torch(case, torch_module, F32)))


def test_stored_float32_reference_has_no_stale_cases():
    assert set(REFERENCE) == set(IDS)


@pytest.mark.parametrize("n", [10, 1000, 100_000])
def test_float32_variance_accumulates_in_float64_and_rounds_once(n):
    data = (np.random.default_rng(n).uniform(-1.0, 1.0, size=n) + 3.0).astype(F32)
    exact_then_rounded = np.float32(np.var(data.astype(np.float64), ddof=1))
    assert Tensor(data).var().item() == exact_then_rounded
    assert Tensor(data).var().dtype == F32


@pytest.mark.torch
@pytest.mark.parametrize("n", [1000, 100_000])
def test_float32_variance_is_pytorchs_to_the_bit(n, torch_module):
    data = (np.random.default_rng(n).uniform(-1.0, 1.0, size=(4, n // 4)) + 3.0).astype(F32)
    theirs = torch_module.tensor(data)
    assert Tensor(data).var().item() == theirs.var().item()
    np.testing.assert_array_equal(Tensor(data).var(1).data, theirs.var(1).numpy())
    np.testing.assert_array_equal(Tensor(data).std(0, correction=0).data, theirs.std(0, correction=0).numpy())


def test_python_numbers_and_float32_constants_never_upcast():
    x = Tensor(np.ones(3, dtype=F32), requires_grad=True)
    y = (2.5 * x + 1).tanh() / 3 - x**2 + np.float32(0.5) * x
    assert y.dtype == F32
    y.sum().backward()
    assert x.grad.dtype == F32
