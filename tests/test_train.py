"""The fit loop: the same numbers as a hand-written loop, its history, batches, validation,
progress output, Ctrl-C, divergence and bad arguments."""

from __future__ import annotations

import math
import os
import random
import signal
import sys
import threading

import pytest

from micrograd import MLP, Value
from micrograd.data import moons, sine
from micrograd.losses import hinge_loss, l2_regularization
from micrograd.optim import SGD, Adam, LinearDecay
from micrograd.train import History, accuracy, evaluate, fit, make_step


def _moons(n=20):
    X, y = moons(n, noise=0.1, seed=0)
    return X, [2 * label - 1 for label in y]


def _model(seed=1337, sizes=(8, 8, 1)):
    return MLP(2, list(sizes), rng=random.Random(seed))


def _train(model, X, y, epochs, **kwargs):
    opt = kwargs.pop("optimizer", None) or SGD(model.parameters(), lr=0.5)
    kwargs.setdefault("loss", "hinge")
    return fit(model, X, y, optimizer=opt, epochs=epochs, verbose=False, **kwargs)


def test_fit_is_the_original_demo_loop():
    """fit(hinge + L2, SGD, linear decay) takes the same steps as the loop written out by hand."""
    X, y = _moons()
    by_hand = _model()
    losses = []
    for k in range(8):
        scores = [by_hand(x) for x in X]
        loss = hinge_loss(scores, y) + l2_regularization(by_hand, 1e-4)
        by_hand.zero_grad()
        loss.backward()
        for p in by_hand.parameters():
            p.data -= (1.0 - 0.9 * k / 8) * p.grad
        losses.append(loss.data)

    model = _model()
    opt = SGD(model.parameters(), lr=1.0)
    history = _train(model, X, y, 8, l2=1e-4, optimizer=opt, lr_schedule=LinearDecay(1.0, 0.1, 8))
    assert history.loss == losses
    assert [p.data for p in model.parameters()] == [p.data for p in by_hand.parameters()]
    assert history.lr == [1.0 - 0.9 * k / 8 for k in range(8)]


def test_history_records_every_step():
    X, y = _moons()
    history = _train(_model(), X, y, 5)
    assert isinstance(history, History)
    assert history.steps == len(history.loss) == len(history.accuracy) == len(history.lr) == 5
    assert history.epoch == [0, 1, 2, 3, 4] and history.epochs == 5
    assert history.stop_reason is None and not history.interrupted and not history.diverged
    assert all(0.0 <= a <= 1.0 for a in history.accuracy) and history.seconds > 0
    assert history.to_dict()["loss"] == history.loss


def test_accuracy_is_measured_for_classification_losses_only():
    X, y = _moons()
    assert _train(_model(), X, y, 2, loss="hinge").accuracy
    assert _train(_model(), X, y, 2, loss="mse").accuracy == []
    assert _train(_model(), X, y, 2, loss="mse", with_accuracy=True).accuracy


def test_accuracy_step_entry_is_for_the_outputs_before_the_update():
    X, y = _moons()
    model = _model()
    before = evaluate(model, X, y, "hinge")
    history = _train(model, X, y, 1)
    assert history.accuracy[0] == before.accuracy and history.loss[0] == before.loss


def test_mini_batches_are_seeded_and_cover_each_epoch():
    X, y = _moons(20)
    seen = []

    def step(X_batch, y_batch):
        seen.append(tuple(map(tuple, X_batch)))
        return inner(X_batch, y_batch)

    model = _model()
    inner = make_step(model, "hinge")
    history = _train(model, X, y, 3, batch_size=8, step=step, seed=4)
    assert history.steps == 9 and history.epoch == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert [len(b) for b in seen] == [8, 8, 4] * 3
    assert sorted(sum(seen[:3], ())) == sorted(map(tuple, X))
    again = _train(_model(), X, y, 3, batch_size=8, seed=4)
    assert again.loss == history.loss
    assert _train(_model(), X, y, 3, batch_size=8, seed=5).loss != history.loss


def test_validation_is_evaluated_after_every_epoch():
    X, y = _moons(30)
    X_val, y_val = X[20:], y[20:]
    model = _model()
    history = _train(model, X[:20], y[:20], 4, l2=1e-4, validation=(X_val, y_val))
    assert len(history.val_loss) == len(history.val_accuracy) == 4
    final = evaluate(model, X_val, y_val, "hinge", l2=1e-4)
    assert history.val_loss[-1] == final.loss and history.val_accuracy[-1] == final.accuracy


