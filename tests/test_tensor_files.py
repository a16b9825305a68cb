"""Tensor model files: every module reloads bit for bit (float32, buffers, modes), classes of your own load
when named, and the file is the scalar model files' kind (atomic, readable JSON, no pickle)."""

from __future__ import annotations

import json

import pytest

np = pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')

from micrograd.tensor import Tensor  # noqa: E402
from micrograd.tensor.files import FORMAT  # noqa: E402
from micrograd.tensor.nn import (  # noqa: E402
    BatchNorm1d,
    Embedding,
    Flatten,
    Generator,
    Linear,
    Module,
    ReLU,
    Sequential,
    Tanh,
)


def _makemore(dtype):
    g = Generator(3)
    layers = [Embedding(27, 10, generator=g, dtype=dtype), Flatten(), Linear(30, 20, generator=g, dtype=dtype),
              BatchNorm1d(20, dtype=dtype), Tanh(), Linear(20, 27, bias=False, generator=g, dtype=dtype)]  # fmt: skip
    return Sequential(*layers)


def test_a_model_reloads_bit_for_bit_in_either_dtype(tmp_path):
    X = Generator(4).randint(0, 27, (16, 3))
    for dtype in ("float64", "float32"):
        model = _makemore(dtype)
        model(X)  # the batch norm's running statistics and count move
        path = tmp_path / f"{dtype}.json"
        model.save(path)
        same = Sequential.load(path)
        assert repr(same) == repr(model)
        for (name, a), b in zip(model.state_dict().items(), same.state_dict().values(), strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b), name
        model.eval(), same.eval()
        assert np.array_equal(model(X).data, same(X).data)
        data = json.loads(path.read_text())
        assert data["format"] == FORMAT and data["state"]["3.num_batches_tracked"]["data"] == [1]


class Scaled(Module):
    """A module class of one's own: a Linear and a learned scale."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.n_in, self.n_out = n_in, n_out
        self.body = Sequential(Linear(n_in, n_out, generator=Generator(0)), ReLU())
        self.scale = Linear(n_out, n_out, generator=Generator(1))

    def forward(self, x):
        return self.scale(self.body(x))

    def config(self):
        return {"n_in": self.n_in, "n_out": self.n_out}


def test_a_module_class_of_ones_own_loads_when_named(tmp_path):
    model = Scaled(3, 4)
    for p in model.parameters():
        p.data = p.data * 1.5
    path = tmp_path / "scaled.json"
    model.save(path)
    same = Module.load(path, classes=[Scaled])
    x = Tensor(np.ones((2, 3)))
    assert isinstance(same, Scaled) and np.array_equal(same(x).data, model(x).data)
