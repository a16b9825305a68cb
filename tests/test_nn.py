"""The neural-network library: the original API, fused and unfused neurons, state, errors."""

from __future__ import annotations

import math
import random

import pytest

from micrograd import MLP, Layer, Module, Neuron, Value, topological_order
from micrograd.nn import ACTIVATIONS, Parameter


def test_original_reprs_and_parameter_counts():
    random.seed(0)
    model = MLP(2, [16, 16, 1])
    assert repr(Neuron(2)) == "ReLUNeuron(2)"
    assert repr(Neuron(3, nonlin=False)) == "LinearNeuron(3)"
    assert repr(Layer(2, 2)) == "Layer of [ReLUNeuron(2), ReLUNeuron(2)]"
    assert repr(model) == (
        "MLP(\n"
        "  (layers.0): Layer of 16 × ReLUNeuron(2)\n"
        "  (layers.1): Layer of 16 × ReLUNeuron(16)\n"
        "  (layers.2): Layer of 1 × LinearNeuron(16)\n"
        ")"
    )
    assert len(model.parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1 == 337


def test_init_follows_the_original_random_sequence():
    random.seed(42)
    neuron = Neuron(3)
    random.seed(42)
    expected = [random.uniform(-1, 1) for _ in range(3)]
    assert [w.data for w in neuron.w] == expected and neuron.b.data == 0.0


def test_scaled_init_divides_by_sqrt_fan_in_and_rng_is_respected():
    a = Neuron(16, init="scaled", rng=random.Random(7))
    b = Neuron(16, rng=random.Random(7))
    assert all(math.isclose(wa.data, wb.data / 4, rel_tol=1e-15) for wa, wb in zip(a.w, b.w))
    assert all(abs(w.data) <= 0.25 for w in a.w)


def test_named_parameters_and_parameter_order():
    model = MLP(2, [3, 1])
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.1.neurons.0.b"
    assert [p for _, p in model.named_parameters()] == model.parameters()
    neuron = model.layers[0].neurons[0]
    assert neuron.parameters() == neuron.w + [neuron.b]


def test_zero_grad_resets_every_parameter():
    model = MLP(2, [4, 1])
    model([1.0, -2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_one_output_gives_a_value_several_give_a_list_and_width_one_hidden_layers_work():
    assert isinstance(MLP(2, [16, 1, 1])([0.5, -0.5]), Value)
    out = MLP(2, [4, 3])([0.5, -0.5])
    assert isinstance(out, list) and len(out) == 3
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)


def test_inputs_may_be_floats_values_or_a_scalar_for_one_input():
    random.seed(1)
    model = MLP(2, [4, 1])
    expected = model([0.25, -1.5]).data
    assert model([Value(0.25), Value(-1.5)]).data == expected
    one = MLP(1, [4, 1])
    assert one(0.5).data == one([0.5]).data


def test_inputs_may_be_numpy_rows_and_scalars():
    np = pytest.importorskip("numpy")
    random.seed(1)
    model = MLP(2, [4, 1])
    expected = model([0.25, -1.5]).data
    assert model(np.array([0.25, -1.5])).data == expected
    assert model((np.float32(0.25), -1.5)).data == expected
    one = MLP(1, [4, 1])
    assert one(np.float64(0.5)).data == one([0.5]).data


@pytest.mark.parametrize(
    ("model", "x", "message"),
    [
        (MLP(2, [4, 1]), [1.0, 2.0, 3.0], r"MLP\(2, \[4, 1\]\) expects 2 inputs, got 3"),
        (Layer(3, 2), [1.0], r"Layer\(3, 2\) expects 3 inputs, got 1"),
        (Neuron(2), [1.0], r"ReLUNeuron\(2\) expects 2 inputs, got 1"),
        (MLP(2, [4, 1]), 1.0, "expects 2 inputs, got 1"),
    ],
)
def test_wrong_number_of_inputs_names_expected_and_got(model, x, message):
    with pytest.raises(ValueError, match=message):
        model(x)


def test_bad_constructor_arguments_are_named():
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        MLP(2, [4, 1], activation="gelu")
    with pytest.raises(ValueError, match="unknown output_activation"):
        MLP(2, [4, 1], output_activation="softmax")
    with pytest.raises(ValueError, match="unknown init 'xavier'"):
        Neuron(2, init="xavier")
    with pytest.raises(ValueError, match="nin must be a positive int up to 10,000,000, got 0"):
        MLP(0, [1])
    with pytest.raises(ValueError, match="nouts must be a non-empty list"):
        MLP(2, 4)
    with pytest.raises(TypeError, match="each layer size in nouts must be a positive int up to 10,000,000, got float"):
        MLP(2, [2.5, 1])
    with pytest.raises(TypeError, match="expects a sequence of 2 numbers"):
        MLP(2, [1])(object())
    with pytest.raises(TypeError, match="must be a real number, got str"):
        MLP(2, [1])(["a", "b"])


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_each_activation_is_applied(activation):
    random.seed(3)
    neuron = Neuron(2, activation=activation)
    neuron.b.data = 0.3
    pre = neuron.w[0].data * 0.5 + neuron.w[1].data * -2.0 + 0.3
    expected = {"relu": max(pre, 0.0), "tanh": math.tanh(pre), "sigmoid": 1 / (1 + math.exp(-pre)), "linear": pre}
    assert neuron([0.5, -2.0]).data == pytest.approx(expected[activation], rel=1e-15)


def test_lecture_all_tanh_network_trains_on_the_four_samples():
    random.seed(5)
    model = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh")
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    for _ in range(100):
        loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad
    assert loss.data < 0.01


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_fused_and_unfused_are_bit_identical(activation):
    """The fused dot sums in the lecture's order, so outputs and gradients agree to the bit."""
    rng_state = random.Random(11)
    fused = MLP(3, [8, 8, 2], activation=activation, rng=random.Random(11))
    unfused = MLP(3, [8, 8, 2], activation=activation, fused=False, rng=random.Random(11))
    for _ in range(5):
        x = [rng_state.uniform(-2, 2) for _ in range(3)]
        out_f, out_u = fused(x), unfused(x)
        assert [o.data for o in out_f] == [o.data for o in out_u]
        (out_f[0] * out_f[1]).backward()
        (out_u[0] * out_u[1]).backward()
    assert [p.grad for p in fused.parameters()] == [p.grad for p in unfused.parameters()]
    interior_f = len(topological_order(out_f[0], leaves=False))
    interior_u = len(topological_order(out_u[0], leaves=False))
    assert interior_f * 5 < interior_u


def test_state_dict_round_trip():
    a, b = MLP(2, [3, 1], rng=random.Random(1)), MLP(2, [3, 1], rng=random.Random(2))
    b.load_state_dict(a.state_dict())
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert a([0.3, 0.7]).data == b([0.3, 0.7]).data


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (lambda s: s.pop("layers.0.neurons.0.b"), ValueError, r"missing 1 \('layers.0.neurons.0.b'\)"),
        (lambda s: s.update(extra=1.0), ValueError, r"unexpected 1 \('extra'\)"),
        (lambda s: s.update({"layers.1.neurons.0.w.2": "x"}), TypeError, r"state\['layers.1.neurons.0.w.2'\]"),
        (lambda s: s.update({"layers.0.neurons.1.w.0": [1.0]}), TypeError, "got list"),
    ],
)
def test_load_state_dict_rejects_bad_state_and_changes_nothing(mutate, error, message):
    model = MLP(2, [3, 1], rng=random.Random(1))
    before = [p.data for p in model.parameters()]
    state = {k: v + 1.0 for k, v in model.state_dict().items()}
    mutate(state)
    with pytest.raises(error, match=message):
        model.load_state_dict(state)
    assert [p.data for p in model.parameters()] == before


