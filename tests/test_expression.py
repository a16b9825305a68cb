"""The safe expression evaluator: the graphs it builds, and everything it must refuse (quickly, and clearly)."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import pytest

from micrograd import Value
from micrograd.expression import MAX_LENGTH, ExpressionError, evaluate, parse_assignments

LECTURE = {"x": 2.0, "w": -3.0, "b": 6.8813735870195432}


def leaves(root):
    seen, stack, found = set(), [root], {}
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if not v._prev:
            found[v.label or f"const {v.data}"] = v
        stack.extend(v._prev)
    return found


def test_builds_the_same_graph_as_writing_it_with_values():
    out = evaluate("tanh(x*w + b)", LECTURE)
    out.backward()
    x, w, b = (Value(LECTURE[k]) for k in "xwb")
    ref = (x * w + b).tanh()
    ref.backward()
    assert out.data == ref.data
    assert out._op == "tanh" and out._prev[0]._op == "+" and out._prev[0]._prev[0]._op == "*"
    named = leaves(out)
    assert sorted(named) == ["b", "w", "x"]
    assert (named["x"].grad, named["w"].grad, named["b"].grad) == (x.grad, w.grad, b.grad)


def test_a_name_used_twice_is_one_leaf():
    out = evaluate("x*x + 3*x", {"x": 2.0})
    out.backward()
    (x,) = [v for label, v in leaves(out).items() if label == "x"]
    assert x.grad == 2 * 2.0 + 3


def test_literal_exponents_are_power_operations_as_in_python():
    assert evaluate("x**2", {"x": 3.0})._op == "**2"
    assert evaluate("x**-1", {"x": 4.0})._op == "**-1"
    assert evaluate("x**0.5", {"x": 4.0}).data == 2.0
    two_to_x = evaluate("2**x", {"x": 3.0})
    assert two_to_x._op == "**" and two_to_x.data == 8.0
    root = evaluate("x**(1/2)", {"x": 9.0})
    assert root._op == "**" and root.data == 3.0


def test_numbers_are_unlabelled_leaves_and_signs_on_numbers_are_part_of_them():
    out = evaluate("-3 * x + -(x)", {"x": 2.0})
    assert out.data == -8.0
    assert sorted(leaves(out)) == ["const -3.0", "x"]
    assert out._prev[1]._op == "neg"


def test_unary_plus_adds_no_node():
    out = evaluate("+x", {"x": 1.5})
    assert out.label == "x" and not out._prev


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tanh", math.tanh(0.3)),
        ("exp", math.exp(0.3)),
        ("log", math.log(0.3)),
        ("sqrt", math.sqrt(0.3)),
        ("sigmoid", 1 / (1 + math.exp(-0.3))),
        ("relu", 0.3),
        ("abs", 0.3),
        ("sin", math.sin(0.3)),
        ("cos", math.cos(0.3)),
    ],
)
def test_each_function_is_the_engine_operation(name, expected):
    out = evaluate(f"{name}(x)", {"x": 0.3})
    assert out.data == pytest.approx(expected, rel=1e-15)
    assert out._op == getattr(Value(0.3), name)()._op


@pytest.mark.torch
def test_gradients_match_pytorch(torch_module):
    torch = torch_module
    text = "sigmoid(x*w - b) / sqrt(x**2 + 1) + log(abs(w)) * cos(b) - exp(-x) ** y + relu(y - 1) * sin(x)"
    values = {"x": 0.7, "w": -1.3, "b": 0.4, "y": 2.5}
    out = evaluate(text, values)
    out.backward()
    ours = {label: v.grad for label, v in leaves(out).items() if not label.startswith("const")}
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in values.items()}
    x, w, b, y = t["x"], t["w"], t["b"], t["y"]
    ref = (
        torch.sigmoid(x * w - b) / torch.sqrt(x**2 + 1)
        + torch.log(torch.abs(w)) * torch.cos(b)
        - torch.exp(-x) ** y
        + torch.relu(y - 1) * torch.sin(x)
    )
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-12)
    for k in values:
        assert ours[k] == pytest.approx(t[k].grad.item(), rel=1e-12), k


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("x.__class__", 1, "attribute access x.__class__"),
        ("__import__('os').system('true')", 1, "calling __import__('os').system"),
        ("(lambda: 1)()", 1, "calling lambda: 1"),
        ("lambda: x", 1, "not allowed: lambda: x"),
        ("[i for i in x]", 1, "a comprehension"),
        ("sum(v for v in x)", 1, "calling sum"),
        ("x[0]", 1, "indexing x[0]"),
        ("x + open('f')", 5, "calling open"),
        ("tanh(x) + eval('1')", 11, "calling eval"),
        ("x // 2", 1, "the operator //"),
        ("x % 2", 1, "the operator %"),
        ("x < w", 1, "a comparison"),
        ("x and w", 1, "and/or"),
        ("not x", 1, "the operator not"),
        ("x if w else b", 1, "a conditional expression"),
        ("(w := 3) * x", 2, "assignment"),
        ("'text'", 1, "the string 'text'"),
        ("f'{x}'", 1, "an f-string"),
        ("2j * x", 1, "the complex number 2j"),
        ("True * x", 1, "not allowed: True"),
        ("x, w", 1, "a tuple"),
        ("[x]", 1, "a list"),
        ("tanh", 1, "tanh is a function: call it as tanh(...)"),
        ("tanh(x, w)", 1, "tanh() takes exactly one argument"),
        ("tanh(x=1)", 1, "tanh() takes exactly one argument"),
        ("x * y", 5, "unknown name y: give it a value, e.g. --set y=1.0"),
        ("xx * 2", 1, "(or did you mean x?)"),
        ("taanh(x)", 1, "(did you mean tanh?)"),
        ("x +* 2", 4, "invalid syntax"),
        ("tanh(x", 5, "'(' was never closed"),
        ("é + x.real", 5, "attribute access x.real"),
    ],
)
def test_rejects_everything_else_pointing_at_the_first_problem(text, column, fragment):
    with pytest.raises(ExpressionError) as e:
        evaluate(text, {"x": 1.0, "w": 2.0, "b": 3.0, "é": 1.0})
    message = str(e.value)
    assert e.value.column == column
    assert message.startswith(f"column {column}: ")
    assert fragment in message
    assert "\n" not in message


def test_nothing_is_executed(tmp_path):
    marker = tmp_path / "ran"
    attempts = [
        f"__import__('pathlib').Path('{marker}').touch()",
        f"tanh(__import__('pathlib').Path('{marker}').touch())",
        f"[__import__('pathlib').Path('{marker}').touch() for _ in '1']",
        f"(lambda: __import__('pathlib').Path('{marker}').touch())()",
    ]
    for text in attempts:
        with pytest.raises(ExpressionError):
            evaluate(text, {})
    assert not marker.exists()


def test_huge_powers_are_float_overflows_reported_at_the_operation():
    with pytest.raises(ExpressionError) as e:
        evaluate("1 + 10**10**10", {})
    assert e.value.column == 5
    assert "10**10**10 overflows" in str(e.value)
    with pytest.raises(ExpressionError, match=r"column 1: exp\(x\) overflows"):
        evaluate("exp(x)", {"x": 1000.0})
    with pytest.raises(ExpressionError, match="the number 1e999 is too large for a float"):
        evaluate("1e999 * x", {"x": 1.0})
    with pytest.raises(ExpressionError, match="too many digits"):
        evaluate("9" * 5000, {})


def test_poles_and_domain_edges_follow_the_engine():
    assert evaluate("1/x", {"x": 0.0}).data == math.inf
    assert evaluate("log(x)", {"x": 0.0}).data == -math.inf
    assert evaluate("x**-1", {"x": 0.0}).data == math.inf
    assert math.isnan(evaluate("sqrt(x)", {"x": -1.0}).data)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("(" * 300 + "x" + ")" * 300, "too many nested parentheses"),
        ("-" * 9000 + "x", "nested too deeply"),
        ("x" * (MAX_LENGTH + 1), f"{MAX_LENGTH + 1:,} characters long; the limit is {MAX_LENGTH:,}"),
        ("", "empty"),
        ("   ", "empty"),
        ("\x00", "null"),
    ],
)
def test_pathological_input_is_refused_with_a_message(text, fragment):
    with pytest.raises(ExpressionError, match=fragment):
        evaluate(text, {"x": 1.0})


def test_the_catalogue_states_the_parentheses_limit_that_holds():
    catalogue = (Path(__file__).parents[1] / "docs" / "errors.md").read_text(encoding="utf-8")
    limit = int(re.search(r"^\| (\d+) or more nested parentheses \|", catalogue, re.M).group(1))
    nested = lambda depth: "(" * depth + "x" + ")" * depth  # noqa: E731
    assert evaluate(nested(limit - 1), {"x": 1.0}).data == 1.0
    with pytest.raises(ExpressionError, match="too many nested parentheses"):
        evaluate(nested(limit), {"x": 1.0})


@pytest.mark.parametrize(("text", "expected"), [("x*" * 4000 + "x", 1.0), ("1" + "+1" * 4000, 4001.0)])
def test_a_chain_too_deep_for_this_pythons_parser_is_refused_else_evaluated(text, expected):
    """CPython 3.11 and 3.12 cannot parse a chain of thousands of operators; 3.10 and 3.13 can."""
    try:
        ast.parse(text, mode="eval")
    except RecursionError:
        with pytest.raises(ExpressionError, match="nested too deeply"):
            evaluate(text, {"x": 1.0})
    else:
        assert evaluate(text, {"x": 1.0}).data == expected


def test_long_chains_are_built_without_recursion():
    out = evaluate("+".join(["x"] * 1500), {"x": 1.0})
    out.backward()
    assert out.data == 1500.0
    assert leaves(out)["x"].grad == 1500.0


def test_multiline_expressions_report_the_line():
    with pytest.raises(ExpressionError, match=r"^line 2, column 3: unknown name y"):
        evaluate("(x +\n  y)", {"x": 1.0})


@pytest.mark.parametrize("newline", ["\n", "\r", "\r\n"])
def test_every_line_end_python_reads_counts_as_one(newline):
    with pytest.raises(ExpressionError, match=r"^line 2, column 3: unknown name y"):
        evaluate(f"(x +{newline}  y)", {"x": 1.0})
    with pytest.raises(ExpressionError, match=r"^line 2, column 1"):
        evaluate(f"{newline}A", {})


def test_evaluate_checks_its_arguments():
    with pytest.raises(TypeError, match="expression must be a str"):
        evaluate(3, {})
    with pytest.raises(ExpressionError, match="the value of x must be a number"):
        evaluate("x", {"x": "2"})
    with pytest.raises(ExpressionError, match="tanh is one of the functions"):
        evaluate("1", {"tanh": 1.0})


def test_parse_assignments():
    assert parse_assignments(["x=2", "w=-3", " b = 6.88 ", "y_1=1e-3"]) == {"x": 2.0, "w": -3.0, "b": 6.88, "y_1": 1e-3}
    assert parse_assignments(["z=inf"]) == {"z": math.inf}
    zeros = parse_assignments(["a=0", "b=-0.0", "c=0e-400", "d=0.000e5"])
    assert zeros == {"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.0} and math.copysign(1, zeros["b"]) == -1
    assert parse_assignments(["tiny=5e-324"]) == {"tiny": 5e-324}  # the smallest float, not rounded to 0


@pytest.mark.parametrize(
    ("items", "fragment"),
    [
        (["x"], "cannot read 'x': write NAME=NUMBER"),
        (["x="], "cannot read 'x='"),
        (["=2"], "cannot read '=2'"),
        (["1x=2"], "'1x' cannot be a variable name"),
        (["lambda=2"], "'lambda' cannot be a variable name"),
        (["exp=2"], "exp is one of the functions"),
        (["x=two"], "the value of x must be a number, got 'two'"),
        (["x=1", "x=2"], "x is given a value twice"),
        (["x=1e999"], "too large for a float"),
        (["x=1e-400"], "the value of x, 1e-400, is too small for a float: it would be 0"),
        (["x=2e-324"], "the value of x, 2e-324, is too small for a float: it would be 0"),
    ],
)
def test_bad_assignments_are_named(items, fragment):
    with pytest.raises(ExpressionError) as e:
        parse_assignments(items)
    assert fragment in str(e.value)
    assert isinstance(e.value, ValueError)


@pytest.mark.parametrize(("text", "column"), [("x+", 3), ("2**x**", 7), ("tanh(x) *", 10)])
def test_an_expression_that_stops_early_says_so_and_points_at_its_end(text, column):
    with pytest.raises(ExpressionError, match=f"column {column}: the expression is incomplete") as info:
        evaluate(text, {"x": 1.0})
    assert info.value.column == column
