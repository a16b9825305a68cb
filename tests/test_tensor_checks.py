"""gradcheck and anomaly detection for tensors."""

from __future__ import annotations

import pytest

np = pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')
from tensor_optable import TENSOR_OP_TABLE, differentiable_run  # noqa: E402

import micrograd  # noqa: E402
import micrograd.tensor as mt  # noqa: E402
from micrograd import AnomalyError, GradcheckError, Value, detect_anomaly, gradcheck  # noqa: E402
from micrograd.tensor import Tensor, grad  # noqa: E402

RNG = np.random.default_rng(17)


def _t(*shape, low=-1.0, high=1.0):
    return Tensor(RNG.uniform(low, high, size=shape), requires_grad=True)


# --- gradcheck ---------------------------------------------------------------------------------

KINKS = ("ties", "nan", "float32", "relu", "abs", "max", "min", "large")  # no derivative there, or rounding noise
SMOOTH = [c for c in TENSOR_OP_TABLE if any(s[0] == "f" for s in c.inputs) and not any(w in c.name for w in KINKS)]


@pytest.mark.parametrize("case", SMOOTH, ids=[c.name for c in SMOOTH])
def test_gradcheck_accepts_every_tensor_op(case):
    run = differentiable_run(case)
    if run is None:
        return
    assert gradcheck(lambda *inputs: case.fn(mt, *inputs), run[1], rtol=1e-5)


def test_gradcheck_of_a_gradient_is_a_gradgradcheck():
    x, W = _t(2, 3), _t(3, 2)

    def first(x, W):
        return grad((x @ W).tanh().sum(), [x, W], create_graph=True)

    assert gradcheck(first, [x, W], rtol=1e-5)


def test_gradcheck_names_the_disagreeing_elements():
    x = _t(2, 2)
    with pytest.raises(GradcheckError, match=r"4 of 16 derivatives .* disagree") as info:
        gradcheck(lambda x: x.detach() * x, [x])  # a constant copy hides half the derivative
    assert "0[1, 1]" in str(info.value)
    assert gradcheck(lambda x: x.detach() * x, [x], raise_exception=False) is False


def test_gradcheck_of_values_still_works():
    assert gradcheck(lambda a, b: (a * b).tanh(), [Value(0.3), Value(-0.7)])


# --- anomaly detection -------------------------------------------------------------------------


def test_anomaly_names_the_forward_op_shapes_element_and_line():
    x = Tensor([[1.0, 0.0], [2.0, 3.0]], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        y = x * 2.0
        y.log().sum()
    text = str(info.value)
    assert "forward: 'log' produced -inf from 0.0 in 1 of 4 elements of its (2, 2) result, first at [0, 1]" in text
    assert "input shapes (2, 2)" in text
    assert "test_tensor_checks.py" in text and "y.log().sum()" in text


def test_a_nan_that_flows_on_is_not_a_new_anomaly():
    x = Tensor([np.nan, 1.0], requires_grad=True)
    with detect_anomaly():
        (x.exp() * 2.0).sum()  # nan stays where it was; no op made a new one
        with pytest.raises(AnomalyError, match=r"'log' produced nan from -1.0 in 1 of 2 elements"):
            (x - 2.0).log()


def test_anomaly_in_a_reduction_needs_all_inputs_finite():
    x = Tensor([1e308, 1e308], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"forward: 'sum' produced inf in the one element"):
        x.sum()


def test_anomaly_names_the_backward_rule():
    x = Tensor([4.0, 0.0], requires_grad=True)
    with detect_anomaly():
        y = (x * x).sqrt()  # √0 = 0 is finite, its derivative 1/(2√0) is not
        with pytest.raises(AnomalyError) as info:
            y.sum().backward()
    text = str(info.value)
    assert "backward: the derivative rule of 'sqrt' (input shapes (2,), output (2,)) gave inf" in text
    assert "first at [1] where the input is 0.0" in text
    assert "y = (x * x).sqrt()" in text


def test_anomaly_detection_off_lets_nan_through_and_costs_no_origin_records():
    from micrograd.tensor import anomaly

    x = Tensor([0.0], requires_grad=True)
    with detect_anomaly():
        pass
    assert not anomaly.enabled and not anomaly._origins
    assert np.isneginf(x.log().data[0])
    assert micrograd.is_anomaly_enabled() is False
