"""Module machinery: what a parameter is, walking submodules, overrides, train/eval."""

from __future__ import annotations

import copy
import json
import pickle
import random
import sys

import pytest

from micrograd import MLP, Layer, Module, Neuron, Parameter, Value, no_grad
from micrograd.optim import SGD, Adam


class TwoLayer(Module):
    def __init__(self):
        self.l1 = Layer(3, 4, activation="tanh", rng=random.Random(0))
        self.l2 = Layer(4, 1, activation="tanh", rng=random.Random(1))

    def __call__(self, x):
        self.cache = self.l1(x)
        return self.l2(self.cache)


def test_a_cached_activation_is_not_a_parameter():
    model = TwoLayer()
    assert len(model.parameters()) == 21
    model([1.0, 2.0, 3.0])
    assert len(model.parameters()) == 21
    assert [name for name, _ in model.named_parameters()][-1] == "l2.neurons.0.b"


def test_constants_and_no_grad_results_are_not_parameters():
    class Scaled(Module):
        def __init__(self):
            self.weight = Parameter(0.5)
            self.scale = Value(3.0)  # a constant
            with no_grad():
                self.shifted = self.weight + 1.0
            self.product = self.weight * 2.0

    model = Scaled()
    assert model.parameters() == [model.weight]


def test_parameters_are_values_and_results_are_plain_values():
    p = Parameter(2.0, label="w")
    assert isinstance(p, Value) and p.label == "w"
    assert repr(p) == "Parameter(data=2.0, grad=0.0)"
    y = p * p + 1
    y.backward()
    assert type(y) is Value and p.grad == 4.0
    neuron = Neuron(2)
    assert all(type(q) is Parameter for q in neuron.parameters())


def test_parameters_survive_pickle_and_deepcopy():
    model = MLP(2, [3, 1], rng=random.Random(0))
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert all(type(q) is Parameter for q in clone.parameters())
        assert clone.state_dict() == model.state_dict()
        assert clone([0.5, -1.0]).data == model([0.5, -1.0]).data
    p = Parameter(1.0)
    p.m = 0.0  # an optimizer's state on the parameter itself, as EurekaLabs' AdamW keeps it
    assert p.m == 0.0 and sys.getsizeof(Parameter(1.0)) == sys.getsizeof(Value(1.0))


def test_lists_tuples_and_dicts_of_modules_are_walked():
    class Heads(Module):
        def __init__(self):
            self.heads = {"a": Neuron(2, rng=random.Random(0)), "b": Neuron(2, rng=random.Random(1))}
            self.pair = (Neuron(1), [Neuron(1)])

    model = Heads()
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "heads.a.w.0", "heads.a.w.1", "heads.a.b", "heads.b.w.0", "heads.b.w.1", "heads.b.b",
        "pair.0.w.0", "pair.0.b", "pair.1.0.w.0", "pair.1.0.b",
    ]  # fmt: skip
    assert [name for name, _ in model.named_children()] == ["heads.a", "heads.b", "pair.0", "pair.1.0"]


def test_a_shared_module_or_a_back_reference_is_counted_once():
    class Tied(Module):
        def __init__(self):
            self.first = Neuron(2)
            self.again = self.first
            self.first.owner = self  # a reference back up the tree

    model = Tied()
    assert len(model.parameters()) == 3
    assert len(list(model.modules())) == 2


def test_modules_and_children():
    model = MLP(2, [3, 3, 1])
    assert list(model.children()) == model.layers
    modules = list(model.modules())
    assert modules[0] is model and modules[1] is model.layers[0]
    assert modules[2] is model.layers[0].neurons[0]
    assert len(modules) == 1 + 3 + 7
    names = [name for name, _ in model.named_modules()]
    assert names[:3] == ["", "layers.0", "layers.0.neurons.0"]


def test_train_and_eval_set_the_flag_everywhere():
    model = MLP(2, [3, 1])
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(TypeError, match="train\\(\\) expects True or False, got str"):
        model.train("no")


class LectureNeuron(Module):
    """The lecture's Neuron: plain Values and its own parameters()."""

    def __init__(self, nin):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(random.uniform(-1, 1))
        self.spare = Value(7.0)

    def __call__(self, x):
        return sum((wi * xi for wi, xi in zip(self.w, x)), self.b).tanh()

    def parameters(self):
        return self.w + [self.b]


