"""A compiled NumPy step holds its parameters in one array, and the optimizers step that array.

What a user sees must not change: ``p.data`` and ``p.grad`` are the truth whenever they
are read, a number written to them is what the next step uses, and every optimizer's
trajectory is eager micrograd's to the bit.
"""

from __future__ import annotations

import copy
import json
import pickle
import random

import pytest
from test_optim import CONFIGS, START, STEPS, _loss

import micrograd
from micrograd import MLP, Value
from micrograd.data import moons
from micrograd.optim import SGD, Adam

np = pytest.importorskip("numpy", reason="the NumPy backend needs NumPy: pip install numpy")
from micrograd.compiler.held import holder  # noqa: E402

IDS = [f"{c.__name__}-{k}" for c, k in CONFIGS]


def packed(opt) -> bool:
    """Whether the optimizer's last step ran its rule on the compiled step's array."""
    return opt._packed is not None and opt._packed[0] is holder(opt.params[0])


def test_held_parameters_read_and_write_the_array():
    w = [Value(1.5), Value(-2.0)]
    step = micrograd.compile(lambda x: w[0] * x + w[1] * w[1])
    step([2.0])
    array = holder(w[0])
    assert array is not None and holder(w[1]) is array
    assert isinstance(w[0], Value) and type(w[0]).__name__ == "Value"
    assert w[0].data == 1.5 and type(w[0].data) is float
    assert (w[0].grad, w[1].grad) == (2.0, -4.0)
    w[0].data = 3.0
    w[1].grad = 0.5
    assert array.theta[array.index[id(w[0])]] == 3.0 and array.gtheta[array.index[id(w[1])]] == 0.5
    assert step([1.0]) == 7.0  # the next step reads the number written
    assert (w[0].grad, w[1].grad) == (3.0, -3.5)  # and adds its gradient to the one there


def held_trajectory(cls, kwargs):
    """The optimizers' test loss compiled, stepped on the held array, beside the same loop eagerly.

    Each parameter's gradient has two terms, so compiled and eager code sum it to the same bits.
    """
    eager = [Value(x) for x in START]
    held = [Value(x) for x in START]
    step = micrograd.compile(lambda x: _loss(held, Value.sin) * x)
    eager_opt, held_opt = cls(eager, **kwargs), cls(held, **kwargs)
    for k in range(STEPS):
        eager_opt.zero_grad()
        _loss(eager, Value.sin).backward()
        eager_opt.step()
        held_opt.zero_grad()
        step([1.0])
        assert [p.grad for p in held] == [p.grad for p in eager], f"step {k + 1}"
        held_opt.step()
        assert packed(held_opt)
        yield k, held, eager, held_opt, eager_opt


@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS, ids=IDS)
def test_every_optimizer_steps_the_array_along_eager_micrograds_trajectory_to_the_bit(cls, kwargs):
    for k, held, eager, held_opt, eager_opt in held_trajectory(cls, kwargs):
        assert [p.data for p in held] == [p.data for p in eager], f"step {k + 1}"
        if k == STEPS - 1:
            assert held_opt.state_dict() == eager_opt.state_dict()


@pytest.mark.torch
@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS, ids=IDS)
def test_every_optimizer_stepping_the_array_matches_torch_optim(torch_module, cls, kwargs):
    torch = torch_module
    theirs = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    torch_opt = getattr(torch.optim, cls.__name__)([theirs], **kwargs)
    for k, held, _, _, _ in held_trajectory(cls, kwargs):
        torch_opt.zero_grad()
        _loss(list(theirs.unbind()), torch.sin).backward()
        torch_opt.step()
        assert [p.data for p in held] == pytest.approx(theirs.detach().tolist(), rel=1e-12, abs=1e-300), k


def moons_model(seed=0, width=8):
    random.seed(seed)
    model = MLP(2, [width, width, 1])
    X, labels = moons(40, noise=0.1, seed=seed)
    return model, np.array(X), np.array([2.0 * label - 1 for label in labels])


def moons_step(model):
    params = model.parameters()
    return micrograd.compile(lambda x, y: (1 + -y * model(x)).relu() + 1e-3 * sum(p * p for p in params))


