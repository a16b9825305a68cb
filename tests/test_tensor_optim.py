"""Optimizers on tensors: each update rule of micrograd.optim runs on arrays, and every setting of
tests/test_optim.py follows torch.optim's trajectory on tensor parameters."""

from __future__ import annotations

import json

import pytest

np = pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')

from test_optim import CONFIGS, STEPS  # noqa: E402  (the scalar test's settings)

from micrograd.optim import SGD, Adam, LinearDecay, RMSprop  # noqa: E402
from micrograd.tensor import Tensor  # noqa: E402

TENSOR_SHAPES = [(2, 3), (4,)]


def _tensor_start():
    rng = np.random.default_rng(7)
    return [rng.uniform(-2, 2, shape) for shape in TENSOR_SHAPES]


def _tensor_loss(params, sin, constant):
    """Σ w(p - t)² + ½ Σ sin p over every element of each parameter (targets and weights per element)."""
    total = 0.0
    for k, p in enumerate(params):
        n = int(np.prod(TENSOR_SHAPES[k]))
        t = constant(np.linspace(-1.5, 2.0, n).reshape(TENSOR_SHAPES[k]))
        w = constant(np.linspace(0.2, 2.5, n).reshape(TENSOR_SHAPES[k]))
        total = total + (w * (p - t) ** 2 + 0.5 * sin(p)).sum()
    return total


def _tensor_trajectories(torch, cls, kwargs, schedule=None):
    ours = [Tensor(a, requires_grad=True) for a in _tensor_start()]
    theirs = [torch.tensor(a, requires_grad=True) for a in _tensor_start()]
    opt = cls(ours, **kwargs)
    torch_opt = getattr(torch.optim, cls.__name__)(theirs, **kwargs)
    for k in range(STEPS):
        if schedule is not None:
            opt.lr = schedule(k)
            torch_opt.param_groups[0]["lr"] = schedule(k)
        opt.zero_grad()
        _tensor_loss(ours, Tensor.sin, Tensor).backward()
        opt.step()
        torch_opt.zero_grad()
        _tensor_loss(theirs, torch.sin, torch.tensor).backward()
        torch_opt.step()
        yield k, [p.data for p in ours], [p.detach().numpy() for p in theirs]


def _assert_close(ours, theirs, k):
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == np.float64 and a.shape == b.shape
        worst = np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))
        assert worst <= 1e-12, f"step {k + 1}: relative difference {worst:.3g}"


@pytest.mark.torch
@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS, ids=[f"{c.__name__}-{k}" for c, k in CONFIGS])
def test_tensor_trajectory_matches_torch(torch_module, cls, kwargs):
    moved = False
    for k, ours, theirs in _tensor_trajectories(torch_module, cls, kwargs):
        _assert_close(ours, theirs, k)
        moved = moved or not np.array_equal(ours[0], _tensor_start()[0])
    assert moved


@pytest.mark.torch
@pytest.mark.parametrize("cls", [SGD, Adam, RMSprop])
def test_tensor_trajectory_with_a_schedule_matches_torch(torch_module, cls):
    kwargs = dict(momentum=0.9) if cls is SGD else {}
    for k, ours, theirs in _tensor_trajectories(torch_module, cls, kwargs, LinearDecay(0.1, 0.001, STEPS)):
        _assert_close(ours, theirs, k)


def test_a_tensor_without_a_gradient_is_left_alone_as_in_pytorch():
    used, unused = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0], requires_grad=True)
    opt = Adam([used, unused], lr=0.1, weight_decay=0.1)
    (used * used).sum().backward()
    opt.step()
    assert unused.data.tolist() == [3.0] and unused.grad is None
    assert used.data.tolist() != [1.0, 2.0]
    assert isinstance(opt.exp_avg[1], float)


def test_tensor_zero_grad_sets_none_or_zeros():
    p = Tensor([1.0, 2.0], requires_grad=True)
    p.grad = np.array([0.5, 0.5])
    SGD([p], lr=0.1).zero_grad()
    assert p.grad is None
    p.grad = np.array([0.5, 0.5])
    SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0]


def test_tensor_optimizer_state_continues_bit_for_bit():
    def run(steps, state=None):
        p = Tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
        opt = Adam([p], lr=0.05, amsgrad=True)
        if state is not None:
            p.data = np.array(state[0])
            opt.load_state_dict(state[1])
        for _ in range(steps):
            opt.zero_grad()
            (p.sin() * p).sum().backward()
            opt.step()
        return p, opt

    straight, _ = run(6)
    half, opt = run(3)
    saved = json.loads(json.dumps(opt.state_dict()))
    resumed, _ = run(3, (half.data.tolist(), saved))
    assert np.array_equal(resumed.data, straight.data)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ([Tensor([1, 2])], TypeError, r"SGD: parameter 0 is an int64 tensor"),
        ([Tensor([1.0], requires_grad=True) * 2], TypeError, r"SGD: parameter 0 is a result of other tensors"),
    ],
)
def test_tensor_parameters_must_be_float_leaves(params, error, message):
    with pytest.raises(error, match=message):
        SGD(params, lr=0.1)
