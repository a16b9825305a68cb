"""Tensor layers: PyTorch's shapes, names, initialisation and outputs; seeded generators; state dicts both ways."""

from __future__ import annotations

import math

import pytest

np = pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')

from micrograd.tensor import Tensor, cross_entropy  # noqa: E402
from micrograd.tensor.generator import Generator, default_generator, manual_seed  # noqa: E402
from micrograd.tensor.nn import (  # noqa: E402
    BatchNorm1d,
    Embedding,
    Flatten,
    Linear,
    Module,
    Parameter,
    ReLU,
    Sequential,
    Tanh,
)

# --- the generator ---------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_numbers_and_manual_seed_restarts():
    a, b = Generator(5), Generator(5)
    for draw in (lambda g: g.randn(3, 4), lambda g: g.rand(7), lambda g: g.randint(0, 27, (32, 3)),
                 lambda g: g.randperm(9), lambda g: g.multinomial([0.1, 0.5, 0.4], 6, replacement=True)):  # fmt: skip
        assert np.array_equal(draw(a).data, draw(b).data)
    first = Generator(1).randn(5).data
    assert np.array_equal(Generator(0).manual_seed(1).randn(5).data, first)
    assert not np.array_equal(Generator(2).randn(5).data, first)


def test_the_stream_is_the_stored_one():
    """Stored reference numbers (written once from this code): if NumPy ever changed the PCG64
    stream or its transforms, models seeded with the same number would start differently."""
    g = Generator(2147483647)
    assert g.rand(3).data.tolist() == pytest.approx(
        [0.27085409914511427, 0.9338994503936809, 0.4394176650121123], rel=1e-15)  # fmt: skip
    assert g.randint(0, 27, (5,)).data.tolist() == [24, 17, 26, 13, 9]
    assert g.randn(2).data.tolist() == pytest.approx([0.4077230774341814, 2.1541940800070862], rel=1e-15)


def test_draws_have_the_documented_shapes_ranges_and_dtypes():
    g = Generator(3)
    assert g.randn(2, 3).shape == (2, 3) and g.randn((2, 3)).dtype == np.float64
    assert g.randn(4, dtype="float32").dtype == np.float32
    u = g.rand(1000).data
    assert u.min() >= 0 and u.max() < 1
    ints = g.randint(3, 7, (500,))
    assert ints.dtype == np.int64 and set(ints.data.tolist()) == {3, 4, 5, 6}
    assert set(g.randint(4, (200,)).data.tolist()) == {0, 1, 2, 3}  # torch.randint(high, size)
    assert sorted(g.randperm(10).data.tolist()) == list(range(10))
    w = g.uniform(-0.5, 0.5, 100).data
    assert w.min() >= -0.5 and w.max() < 0.5


def test_float32_draws_are_the_float64_ones_rounded():
    assert np.array_equal(Generator(4).randn(6, dtype="float32").data, Generator(4).randn(6).data.astype(np.float32))


def test_multinomial_follows_the_weights():
    g = Generator(0)
    draws = g.multinomial(Tensor([1.0, 0.0, 3.0]), 40000, replacement=True).data
    counts = np.bincount(draws, minlength=3) / len(draws)
    assert counts[1] == 0 and counts[2] == pytest.approx(0.75, abs=0.01)
    rows = g.multinomial(np.array([[0.2, 0.3, 0.5, 0.0], [1.0, 1.0, 1.0, 1.0]]), 3)
    assert rows.shape == (2, 3)
    assert all(len(set(r)) == 3 for r in rows.data.tolist())  # without replacement: no class twice
    assert 3 not in rows.data[0]


def test_layers_draw_from_the_default_generator_after_manual_seed():
    manual_seed(11)
    a = Linear(3, 2).weight.data
    manual_seed(11)
    assert np.array_equal(Linear(3, 2).weight.data, a)
    assert default_generator.seed == 11


# --- initialisation ----------------------------------------------------------------------------