def train(model, step, opt, X, y, steps=25, peek=False):
    """The user's loop; every step's loss, and every parameter's value and gradient after it.

    ``peek``: read the optimizer's state every third step (its buffers become lists, then arrays again).
    """
    history = []
    for k in range(steps):
        opt.zero_grad()
        loss = step(X, y)
        grads = [p.grad for p in model.parameters()]
        opt.step()
        history.append((loss, grads, [p.data for p in model.parameters()]))
        if peek and k % 3 == 0 and k < steps - 1:
            opt.state_dict()
    return history


@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS, ids=IDS)
def test_the_array_rule_and_the_loop_over_held_values_give_the_same_bits(cls, kwargs):
    """One optimizer holds exactly the step's parameters (array rule); the other one more (a loop)."""
    model, X, y = moons_model()
    twin, _, _ = moons_model()
    opt = cls(model.parameters(), **kwargs)
    loop = cls([*twin.parameters(), Value(0.5)], **kwargs)
    fast, slow = train(model, moons_step(model), opt, X, y, peek=True), train(twin, moons_step(twin), loop, X, y)
    assert packed(opt) and not packed(loop)
    assert fast == slow
    assert opt.state_dict()["state"] == {k: v[:-1] if isinstance(v, list) else v
                                         for k, v in loop.state_dict()["state"].items()}


def eager_train(model, opt, X, y, steps=25):
    params = model.parameters()
    history = []
    for _ in range(steps):
        opt.zero_grad()
        total = Value(0.0)
        for x, yi in zip(X.tolist(), y.tolist()):
            total = total + (1 + -yi * model(x)).relu() + 1e-3 * sum(p * p for p in params)
        loss = total / len(y)
        loss.backward()
        grads = [p.grad for p in params]
        opt.step()
        history.append((loss.data, grads, [p.data for p in params]))
    return history


def assert_close(history, reference, rel=1e-9):
    for k, ((loss, grads, data), (loss_e, grads_e, data_e)) in enumerate(zip(history, reference, strict=True)):
        assert loss == pytest.approx(loss_e, rel=rel), f"step {k + 1}"
        assert grads == pytest.approx(grads_e, rel=rel, abs=1e-12), f"step {k + 1}"
        assert data == pytest.approx(data_e, rel=rel, abs=1e-12), f"step {k + 1}"


@pytest.mark.parametrize("made", ["before compile", "after the first call"])
def test_an_optimizer_made_before_or_after_compiling_finds_the_array(made):
    model, X, y = moons_model()
    reference, _, _ = moons_model()
    opt = Adam(model.parameters(), lr=0.02) if made == "before compile" else None
    step = moons_step(model)
    if opt is None:
        step(X, y)
        model.zero_grad()
        opt = Adam(model.parameters(), lr=0.02)
    history = train(model, step, opt, X, y, steps=10)
    assert packed(opt)
    assert_close(history, eager_train(reference, Adam(reference.parameters(), lr=0.02), X, y, steps=10))


def test_numbers_written_between_steps_are_used():
    """Writing p.data (a float, an int, a NumPy float) and p.grad (clipping by hand) between steps."""
    model, X, y = moons_model()
    twin, _, _ = moons_model()
    opt, loop = SGD(model.parameters(), lr=0.1, momentum=0.9), SGD([*twin.parameters(), Value(0.0)], lr=0.1,
                                                                    momentum=0.9)
    runs = [(model, moons_step(model), opt), (twin, moons_step(twin), loop)]
    seen = []
    for m, step, o in runs:
        params = m.parameters()
        for k in range(12):
            o.zero_grad()
            step(X, y)
            params[k].grad = max(-0.01, min(0.01, params[k].grad))
            o.step()
            params[2 * k].data = [0.25, 1, np.float64(-0.5)][k % 3]
        seen.append([(p.data, p.grad) for p in params])
    assert packed(opt) and not packed(loop)
    assert seen[0] == seen[1]
    assert all(type(p.data) is float for p in model.parameters())


def test_zero_grad_on_the_model_or_the_optimizer():
    model, X, y = moons_model()
    step, opt = moons_step(model), SGD(model.parameters(), lr=0.1)
    step(X, y)
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    step(X, y)
    first = [p.grad for p in model.parameters()]
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    step(X, y)
    assert [p.grad for p in model.parameters()] == first