def test_numpy_inputs_give_the_same_training():
    np = pytest.importorskip("numpy")
    X, y = _moons()
    lists = _train(_model(), X, y, 3)
    arrays = _train(_model(), np.array(X), np.array(y), 3)
    assert arrays.loss == lists.loss


def test_callback_can_stop_training():
    X, y = _moons()
    calls = []
    history = _train(_model(), X, y, 10, callback=lambda epoch, h: calls.append(epoch) or epoch == 3)
    assert calls == [1, 2, 3] and history.epochs == 3 and history.stop_reason == "callback"


def test_ctrl_c_during_a_step_finishes_that_step_then_stops():
    X, y = _moons()
    model = _model()
    inner = make_step(model, "hinge")
    calls = []

    def step(X_batch, y_batch):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle of step 3
        return inner(X_batch, y_batch)

    history = _train(model, X, y, 50, step=step)
    assert history.interrupted and history.steps == 3 and history.epochs == 3
    reference = _model()
    _train(reference, X, y, 3)
    assert [p.data for p in model.parameters()] == [p.data for p in reference.parameters()]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is restored


def test_ctrl_c_between_epochs_takes_no_further_step():
    X, y = _moons()

    def press_ctrl_c(epoch, history):
        if epoch == 2:
            os.kill(os.getpid(), signal.SIGINT)

    history = _train(_model(), X, y, 50, callback=press_ctrl_c)
    assert history.interrupted and history.epochs == 2 and history.steps == 2


def test_keyboard_interrupt_inside_a_step_keeps_the_previous_steps():
    """Off the main thread (or on a second Ctrl-C) the interrupt arrives as KeyboardInterrupt mid-step."""
    X, y = _moons()
    model = _model()
    inner = make_step(model, "hinge")
    calls = []

    def step(X_batch, y_batch):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return inner(X_batch, y_batch)

    history = _train(model, X, y, 10, step=step)
    assert history.interrupted and history.steps == 2 and history.epochs == 2
    reference = _model()
    _train(reference, X, y, 2)
    assert [p.data for p in model.parameters()] == [p.data for p in reference.parameters()]


def test_fit_works_off_the_main_thread():
    X, y = _moons()
    result = {}
    thread = threading.Thread(target=lambda: result.update(h=_train(_model(), X, y, 2)))
    thread.start()
    thread.join()
    assert result["h"].steps == 2


def test_divergence_stops_training_before_the_bad_step():
    xs, ys = sine(n_samples=20)
    model = MLP(1, [8, 1], rng=random.Random(0))
    opt = SGD(model.parameters(), lr=1e6)
    with pytest.warns(RuntimeWarning, match="not finite"):
        history = fit(model, xs, ys, loss="mse", optimizer=opt, epochs=100, verbose=False)
    assert history.diverged and history.steps < 100
    assert all(math.isfinite(p.data) for p in model.parameters())


def test_progress_bar_is_tqdm_when_installed(capsys):
    pytest.importorskip("tqdm", reason='the progress bar is drawn by tqdm: pip install -e ".[demo]"')
    X, y = _moons()
    _train(_model(), X, y, 3)
    assert capsys.readouterr().err == ""
    model = _model()
    opt = SGD(model.parameters(), lr=0.1)
    fit(model, X, y, loss="hinge", optimizer=opt, epochs=3, verbose=True, description="moons")
    err = capsys.readouterr().err
    assert "moons" in err and "3/3" in err and "loss" in err and "acc" in err


def test_progress_is_plain_text_without_tqdm(capsys, monkeypatch):
    X, y = _moons()
    model = _model()
    opt = SGD(model.parameters(), lr=0.1)
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if tqdm were not installed
    fit(model, X, y, loss="hinge", optimizer=opt, epochs=3, verbose=True)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("epoch 1/3  loss ") and "acc" in lines[0]
    assert lines[-1].startswith("epoch 3/3")


def test_evaluate_and_accuracy():
    assert accuracy([0.5, -0.2, 3.0], [1, -1, -1]) == 2 / 3
    assert accuracy([0.5, -0.2], [1, 0]) == 1.0
    assert accuracy([[0.1, 0.9, 0.0], [2.0, 1.0, 0.0]], [1, 2]) == 0.5
    with pytest.raises(ValueError, match="as many outputs as targets"):
        accuracy([0.1], [1, 0])
    model = _model()
    X, y = _moons()
    result = evaluate(model, X, y, "hinge")
    assert result.loss == hinge_loss([model(x) for x in X], y).data
    assert result.accuracy == accuracy(result.outputs, y)
    assert evaluate(model, X, y, "mse").accuracy is None


