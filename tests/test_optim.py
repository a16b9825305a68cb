"""Optimizers and schedules: trajectories equal to torch.optim's, and every bad argument rejected."""

from __future__ import annotations

import math
import random

import pytest

from micrograd import MLP, Value
from micrograd.optim import OPTIMIZERS, SGD, Adam, AdamW, CosineDecay, LinearDecay, RMSprop, StepDecay

STEPS = 50
TARGETS = [0.5, -1.5, 2.0, 0.25, -0.75, 3.0]
WEIGHTS = [1.0, 0.3, 2.5, 0.7, 1.2, 0.05]
START = [1.3, 0.2, -0.7, 2.1, -1.9, 0.4]

CONFIGS = [
    (SGD, dict(lr=0.1)),
    (SGD, dict(lr=0.05, momentum=0.9)),
    (SGD, dict(lr=0.05, momentum=0.9, dampening=0.3)),
    (SGD, dict(lr=0.05, momentum=0.8, nesterov=True)),
    (SGD, dict(lr=0.05, momentum=0.9, weight_decay=0.01)),
    (SGD, dict(lr=0.01, maximize=True)),
    (Adam, dict()),
    (Adam, dict(lr=0.05)),
    (Adam, dict(lr=0.05, betas=(0.8, 0.99), eps=1e-3)),
    (Adam, dict(lr=0.05, weight_decay=0.1)),
    (Adam, dict(lr=0.05, amsgrad=True)),
    (Adam, dict(lr=0.02, maximize=True)),
    (AdamW, dict(lr=0.05)),
    (AdamW, dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    (RMSprop, dict()),
    (RMSprop, dict(lr=0.01, alpha=0.9, eps=1e-6)),
    (RMSprop, dict(lr=0.01, centered=True)),
    (RMSprop, dict(lr=0.01, momentum=0.9)),
    (RMSprop, dict(lr=0.005, centered=True, momentum=0.5, weight_decay=0.05)),
]


def _loss(params, sin):
    """Σ wⱼ(pⱼ - tⱼ)² + ½ Σ sin pⱼ: each parameter's gradient has two terms, so it is the same to the bit everywhere."""
    total = 0.0
    for p, t, w in zip(params, TARGETS, WEIGHTS, strict=True):
        total = total + w * (p - t) ** 2 + 0.5 * sin(p)
    return total


def _trajectories(torch, cls, kwargs, schedule=None):
    ours = [Value(x) for x in START]
    theirs = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = cls(ours, **kwargs)
    torch_opt = getattr(torch.optim, cls.__name__)([theirs], **kwargs)
    for k in range(STEPS):
        if schedule is not None:
            opt.lr = schedule(k)
            torch_opt.param_groups[0]["lr"] = schedule(k)
        opt.zero_grad()
        _loss(ours, Value.sin).backward()
        opt.step()
        torch_opt.zero_grad()
        _loss(list(theirs.unbind()), torch.sin).backward()
        torch_opt.step()
        yield k, [p.data for p in ours], theirs.detach().tolist()


@pytest.mark.torch
@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS, ids=[f"{c.__name__}-{k}" for c, k in CONFIGS])
def test_trajectory_matches_torch(torch_module, cls, kwargs):
    moved = False
    for k, ours, theirs in _trajectories(torch_module, cls, kwargs):
        for a, b in zip(ours, theirs, strict=True):
            assert a == pytest.approx(b, rel=1e-12, abs=1e-300), f"step {k + 1}"
        moved = moved or ours != START
    assert moved


@pytest.mark.torch
@pytest.mark.parametrize("cls", [SGD, Adam, RMSprop])
def test_trajectory_with_a_schedule_matches_torch(torch_module, cls):
    kwargs = dict(momentum=0.9) if cls is SGD else {}
    schedule = LinearDecay(0.1, 0.001, STEPS)
    for k, ours, theirs in _trajectories(torch_module, cls, kwargs, schedule):
        assert ours == pytest.approx(theirs, rel=1e-12), f"step {k + 1}"


@pytest.mark.torch
@pytest.mark.parametrize("name", ["sgd", "adam", "rmsprop"])
def test_training_an_mlp_matches_torch(torch_module, name):
    torch = torch_module
    rng = random.Random(3)
    X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(12)]
    y = [math.sin(a) * b for a, b in X]
    model = MLP(2, [6, 1], activation="tanh", rng=random.Random(5))
    twin = model.to_torch()
    kwargs = dict(lr=0.05, momentum=0.9) if name == "sgd" else dict(lr=0.01)
    opt = OPTIMIZERS[name](model.parameters(), **kwargs)
    torch_opt = getattr(torch.optim, type(opt).__name__)(twin.parameters(), **kwargs)
    inputs = torch.tensor(X, dtype=torch.float64)
    targets = torch.tensor(y, dtype=torch.float64)
    for _ in range(30):
        opt.zero_grad()
        loss = sum(((model(x) - t) ** 2 for x, t in zip(X, y, strict=True)), Value(0.0)) / len(X)
        loss.backward()
        opt.step()
        torch_opt.zero_grad()
        torch_loss = ((twin(inputs).squeeze(1) - targets) ** 2).mean()
        torch_loss.backward()
        torch_opt.step()
        assert loss.data == pytest.approx(torch_loss.item(), rel=1e-10)
    first = twin[0]
    for i, neuron in enumerate(model.layers[0].neurons):
        assert [w.data for w in neuron.w] == pytest.approx(first.weight[i].tolist(), rel=1e-10)
        assert neuron.b.data == pytest.approx(first.bias[i].item(), rel=1e-10, abs=1e-15)