def test_linear_default_init_is_pytorchs_kaiming_uniform_from_the_generator():
    layer = Linear(30, 200, generator=Generator(8))
    g = Generator(8)
    bound = 1 / math.sqrt(30)
    assert layer.weight.shape == (200, 30) and layer.bias.shape == (200,)
    assert np.array_equal(layer.weight.data, g.uniform(-bound, bound, 200, 30).data)
    assert np.array_equal(layer.bias.data, g.uniform(-bound, bound, 200).data)
    assert np.abs(layer.weight.data).max() <= bound


def test_linear_lecture_init_is_the_lectures_matrix_transposed():
    """makemore part 3: W = torch.randn((fan_in, fan_out), generator=g) * gain / fan_in**0.5, bias zero."""
    layer = Linear(30, 200, init="lecture", gain=5 / 3, generator=Generator(8))
    W = Generator(8).randn(30, 200).data * ((5 / 3) / 30**0.5)
    assert np.array_equal(layer.weight.data, W.T)
    assert not layer.bias.data.any()
    normal = Linear(30, 200, init="normal", generator=Generator(8))
    g = Generator(8)
    assert np.array_equal(normal.weight.data, g.randn(200, 30).data)
    assert np.array_equal(normal.bias.data, g.randn(200).data)


def test_embedding_init_is_standard_normal():
    assert np.array_equal(Embedding(27, 10, generator=Generator(9)).weight.data, Generator(9).randn(27, 10).data)


# --- modules ----------------------------------------------------------------------------------


def _makemore(g, hidden=20, batchnorm=True, dtype="float64"):
    layers = [Embedding(27, 10, generator=g, dtype=dtype), Flatten(), Linear(30, hidden, generator=g, dtype=dtype)]
    if batchnorm:
        layers.append(BatchNorm1d(hidden, dtype=dtype))
    return Sequential(*layers, Tanh(), Linear(hidden, 27, generator=g, dtype=dtype))


@pytest.mark.torch
def test_names_are_pytorchs(torch_module):
    model = _makemore(Generator(0))
    twin = model.to_torch()
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in twin.named_parameters()]
    assert list(model.state_dict()) == list(twin.state_dict())
    assert [n for n, _ in model.named_buffers()] == [n for n, _ in twin.named_buffers()]
    assert repr(model).splitlines()[1] == "  (0): Embedding(27, 10)"


def test_parameters_are_found_in_attributes_and_submodules_once():
    class Net(Module):
        def __init__(self):
            super().__init__()
            self.scale = Parameter([2.0])
            self.body = Sequential(Linear(2, 3, generator=Generator(0)), ReLU())
            self.shared = self.body  # the same module again: its parameters count once
            self.not_trained = Tensor([1.0])

        def forward(self, x):
            return self.body(x) * self.scale

    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "body.0.weight", "body.0.bias"]
    assert len(net.parameters()) == 3
    out = net(Tensor([[1.0, 2.0]]))
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net(Tensor([[1.0, 2.0]])).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(not p.grad.any() for p in net.parameters())
    assert net.eval() is net and not net.body[0].training
    assert net.train().body[1].training


def _copy_weights(torch, model):
    twin = model.to_torch()
    for (name, ours), (their_name, theirs) in zip(model.state_dict().items(), twin.state_dict().items(), strict=True):
        assert name == their_name and np.array_equal(ours, theirs.numpy())
    return twin


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_to_torch_gives_the_same_outputs_and_gradients(torch_module, dtype):
    torch = torch_module
    g = Generator(1)
    model = _makemore(g, dtype=dtype)
    twin = _copy_weights(torch, model)
    X, Y = g.randint(0, 27, (32, 3)), g.randint(0, 27, (32,))
    out = model(X)
    their_out = twin(torch.from_numpy(X.data))
    assert out.dtype == np.dtype(dtype) and their_out.dtype == getattr(torch, dtype)
    tolerance = 1e-13 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(out.data, their_out.detach().numpy(), rtol=tolerance, atol=tolerance)
    cross_entropy(out, Y).backward()
    torch.nn.functional.cross_entropy(their_out, torch.from_numpy(Y.data)).backward()
    for (name, p), q in zip(model.named_parameters(), twin.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10 if dtype == "float64" else 1e-3,
                                   atol=1e-15 if dtype == "float64" else 1e-6, err_msg=name)  # fmt: skip


