"""Hostile and mistaken input across the public API: each case is one row of the
catalogue in docs/errors.md, and each must raise the documented error, naming the
problem, and leave the model as it was."""

from __future__ import annotations

import math
import os
import random
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd
from micrograd import (
    MLP,
    Layer,
    Neuron,
    Value,
    data,
    dot,
    grad,
    gradcheck,
    losses,
    ops,
    optim,
    serialize,
    topological_order,
    train,
)
from micrograd.apps import expression, viz
from micrograd.apps.expression import ExpressionError
from micrograd.engine import apply

NAN, INF = math.nan, math.inf


def _model() -> MLP:
    return MLP(2, [3, 1], rng=random.Random(0))


def _fit(X, y, loss="mse", **kwargs):
    model = kwargs.pop("model", None) or _model()
    optimizer = kwargs.pop("optimizer", None) or optim.SGD(model.parameters(), lr=0.1)
    return train.fit(model, X, y, loss=loss, optimizer=optimizer, verbose=False, **kwargs)


def _with_bad_weight(value):
    model = _model()
    state = model.state_dict()
    state["layers.0.neurons.0.w.0"] = value
    model.load_state_dict(state)


def _closure_node() -> Value:
    """The lecture's exp: a node whose backward is a closure."""
    x = Value(0.5)
    out = Value(math.exp(0.5), (x,), "exp")

    def _backward():
        x.grad += out.data * out.grad

    out._backward = _backward
    return out * x


def _compile_closure():
    def lecture_exp(v):
        out = Value(math.exp(v.data), (v,), "exp")
        out._backward = lambda: None
        return out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        micrograd.compile(lecture_exp)([0.5, 1.0])


def _adam_state_with(key, value):
    optimizer = optim.Adam(_model())
    state = optimizer.state_dict()
    state["state"][key] = value
    optimizer.load_state_dict(state)


def _symlink_loop_load():
    os.symlink("loop.json", "loop.json")
    return MLP.load("loop.json")


def _load_into_other_architecture():
    _model().save("m.json")
    MLP(2, [4, 1]).load("m.json")


class _TwoLayers(micrograd.Module):
    def __init__(self, width=3):
        self.hidden = Layer(2, width, rng=random.Random(0))
        self.out = Layer(width, 1, nonlin=False, rng=random.Random(1))

    def __call__(self, x):
        return self.out(self.hidden(x))


def _load_a_module_by_its_class():
    _TwoLayers().save("m.json")
    _TwoLayers.load("m.json")


def _load_another_modules_file():
    _TwoLayers().save("m.json")
    _TwoLayers(width=4).load("m.json")


class _PlainValues(micrograd.Module):
    def __init__(self):
        self.w = [Value(1.0), Value(2.0)]


