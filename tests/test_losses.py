"""Losses: values and gradients equal to torch.nn.functional's, stability, and clear errors."""

from __future__ import annotations

import decimal
import math
import random

import pytest

from micrograd import MLP, Value
from micrograd.losses import (
    LOSSES,
    binary_cross_entropy_with_logits,
    cross_entropy,
    get_loss,
    hinge_loss,
    l2_regularization,
    mse_loss,
)

REDUCTIONS = ["mean", "sum"]


def _values(numbers):
    return [Value(x) for x in numbers]


def _check(torch, ours, inputs, torch_loss, leaves, rel=1e-12):
    """Loss value and every input's gradient against PyTorch."""
    ours.backward()
    torch_loss.backward()
    assert ours.data == pytest.approx(torch_loss.item(), rel=rel)
    assert [v.grad for v in inputs] == pytest.approx(leaves.grad.flatten().tolist(), rel=rel, abs=1e-15)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", range(3))
def test_mse_matches_torch(torch_module, reduction, seed):
    torch = torch_module
    rng = random.Random(seed)
    preds = [rng.gauss(0, 2) for _ in range(17)]
    targets = [rng.gauss(0, 2) for _ in range(17)]
    ours_in = _values(preds)
    leaves = torch.tensor(preds, dtype=torch.float64, requires_grad=True)
    expected = torch.nn.functional.mse_loss(leaves, torch.tensor(targets, dtype=torch.float64), reduction=reduction)
    _check(torch, mse_loss(ours_in, targets, reduction=reduction), ours_in, expected, leaves)


@pytest.mark.torch
def test_mse_with_several_outputs_matches_torch(torch_module):
    torch = torch_module
    rng = random.Random(7)
    preds = [[rng.gauss(0, 1) for _ in range(3)] for _ in range(5)]
    targets = [[rng.gauss(0, 1) for _ in range(3)] for _ in range(5)]
    ours_rows = [_values(row) for row in preds]
    leaves = torch.tensor(preds, dtype=torch.float64, requires_grad=True)
    expected = torch.nn.functional.mse_loss(leaves, torch.tensor(targets, dtype=torch.float64))
    flat = [v for row in ours_rows for v in row]
    _check(torch, mse_loss(ours_rows, targets), flat, expected, leaves)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", range(3))
def test_hinge_matches_torch(torch_module, reduction, seed):
    torch = torch_module
    rng = random.Random(seed)
    scores = [rng.gauss(0, 2) for _ in range(23)]
    labels = [rng.choice([-1, 1]) for _ in range(23)]
    ours_in = _values(scores)
    leaves = torch.tensor(scores, dtype=torch.float64, requires_grad=True)
    margins = torch.relu(1 - torch.tensor(labels, dtype=torch.float64) * leaves)
    expected = margins.mean() if reduction == "mean" else margins.sum()
    _check(torch, hinge_loss(ours_in, labels, reduction=reduction), ours_in, expected, leaves)


def test_hinge_is_the_original_demo_loss():
    """The original micrograd demo: mean of (1 + -yᵢ·sᵢ).relu()."""
    rng = random.Random(1)
    scores = _values([rng.gauss(0, 1) for _ in range(10)])
    labels = [rng.choice([-1, 1]) for _ in range(10)]
    original = sum((1 + -y * s).relu() for y, s in zip(labels, scores, strict=True)) / len(scores)
    assert hinge_loss(scores, labels).data == original.data


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", range(3))
def test_bce_with_logits_matches_torch(torch_module, reduction, seed):
    torch = torch_module
    rng = random.Random(seed)
    logits = [rng.uniform(-6, 6) for _ in range(19)] + [0.0]
    labels = [rng.choice([0.0, 1.0, 0.3]) for _ in range(20)]
    ours_in = _values(logits)
    leaves = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        leaves, torch.tensor(labels, dtype=torch.float64), reduction=reduction
    )
    _check(torch, binary_cross_entropy_with_logits(ours_in, labels, reduction=reduction), ours_in, expected, leaves)


def exact_bce(z: float, y: float) -> float:
    """ln(1 + e^z) - z·y to 100 digits (decimal), rounded once to a float."""
    with decimal.localcontext() as context:
        context.prec = 100
        d = decimal.Decimal(z)
        return float((1 + d.exp()).ln() - d * decimal.Decimal(y))