def test_a_parameters_override_is_honoured_by_zero_grad_and_state_dict():
    neuron = LectureNeuron(2)
    neuron([1.0, 2.0]).backward()
    neuron.spare.grad = 5.0
    neuron.zero_grad()
    assert all(p.grad == 0.0 for p in neuron.parameters()) and neuron.spare.grad == 5.0
    assert list(neuron.state_dict()) == ["w.0", "w.1", "b"]
    assert [p for _, p in neuron.named_parameters()] == neuron.parameters()
    neuron.load_state_dict({"w.0": 1.0, "w.1": 2.0, "b": 3.0})
    assert [p.data for p in neuron.parameters()] == [1.0, 2.0, 3.0]


def test_an_override_inside_a_module_is_honoured_and_unnamed_values_are_numbered():
    class Odd(Module):
        def __init__(self):
            self.hidden = Value(1.0)

        def parameters(self):
            return [self.hidden, Value(2.0)]

    class Outer(Module):
        def __init__(self):
            self.inner = LectureNeuron(1)
            self.odd = Odd()

    assert list(Outer().state_dict()) == ["inner.w.0", "inner.b", "odd.hidden", "odd.1"]


def test_an_override_may_extend_super_parameters():
    class Scaled(Module):
        def __init__(self):
            self.inner = Neuron(1)
            self.gain = Value(2.0)  # not a Parameter: trained only because parameters() says so

        def parameters(self):
            return super().parameters() + [self.gain]

    model = Scaled()
    assert model.parameters() == [*model.inner.parameters(), model.gain]
    assert list(model.state_dict()) == ["inner.w.0", "inner.b", "gain"]


def test_a_named_parameters_override_is_honoured_everywhere():
    class Renamed(Module):
        def __init__(self):
            self.inner = Neuron(2)

        def named_parameters(self):
            for name, p in super().named_parameters():
                yield name.replace("inner.", "n/"), p

    model = Renamed()
    assert list(model.state_dict()) == ["n/w.0", "n/w.1", "n/b"]
    assert model.parameters() == model.inner.parameters()
    assert SGD(model).params == model.inner.parameters()


def test_a_parameters_override_is_honoured_by_optimizers():
    random.seed(3)
    neuron = LectureNeuron(2)
    for opt in (SGD(neuron, lr=0.1), Adam(neuron, lr=0.1)):
        assert opt.params == neuron.parameters()
    opt = SGD(neuron, lr=0.1)
    neuron([1.0, 2.0]).backward()
    opt.step()
    assert neuron.spare.data == 7.0


def test_a_parameters_override_is_honoured_by_saving(tmp_path):
    class Head(MLP):
        """Only the last layer is the model's parameters (the rest stays as built)."""

        def parameters(self):
            return self.layers[-1].parameters()

    model = Head(2, [3, 1], rng=random.Random(0))
    path = tmp_path / "head.json"
    model.save(path)
    saved = json.loads(path.read_text())["parameters"]
    assert list(saved) == ["layers.1.neurons.0.w.0", "layers.1.neurons.0.w.1", "layers.1.neurons.0.w.2",
                           "layers.1.neurons.0.b"]  # fmt: skip


def test_a_model_saved_through_a_parameters_override_loads_back(tmp_path):
    class Head(MLP):
        def parameters(self):
            return self.layers[-1].parameters()

    model = Head(2, [3, 1], rng=random.Random(0))
    model.save(tmp_path / "head.json")
    assert Head.load(tmp_path / "head.json").state_dict() == model.state_dict()
    other = Head(2, [3, 1], rng=random.Random(1))
    assert other.load(tmp_path / "head.json").state_dict() == model.state_dict()


def test_an_optimizer_for_a_module_of_plain_values_says_what_to_do():
    class Plain(Module):
        def __init__(self):
            self.w = [Value(1.0), Value(2.0)]
            self.b = Value(0.0)

    message = (
        r"SGD got an empty parameter list: Plain holds Values \('w.0', 'w.1', 'b'\) but no Parameter; "
        r"make the ones to train micrograd.nn.Parameter\(...\), or define parameters\(\)"
    )
    with pytest.raises(ValueError, match=message):
        SGD(Plain(), lr=0.1)
    with pytest.raises(ValueError, match=r"^SGD got an empty parameter list$"):
        SGD([], lr=0.1)


def test_zero_grad_set_to_none_leaves_a_zero_float():
    model = MLP(2, [2, 1])
    model([1.0, 1.0]).backward()
    model.zero_grad(set_to_none=True)
    assert all(p.grad == 0.0 and type(p.grad) is float for p in model.parameters())
    model([1.0, 1.0]).backward()  # and the next backward accumulates into it
    with pytest.raises(TypeError, match="set_to_none must be True or False, got NoneType"):
        model.zero_grad(set_to_none=None)
