"""Every operation's value, gradient and second derivatives, against PyTorch float64.

Driven by the op table in ``optable.py``: against the stored reference numbers always,
and against live PyTorch when it is installed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from optable import OP_TABLE, case_key, evaluate_ours, evaluate_torch

from micrograd import Value

REFERENCE = json.loads((Path(__file__).parent / "reference" / "torch_float64.json").read_text())["cases"]
CASES = [pytest.param(case, point, id=case_key(case, point)) for case in OP_TABLE for point in case.points]


def same_number(ours: float, theirs: float, rel: float) -> bool:
    """Equal to ``rel`` relative, with nan matching nan and infinities matching in sign."""
    if math.isnan(theirs) or math.isnan(ours):
        return math.isnan(theirs) and math.isnan(ours)
    if math.isinf(theirs) or math.isinf(ours):
        return ours == theirs
    return math.isclose(ours, theirs, rel_tol=rel, abs_tol=1e-300)


def assert_matches(ours: dict, theirs: dict, rel: float = 1e-12) -> None:
    assert same_number(ours["value"], theirs["value"], rel), ("value", ours["value"], theirs["value"])
    for i, (a, b) in enumerate(zip(ours["grads"], theirs["grads"], strict=True)):
        assert same_number(a, b, rel), (f"d/dx{i}", a, b)
    for i, (a, b) in enumerate(zip(ours["backward"], theirs["grads"], strict=True)):
        assert same_number(a, b, rel), (f"d/dx{i} by backward()", a, b)
    for i, (row_a, row_b) in enumerate(zip(ours["hessian"], theirs["hessian"], strict=True)):
        for j, (a, b) in enumerate(zip(row_a, row_b, strict=True)):
            assert same_number(a, b, rel), (f"d2/dx{i}dx{j}", a, b)


@pytest.mark.parametrize(("case", "point"), CASES)
def test_matches_stored_pytorch_reference(case, point):
    assert_matches(evaluate_ours(case, point), REFERENCE[case_key(case, point)])


@pytest.mark.torch
@pytest.mark.parametrize(("case", "point"), CASES)
def test_matches_live_pytorch(case, point, torch_module):
    assert_matches(evaluate_ours(case, point), evaluate_torch(case, point, torch_module))


def test_reference_covers_the_whole_table():
    assert set(REFERENCE) == {case_key(case, point) for case in OP_TABLE for point in case.points}


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in OP_TABLE])
def test_result_node_records_its_operation(case):
    xs = [Value(p) for p in case.points[0]]
    out = case.ours(*xs)
    assert out._op == case.symbol
    assert all(isinstance(p, Value) for p in out._prev)


@pytest.mark.parametrize(
    ("expression", "expected_prev"),
    [
        (lambda x: x + 2, ("x", 2.0)),
        (lambda x: 2 + x, (2.0, "x")),
        (lambda x: 2 - x, (2.0, "x")),
        (lambda x: 2 / x, (2.0, "x")),
        (lambda x: 2**x, (2.0, "x")),
        (lambda x: x**2, ("x",)),
    ],
)
def test_reflected_operators_keep_operand_order(expression, expected_prev):
    x = Value(3.0, label="x")
    out = expression(x)
    described = tuple("x" if p is x else p.data for p in out._prev)
    assert described == expected_prev