def test_sgd_is_the_lecture_update():
    p = Value(2.0)
    p.grad = 0.5
    SGD([p], lr=0.1).step()
    assert p.data == 2.0 - 0.1 * 0.5


def test_adam_first_step_moves_each_parameter_by_lr():
    """After bias correction, Adam's first step is lr·g/(|g| + ε) ≈ ±lr whatever the gradient's size."""
    params = [Value(1.0), Value(-1.0)]
    params[0].grad, params[1].grad = 1e-3, -250.0
    Adam(params, lr=0.01).step()
    assert params[0].data == pytest.approx(1.0 - 0.01, rel=1e-6)
    assert params[1].data == pytest.approx(-1.0 + 0.01, rel=1e-6)


def test_zero_grad_and_accepts_a_module():
    model = MLP(2, [3, 1], rng=random.Random(0))
    opt = Adam(model)
    assert opt.params == model.parameters()
    for p in model.parameters():
        p.grad = 1.0
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_zero_gradient_with_weight_decay_still_shrinks():
    p = Value(1.0)
    SGD([p], lr=0.5, weight_decay=0.1).step()
    assert p.data == 1.0 - 0.5 * 0.1


def test_grad_that_is_a_value_is_read_as_its_number():
    x = Value(3.0)
    (x * x).backward(create_graph=True)
    assert isinstance(x.grad, Value)
    SGD([x], lr=0.1).step()
    assert x.data == 3.0 - 0.1 * 6.0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: SGD(p, lr=-0.1), "learning rate"),
        (lambda p: SGD(p, lr=math.nan), "learning rate"),
        (lambda p: SGD(p, momentum=-0.5), "momentum"),
        (lambda p: SGD(p, weight_decay=-1), "weight_decay"),
        (lambda p: SGD(p, nesterov=True), "Nesterov"),
        (lambda p: SGD(p, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
        (lambda p: Adam(p, betas=(1.0, 0.999)), "beta parameter at index 0"),
        (lambda p: Adam(p, betas=(0.9, -0.1)), "beta parameter at index 1"),
        (lambda p: Adam(p, betas=0.9), "betas"),
        (lambda p: Adam(p, eps=-1e-8), "epsilon"),
        (lambda p: RMSprop(p, alpha=-0.9), "alpha"),
        (lambda p: RMSprop(p, momentum=-1), "momentum"),
        (lambda p: SGD([], lr=0.1), "empty parameter list"),
        (lambda p: SGD([p[0], p[0]], lr=0.1), "more than once"),
    ],
)
def test_bad_hyperparameters_are_rejected(make, message):
    with pytest.raises(ValueError, match=message):
        make([Value(1.0)])


@pytest.mark.parametrize("params", [[1.0], ["w"], 3.0, None])
def test_parameters_must_be_values(params):
    with pytest.raises(TypeError, match="SGD"):
        SGD(params, lr=0.1)


def test_lr_can_be_changed_but_not_to_nonsense():
    opt = SGD([Value(1.0)], lr=0.1)
    opt.lr = 0.5
    assert opt.lr == 0.5
    with pytest.raises(ValueError, match="learning rate"):
        opt.lr = -1.0
    with pytest.raises(TypeError, match="learning rate"):
        opt.lr = "fast"


def test_linear_decay_is_the_original_demo_schedule_to_the_bit():
    schedule = LinearDecay(1.0, 0.1, 100)
    assert [schedule(k) for k in range(100)] == [1.0 - 0.9 * k / 100 for k in range(100)]
    assert schedule(100) == pytest.approx(0.1, rel=1e-15)
    assert schedule(250) == schedule(100)


def test_step_and_cosine_decay():
    step = StepDecay(0.1, step_size=10, gamma=0.5)
    assert [step(k) for k in (0, 9, 10, 19, 20, 35)] == [0.1, 0.1, 0.05, 0.05, 0.025, 0.1 * 0.5**3]
    cosine = CosineDecay(1.0, 0.1, steps=100)
    assert cosine(0) == 1.0
    assert cosine(50) == pytest.approx(0.55, rel=1e-15)
    assert cosine(100) == pytest.approx(0.1, rel=1e-15)
    assert cosine(1000) == cosine(100)
    values = [cosine(k) for k in range(101)]
    assert all(a > b for a, b in zip(values, values[1:]))  # noqa: B905


@pytest.mark.torch
def test_step_and_cosine_decay_match_torch_schedulers(torch_module):
    torch = torch_module
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.3)
    step_lr = torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.3)
    ours = StepDecay(0.3, step_size=7, gamma=0.3)
    for k in range(40):
        assert opt.param_groups[0]["lr"] == pytest.approx(ours(k), rel=1e-12)
        opt.step()
        step_lr.step()
    opt = torch.optim.SGD([p], lr=0.3)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=40, eta_min=0.01)
    ours_cos = CosineDecay(0.3, 0.01, steps=40)
    for k in range(41):
        assert opt.param_groups[0]["lr"] == pytest.approx(ours_cos(k), rel=1e-12)
        opt.step()
        cosine.step()


@pytest.mark.parametrize(
    "make", [lambda: LinearDecay(1.0, 0.1, 0), lambda: StepDecay(0.1, 0), lambda: CosineDecay(-1.0, 0.0, 10)]
)
def test_bad_schedules_are_rejected(make):
    with pytest.raises(ValueError):
        make()


def test_schedule_step_must_be_a_natural_number():
    with pytest.raises(ValueError, match="step number"):
        LinearDecay(1.0, 0.1, 10)(-1)