# (what you do, the call, the error type, a regular expression its message must match)
CATALOGUE = [
    # engine
    ("Value of a string", lambda: Value("a"), TypeError, r"Value data must be a real number, got str: 'a'"),
    ("Value of None", lambda: Value(None), TypeError, r"got NoneType"),
    ("Value of a list", lambda: Value([1.0]), TypeError, r"got list"),
    ("Value of a Value", lambda: Value(Value(1.0)), TypeError, r"got a Value .*detach\(\)"),
    ("a non-string label", lambda: Value(1.0, label=5), TypeError, r"label must be a str, got int"),
    ("`node._prev = [a, b]` (not a tuple of Values)", lambda: setattr(Value(1.0) * Value(2.0), "_prev", [Value(1.0)]),
     TypeError, r"_prev must be a tuple of Values, got \[Value\(data=1\.0, grad=0\.0\)\]"),
    ("a `dot` node made by hand without its bias", lambda: Value(1.0, (Value(1.0), Value(2.0)), "dot"), ValueError,
     r"operation 'dot' takes an odd number of \(w\.\.\., x\.\.\., b\) input\(s\), got 2 children"),
    ("Value + str", lambda: Value(1.0) + "a", TypeError, r"unsupported operand type\(s\) for \+: 'Value' and 'str'"),
    ("Value * None", lambda: Value(1.0) * None, TypeError, r"for \*: 'Value' and 'NoneType'"),
    ("Value ** str", lambda: Value(2.0) ** "2", TypeError, r"for \*\* or pow\(\): 'Value' and 'str'"),
    ("tanh with an argument", lambda: Value(1.0).tanh(2), TypeError, r"takes 1 positional argument"),
    ("grad of a number", lambda: grad(1.0, [Value(1.0)]), TypeError, r"grad\(\) output must be a Value, got float"),
    ("grad for a number input", lambda: grad(Value(1.0), [1.0]), TypeError, r"inputs\[0\] must be a Value, got float"),
    ("dot with unequal lengths", lambda: dot([Value(1.0)], [Value(1.0), Value(2.0)], Value(0.0)), ValueError,
     r"as many weights as inputs, got 1 weights and 2 inputs"),
    ("topological_order of a number", lambda: topological_order(3), TypeError, r"expected a Value.*, got int"),
    ("Value of True", lambda: Value(True), TypeError,
     r"^Value data is True \(a bool\): True and False are not numbers in micrograd; pass 1 or 0 \(1.0 or 0.0\)"),
    ("Value times False", lambda: Value(1.0) * False, TypeError, r"^operand is False \(a bool\)"),
    ("Value to the power True", lambda: Value(2.0) ** True, TypeError, r"^exponent is True \(a bool\)"),
    ("Value of a 5,000-digit int", lambda: Value(10**5000), ValueError,
     r"^Value data is too large for a float \(the largest is about 1.8e308\): got an integer of about 5,001 digits$"),
    ("Value of a 401-digit int", lambda: Value(10**400), ValueError,
     r"^Value data is too large for a float .*: got 10{29}…0{30} \(401 digits\)$"),
    ("Value to a 401-digit power", lambda: Value(2.0) ** 10**400, ValueError,
     r"^exponent is too large for a float .*\(401 digits\)$"),
    ("Value == number", lambda: Value(2.0) == 2.0, TypeError,
     r"^cannot compare a Value with a number by ==: a Value equals only itself \(it is a node of a graph\); "
     r"compare numbers with v.data == 2.0"),
    ("number == Value", lambda: 2.0 == Value(2.0), TypeError,  # noqa: SIM300
     r"^cannot compare a Value with a number by =="),
    ("Value != number", lambda: Value(2.0) != 2, TypeError,
     r"^cannot compare a Value with a number by !=.*v.data != 2"),
    # nn
    ("MLP with a text nin", lambda: MLP("2", [3]), TypeError,
     r"nin must be a positive int up to 10,000,000, got str: '2'"),
    ("MLP with nouts an int", lambda: MLP(2, 3), ValueError, r"nouts must be a non-empty list of layer sizes"),
    ("MLP with a zero layer", lambda: MLP(2, [0]),
     ValueError, r"each layer size in nouts must be a positive int up to 10,000,000, got 0"),
    ("unknown activation", lambda: MLP(2, [3], activation="gelu"), ValueError,
     r"unknown activation 'gelu': choose one of 'relu', 'tanh', 'sigmoid', 'linear'"),
    ("unknown output activation", lambda: MLP(2, [3], output_activation="softmax"), ValueError,
     r"unknown output_activation 'softmax'"),
    ("unknown init", lambda: MLP(2, [3], init="he"), ValueError, r"unknown init 'he': choose one of"),
    ("rng not a generator", lambda: MLP(2, [3], rng=5), TypeError, r"rng must be a random.Random .*got int"),
    ("Neuron(0)", lambda: Neuron(0), ValueError, r"nin must be a positive int up to 10,000,000, got 0"),
    ("Layer with a text size", lambda: Layer(2, "x"), TypeError,
     r"nout must be a positive int up to 10,000,000, got str: 'x'"),
    ("too many inputs", lambda: _model()([1.0, 2.0, 3.0]), ValueError, r"MLP\(2, \[3, 1\]\) expects 2 inputs, got 3"),
    ("a text input", lambda: _model()([1.0, "a"]), TypeError, r"must be a real number, got str: 'a'"),
    ("state_dict not a mapping", lambda: _model().load_state_dict([1.0]), TypeError, r"expects a mapping"),
    ("state_dict missing names", lambda: _model().load_state_dict({"x": 1.0}), ValueError,
     r"state does not match this MLP's 13 parameters: missing 13 .*unexpected 1 \('x'\)"),
    ("state_dict nan weight", lambda: _with_bad_weight(NAN), ValueError,
     r"state\['layers.0.neurons.0.w.0'\] is nan: every parameter must be a finite number"),
    ("state_dict inf weight", lambda: _with_bad_weight(-INF),
     ValueError, r"is -inf: every parameter must be a finite number"),
    ("MLP of True inputs", lambda: MLP(True, [1]), TypeError, r"^nin is True \(a bool\): True and False"),
    ("a layer size of True", lambda: MLP(2, [True]), TypeError, r"^each layer size in nouts is True \(a bool\)"),
    ("a layer size of 2.0", lambda: MLP(2, [2.0]), TypeError,
     r"each layer size in nouts must be a positive int up to 10,000,000, got float: 2.0"),
    ("a layer of a billion neurons", lambda: MLP(2, [10**9, 1]), ValueError,
     r"^each layer size in nouts must be a positive int up to 10,000,000, got 1000000000$"),
    ("an MLP of ten billion parameters", lambda: MLP(2, [100_000, 100_000]), ValueError,
     r"^MLP\(2, \[100000, 100000\]\) would have 10,000,400,000 parameters; the limit is 10,000,000$"),
    ("a neuron of ten million inputs", lambda: Neuron(10**7), ValueError,
     r"^Neuron\(10000000\) would have 10,000,001 parameters; the limit is 10,000,000$"),
    ("a layer of 10^5000 neurons", lambda: Layer(2, 10**5000), ValueError,
     r"^nout must be a positive int up to 10,000,000, got an integer of about 5,001 digits$"),
    ("a dict as input", lambda: _model()({0: 1.0, 1: 2.0}), TypeError,
     r"^MLP\(2, \[3, 1\]\) takes its inputs in order \(a list, a tuple, a NumPy row\), got a dict, whose keys "
     r"and values say nothing of which input is which: pass \[d\[k\] for k in names\] in input order$"),
    ("a set as input", lambda: _model()({1.0, 2.0}), TypeError,
     r"^MLP\(2, \[3, 1\]\) takes its inputs in order .*got a set, which has no order"),
    ("a batch as input", lambda: _model()([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), TypeError,
     r"^MLP\(2, \[3, 1\]\) takes one sample \(2 numbers\), but got a batch of 3 samples: "
     r"call it once per row, \[model\(x\) for x in X\]"),
    ("a NumPy batch as input", lambda: _model()(pytest.importorskip("numpy").ones((2, 2))), TypeError,
     r"got a batch of 2 samples"),
    ("a flat batch to a one-input model", lambda: MLP(1, [1])([1.0, 2.0, 3.0]), ValueError,
     r"^MLP\(1, \[1\]\) expects 1 input, got 3 \(a batch of 3 one-input samples\? call it once per sample, "
     r"\[model\(x\) for x in xs\]\)$"),
    ("state_dict with True", lambda: _with_bad_weight(True), TypeError,
     r"^state\['layers.0.neurons.0.w.0'\] is True \(a bool\)"),
    ("train() with a string", lambda: _model().train("no"), TypeError, r"train\(\) expects True or False, got str"),
    ("zero_grad set_to_none not a bool", lambda: _model().zero_grad(set_to_none=None), TypeError,
     r"set_to_none must be True or False, got NoneType: None"),
    # optim
    ("negative learning rate", lambda: optim.SGD(_model().parameters(), lr=-1), ValueError,
     r"Invalid learning rate value: -1.0 \(it must be a finite number >= 0\)"),
    ("nan learning rate", lambda: optim.Adam(_model().parameters(), lr=NAN), ValueError, r"learning rate value: nan"),
    ("text learning rate", lambda: optim.SGD(_model().parameters(), lr="a"), TypeError,
     r"learning rate must be a number, got str"),
    ("no parameters", lambda: optim.SGD([], lr=1.0), ValueError, r"SGD got an empty parameter list"),
    ("a module of Values but no Parameters", lambda: optim.SGD(_PlainValues(), lr=1.0), ValueError,
     r"SGD got an empty parameter list: _PlainValues holds Values \('w.0', 'w.1'\) but no Parameter"),
    ("parameters that are not Values", lambda: optim.SGD([1.0], lr=1.0), TypeError,
     r"SGD: parameter 0 must be a Value or a tensor, got float"),
    ("a number instead of parameters", lambda: optim.RMSprop(5, lr=1.0), TypeError,
     r"RMSprop expects model.parameters\(\) \(an iterable of Values or tensors\), got int"),
    ("beta out of range", lambda: optim.Adam(_model().parameters(), betas=(1.5, 0.9)), ValueError,
     r"beta parameter at index 0 value: 1.5"),
    ("betas not a pair", lambda: optim.Adam(_model().parameters(), betas=3), ValueError, r"betas must be a pair"),
    ("nesterov without momentum", lambda: optim.SGD(_model().parameters(), lr=0.1, nesterov=True), ValueError,
     r"Nesterov momentum requires a momentum"),
    ("schedule with zero steps", lambda: optim.LinearDecay(0.1, 0.01, 0), ValueError,
     r"steps must be a positive int, got 0"),
    ("learning rate True", lambda: optim.SGD(_model().parameters(), lr=True), TypeError,
     r"^learning rate is True \(a bool\)"),
    ("a 401-digit learning rate", lambda: optim.SGD(_model().parameters(), lr=10**400), ValueError,
     r"^learning rate is too large for a float .*\(401 digits\)$"),
    ("nan dampening", lambda: optim.SGD(_model().parameters(), lr=0.1, dampening=NAN), ValueError,
     r"^Invalid dampening value: nan \(it must be a finite number\)$"),
    ("momentum False", lambda: optim.SGD(_model().parameters(), lr=0.1, momentum=False), TypeError,
     r"^momentum is False \(a bool\)"),
    ("schedule of True steps", lambda: optim.CosineDecay(0.1, 0.0, True), TypeError, r"^steps is True \(a bool\)"),
    ("schedule at a step number 1.5", lambda: optim.LinearDecay(0.1, 0.0, 10)(1.5), TypeError,
     r"^a schedule's step number must be an int >= 0, got float: 1.5$"),
    ("optimizer state with a True step count", lambda: _adam_state_with("steps", True), TypeError,
     r"^Adam state\['steps'\] is True \(a bool\)"),
    ("optimizer state with a True average", lambda: _adam_state_with("exp_avg", [True] + [0.0] * 12), TypeError,
     r"^Adam state\['exp_avg'\]\[0\] is True \(a bool\)"),
    ("optimizer state not a dict", lambda: optim.SGD(_model()).load_state_dict([]), ValueError,
     r"SGD.load_state_dict expects a dict with 'optimizer', 'hyperparameters' and 'state' .*got list"),
    ("optimizer state of another optimizer", lambda: optim.SGD(_model()).load_state_dict(
        optim.Adam(_model()).state_dict()), ValueError, r"this state is for 'Adam', not 'SGD'"),
    ("optimizer state of another model", lambda: optim.Adam(_model()).load_state_dict(
        optim.Adam(MLP(2, [1])).state_dict()), ValueError,
     r"Adam state\['exp_avg'\] must be a list of 13 numbers \(one per parameter\), got 3 entries"),
    # losses
    ("more targets than outputs", lambda: losses.mse_loss([Value(1.0)], [1.0, 2.0]), ValueError,
     r"mse_loss: got 1 outputs but 2 targets"),
    ("text target", lambda: losses.mse_loss([Value(1.0)], ["a"]),
     TypeError, r"target 0\[0\] must be a number, got str: 'a'"),
    ("nan target", lambda: losses.mse_loss([Value(1.0)], [NAN]), ValueError, r"target 0\[0\] is nan"),
    ("hinge with a 0 label", lambda: losses.hinge_loss([Value(1.0)], [0]), ValueError,
     r"hinge_loss needs labels -1 or \+1, got 0 at index 0 \(for 0/1 labels pass 2\*y - 1\)"),
    ("bce with a -1 label", lambda: losses.binary_cross_entropy_with_logits([Value(1.0)], [-1]), ValueError,
     r"needs labels in \[0, 1\], got -1 at index 0 \(for -1/\+1 labels pass \(y \+ 1\) / 2\)"),
    ("cross_entropy label out of range", lambda: losses.cross_entropy([[Value(1.0), Value(2.0)]], [2]), ValueError,
     r"cross_entropy: label 0 is 2; it must be a class index 0 … 1"),
    ("cross_entropy fractional label", lambda: losses.cross_entropy([[Value(1.0), Value(2.0)]], [1.5]), ValueError,
     r"label 0 is 1.5"),
    ("unknown reduction", lambda: losses.mse_loss([Value(1.0)], [1.0], reduction="avg"), ValueError,
     r"reduction must be one of 'mean', 'sum', 'none', got 'avg'"),
    ("unknown loss name", lambda: losses.get_loss("l1"), ValueError,
     r"unknown loss 'l1': choose one of 'mse', 'hinge', 'bce', 'cross_entropy' or pass a function"),
    ("a bool target", lambda: losses.mse_loss([Value(1.0)], [True]), TypeError,
     r"^target 0\[0\] is True \(a bool\)"),
    ("a bool output", lambda: losses.mse_loss([False], [1.0]), TypeError, r"^prediction 0\[0\] is False \(a bool\)"),
    ("l2 weight True", lambda: losses.l2_regularization(_model(), alpha=True), TypeError, r"^alpha is True \(a bool\)"),
    ("negative l2", lambda: losses.l2_regularization(_model(), alpha=-1.0), ValueError, r"alpha must be a finite"),
    # data
    ("negative sample count", lambda: data.moons(-1), ValueError,
     r"n_samples must be an int >= 2 up to 1,000,000, got -1"),
    ("nan noise", lambda: data.moons(noise=NAN), ValueError, r"noise must be a finite number >= 0, got nan"),
    ("split of one sample", lambda: data.train_val_split([[1.0]], [1.0]), ValueError, r"needs at least 2 samples"),
    ("a string as X", lambda: data.as_inputs("abc"), TypeError, r"X must be a sequence .*got str"),
    ("a bool in X", lambda: data.as_inputs([[True, 1.0]]), TypeError, r"^X\[0\]\[0\] is True \(a bool\)"),
    ("a trillion moons", lambda: data.moons(10**12), ValueError,
     r"^n_samples must be an int >= 2 up to 1,000,000, got 1000000000000$"),
    ("a trillion circles", lambda: data.circles(10**12), ValueError, r"^n_samples must be an int >= 2 up to 1,000,000"),
    ("a trillion spiral points", lambda: data.spirals(10**12), ValueError,
     r"^n_samples must be an int >= 2 up to 1,000,000"),
    ("a trillion spiral arms", lambda: data.spirals(100, n_classes=10**12), ValueError,
     r"^n_classes must be an int >= 2 up to 500,000, got 1000000000000$"),
    ("a trillion sine points", lambda: data.sine(10**12), ValueError,
     r"^n_samples must be an int >= 2 up to 1,000,000"),
    ("moons of True samples", lambda: data.moons(True), TypeError, r"^n_samples is True \(a bool\)"),
    ("noise True", lambda: data.moons(noise=True), TypeError, r"^noise is True \(a bool\)"),
    ("a bool in y", lambda: data.as_targets([True]), TypeError, r"^y\[0\] is True \(a bool\)"),
    # train.fit
    ("nan in X", lambda: _fit([[NAN, 1.0]], [1.0]), ValueError,
     r"X\[0\]\[0\] is nan: inputs and targets must be finite numbers"),
    ("inf in X", lambda: _fit([[1.0, 2.0], [1.0, INF]], [1.0, 0.0]), ValueError, r"X\[1\]\[1\] is inf"),
    ("nan in y", lambda: _fit([[1.0, 1.0]], [NAN]), ValueError, r"y\[0\] is nan"),
    ("rows wider than the model", lambda: _fit([[1.0, 1.0, 1.0]], [1.0]), ValueError,
     r"the model takes 2 inputs per sample, but X has 3"),
    ("ragged rows", lambda: _fit([[1.0, 1.0], [1.0]], [1.0, 1.0]), ValueError, r"X\[1\] has 1 values but X\[0\] has 2"),
    ("X and y of different lengths", lambda: _fit([[1.0, 1.0], [1.0, 2.0]], [1.0]), ValueError,
     r"X and y must have the same length, got 2 inputs and 1 targets"),
    ("more targets per sample than outputs", lambda: _fit([[1.0, 1.0]], [[0.0, 1.0]]), ValueError,
     r"mse_loss: prediction 0 has 1 output\(s\) but its target has 2"),
    ("hinge labels 0/1", lambda: _fit([[1.0, 1.0]], [0], loss="hinge"),
     ValueError, r"hinge_loss needs labels -1 or \+1"),
    ("cross_entropy on one output", lambda: _fit([[1.0, 1.0]], [0], loss="cross_entropy"), ValueError,
     r"has a single logit; it needs one per class"),
    ("unknown loss in fit", lambda: _fit([[1.0, 1.0]], [0.0], loss="l1"), ValueError, r"unknown loss 'l1'"),
    ("optimizer given by name", lambda: _fit([[1.0, 1.0]], [0.0], optimizer="adam"), TypeError,
     r"optimizer must be an optimizer object, got the string 'adam' \(a known name\): pass one of SGD\(\.\.\.\)"),
    ("unknown optimizer name", lambda: _fit([[1.0, 1.0]], [0.0], optimizer="adamx"), TypeError,
     r"got the string 'adamx' \(not an optimizer name\)"),
    ("model that is not a model", lambda: train.fit(5, [[1.0]], [1.0], loss="mse",
                                                    optimizer=optim.SGD([Value(1.0)], lr=0.1)), TypeError,
     r"model must be callable and have parameters\(\) \(an MLP, say\), got int"),
    ("negative epochs", lambda: _fit([[1.0, 1.0]], [0.0], epochs=-1),
     ValueError, r"epochs must be an int >= 0 up to 1,000,000, got -1"),
    ("a trillion epochs", lambda: _fit([[1.0, 1.0]], [0.0], epochs=10**12), ValueError,
     r"^epochs must be an int >= 0 up to 1,000,000, got 1000000000000$"),
    ("epochs True", lambda: _fit([[1.0, 1.0]], [0.0], epochs=True), TypeError, r"^epochs is True \(a bool\)"),
    ("epochs 2.0", lambda: _fit([[1.0, 1.0]], [0.0], epochs=2.0), TypeError,
     r"^epochs must be an int >= 0 up to 1,000,000, got float: 2.0$"),
    ("a trillion batch size", lambda: _fit([[1.0, 1.0]], [0.0], batch_size=10**12), ValueError,
     r"^batch_size must be a positive int up to 1,000,000 \(or None for the whole set\), got 1000000000000$"),
    ("batch size True", lambda: _fit([[1.0, 1.0]], [0.0], batch_size=True), TypeError,
     r"^batch_size is True \(a bool\)"),
    ("zero batch size", lambda: _fit([[1.0, 1.0]], [0.0], batch_size=0), ValueError,
     r"batch_size must be a positive int up to 1,000,000 \(or None for the whole set\), got 0"),
    ("validation not a pair", lambda: _fit([[1.0, 1.0]], [0.0], validation=[[1.0, 1.0]]), ValueError,
     r"validation must be a pair \(X_val, y_val\)"),
    ("negative l2 in fit", lambda: _fit([[1.0, 1.0]], [0.0], l2=-1.0), ValueError, r"l2 must be a finite number >= 0"),
    ("callback not a function", lambda: _fit([[1.0, 1.0]], [0.0], callback=5), TypeError,
     r"callback must be a function of \(epoch, history\), got int"),
    ("an optimizer built for another model", lambda: _fit([[1.0, 1.0]], [0.0], optimizer=optim.SGD(
        _model().parameters(), lr=0.1)), ValueError, r"the optimizer holds none of the model's 13 parameters"),
    ("a schedule that returns nan", lambda: _fit([[1.0, 1.0]], [0.0], lr_schedule=lambda k: NAN), ValueError,
     r"Invalid learning rate value: nan"),
    ("accuracy of text outputs", lambda: train.accuracy(["a"], [1]), TypeError,
     r"accuracy: sample 0 has output 'a' and target 1; outputs must be numbers"),
    # serialize
    ("save something that is not a model", lambda: serialize.save_model(5, "unused.json"), TypeError,
     r"save_model expects an MLP \(with config\(\) and state_dict\(\)\), got int"),
    ("load a missing file", lambda: MLP.load("/nonexistent/dir/model.json"), FileNotFoundError,
     r"No such file or directory: '/nonexistent/dir/model.json'"),
    ("save into a missing directory", lambda: _model().save("nodir/x.json"), FileNotFoundError,
     r"^\[Errno 2\] No such file or directory: 'nodir/x.json'$"),
    ("save to an empty path", lambda: _model().save(""), FileNotFoundError,
     r"^\[Errno 2\] No such file or directory: ''$"),
    ("save over a directory", lambda: (os.mkdir("d"), _model().save("d")), IsADirectoryError,
     r"^\[Errno 21\] Is a directory: 'd'$"),
    ("load an empty path", lambda: MLP.load(""), FileNotFoundError, r"^\[Errno 2\] No such file or directory: ''$"),
    ("load a directory", lambda: (os.mkdir("d"), MLP.load("d")), serialize.ModelFileError,
     r"^d: cannot read the file: Is a directory$"),
    ("load a symlink loop", _symlink_loop_load, serialize.ModelFileError,
     r"^loop.json: cannot read the file: Too many levels of symbolic links$"),
    ("load into a model of another architecture", _load_into_other_architecture, serialize.ModelFileError,
     r"^m.json: the file holds MLP\(2, \[3, 1\]\) but this model is MLP\(2, \[4, 1\]\); "
     r"load it as a new model with MLP.load\(path\)$"),
    ("load a module of your own by its class", _load_a_module_by_its_class, TypeError,
     r"^_TwoLayers.load\(path\) would need to rebuild a module of your own; build it, then load into it: "
     r"model = _TwoLayers\(...\); model.load\(path\)$"),
    ("load a module's file into one of another shape", _load_another_modules_file, serialize.ModelFileError,
     r"^m.json: state does not match this _TwoLayers's 17 parameters: missing 4 \('hidden.neurons.3.w.0'"),
    # compile
    ("compile a number", lambda: micrograd.compile(5), TypeError, r"compile expects a function of Values, got int"),
    ("unknown backend", lambda: micrograd.compile(lambda x: x, backend="cuda"), ValueError,
     r"unknown backend 'cuda': choose one of 'auto', 'numpy', 'python'"),
    ("an empty batch", lambda: micrograd.compile(lambda x: x * 2)([]), ValueError, r"argument 'x' is an empty batch"),
    ("unknown compiled reduction", lambda: micrograd.compile(lambda x: x * 2)([1.0], reduction="max"), ValueError,
     r"reduction must be one of 'mean', 'sum', 'none', got 'max'"),
    # gradcheck
    ("gradcheck of a number", lambda: gradcheck(5, [1.0]), TypeError, r"gradcheck: f must be callable, got int"),
    ("gradcheck f returning a number", lambda: gradcheck(lambda x: 3, [1.0]), TypeError,
     r"f must return a Value or a list of Values, got int"),
    ("gradcheck eps True", lambda: gradcheck(lambda x: x, [1.0], eps=True), TypeError,
     r"^gradcheck: eps is True \(a bool\)"),
    ("gradcheck eps 0", lambda: gradcheck(lambda x: x, [1.0], eps=0), ValueError, r"eps must be a positive number"),
    # expression
    ("expression not a string", lambda: expression.evaluate(5), TypeError, r"expression must be a str, got int"),
    ("an incomplete expression", lambda: expression.evaluate("x+", {"x": 1.0}), ExpressionError,
     r"column 3: the expression is incomplete"),
    ("a variable that is a string", lambda: expression.evaluate("x", {"x": "a"}), ExpressionError,
     r"the value of x must be a number, got str"),
    ("a node of an unknown label without `_backward`", lambda: Value(1.0, (Value(1.0),), "softplus").backward(),
     TypeError, r"the 'softplus' node has no backward: 'softplus' is not an operation micrograd knows"),
    ("`_backward` set to a number", lambda: setattr(Value(1.0), "_backward", 3), TypeError,
     r"_backward must be a function of no arguments, got int"),
    ("create_graph through a `_backward` closure", lambda: _closure_node().backward(create_graph=True), TypeError,
     r"create_graph=True cannot differentiate again the 'exp' node: its backward is a Python closure"),
    ("compile a `_backward` closure", lambda: _compile_closure(), TypeError,
     r"micrograd.compile cannot write code for the 'exp' node: its backward is a Python closure"),
    ("apply a string", lambda: apply("exp", Value(1.0)), TypeError, r"apply\(\) expects an operation"),
    ("apply with too many inputs", lambda: apply(ops.EXP, 1.0, 2.0), ValueError,
     r"operation 'exp' takes 1 input\(s\), got 2"),
    ("Value < str", lambda: Value(1.0) < "a", TypeError, r"'<' not supported between instances of 'Value' and 'str'"),
    # viz (no Graphviz binary needed: these are refused before drawing)
    ("draw a number", lambda: viz.draw_dot(5), TypeError, r"draw_dot expects a Value or a non-empty list of Values"),
    ("unknown rankdir", lambda: viz.draw_dot(Value(1.0), rankdir="XX"), ValueError, r"rankdir must be one of 'LR'"),
    ("zero max_nodes", lambda: viz.draw_dot(Value(1.0), max_nodes=0), ValueError, r"max_nodes must be a positive int"),
    ("max_nodes True", lambda: viz.draw_dot(Value(1.0), max_nodes=True), TypeError, r"max_nodes is True \(a bool\)"),
    ("a float max_nodes", lambda: viz.draw_dot(Value(1.0), max_nodes=2.0), TypeError,
     r"max_nodes must be a positive int, got float: 2.0"),
    ("save a number", lambda: viz.save_graph(5, "unused.svg"), TypeError, r"save_graph expects a Value"),
]


@pytest.mark.parametrize(("call", "error", "message"), [c[1:] for c in CATALOGUE], ids=[c[0] for c in CATALOGUE])
def test_catalogue(call, error, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=message) as info:
        call()
    text = str(info.value)
    assert "\n" not in text and len(text) < 400, text  # one line, not a dump


def _documented_api_errors() -> dict[str, str]:
    """The rows of docs/errors.md's "The public API" section: what you do → the error's type."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "errors.md").read_text(encoding="utf-8")
    section = text.split("\n## The public API\n", 1)[1].split("\n## ", 1)[0]
    # the tensor subsections are matched against their own tests (tests/test_tensor*_errors.py)
    scalar = [part for part in section.split("\n### ") if not part.startswith("tensor")]
    rows = {}
    for line in "\n".join(scalar).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if line.startswith("|") and len(cells) == 3 and cells[0] not in ("What you do", "---|---|---"):
            if set(cells[0]) <= set("-|"):
                continue
            rows[cells[0]] = cells[1].strip("`")
    return rows


def test_the_catalogue_and_docs_errors_md_list_the_same_cases():
    """Every case here is a row of docs/errors.md with the same error type, and every row is a case here."""
    documented = _documented_api_errors()
    tested = {name: error.__name__ for name, _, error, _ in CATALOGUE}
    assert sorted(set(tested) - set(documented)) == [], "tested but not in docs/errors.md"
    assert sorted(set(documented) - set(tested)) == [], "in docs/errors.md but not tested"
    assert {name: documented[name] for name in tested} == tested


def test_bad_training_data_leaves_the_model_untouched():
    model = _model()
    before = model.state_dict()
    for X, y in (([[NAN, 1.0]], [1.0]), ([[1.0, 2.0, 3.0]], [1.0]), ([[1.0, 2.0]], [[0.0, 1.0]])):
        with pytest.raises(ValueError):
            _fit(X, y, model=model)
    assert model.state_dict() == before


def test_a_diverging_learning_rate_stops_training_and_says_so():
    """Instead of printing nan for the remaining epochs, fit stops at the first non-finite
    loss or gradient, warns, and keeps the last finite parameters."""
    model = MLP(2, [8, 1], activation="tanh", rng=random.Random(1))
    X = [[i / 5, 1 - i / 7] for i in range(12)]
    y = [float(i % 3) for i in range(12)]
    seen = []
    with pytest.warns(RuntimeWarning, match=r"training stopped at step \d+ \(epoch \d+\): the loss is .* the "
                                            r"learning rate is probably too large"):
        history = train.fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=1e200),
                            epochs=1000, verbose=False, callback=lambda epoch, h: seen.append(epoch))
    assert history.diverged and history.stop_reason == "diverged"
    assert history.steps < 10 and len(seen) == history.epochs < 10
    assert all(math.isfinite(v) for v in history.loss)
    assert all(math.isfinite(p.data) for p in model.parameters())


def test_a_model_that_diverged_is_not_saved(tmp_path):
    model = _model()
    model.parameters()[0].data = INF
    with pytest.raises(ValueError, match=r"parameter 'layers.0.neurons.0.w.0' is inf \(did training diverge\?\)"):
        model.save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


def test_the_demo_command_reports_divergence_in_one_line(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    from micrograd.apps import cli

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        code = cli.main(["demo", "moons", "--lr", "1e10", "--epochs", "30", "--quiet", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == cli.EXIT_DIVERGED == 4
    assert "(diverged)" in captured.out
    assert captured.err.splitlines() == [
        captured.err.strip()
    ] and captured.err.startswith("micrograd: warning: training stopped at step"), captured.err


@given(st.integers() | st.sampled_from([10**400, -(10**400), 10**5000, 2**1024, 2**1024 - 1]))
@settings(max_examples=300, deadline=None)
def test_any_int_is_a_float_or_a_short_clear_error(n):
    try:
        value = Value(n)
    except ValueError as e:
        text = str(e)
        assert text.startswith("Value data is too large for a float") and len(text) < 200 and "\n" not in text
        assert abs(n) >= 2**1024 - 2**970  # only ints that round beyond the largest float
    else:
        assert value.data == float(n)
