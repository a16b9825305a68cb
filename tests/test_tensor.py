"""micrograd.tensor: the contract (attributes, dtypes, backward semantics, in-place rules, memory)."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

np = pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')

import micrograd.tensor as mt  # noqa: E402
from micrograd import Value, no_grad  # noqa: E402
from micrograd.tensor import Tensor, arange, cat, cross_entropy, one_hot, ones, stack, tensor, zeros  # noqa: E402


def test_the_contract_names_exist():
    for name in ("Tensor", "cross_entropy", "log_softmax", "softmax", "one_hot", "cat", "stack", "zeros", "ones",
                 "arange", "tensor"):  # fmt: skip
        assert name in mt.__all__ and callable(getattr(mt, name))


def test_attributes():
    t = tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.dtype == np.float64 and t.numel() == 6
    assert t.is_leaf and t.requires_grad and t.grad is None
    assert isinstance(t.data, np.ndarray) and t.numpy() is t.data
    assert t.sum().item() == 21.0 and isinstance(t.sum().item(), float)
    d = t.detach()
    assert not d.requires_grad and d.data is t.data
    assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert len(t) == 2 and [row.shape for row in t] == [(3,), (3,)]
    assert repr(tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert repr(tensor([1, 2])) == "tensor([1, 2])"
    assert repr(tensor([1.0], dtype="float32")) == "tensor([1.], dtype=float32)"


def test_data_is_a_copy():
    source = np.array([1.0, 2.0])
    t = Tensor(source)
    source[0] = 9.0
    assert t.data[0] == 1.0


@pytest.mark.parametrize(
    ("data", "dtype", "expected"),
    [
        ([1.0, 2.0], None, np.float64),
        ([1, 2], None, np.int64),
        (np.array([1, 2], dtype=np.int32), None, np.int64),
        (np.array([1, 2], dtype=np.uint8), None, np.int64),
        (np.array([1.0], dtype=np.float32), None, np.float32),
        ([True, False], None, np.bool_),
        ([1, 2], "float32", np.float32),
        ([1, 2], np.float64, np.float64),
        (3.5, None, np.float64),
    ],
)
def test_dtypes_on_creation(data, dtype, expected):
    assert Tensor(data, dtype=dtype).dtype == expected


def test_dtype_promotion():
    """float32 stays float32 with numbers; float32 with float64 gives float64; ints stay int64
    with ints and become the float's dtype with floats (PyTorch's rules, float64 as the default)."""
    f32 = Tensor([1.0, 2.0], dtype="float32")
    f64 = Tensor([1.0, 2.0])
    i64 = Tensor([1, 2])
    assert (f32 * 2.5).dtype == np.float32 and (2 + f32).dtype == np.float32 and (f32**2).dtype == np.float32
    assert (f32 * np.float64(2.5)).dtype == np.float32  # a number is a number, whatever its type
    assert (f32 + f64).dtype == np.float64 and (f64 - f32).dtype == np.float64
    assert (i64 + 1).dtype == np.int64 and (i64 * i64).dtype == np.int64 and (-i64).dtype == np.int64
    assert (i64 * 2.5).dtype == np.float64 and (i64 + f32).dtype == np.float32
    assert (i64 / 2).dtype == np.float64 and (i64 / 2).tolist() == [0.5, 1.0]
    assert i64.relu().dtype == np.int64 and abs(i64).dtype == np.int64
    for op in ("exp", "tanh", "sigmoid", "log", "sqrt", "sin", "cos"):
        assert getattr(f32, op)().dtype == np.float32
    assert f32.sum().dtype == np.float32 and (f32 @ f32).dtype == np.float32
    assert (Tensor([True, False]) + Tensor([True, True])).tolist() == [2, 1]


def test_float32_gradients_stay_float32():
    x = Tensor(np.array([1.0, -2.0, 3.0], dtype=np.float32), requires_grad=True)
    w = Tensor([0.5, 0.25, 2.0], requires_grad=True)
    (x.tanh() * 2.0 + x.double() * w).sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64
    assert x.float() is x and x.double().dtype == np.float64


def test_requires_grad_spreads_and_is_settable_on_leaves():
    a, b = Tensor([1.0]), Tensor([2.0])
    assert not (a * b).requires_grad
    a.requires_grad = True
    c = a * b
    assert c.requires_grad and not c.is_leaf and c._op == "*"
    with pytest.raises(ValueError, match="only be changed on a leaf"):
        c.requires_grad = False
    with no_grad():
        assert not (a * b).requires_grad


def test_leaves_accumulate_and_a_second_backward_accumulates_again():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])
    loss.backward()  # the graph is kept: no retain_graph needed
    np.testing.assert_array_equal(x.grad, [4.0, 8.0, 12.0])
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0, 3.0])


def test_a_leaf_used_twice_sums_its_gradients():
    x = Tensor([2.0], requires_grad=True)
    (x * x + x).sum().backward()
    assert x.grad.tolist() == [5.0]


def test_intermediates_keep_grad_only_after_retain_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    kept = h.tanh()
    kept.retain_grad()
    loss = (kept * kept).sum()
    loss.backward()
    assert h.grad is None
    np.testing.assert_array_equal(kept.grad, 2 * kept.data)
    loss.backward()
    np.testing.assert_array_equal(kept.grad, 4 * kept.data)  # accumulates, as in PyTorch
    x.retain_grad()  # a leaf keeps its grad anyway
    with pytest.raises(ValueError, match="does not require grad"):
        Tensor([1.0]).retain_grad()


def test_backward_with_a_gradient_and_grad_assignment():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 2.0
    y.backward(np.array([[1.0, 0.0], [0.5, -1.0]]))
    np.testing.assert_array_equal(x.grad, [[2.0, 0.0], [1.0, -2.0]])
    x.grad = np.zeros((2, 2))
    x.grad = Tensor(np.ones((2, 2)))
    np.testing.assert_array_equal(x.grad, np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"grad must have the tensor's shape \(2, 2\), got \(3,\)"):
        x.grad = np.zeros(3)
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\), the tensor has shape \(2, 2\)"):
        y.backward(np.zeros(3))


def test_lecture_style_parameter_update_in_place():
    W = Tensor(np.ones((2, 2)), requires_grad=True)
    (W * 3.0).sum().backward()
    W.data -= 0.1 * W.grad
    np.testing.assert_allclose(W.data, 0.7)
    with no_grad():
        W -= 0.1 * Tensor(W.grad)  # PyTorch's in-place update of a parameter
    np.testing.assert_allclose(W.data, 0.4)


def test_in_place_changes_that_would_corrupt_a_gradient_are_refused():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"in-place \+= on a tensor that requires grad"):
        w += 1.0
    with pytest.raises(ValueError, match=r"t\[\.\.\.\] = v on a tensor that requires grad"):
        w[0] = 5.0
    y = w * w
    with no_grad():
        w[0] = 5.0  # after y used w
    with pytest.raises(ValueError, match=r"that '\*' needs for its gradient was changed in place"):
        y.sum().backward()
    v = Tensor(np.arange(6.0), requires_grad=True)
    view = v.detach().reshape(2, 3)
    z = (v * v).sum()
    view[0, 0] = 1.0  # a view of v's data: shares v's version counter
    with pytest.raises(ValueError, match="changed in place"):
        z.backward()
    plain = Tensor([1.0, 2.0])  # no graph involved: in place works
    plain += 1
    plain[1] = 7.0
    assert plain.tolist() == [2.0, 7.0]


def test_no_grad_is_per_thread_for_tensors():
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def evaluate():
        with no_grad():
            seen["worker"] = (Tensor([1.0], requires_grad=True) * 2).requires_grad
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=evaluate)
    worker.start()
    assert inside.wait(10)
    seen["main"] = (Tensor([1.0], requires_grad=True) * 2).requires_grad
    seen["value"] = bool((Value(1.0) * 2)._prev)
    release.set()
    worker.join()
    assert seen == {"worker": False, "main": True, "value": True}


def test_a_dropped_graph_is_freed_at_once_without_the_garbage_collector():
    gc.collect()
    gc.disable()
    try:
        W = Tensor(np.ones((50, 50)), requires_grad=True)
        x = Tensor(np.ones((4, 50)))
        hidden = (x @ W).tanh()
        probe = weakref.ref(hidden)
        loss = cross_entropy(hidden @ W, [1, 2, 3, 4])
        loss.backward()
        del hidden, loss
        assert probe() is None
        assert W.grad.shape == (50, 50)
    finally:
        gc.enable()


def test_graph_nodes_form_no_reference_cycles():
    gc.collect()
    x = Tensor(np.ones((3, 3)), requires_grad=True)
    y = cross_entropy(cat([x, x * 2], 0)[arange(6), Tensor([0, 1, 2, 0, 1, 2])].reshape(2, 3), [0, 1])
    y.backward()
    del y
    assert gc.collect() == 0


def test_a_deep_chain_needs_no_recursion():
    x = Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(20000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0]


def test_broadcasting_is_a_visible_node():
    a = Tensor(np.ones((3, 1)), requires_grad=True)
    b = Tensor(np.ones((1, 4)), requires_grad=True)
    c = a + b
    assert c.shape == (3, 4) and [p._op for p in c._prev] == ["expand", "expand"]
    c.sum().backward()
    np.testing.assert_array_equal(a.grad, [[4.0], [4.0], [4.0]])
    np.testing.assert_array_equal(b.grad, [[3.0, 3.0, 3.0, 3.0]])
    same = a * a
    assert same._prev == (a, a)


def test_max_along_a_dim_returns_values_and_indices():
    x = Tensor([[1.0, 5.0, 5.0], [2.0, 0.0, 2.0]], requires_grad=True)
    values, indices = x.max(1)
    assert values.tolist() == [5.0, 2.0] and indices.tolist() == [1, 0] and indices.dtype == np.int64
    values.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # to the returned index
    x.grad = None
    x.max().backward()  # the full max: ties share
    np.testing.assert_array_equal(x.grad, [[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]])


def test_embedding_lookup_adds_gradients_of_repeated_rows():
    C = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    X = np.array([[0, 2], [2, 2]])
    C[X].sum().backward()
    np.testing.assert_array_equal(C.grad, [[1.0, 1.0], [0.0, 0.0], [3.0, 3.0]])


def test_creation_functions():
    assert zeros(2, 3).shape == (2, 3) and zeros((2, 3)).dtype == np.float64 and ones(2).tolist() == [1.0, 1.0]
    assert zeros(2, dtype="float32").dtype == np.float32 and ones(1, requires_grad=True).requires_grad
    assert arange(4).tolist() == [0, 1, 2, 3] and arange(4).dtype == np.int64
    assert arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75] and arange(1.0, 3).dtype == np.float64
    assert one_hot(Tensor([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]] and one_hot([1, 3]).shape == (2, 4)
    assert cat([ones(2), zeros(1)]).tolist() == [1.0, 1.0, 0.0] and stack([ones(2), zeros(2)], 1).shape == (2, 2)
    assert mt.where(Tensor([1.0, -1.0]) > 0, 1.0, Tensor([7.0, 8.0])).tolist() == [1.0, 8.0]


def test_comparisons_give_bool_tensors_outside_the_graph():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result in (x > 2, x >= 2, x < 2, x <= 2, x == 2, x != 2):
        assert result.dtype == np.bool_ and not result.requires_grad
    assert (x == 2).tolist() == [False, True, False] and (x > 1).float().dtype == np.float32
    assert x in {x} and bool(x.sum() > 5)


def test_ndarray_operands_defer_to_the_tensor():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * x + np.float64(1.0)
    assert isinstance(y, Tensor) and y.requires_grad and y.tolist() == [4.0, 9.0]


def test_every_one_input_op_of_the_registry_is_a_method():
    from micrograd.ops import OPS

    for op in OPS.values():
        if op.arity == 1 and op.isidentifier():
            assert callable(getattr(Tensor, op.lower())), op


def test_a_graph_survives_deepcopy():
    """Array ops keep the constants they were made with (dims, index, targets) through a copy."""
    import copy

    x = Tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
    y = cross_entropy(x[np.array([1, 0])].T @ x, [0, 1]) + x.sum(0).amax()
    clone = copy.deepcopy(y)
    leaf = clone
    while leaf._prev:
        leaf = leaf._prev[0]
    clone.backward()
    y.backward()
    assert clone.item() == y.item() and leaf is not x
    np.testing.assert_array_equal(leaf.grad, x.grad)