def test_two_compiled_steps_sharing_parameters_take_them_in_turn():
    """A step on each half of the data, one parameter list: the same as eager on the two halves."""
    model, X, y = moons_model()
    reference, _, _ = moons_model()
    first, second = moons_step(model), moons_step(model)
    opt = Adam(model.parameters(), lr=0.02)
    ref_opt = Adam(reference.parameters(), lr=0.02)
    for k in range(6):
        half = slice(0, 20) if k % 2 == 0 else slice(20, 40)
        (first if k % 2 == 0 else second)(X[half], y[half])
        opt.step()
        opt.zero_grad()
        eager_history = eager_train(reference, ref_opt, X[half], y[half], steps=1)
        assert [p.data for p in model.parameters()] == pytest.approx(eager_history[0][2], rel=1e-9)
    assert holder(model.parameters()[0]) is not None


def test_a_model_only_partly_in_the_compiled_step_trains_the_rest_eagerly():
    """The optimizer holds the model; the compiled loss uses one layer's output and an eager term the rest."""
    model, X, y = moons_model()
    reference, _, _ = moons_model()
    extra, ref_extra = Value(0.3), Value(0.3)
    step = moons_step(model)
    opt = Adam([*model.parameters(), extra], lr=0.02)
    ref_opt = Adam([*reference.parameters(), ref_extra], lr=0.02)
    for _ in range(8):
        opt.zero_grad()
        step(X, y)
        ((extra - 1.0) ** 2 + extra * model.parameters()[0]).backward()  # eager, through a held Value
        opt.step()
        ref_opt.zero_grad()
        eager_train(reference, Adam([Value(0.0)], lr=0.0), X, y, steps=1)  # grads only (lr 0 on a dummy)
        ((ref_extra - 1.0) ** 2 + ref_extra * reference.parameters()[0]).backward()
        ref_opt.step()
    assert not packed(opt)
    assert extra.data == pytest.approx(ref_extra.data, rel=1e-9)
    assert [p.data for p in model.parameters()] == pytest.approx([p.data for p in reference.parameters()], rel=1e-9)


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_optimizer_state_saved_while_stepping_the_array_continues_bit_for_bit(cls):
    kwargs = {"lr": 0.05, "momentum": 0.9} if cls is SGD else {"lr": 0.02, "amsgrad": True}
    model, X, y = moons_model()
    step, opt = moons_step(model), cls(model.parameters(), **kwargs)
    train(model, step, opt, X, y, steps=5)
    saved_model, saved_opt = model.state_dict(), json.loads(json.dumps(opt.state_dict()))
    expected = train(model, step, opt, X, y, steps=5)
    assert packed(opt)
    twin, _, _ = moons_model()
    assert train(twin, moons_step(twin), cls(twin.parameters(), **kwargs), X, y, steps=10)[5:] == expected
    fresh, _, _ = moons_model(seed=7)
    fresh.load_state_dict(saved_model)
    fresh_opt = cls(fresh.parameters(), lr=0.5)
    fresh_opt.load_state_dict(saved_opt)
    assert train(fresh, moons_step(fresh), fresh_opt, X, y, steps=5) == expected
    assert fresh_opt.state_dict() == opt.state_dict()
    assert isinstance(opt.exp_avg if cls is Adam else opt.momentum_buffer, list)


def test_a_held_value_copies_and_pickles_as_a_plain_one():
    model, X, y = moons_model()
    step, opt = moons_step(model), SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        step(X, y)
        opt.step()
    values = [(p.data, p.grad) for p in model.parameters()]
    twin = copy.deepcopy(model)
    assert [(p.data, p.grad) for p in twin.parameters()] == values
    assert type(twin.parameters()[0]) is micrograd.nn.Parameter and holder(twin.parameters()[0]) is None
    again = pickle.loads(pickle.dumps(model))
    assert [(p.data, p.grad) for p in again.parameters()] == values
    opt.zero_grad()
    step(X, y)  # holds them again
    opt.step()
    assert holder(model.parameters()[0]) is not None and packed(opt)


def test_a_gradient_graph_on_a_held_value_releases_the_array():
    w = Value(2.0)
    step = micrograd.compile(lambda x: w * w * x)
    step([1.0])
    assert holder(w) is not None
    (w * w).backward(create_graph=True)
    assert holder(w) is None and isinstance(w.grad, Value) and w.grad.data == 8.0
    w.grad = 0.0
    step([1.0])
    assert holder(w) is not None and w.grad == 4.0