def test_a_custom_loss_function():
    X, y = _moons()

    def squared_hinge(outputs, targets):
        terms = [(1 - t * o).relu() ** 2 for o, t in zip(outputs, targets, strict=True)]
        return sum(terms, Value(0.0)) / len(terms)

    model = _model()
    before = squared_hinge([model(x) for x in X], y).data
    history = _train(model, X, y, 5, loss=squared_hinge, optimizer=SGD(model.parameters(), lr=0.01))
    assert history.loss[0] == before and history.loss[-1] < before and history.accuracy == []


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(epochs=-1), ValueError, "epochs"),
        (dict(epochs=2.5), TypeError, "epochs"),
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(loss="huber"), ValueError, "unknown loss"),
        (dict(l2=-1.0), ValueError, "l2"),
        (dict(optimizer="sgd"), TypeError, "optimizer"),
        (dict(lr_schedule=0.1), TypeError, "lr_schedule"),
        (dict(validation=([[1.0, 2.0]],)), ValueError, "validation"),
        (dict(validation=([[1.0]], [1])), ValueError, "takes 2 inputs"),
        (dict(y=[1, -1]), ValueError, "same length"),
        (dict(X=[[1.0, 2.0, 3.0]] * 20), ValueError, "takes 2 inputs"),
        (dict(y=[0] * 20), ValueError, "labels -1 or \\+1"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    X, y = _moons()
    model = _model()
    args = dict(X=X, y=y, loss="hinge", optimizer=Adam(model.parameters()), epochs=2, verbose=False)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        fit(model, args.pop("X"), args.pop("y"), **args)


def test_fit_resolves_its_objective_once(monkeypatch):
    """The loss name and l2 are looked up and checked once, then the same Objective serves every step."""
    from micrograd import losses

    calls = []
    real = losses.get_loss
    monkeypatch.setattr(losses, "get_loss", lambda loss: calls.append(loss) or real(loss))
    X, y = [[0.5, -1.0], [1.0, 2.0], [-0.3, 0.2]], [1.0, -1.0, 1.0]
    model = MLP(2, [3, 1])
    history = fit(model, X, y, loss="hinge", l2=1e-3, optimizer=SGD(model.parameters(), lr=0.1), epochs=3,
                  validation=(X, y), verbose=False)
    assert calls == ["hinge"]
    assert len(history.loss) == 3 and len(history.val_loss) == 3 and history.val_accuracy


def test_an_objective_carries_its_l2_and_refuses_a_second_one():
    from micrograd.losses import hinge_loss, objective

    goal = objective("hinge", 1e-3)
    assert goal.loss is hinge_loss and goal.l2 == 1e-3 and goal.classification and not goal.one_hot
    assert objective(goal) is goal
    with pytest.raises(ValueError, match="l2 is part of the objective already"):
        objective(goal, 1e-2)


def _collections_during_fit(**kwargs):
    """How many times Python's cyclic collector ran while ``fit`` trained an unfused 2-16-16-1 MLP for 2 steps."""
    import gc

    X, y = _moons(60)
    model = MLP(2, [16, 16, 1], fused=False, rng=random.Random(0))
    runs = []
    gc.collect()
    gc.callbacks.append(lambda phase, info: runs.append(info) if phase == "start" else None)
    try:
        fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.05), epochs=2, verbose=False, **kwargs)
    finally:
        gc.callbacks.pop()
    return len(runs)


def test_fit_pauses_the_collector_only_for_steps_of_micrograds_own_code():
    """A graph of Values has no cycles: a step of the library's own model and loss runs without collections;
    a loss function of the user's own is user code, which the collector keeps watching."""
    import gc

    assert _collections_during_fit(loss="hinge") <= 2  # the optimizer's update and the bookkeeping, if any
    enabled = []

    def users_hinge(outputs, targets):
        enabled.append(gc.isenabled())
        return hinge_loss(outputs, targets)

    assert _collections_during_fit(loss=users_hinge) > 20
    assert enabled == [True, True]
    assert gc.isenabled()


def test_fit_leaves_a_paused_collector_paused():
    import gc

    gc.disable()
    try:
        _collections_during_fit(loss="hinge")
        assert not gc.isenabled()
    finally:
        gc.enable()