def exact_bce_grad(z: float, y: float) -> float:
    """σ(z) - y = (1 - y) - 1/(1 + e^z), to 100 digits (e^-100 is 4e-44 of 1)."""
    with decimal.localcontext() as context:
        context.prec = 100
        return float(1 - decimal.Decimal(y) - 1 / (1 + decimal.Decimal(z).exp()))


@pytest.mark.torch
@pytest.mark.parametrize("z", [40.0, -40.0, 100.0, -100.0])
@pytest.mark.parametrize("label", [0.0, 1.0, 0.3])
def test_bce_with_large_logits_keeps_the_exponential_term(torch_module, z, label):
    """Past |z| = 37, 1 + e^-|z| rounds to 1: log1p keeps e^-|z| in the loss and its gradient.

    Both agree with PyTorch to PyTorch's own rounding: its loss adds and subtracts |z|
    (one ulp of |z|, 7e-15 at 40) and its gradient is σ(z) - y (one ulp of 1), so where
    the exact answer is e^-|z| alone it can give 0. Ours are the exact values there
    (computed to 40 digits), loss and gradient.
    """
    torch = torch_module
    ours_in = [Value(z)]
    leaf = torch.tensor([z], dtype=torch.float64, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(leaf, torch.tensor([label], dtype=torch.float64))
    loss = binary_cross_entropy_with_logits(ours_in, [label])
    expected.backward()
    loss.backward()
    assert ours_in[0].grad == pytest.approx(leaf.grad.item(), rel=1e-12, abs=math.ulp(1.0))
    assert loss.data == pytest.approx(expected.item(), rel=1e-12, abs=math.ulp(abs(z)))
    assert loss.data == pytest.approx(exact_bce(z, label), rel=1e-15, abs=0.0)
    assert ours_in[0].grad == pytest.approx(exact_bce_grad(z, label), rel=1e-15, abs=0.0)


def test_bce_of_a_confident_right_answer_is_e_to_the_minus_z():
    """-log σ(40) = ln(1 + e^-40) = 4.2e-18, not 0 (what log(1 + e^-40) gives)."""
    z = Value(40.0)
    loss = binary_cross_entropy_with_logits([z], [1.0])
    loss.backward()
    assert loss.data == pytest.approx(exact_bce(40.0, 1.0), rel=1e-15) and loss.data > 0
    assert z.grad == pytest.approx(-math.exp(-40.0) / (1 + math.exp(-40.0)), rel=1e-15)


def test_bce_gradient_at_zero_is_sigmoid_minus_label():
    for label in (0.0, 1.0, 0.25):
        z = Value(0.0)
        binary_cross_entropy_with_logits(z, label).backward()
        assert z.grad == 0.5 - label


@pytest.mark.parametrize("z", [1000.0, -1000.0, 40.0, -40.0, 1e300])
@pytest.mark.parametrize("label", [0.0, 1.0])
def test_bce_is_stable_for_huge_logits(z, label):
    logit = Value(z)
    loss = binary_cross_entropy_with_logits(logit, label)
    loss.backward()
    wrong = (z > 0) != (label == 1.0)
    assert loss.data == (abs(z) if wrong else pytest.approx(0.0, abs=1e-15))
    sigmoid = 1.0 if z > 0 else 0.0
    assert logit.grad == pytest.approx(sigmoid - label, abs=1e-15)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", range(3))
def test_cross_entropy_matches_torch(torch_module, reduction, seed):
    torch = torch_module
    rng = random.Random(seed)
    k = 2 + seed
    logits = [[rng.gauss(0, 3) for _ in range(k)] for _ in range(11)]
    logits[0] = [2.5] * k  # a tie for the max
    labels = [rng.randrange(k) for _ in range(11)]
    rows = [_values(row) for row in logits]
    leaves = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(leaves, torch.tensor(labels), reduction=reduction)
    _check(torch, cross_entropy(rows, labels, reduction=reduction), [v for row in rows for v in row], expected, leaves)


def test_cross_entropy_is_stable_for_huge_logits():
    row = _values([1000.0, -1000.0, 990.0])
    loss = cross_entropy([row], [2])
    loss.backward()
    assert loss.data == pytest.approx(10.0 + math.log1p(math.exp(-10.0)), rel=1e-12)
    softmax = [1 / (1 + math.exp(-10)), 0.0, math.exp(-10) / (1 + math.exp(-10))]
    assert [v.grad for v in row] == pytest.approx([softmax[0], softmax[1], softmax[2] - 1], rel=1e-12, abs=1e-300)


@pytest.mark.torch
def test_l2_matches_torch(torch_module):
    torch = torch_module
    model = MLP(2, [4, 1], rng=random.Random(0))
    params = model.parameters()
    leaves = torch.tensor([p.data for p in params], dtype=torch.float64, requires_grad=True)
    _check(torch, l2_regularization(model, 1e-4), params, 1e-4 * (leaves**2).sum(), leaves)


def test_l2_is_the_original_demo_penalty():
    model = MLP(2, [16, 16, 1], rng=random.Random(1337))
    original = 1e-4 * sum(p * p for p in model.parameters())
    assert l2_regularization(model.parameters(), 1e-4).data == original.data


def test_reduction_none_gives_one_loss_per_sample():
    losses = hinge_loss(_values([0.5, -2.0, 3.0]), [1, 1, -1], reduction="none")
    assert [v.data for v in losses] == [0.5, 3.0, 4.0]


def test_numbers_and_numpy_arrays_are_accepted():
    np = pytest.importorskip("numpy")
    assert mse_loss([1.0, 2.0], np.array([0.0, 0.0])).data == 2.5
    assert hinge_loss(np.array([0.5]), np.array([1])).data == 0.5
    assert cross_entropy([[0.0, 0.0]], np.array([1])).data == pytest.approx(math.log(2), rel=1e-15)
    assert mse_loss(Value(3.0), 1.0).data == 4.0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: hinge_loss([Value(1.0)], [0]), ValueError, "labels -1 or \\+1"),
        (lambda: binary_cross_entropy_with_logits([Value(1.0)], [-1]), ValueError, "labels in \\[0, 1\\]"),
        (lambda: cross_entropy([[Value(1.0), Value(2.0)]], [2]), ValueError, "class index 0 … 1"),
        (lambda: cross_entropy([[Value(1.0), Value(2.0)]], [0.5]), ValueError, "class index"),
        (lambda: cross_entropy([Value(1.0)], [0]), ValueError, "single logit"),
        (lambda: mse_loss([Value(1.0)], [1.0, 2.0]), ValueError, "1 outputs but 2 targets"),
        (lambda: mse_loss([], []), ValueError, "no samples"),
        (lambda: mse_loss([[Value(1.0)]], [[1.0, 2.0]]), ValueError, "has 1 output"),
        (lambda: mse_loss([Value(1.0)], [math.nan]), ValueError, "finite"),
        (lambda: mse_loss([Value(1.0)], ["a"]), TypeError, "must be a number"),
        (lambda: mse_loss(["a"], [1.0]), TypeError, "Value or a number"),
        (lambda: cross_entropy([[Value(1.0), Value(2.0)]], [Value(1.0)]), TypeError, "class index \\(an int\\)"),
        (lambda: mse_loss([Value(1.0)], [1.0], reduction="avg"), ValueError, "reduction"),
        (lambda: l2_regularization([Value(1.0)], -1.0), ValueError, "alpha"),
        (lambda: l2_regularization([], 1e-4), ValueError, "no parameters"),
        (lambda: get_loss("huber"), ValueError, "unknown loss 'huber'"),
    ],
)
def test_bad_inputs_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_value_targets_are_part_of_the_graph():
    """A target that is a Value (a traced placeholder) is used as is, and receives a gradient."""
    p, t = Value(3.0), Value(1.0)
    mse_loss(p, t).backward()
    assert t.grad == -4.0 and p.grad == 4.0
    s, y = Value(0.5), Value(-1.0)
    hinge_loss(s, y).backward()
    assert s.grad == 1.0 and y.grad == -0.5  # ∂(1 - ys)/∂y = -s
    z, label = Value(0.0), Value(1.0)
    binary_cross_entropy_with_logits(z, label).backward()
    assert z.grad == -0.5 and label.grad == 0.0


def test_losses_by_name():
    assert get_loss("hinge") is hinge_loss
    assert set(LOSSES) == {"mse", "hinge", "bce", "cross_entropy"}
    assert get_loss(mse_loss) is mse_loss