@pytest.mark.torch
def test_linear_is_x_at_weight_transposed_plus_bias_for_1d_2d_3d(torch_module):
    layer = Linear(4, 3, generator=Generator(2))
    twin = layer.to_torch()
    x = Generator(3).randn(2, 5, 4)
    for sample in (x[0, 0], x[0], x):
        ours = layer(sample).data
        np.testing.assert_array_equal(ours, (sample.data @ layer.weight.data.T) + layer.bias.data)
        np.testing.assert_allclose(ours, twin(torch_module.from_numpy(sample.data)).detach().numpy(), rtol=1e-14)
    no_bias = Linear(4, 3, bias=False)
    assert no_bias.bias is None and list(no_bias.state_dict()) == ["weight"]


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(16, 5), (8, 5, 7)], ids=["2-D (N, C)", "3-D (N, C, L)"])
def test_batchnorm_training_statistics_and_eval_match_torch(torch_module, shape):
    torch = torch_module
    bn = BatchNorm1d(5)
    bn.weight.data = Generator(4).randn(5).data
    bn.bias.data = Generator(5).randn(5).data
    twin = bn.to_torch()
    g = Generator(6)
    for step in range(3):
        x = Tensor(g.randn(*shape).data * 3 + 1, requires_grad=True)
        tx = torch.tensor(x.data, requires_grad=True)
        out, their_out = bn(x), twin(tx)
        np.testing.assert_allclose(out.data, their_out.detach().numpy(), rtol=1e-12, atol=1e-13)
        weights = g.randn(*shape)
        (out * weights).sum().backward()
        (their_out * torch.from_numpy(weights.data)).sum().backward()
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-13, err_msg=f"step {step}")
        np.testing.assert_allclose(bn.weight.grad, twin.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean.data, twin.running_mean.numpy(), rtol=1e-14)
    np.testing.assert_allclose(bn.running_var.data, twin.running_var.numpy(), rtol=1e-14)
    assert bn.num_batches_tracked.item() == twin.num_batches_tracked.item() == 3
    bn.eval()
    twin.eval()
    x = g.randn(*shape)
    np.testing.assert_allclose(bn(x).data, twin(torch.from_numpy(x.data)).detach().numpy(), rtol=1e-13)
    before = bn.running_mean.data.copy()
    bn(x)
    assert np.array_equal(bn.running_mean.data, before)  # eval leaves the statistics alone


@pytest.mark.torch
def test_state_dicts_move_between_micrograd_and_pytorch_unchanged(torch_module):
    torch = torch_module
    ours = _makemore(Generator(7))
    theirs = _makemore(Generator(8)).to_torch()
    ours(Generator(9).randint(0, 27, (16, 3)))  # move the running statistics away from their start
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    other = _makemore(Generator(10))
    other.load_state_dict(theirs.state_dict())  # torch tensors, as PyTorch gives them
    for (name, a), b in zip(ours.state_dict().items(), other.state_dict().values(), strict=True):
        assert np.array_equal(a, b), name


def test_load_state_dict_checks_everything_before_changing_anything():
    model = _makemore(Generator(0))
    before = model.state_dict()
    bad = dict(before)
    bad["5.bias"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"state\['5.bias'\] has shape \(3,\), the module's is \(27,\)"):
        model.load_state_dict({**bad, "0.weight": before["0.weight"] + 1})
    assert all(np.array_equal(v, model.state_dict()[k]) for k, v in before.items())


