"""fit on tensor models: the same loop as for Values (history, progress, validation, divergence),
batches drawn from Generator(seed), and the same numbers as a hand-written loop."""

from __future__ import annotations

import pytest

np = pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')

from micrograd.data import moons  # noqa: E402
from micrograd.optim import SGD, Adam  # noqa: E402
from micrograd.tensor import Tensor  # noqa: E402
from micrograd.tensor.losses import binary_cross_entropy_with_logits, hinge_loss, l2_penalty, mse_loss  # noqa: E402
from micrograd.tensor.nn import BatchNorm1d, Generator, Linear, ReLU, Sequential  # noqa: E402
from micrograd.train import fit  # noqa: E402


def _moons():
    X, y = moons(100, noise=0.1, seed=1)
    return np.array(X), np.array(y, dtype=np.float64) * 2 - 1


def _net(seed=0):
    g = Generator(seed)
    layers = [Linear(2, 16, generator=g), ReLU(), Linear(16, 16, generator=g), ReLU(), Linear(16, 1, generator=g)]
    return Sequential(*layers)


def test_fit_trains_a_tensor_model_and_records_the_history():
    X, y = _moons()
    model = _net()
    history = fit(model, X, y, loss="hinge", l2=1e-4, optimizer=SGD(model.parameters(), lr=0.1), epochs=20,
                  batch_size=25, verbose=False)  # fmt: skip
    assert history.steps == 20 * 4 and history.epochs == 20 and history.stop_reason is None
    assert len(history.accuracy) == history.steps and history.epoch[-1] == 19
    assert history.loss[-1] < history.loss[0] / 2
    assert np.mean(history.accuracy[-4:]) > 0.8


def test_fit_is_the_hand_written_loop_with_batches_from_the_generator():
    X, y = _moons()
    model, twin = _net(), _net()
    history = fit(model, X, y, loss="hinge", l2=1e-4, optimizer=Adam(model.parameters(), lr=0.01), epochs=3,
                  batch_size=32, seed=5, verbose=False)  # fmt: skip
    opt, g, losses = Adam(twin.parameters(), lr=0.01), Generator(5), []
    for _ in range(3):
        order = g.randperm(len(X)).data
        for i in range(0, len(X), 32):
            ix = order[i : i + 32]
            loss = hinge_loss(twin(Tensor(X[ix])), y[ix]) + l2_penalty(twin.parameters(), 1e-4)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert history.loss == losses
    assert all(np.array_equal(a, b) for a, b in zip(model.state_dict().values(), twin.state_dict().values()))


def test_validation_runs_in_eval_mode_and_the_mode_comes_back():
    X, y = _moons()
    g = Generator(0)
    model = Sequential(Linear(2, 8, generator=g), BatchNorm1d(8), ReLU(), Linear(8, 1, generator=g))
    history = fit(model, X[:80], y[:80], loss="hinge", optimizer=SGD(model.parameters(), lr=0.05), epochs=3,
                  batch_size=20, validation=(X[80:], y[80:]), verbose=False)  # fmt: skip
    assert len(history.val_loss) == 3 and len(history.val_accuracy) == 3
    assert model.training and model[1].num_batches_tracked.item() == 12  # validation did not move the statistics


def test_fit_stops_a_diverging_tensor_model_before_the_bad_step():
    X, y = _moons()
    model = _net()
    with pytest.warns(RuntimeWarning, match="training stopped"):
        history = fit(model, X * 1e200, y, loss="mse", optimizer=SGD(model.parameters(), lr=1.0), epochs=5,
                      verbose=False)  # fmt: skip
    assert history.diverged
    assert all(np.isfinite(p.data).all() for p in model.parameters())


@pytest.mark.torch
def test_tensor_losses_agree_with_torch(torch_module):
    torch = torch_module
    z = Generator(3).randn(10, 1)
    y01 = (Generator(4).rand(10).data > 0.5).astype(np.float64)
    tz = torch.from_numpy(z.data).reshape(-1)
    pairs = [
        (mse_loss(z, y01), torch.nn.functional.mse_loss(tz, torch.from_numpy(y01))),
        (hinge_loss(z, 2 * y01 - 1), torch.relu(1 - torch.from_numpy(2 * y01 - 1) * tz).mean()),
        (binary_cross_entropy_with_logits(z, y01),
         torch.nn.functional.binary_cross_entropy_with_logits(tz, torch.from_numpy(y01))),
    ]  # fmt: skip
    for ours, theirs in pairs:
        assert ours.item() == pytest.approx(theirs.item(), rel=1e-14)


def test_fit_trains_the_makemore_mlp_on_integer_contexts():
    from micrograd.tensor.nn import Embedding, Flatten, Tanh

    g = Generator(0)
    X = g.randint(0, 27, (200, 3)).data
    Y = (X.sum(axis=1) % 27).astype(np.int64)  # a rule the model can learn
    model = Sequential(Embedding(27, 10, generator=g), Flatten(), Linear(30, 64, generator=g), Tanh(),
                       Linear(64, 27, generator=g))  # fmt: skip
    history = fit(model, X, Y, loss="cross_entropy", optimizer=Adam(model.parameters(), lr=0.01), epochs=15,
                  batch_size=32, verbose=False)  # fmt: skip
    assert history.steps == 15 * 7 and history.loss[-1] < history.loss[0] - 1.0
    assert len(history.accuracy) == history.steps
