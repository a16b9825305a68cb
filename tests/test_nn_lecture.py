"""``init='lecture'``: the lecture's network, trained as the lecture trains it, step for step.

The reference below is the lecture's engine as a learner types it: closures, children in
a set, a recursive topological sort, and tanh written through ``math.exp``.
"""

from __future__ import annotations

import math
import random

import pytest

from micrograd import MLP, Neuron

XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


class LectureValue:
    def __init__(self, data, _children=(), _op="", tanh=None):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self._tanh = tanh

    def __add__(self, other):
        other = other if isinstance(other, LectureValue) else LectureValue(other)
        out = LectureValue(self.data + other.data, (self, other), "+", self._tanh)

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, LectureValue) else LectureValue(other)
        out = LectureValue(self.data * other.data, (self, other), "*", self._tanh)

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other):
        out = LectureValue(self.data**other, (self,), f"**{other}", self._tanh)

        def _backward():
            self.grad += other * self.data ** (other - 1) * out.grad

        out._backward = _backward
        return out

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def tanh(self):
        x = self.data
        t = self._tanh(x)
        out = LectureValue(t, (self,), "tanh", self._tanh)

        def _backward():
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        topo = []
        visited = set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


class LectureNeuron:
    def __init__(self, nin, tanh):
        self.w = [LectureValue(random.uniform(-1, 1), tanh=tanh) for _ in range(nin)]
        self.b = LectureValue(random.uniform(-1, 1), tanh=tanh)

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh()

    def parameters(self):
        return self.w + [self.b]


class LectureLayer:
    def __init__(self, nin, nout, tanh):
        self.neurons = [LectureNeuron(nin, tanh) for _ in range(nout)]

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]


class LectureMLP:
    def __init__(self, nin, nouts, tanh):
        sz = [nin] + nouts
        self.layers = [LectureLayer(sz[i], sz[i + 1], tanh) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def lecture_tanh(x):
    """The lecture's formula."""
    return (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)


def train(model, steps=20, lr=0.05):
    """The lecture's loop: forward, sum of squared errors, zero the grads, backward, step."""
    losses, params = [], []
    for _ in range(steps):
        ypred = [model(x) for x in XS]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(YS, ypred))
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()
        for p in model.parameters():
            p.data += -lr * p.grad
        losses.append(loss.data)
        params.append([p.data for p in model.parameters()])
    return losses, params


def test_lecture_init_draws_weights_then_bias_per_neuron_and_defaults_to_tanh():
    random.seed(1337)
    reference = LectureMLP(3, [4, 4, 1], math.tanh)
    random.seed(1337)
    model = MLP(3, [4, 4, 1], init="lecture")
    assert [p.data for p in model.parameters()] == [p.data for p in reference.parameters()]
    assert {n.activation for layer in model.layers for n in layer.neurons} == {"tanh"}
    random.seed(5)
    neuron = Neuron(3, init="lecture")
    random.seed(5)
    assert [p.data for p in neuron.parameters()] == [random.uniform(-1, 1) for _ in range(4)]
    assert neuron.activation == "tanh"


def test_lecture_init_keeps_explicit_activations():
    model = MLP(3, [4, 1], init="lecture", activation="relu", output_activation="linear")
    assert [layer.neurons[0].activation for layer in model.layers] == ["relu", "linear"]
    assert Neuron(2, nonlin=False, init="lecture").activation == "linear"


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("tanh", [math.tanh, lecture_tanh], ids=["math.tanh", "lecture-formula"])
def test_lecture_network_trains_step_for_step_like_the_lecture_engine(fused, tanh):
    """20 steps of the lecture's loop give the reference's losses to within rounding.

    Forward passes are bit-identical (same products, same summation order, same tanh),
    so with ``math.tanh`` the first loss is equal to the last bit. The gradients may differ
    in the last bits, because a node used several times sums its incoming gradients in
    the order its users are visited, and the lecture keeps children in a set, whose order
    follows memory addresses. Over seeds 0..199 the worst relative loss difference
    measured in 20 steps was 7.6e-15; 1e-13 leaves room and still catches any real error.
    """
    random.seed(1337)
    reference = LectureMLP(3, [4, 4, 1], tanh)
    random.seed(1337)
    model = MLP(3, [4, 4, 1], init="lecture", fused=fused)
    expected, _ = train(reference)
    losses, _ = train(model)
    if tanh is math.tanh:
        assert losses[0] == expected[0]
    assert len(losses) == 20
    for ours, theirs in zip(losses, expected, strict=True):
        assert math.isclose(ours, theirs, rel_tol=1e-13)
    assert losses[-1] < losses[0] / 10