def test_state_dict_is_a_copy():
    layer = Linear(2, 2, generator=Generator(0))
    state = layer.state_dict()
    state["weight"][0, 0] = 99.0
    assert layer.weight.data[0, 0] != 99.0


def test_flatten_and_activations():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4) - 12)
    assert Flatten()(x).shape == (2, 12) and Flatten(0)(x).shape == (24,)
    assert np.array_equal(ReLU()(x).data, np.maximum(x.data, 0))
    assert np.array_equal(Tanh()(x).data, np.tanh(x.data))


def test_embedding_gradient_adds_for_repeated_indices():
    emb = Embedding(5, 2, generator=Generator(0))
    emb(Tensor([[1, 1], [3, 1]])).sum().backward()
    assert emb.weight.grad[:, 0].tolist() == [0.0, 3.0, 0.0, 1.0, 0.0]


@pytest.mark.torch
def test_linear_is_one_node_and_gives_an_input_gradient_only_when_asked(torch_module):
    layer = Linear(4, 3, generator=Generator(2))
    twin = layer.to_torch()
    data = Generator(3).randn(5, 4)
    out = layer(data)
    assert out._op == "affine" and out._op.input_grad is False and [p is data for p in out._prev][0]
    x = Tensor(data.data, requires_grad=True)
    tx = torch_module.tensor(data.data, requires_grad=True)
    (layer(x) ** 2).sum().backward()
    (twin(tx) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(layer.weight.grad, twin.weight.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(layer.bias.grad, twin.bias.grad.numpy(), rtol=1e-13)


def test_l2_penalty_is_the_sum_of_squares_and_its_gradient():
    from micrograd.tensor.losses import l2_penalty

    a, b = Tensor([[1.0, -2.0]], requires_grad=True), Tensor([3.0], requires_grad=True)
    total = l2_penalty([a, b], 0.5)
    assert total.item() == 0.5 * (1 + 4 + 9)
    total.backward()
    assert a.grad.tolist() == [[1.0, -2.0]] and b.grad.tolist() == [3.0]


def _lecture_batchnorm(x, eps=1e-5, correction=1):
    """makemore part 5's BatchNorm1d forward on (N, L, C): mean and variance over dims (0, 1)."""
    mean = x.mean(axis=(0, 1), keepdims=True)
    var = x.var(axis=(0, 1), keepdims=True, ddof=correction)
    return (x - mean) / np.sqrt(var + eps), var.reshape(-1)


def test_the_lectures_layouts_are_one_transpose_away():
    x = Generator(12).randn(4, 6, 3)  # the lecture's (N, L, C)
    bn = BatchNorm1d(3)
    ours = bn(x.transpose(1, 2)).transpose(1, 2).data
    biased, _ = _lecture_batchnorm(x.data, correction=0)
    np.testing.assert_allclose(ours, biased, rtol=1e-13, atol=1e-15)  # the one difference left: n vs n - 1
    _, unbiased_var = _lecture_batchnorm(x.data)
    np.testing.assert_allclose(bn.running_var.data, 0.9 * 1 + 0.1 * unbiased_var, rtol=1e-15)
    layer = Linear(3, 5, generator=Generator(13))
    W = layer.weight.T  # the lecture's (in, out) matrix
    assert W.shape == (3, 5)
    np.testing.assert_array_equal(layer(x).data, x.data @ W.data + layer.bias.data)


def test_modules_in_a_list_are_found_under_pytorchs_modulelist_names():
    class Stack(Module):
        def __init__(self):
            super().__init__()
            self.layers = [Linear(2, 3, generator=Generator(0)), Tanh(), Linear(3, 1, generator=Generator(1))]

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    model = Stack()
    assert [n for n, _ in model.named_parameters()] == ["layers.0.weight", "layers.0.bias", "layers.2.weight",
                                                        "layers.2.bias"]  # fmt: skip
    assert list(model.state_dict()) == [n for n, _ in model.named_parameters()]
    assert model.eval() is model and not model.layers[1].training
