"""Mistaken input to the tensor layers, generator, losses, optimizers and model files: each case is a row
of the "tensor layers" section of docs/errors.md, and each raises the documented one-line error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

np = pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')

from micrograd.optim import SGD  # noqa: E402
from micrograd.serialize import ModelFileError  # noqa: E402
from micrograd.tensor import Tensor  # noqa: E402
from micrograd.tensor.losses import hinge_loss, mse_loss  # noqa: E402
from micrograd.tensor.nn import BatchNorm1d, Embedding, Generator, Linear, Module, Sequential, Tanh  # noqa: E402
from micrograd.train import fit  # noqa: E402

ERRORS_MD = Path(__file__).resolve().parents[1] / "docs" / "errors.md"


def _file(tmp_path_factory_dir, content):
    path = tmp_path_factory_dir / "model.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def _saved(tmp, edit):
    path = tmp / "model.json"
    Sequential(Linear(2, 3, generator=Generator(0)), Tanh()).save(path)
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    return path


def _load_edited(edit):
    def call(tmp):
        return Module.load(_saved(tmp, edit))

    return call


class _Unconfigured(Module):
    def forward(self, x):
        return x


class _NoInit(Module):
    def __init__(self):
        self.w = 1.0


# (what you do, the call (given a temporary directory), the error type, a regular expression its message must match)
CATALOGUE = [
    ("Linear with a zero size", lambda tmp: Linear(0, 3), ValueError, r"in_features must be a positive int, got 0"),
    ("Linear with an unknown init", lambda tmp: Linear(2, 3, init="xavier"), ValueError,
     r"unknown init 'xavier': choose one of 'pytorch', 'lecture', 'normal'"),
    ("a layer of integers", lambda tmp: Linear(2, 3, dtype="int64"), TypeError,
     r"a layer's dtype must be float64 or float32, got int64"),
    ("generator not a Generator", lambda tmp: Linear(2, 3, generator=np.random.default_rng(0)), TypeError,
     r"generator must be a micrograd.tensor Generator \(or None for the default one\), got Generator"),
    ("Linear of the wrong width", lambda tmp: Linear(2, 3)(Tensor(np.ones((4, 5)))), ValueError,
     r"Linear\(in_features=2, out_features=3, bias=True\) expects 1-D, 2-D or 3-D input with 2 features "
     r"along dim -1, got shape \(4, 5\)"),
    ("Linear of an integer tensor", lambda tmp: Linear(2, 3)(Tensor([[1, 2]])), TypeError,
     r"Linear\(in_features=2, out_features=3, bias=True\) needs a floating-point input, got int64"),
    ("Linear of a list", lambda tmp: Linear(2, 3)([[1.0, 2.0]]), TypeError,
     r"Linear\(in_features=2, out_features=3, bias=True\) takes a Tensor, got list"),
    ("Embedding of float indices", lambda tmp: Embedding(27, 10)(Tensor([1.0])), TypeError,
     r"Embedding\(27, 10\) takes integer indices \(an int tensor or array\), got float64"),
    ("Embedding index out of range", lambda tmp: Embedding(27, 10)(Tensor([[3, 27]])), IndexError,
     r"Embedding\(27, 10\): index 27 is not a row of the table \(0..26\)"),
    ("BatchNorm1d of a batch of one", lambda tmp: BatchNorm1d(3)(Tensor(np.ones((1, 3)))), ValueError,
     r"BatchNorm1d\(3, .*\) in training needs more than 1 value per feature, got input shape \(1, 3\)"),
    ("BatchNorm1d of 4-D input", lambda tmp: BatchNorm1d(3)(Tensor(np.ones((2, 3, 4, 5)))), ValueError,
     r"BatchNorm1d\(3, .*\) expects 2-D or 3-D input with 3 features along dim 1, got shape \(2, 3, 4, 5\)"),
    ("BatchNorm1d momentum above 1", lambda tmp: BatchNorm1d(3, momentum=1.5), ValueError,
     r"BatchNorm1d momentum must be in \[0, 1\], got 1.5"),
    ("Sequential of a function", lambda tmp: Sequential(Tanh(), np.tanh), TypeError,
     r"Sequential: layer 1 must be a Module, got ufunc"),
    ("a Module without super().__init__()", lambda tmp: _NoInit().parameters(), TypeError,
     r"_NoInit.__init__ must call super\(\).__init__\(\) before using the module"),
    ("load_state_dict with a missing entry", lambda tmp: Linear(2, 3).load_state_dict({"weight": np.ones((3, 2))}),
     ValueError, r"state does not match this Linear: missing 'bias'"),
    ("load_state_dict with a wrong shape", lambda tmp: Linear(2, 3).load_state_dict(
        {"weight": np.ones((2, 3)), "bias": np.ones(3)}), ValueError,
     r"state\['weight'\] has shape \(2, 3\), the module's is \(3, 2\)"),
    ("load_state_dict with nan", lambda tmp: Linear(2, 3).load_state_dict(
        {"weight": np.full((3, 2), np.nan), "bias": np.ones(3)}), ValueError,
     r"state\['weight'\] is not finite everywhere \(did training diverge\?\)"),
    ("load_state_dict with text", lambda tmp: Linear(2, 3).load_state_dict({"weight": "w", "bias": np.ones(3)}),
     TypeError, r"state\['weight'\] must be an array of numbers, got str: 'w'"),
    ("randint with high <= low", lambda tmp: Generator(0).randint(5, 5, (2,)), ValueError,
     r"randint needs low < high, got low=5 and high=5"),
    ("a negative seed", lambda tmp: Generator(-1), ValueError, r"seed must be >= 0, got -1"),
    ("randn of integers", lambda tmp: Generator(0).randn(2, dtype="int64"), TypeError,
     r"randn makes floating-point tensors \(float64 or float32\), got dtype int64"),
    ("multinomial of negative weights", lambda tmp: Generator(0).multinomial([0.5, -0.1], 1), ValueError,
     r"multinomial probs must be finite and non-negative"),
    ("multinomial of too many without replacement", lambda tmp: Generator(0).multinomial([0.5, 0.5, 0.0], 3),
     ValueError, r"multinomial without replacement: cannot draw 3 samples from a row with only 2 classes"),
    ("hinge_loss with 0/1 labels", lambda tmp: hinge_loss(Tensor([0.3, -0.2]), [0, 1]), ValueError,
     r"hinge_loss needs labels -1 or \+1, got 0 \(for 0/1 labels pass 2\*y - 1\)"),
    ("mse_loss with too few targets", lambda tmp: mse_loss(Tensor(np.ones((3, 1))), [1.0, 2.0]), ValueError,
     r"mse_loss: outputs of shape \(3, 1\) need targets of shape \(3,\), got \(2,\)"),
    ("optimizer of an integer tensor", lambda tmp: SGD([Tensor([1, 2])], lr=0.1), TypeError,
     r"SGD: parameter 0 is an int64 tensor; optimizers move leaf floating-point tensors"),
    ("fit with another model's optimizer", lambda tmp: fit(Linear(2, 1), np.ones((4, 2)), np.ones(4),
     loss="mse", optimizer=SGD(Linear(2, 1).parameters(), lr=0.1)), ValueError,
     r"the optimizer holds none of the model's 2 parameters"),
    ("fit of a tensor model with an unknown loss", lambda tmp: _fit_linear(np.ones((4, 2)), np.ones(4), "l1"),
     ValueError, r"unknown loss 'l1': choose one of 'mse', 'hinge', 'bce', 'cross_entropy' or pass a function"),
    ("fit of a tensor model with y too short", lambda tmp: _fit_linear(np.ones((4, 2)), np.ones(3)), ValueError,
     r"y must have one target per sample \(4\), got shape \(3,\)"),
    ("save a module without config()", lambda tmp: _Unconfigured().save(tmp / "m.json"), TypeError,
     r"_Unconfigured has no config\(\): define one returning its constructor arguments to save it"),
    ("save a diverged model", lambda tmp: _diverged().save(tmp / "m.json"), ValueError,
     r"cannot save the model: 'weight' is not finite everywhere \(did training diverge\?\)"),
    ("load a scalar model file", lambda tmp: Module.load(_file(tmp, {"format": "micrograd.MLP", "version": 1})),
     ModelFileError, r"model.json: not a micrograd tensor model file \(no \"format\": \"micrograd.tensor.Module\""),
    ("load a file of an unknown layer", _load_edited(lambda d: d["architecture"]["config"]["layers"][0].update(
        type="Conv2d")), ModelFileError,
     r"architecture.layers\[0\] has type 'Conv2d', which is not a known layer .*pass Module\.load\(path, classes="),
    ("load a file with a wrong layer argument", _load_edited(lambda d: d["architecture"]["config"]["layers"][0][
        "config"].update(in_features=0)), ModelFileError,
     r"architecture.layers\[0\] \(Linear\): in_features must be a positive int, got 0"),
    ("load a file with a truncated array", _load_edited(lambda d: d["state"]["0.weight"]["data"].pop()),
     ModelFileError, r"state\['0.weight'\] of shape \(3, 2\) needs 6 numbers, got 5 numbers"),
    ("load a file with text for a weight", _load_edited(lambda d: d["state"]["0.bias"]["data"].__setitem__(0, "x")),
     ModelFileError, r"state\['0.bias'\] entry 0 must be a number, got 'x'"),
    ("load a file missing an array", _load_edited(lambda d: d["state"].pop("0.bias")), ModelFileError,
     r"state does not match this Sequential: missing '0.bias'"),
    ("load a file of another module class", lambda tmp: Linear.load(_saved(tmp, lambda d: None)), ModelFileError,
     r"holds a Sequential, not a Linear"),
]  # fmt: skip


def _fit_linear(X, y, loss="mse"):
    model = Linear(2, 1)
    return fit(model, X, y, loss=loss, optimizer=SGD(model.parameters(), lr=0.1), verbose=False)


def _diverged():
    layer = Linear(2, 3)
    layer.weight.data[0, 0] = np.inf
    return layer


@pytest.mark.parametrize(("call", "error", "message"), [c[1:] for c in CATALOGUE], ids=[c[0] for c in CATALOGUE])
def test_catalogue(tmp_path, call, error, message):
    with pytest.raises(error, match=message) as info:
        call(tmp_path)
    text = str(info.value)
    assert "\n" not in text and len(text) < 400, text


def test_a_bad_file_leaves_the_previous_file_and_loads_nothing(tmp_path):
    path = tmp_path / "model.json"
    Linear(2, 3, generator=Generator(0)).save(path)
    before = path.read_bytes()
    with pytest.raises(ValueError):
        _diverged().save(path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_every_case_is_a_row_of_the_catalogue_page():
    page = ERRORS_MD.read_text()
    section = page.split("### tensor layers", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    rows = re.findall(r"^\| (.+?) \| `(\w+)` \|", section, flags=re.M)
    assert {what: error for what, error in rows} == {what: error.__name__ for what, _, error, _ in CATALOGUE}