def test_load_state_dict_needs_a_mapping():
    with pytest.raises(TypeError, match="expects a mapping"):
        MLP(2, [1]).load_state_dict([1.0, 2.0])


def test_custom_module_finds_parameters_in_attributes():
    class Affine(Module):
        def __init__(self):
            self.scale = Parameter(2.0)
            self.inner = Neuron(1, nonlin=False)
            self.extras = [Parameter(1.0), Parameter(3.0)]
            self.note = "not a parameter"

    names = [n for n, _ in Affine().named_parameters()]
    assert names == ["scale", "inner.w.0", "inner.b", "extras.0", "extras.1"]


@pytest.mark.torch
@pytest.mark.parametrize("fused", [True, False])
def test_mlp_outputs_and_gradients_match_pytorch(fused, torch_module):
    torch = torch_module
    model = MLP(3, [5, 4, 2], activation="tanh", rng=random.Random(4), fused=fused)
    layers = []
    for i, layer in enumerate(model.layers):
        linear = torch.nn.Linear(len(layer.neurons[0].w), len(layer.neurons)).double()
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        layers.append(linear)
        if i < len(model.layers) - 1:
            layers.append(torch.nn.Tanh())
    reference = torch.nn.Sequential(*layers)
    xs = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
    loss = sum(sum(o * o for o in model(x)) for x in xs)
    loss.backward()
    loss_t = (reference(torch.tensor(xs, dtype=torch.float64)) ** 2).sum()
    loss_t.backward()
    assert math.isclose(loss.data, loss_t.item(), rel_tol=1e-12)
    ours = [[n.w[j].grad for j in range(len(n.w))] for layer in model.layers for n in layer.neurons]
    theirs = [row for lin in reference if isinstance(lin, torch.nn.Linear) for row in lin.weight.grad.tolist()]
    for row_ours, row_theirs in zip(ours, theirs, strict=True):
        for a, b in zip(row_ours, row_theirs):
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)


