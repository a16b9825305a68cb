"""End to end: the makemore MLP (vocabulary 27, embedding 10, context 3, hidden 200, tanh,
cross-entropy, minibatches of 32) trained 50 steps from the same weights as PyTorch."""

from __future__ import annotations

import pytest

np = pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')

from micrograd.optim import SGD, Adam  # noqa: E402
from micrograd.tensor import Tensor, cross_entropy  # noqa: E402
from micrograd.tensor.nn import BatchNorm1d, Embedding, Flatten, Generator, Linear, Sequential, Tanh  # noqa: E402

NAMES = [
    "emma",
    "olivia",
    "ava",
    "isabella",
    "sophia",
    "charlotte",
    "mia",
    "amelia",
    "harper",
    "evelyn",
    "abigail",
    "emily",
    "elizabeth",
    "mila",
    "ella",
    "avery",
    "sofia",
    "camila",
    "aria",
    "scarlett",
    "victoria",
    "madison",
    "luna",
    "grace",
    "chloe",
    "penelope",
    "layla",
    "riley",
    "zoey",
    "nora",
]
CONTEXT, STEPS, BATCH = 3, 50, 32


def dataset(words):
    """Every (previous 3 characters, next character) pair, '.' (0) padding and ending each word, as in the lecture."""
    stoi = {c: i + 1 for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")}
    X, Y = [], []
    for word in words:
        context = [0] * CONTEXT
        for ch in word + ".":
            X.append(context)
            Y.append(stoi.get(ch, 0))
            context = context[1:] + [stoi.get(ch, 0)]
    return np.array(X, dtype=np.int64), np.array(Y, dtype=np.int64)


def makemore_mlp(g, batchnorm=False):
    layers = [Embedding(27, 10, generator=g), Flatten(), Linear(CONTEXT * 10, 200, generator=g)]
    if batchnorm:
        layers.append(BatchNorm1d(200))
    return Sequential(*layers, Tanh(), Linear(200, 27, generator=g))


def _train_both(torch, batchnorm, optimizer, kwargs):
    X, Y = dataset(NAMES)
    g = Generator(2147483647)
    model = makemore_mlp(g, batchnorm)
    twin = model.to_torch()
    batches = g.randint(0, len(X), (STEPS, BATCH)).data  # drawn once, shared by both
    opt = optimizer(model.parameters(), **kwargs)
    torch_opt = getattr(torch.optim, optimizer.__name__)(twin.parameters(), **kwargs)
    losses = []
    for ix in batches:
        loss = cross_entropy(model(Tensor(X[ix])), Y[ix])
        opt.zero_grad()
        loss.backward()
        opt.step()
        torch_loss = torch.nn.functional.cross_entropy(twin(torch.from_numpy(X[ix])), torch.from_numpy(Y[ix]))
        torch_opt.zero_grad()
        torch_loss.backward()
        torch_opt.step()
        losses.append((loss.item(), torch_loss.item()))
    return model, twin, losses


@pytest.mark.torch
@pytest.mark.parametrize(
    ("batchnorm", "optimizer", "kwargs"),
    [(False, SGD, dict(lr=0.1)), (True, SGD, dict(lr=0.1)), (False, Adam, dict(lr=0.01))],
    ids=["the lecture's SGD", "with BatchNorm1d", "Adam"],
)
def test_every_loss_is_pytorchs_within_1e_10(torch_module, batchnorm, optimizer, kwargs):
    model, twin, losses = _train_both(torch_module, batchnorm, optimizer, kwargs)
    for step, (ours, theirs) in enumerate(losses):
        assert ours == pytest.approx(theirs, rel=1e-10), f"step {step + 1}"
    assert losses[-1][0] < losses[0][0] - 0.5  # it learned
    for (name, ours), theirs in zip(model.state_dict().items(), twin.state_dict().values(), strict=True):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
