"""Anomaly detection: the first nan or inf, named with its operation, inputs, label and line."""

from __future__ import annotations

import math

import pytest

import micrograd
from micrograd import MLP, AnomalyError, Value, detect_anomaly, engine, grad, is_anomaly_enabled, set_detect_anomaly


def test_forward_anomaly_names_the_operation_inputs_and_the_users_line():
    x = Value(0.0, label="x")
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        y = x * 2.0
        z = y.log()  # the anomaly: log(0) = -inf
        del z
    message = str(info.value)
    assert message.startswith("forward: 'log' produced -inf from finite inputs (0.0)")
    assert "test_anomaly.py" in message and "z = y.log()  # the anomaly" in message


def test_backward_anomaly_names_the_rule_the_label_and_where_the_node_was_made():
    x = Value(0.0, label="x")
    with detect_anomaly():
        r = x.sqrt()  # sqrt(0) = 0 is fine; its derivative 1/(2·0) is not
        r.label = "root"
        with pytest.raises(AnomalyError) as info:
            (r * 3.0).backward()
    message = str(info.value)
    assert "backward: the derivative rule of the 'sqrt' node labelled 'root' gave inf to input 0 of 1" in message
    assert "inputs: (0.0), output: 0.0, incoming grad: 3.0" in message
    assert "r = x.sqrt()  # sqrt(0) = 0 is fine" in message


def test_anomalies_in_grad_and_in_gradient_graphs_are_caught():
    x = Value(0.0)
    with detect_anomaly():
        y = x.sqrt() + 1
        with pytest.raises(AnomalyError, match="'sqrt'"):
            grad(y, [x])
        with pytest.raises(AnomalyError):
            grad(y, [x], create_graph=True)


def test_nan_flowing_from_an_earlier_nan_is_not_a_new_anomaly():
    x = Value(math.nan)
    with detect_anomaly():
        y = (x * 2).exp() + 1  # nan in, nan out: the input was already bad
        y.backward()
    assert math.isnan(y.data) and math.isnan(x.grad)


def test_off_by_default_and_free_when_off():
    assert not is_anomaly_enabled()
    unchecked = (engine._node, engine._float_backward, Value._local_grads)
    y = Value(0.0).log()
    assert y.data == -math.inf  # no error: IEEE semantics, as PyTorch
    with detect_anomaly():
        assert is_anomaly_enabled()
        assert engine._node is not unchecked[0]
    assert (engine._node, engine._float_backward, Value._local_grads) == unchecked
    set_detect_anomaly(True)
    try:
        assert is_anomaly_enabled()
    finally:
        set_detect_anomaly(False)
    assert (engine._node, engine._float_backward, Value._local_grads) == unchecked


def test_training_step_is_identical_with_detection_on():
    def step(model):
        loss = sum((model([x / 4, -x / 3]) - x / 5) ** 2 for x in range(6))
        model.zero_grad()
        loss.backward()
        return [p.grad for p in model.parameters()]

    import random

    plain = step(MLP(2, [6, 1], rng=random.Random(2)))
    with detect_anomaly():
        checked = step(MLP(2, [6, 1], rng=random.Random(2)))
    assert plain == checked


def test_detection_is_restored_after_an_error_and_usable_as_a_decorator():
    @detect_anomaly()
    def bad():
        return Value(-1.0).sqrt()

    with pytest.raises(AnomalyError, match="'sqrt' produced nan"):
        bad()
    assert not is_anomaly_enabled()
    with pytest.raises(TypeError, match="expects True or False"):
        set_detect_anomaly("yes")
    assert micrograd.detect_anomaly is detect_anomaly
