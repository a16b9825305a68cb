"""Optimizer state: ``state_dict()``/``load_state_dict()`` and ``zero_grad(set_to_none=...)``."""

from __future__ import annotations

import json
import random

import pytest

from micrograd import MLP
from micrograd.optim import SGD, Adam, AdamW, RMSprop

XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]

CASES = [
    (SGD, {"lr": 0.05}),
    (SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    (Adam, {"lr": 0.02, "amsgrad": True}),
    (AdamW, {"lr": 0.02, "betas": (0.8, 0.99)}),
    (RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
]


def step(model, opt):
    loss = sum((model(x) - y) ** 2 for x, y in zip(XS, YS))
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.data


@pytest.mark.parametrize(("cls", "kwargs"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_saving_mid_training_and_loading_into_a_fresh_optimizer_continues_bit_for_bit(cls, kwargs):
    model = MLP(3, [4, 4, 1], init="lecture", rng=random.Random(0))
    opt = cls(model.parameters(), **kwargs)
    for _ in range(5):
        step(model, opt)
    saved_model = model.state_dict()
    saved_opt = json.loads(json.dumps(opt.state_dict()))  # plain data: survives JSON exactly
    expected = [step(model, opt) for _ in range(10)]

    fresh = MLP(3, [4, 4, 1], init="lecture", rng=random.Random(99))
    fresh.load_state_dict(saved_model)
    fresh_opt = cls(fresh.parameters(), lr=0.5)
    fresh_opt.load_state_dict(saved_opt)
    assert [step(fresh, fresh_opt) for _ in range(10)] == expected
    assert fresh.state_dict() == model.state_dict()
    assert fresh_opt.state_dict() == opt.state_dict()


def test_state_dict_names_the_optimizer_its_hyperparameters_and_buffers():
    model = MLP(2, [1], rng=random.Random(0))
    state = Adam(model, lr=0.1).state_dict()
    assert state["optimizer"] == "Adam"
    assert state["hyperparameters"]["lr"] == 0.1 and state["hyperparameters"]["betas"] == [0.9, 0.999]
    assert state["state"]["steps"] == 0 and state["state"]["exp_avg"] == [0.0, 0.0, 0.0]
    assert SGD(model, momentum=0.9).state_dict()["state"]["momentum_buffer"] == [None, None, None]


def _adam_state():
    return Adam(MLP(2, [1], rng=random.Random(0)), lr=0.1).state_dict()


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (lambda s: s.update(optimizer="SGD"), ValueError, "this state is for 'SGD', not 'Adam'"),
        (lambda s: s.pop("state"), ValueError, "expects a dict with 'optimizer', 'hyperparameters' and 'state'"),
        (lambda s: s["hyperparameters"].pop("eps"), ValueError, "'hyperparameters' must have the keys lr, betas, eps"),
        (lambda s: s["hyperparameters"].update(lr=-1.0), ValueError, "Invalid learning rate value: -1.0"),
        (lambda s: s["state"].update(steps=-2), ValueError, r"Adam state\['steps'\] must be an int >= 0, got -2"),
        (lambda s: s["state"]["exp_avg"].pop(), ValueError, r"must be a list of 3 numbers .*got 2 entries"),
        (lambda s: s["state"]["exp_avg_sq"].__setitem__(1, "x"), TypeError, r"exp_avg_sq'\]\[1\] must be a number"),
        (lambda s: s["state"]["exp_avg"].__setitem__(0, None), TypeError, r"exp_avg'\]\[0\] must be a number"),
    ],
)
def test_bad_optimizer_state_is_rejected_and_nothing_changes(mutate, error, message):
    opt = Adam(MLP(2, [1], rng=random.Random(0)), lr=0.3)
    before = opt.state_dict()
    state = _adam_state()
    mutate(state)
    with pytest.raises(error, match=message):
        opt.load_state_dict(state)
    assert opt.state_dict() == before


def test_load_state_dict_needs_a_mapping():
    with pytest.raises(ValueError, match="got list"):
        SGD(MLP(2, [1]).parameters()).load_state_dict([])


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_set_to_none_gives_zero_floats_that_backward_accumulates_into(set_to_none):
    model = MLP(2, [2, 1], rng=random.Random(0))
    opt = SGD(model, lr=0.1)
    model([1.0, 2.0]).backward()
    first = [p.grad for p in model.parameters()]
    opt.zero_grad(set_to_none=set_to_none)
    assert all(type(p.grad) is float and p.grad == 0.0 for p in model.parameters())
    model([1.0, 2.0]).backward()
    assert [p.grad for p in model.parameters()] == first
    with pytest.raises(TypeError, match="set_to_none must be True or False, got int: 1"):
        opt.zero_grad(set_to_none=1)