def test_numpy_integers_are_sizes():
    import json

    np = pytest.importorskip("numpy")
    from micrograd import data, optim, train

    model = MLP(np.int64(2), np.array([3, 1]), rng=random.Random(0))
    assert model.config()["nin"] == 2 and model.config()["nouts"] == [3, 1]
    json.dumps(model.config())  # plain ints, not NumPy ones
    assert type(model.nin) is int and all(type(n) is int for n in model.nouts)
    assert MLP(np.int64(2), [1], rng=random.Random(0)).nin == 2
    assert len(Layer(np.int32(2), np.int64(3)).neurons) == 3
    assert len(Neuron(np.int16(4)).w) == 4
    X, y = data.moons(np.int64(10))
    assert len(X) == 10 and len(data.spirals(np.int64(12), n_classes=np.int64(3))[0]) == 12
    history = train.fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=0.01),
                        epochs=np.int64(2), batch_size=np.int64(5), verbose=False)
    assert history.epochs == 2 and history.steps == 4
    assert optim.LinearDecay(1.0, 0.0, np.int64(10))(np.int64(5)) == 0.5


def test_load_on_an_instance_loads_into_it_and_on_the_class_makes_a_new_model(tmp_path):
    saved = MLP(2, [3, 1], rng=random.Random(1))
    saved.save(tmp_path / "m.json")
    model = MLP(2, [3, 1], rng=random.Random(2))
    params = model.parameters()
    assert model.load(tmp_path / "m.json") is model
    assert model.parameters() == params and model.state_dict() == saved.state_dict()
    fresh = MLP.load(tmp_path / "m.json")
    assert fresh is not saved and fresh.state_dict() == saved.state_dict()


def test_load_into_another_architecture_changes_nothing(tmp_path):
    from micrograd.serialize import ModelFileError

    MLP(2, [3, 1], rng=random.Random(1)).save(tmp_path / "m.json")
    for other in (MLP(2, [4, 1]), MLP(3, [3, 1]), MLP(2, [3, 1], activation="tanh"),
                  MLP(2, [3, 1], output_activation="sigmoid")):
        before = other.state_dict()
        with pytest.raises(ModelFileError, match=r"m.json: the file holds MLP\(2, \[3, 1\].* but this model is MLP"):
            other.load(tmp_path / "m.json")
        assert other.state_dict() == before
    unfused = MLP(2, [3, 1], fused=False, init="scaled")  # the same function, built another way: loads
    assert unfused.load(tmp_path / "m.json").state_dict() == MLP.load(tmp_path / "m.json").state_dict()
