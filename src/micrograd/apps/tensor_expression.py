"""Tensor expressions written as text: ``"(W @ x + b).tanh().sum()"`` with ``W=[[1,2],[3,4]]`` → a Tensor graph.

The same safe reading as :mod:`micrograd.apps.expression` (the text is parsed with
:mod:`ast`, every node is checked, nothing is handed to ``eval``), for a language one
step larger: besides numbers, names, ``+ - * / **``, unary signs and the functions
``tanh(x)`` …, it has the matrix product ``@``, the same functions as methods
(``x.tanh()``), the reductions ``.sum()`` and ``.mean()`` (over everything, or over one
dim: ``.sum(0)``), and the transpose ``.T``.

Inputs are written as nested lists, as in Python: ``W=[[1,2],[3,4]]`` is a 2×2 matrix,
``x=[1,-1]`` a vector, ``b=0.5`` a 0-d tensor (it broadcasts). Each input is at most
:data:`MAX_SIDE` × :data:`MAX_SIDE` numbers, so every array of the graph fits in a small
table; every number must be finite. Every input is a float64 leaf that requires grad.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from micrograd.apps.expression import (
    FUNCTIONS,
    MAX_LENGTH,
    ExpressionError,
    _as_number,
    _assignment,
    _build,
    _check_name,
    _literal,
    _parse,
    _snippet,
    _Source,
    _unknown_name,
)
from micrograd.apps.expression import _apply as _scalar_apply
from micrograd.engine import Value

if TYPE_CHECKING:
    from micrograd.tensor import Tensor

__all__ = ["MAX_SIDE", "METHODS", "REDUCTIONS", "has_arrays", "parse_array_assignments", "evaluate_tensor",
           "one_number"]

MAX_SIDE = 6
"""Longest side of an input array (rows or columns): larger tables do not fit beside a graph."""

METHODS = tuple(FUNCTIONS)
"""Elementwise functions, called either way: ``tanh(x)`` or ``x.tanh()``."""

REDUCTIONS = ("sum", "mean")
"""Methods that reduce over all dims (``x.sum()``) or one (``x.sum(0)``)."""

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow, ast.MatMult: operator.matmul}
_ALLOWED = (
    "allowed are numbers, names given values, + - * / ** @, ( ), the functions " + " ".join(FUNCTIONS)
    + " (also as methods: x.tanh()), .sum() .mean() (or .sum(0): over one dim) and .T"
)
_ARRAY_EXAMPLE = "write a number or a list of numbers, e.g. W=[[1,2],[3,4]] x=[1,-1] b=0.5"


# --- the inputs: NAME=NUMBER or NAME=[nested lists] ---------------------------------------


def has_arrays(items: Iterable[str]) -> bool:
    """Whether any ``NAME=VALUE`` item gives a list (``x=[1,2]``): the expression is then a tensor expression."""
    return any(item.partition("=")[2].lstrip().startswith("[") for item in items)


def _where(name: str, position: tuple[int, ...]) -> str:
    return name + "".join(f"[{i}]" for i in position)


def _element(node: ast.expr, name: str, position: tuple[int, ...], text: str) -> float:
    """One number of an array literal, finite and not a bool."""
    where = _where(name, position)
    shown = _snippet(ast.get_source_segment(text, node) or "")
    inner = node
    while isinstance(inner, ast.UnaryOp) and isinstance(inner.op, (ast.USub, ast.UAdd)):
        inner = inner.operand
    if isinstance(inner, ast.Constant) and isinstance(inner.value, bool):
        raise ExpressionError(f"{where} is {inner.value} (a bool): True and False are not numbers in micrograd; "
                              "write 1 or 0")
    if isinstance(inner, ast.Name) and inner.id.lower() in ("nan", "inf", "infinity"):
        raise ExpressionError(f"{where} is {shown}: the inputs must be finite numbers")
    value = _literal(node)
    if value is None:
        kind = "a tuple: write lists with [ ]" if isinstance(inner, ast.Tuple) else "not a number"
        raise ExpressionError(f"{where} is {kind}: {shown}; {_ARRAY_EXAMPLE}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ExpressionError(f"{where}, {shown}, is too large for a float")
    if number == 0 and any(digit in "123456789" for digit in shown.lower().partition("e")[0]):
        raise ExpressionError(f"{where}, {shown}, is too small for a float: it would be 0")
    return number


def _array(node: ast.expr, name: str, text: str) -> float | list[Any]:
    """A number, a list of numbers or a list of equal-length lists of numbers, read from a checked literal."""
    if not isinstance(node, ast.List):
        return _element(node, name, (), text)
    if not node.elts:
        raise ExpressionError(f"{name} is an empty list: give it at least one number")
    rows: list[Any] = []
    for i, item in enumerate(node.elts):
        if isinstance(item, ast.List):
            if not item.elts:
                raise ExpressionError(f"{name}[{i}] is an empty list: every row needs at least one number")
            if any(isinstance(inner, ast.List) for inner in item.elts):
                raise ExpressionError(f"{name} has more than two levels of brackets: the inputs are numbers, "
                                      "vectors [1,2] or matrices [[1,2],[3,4]]")
            rows.append([_element(inner, name, (i, j), text) for j, inner in enumerate(item.elts)])
        else:
            rows.append(_element(item, name, (i,), text))
    kinds = {isinstance(row, list) for row in rows}
    if len(kinds) > 1:
        first_list = next(i for i, row in enumerate(rows) if isinstance(row, list))
        first_number = next(i for i, row in enumerate(rows) if not isinstance(row, list))
        raise ExpressionError(f"{name} is ragged: {name}[{first_number}] is a number but {name}[{first_list}] a "
                              "list; every row needs the same length")
    if kinds == {True}:
        for i, row in enumerate(rows[1:], start=1):
            if len(row) != len(rows[0]):
                raise ExpressionError(f"{name} is ragged: {name}[0] has {len(rows[0])} numbers but {name}[{i}] has "
                                      f"{len(row)}; every row needs the same length")
    shape = (len(rows), len(rows[0])) if kinds == {True} else (len(rows),)
    if max(shape) > MAX_SIDE:
        raise ExpressionError(f"{name} has shape {shape}, too large to show: an input has at most {MAX_SIDE} rows "
                              f"and {MAX_SIDE} columns")
    return rows


def parse_array_assignments(items: Iterable[str]) -> dict[str, float | list[Any]]:
    """``["W=[[1,2],[3,4]]", "b=0.5"]`` → ``{'W': [[1.0, 2.0], [3.0, 4.0]], 'b': 0.5}``, read as literals (no eval)."""
    variables: dict[str, float | list[Any]] = {}
    given: dict[str, str] = {}
    for item in items:
        name, text = _assignment(item, given, "NAME=VALUE, e.g. x=[1,-1]")
        if len(text) > MAX_LENGTH:
            raise ExpressionError(f"the value of {name} is {len(text):,} characters long; the limit is {MAX_LENGTH:,}")
        try:
            tree = _parse(text, _Source(text))
        except ExpressionError as e:
            shown = _snippet(text)
            raise ExpressionError(f"cannot read the value of {name}, {shown!r} ({e}); {_ARRAY_EXAMPLE}") from None
        variables[name] = _array(tree.body, name, text)
    return variables


# --- the expression ------------------------------------------------------------------------


def _children(node: ast.expr) -> list[ast.expr]:
    """The sub-expressions whose values ``node`` needs (a literal exponent is part of the node)."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow) and _literal(node.right) is not None:
            return [node.left]
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return [node.func.value] if isinstance(node.func, ast.Attribute) else [node.args[0]]
    if isinstance(node, ast.Attribute):
        return [node.value]
    return []


def _problem(node: ast.expr, text: str, source: _Source, names: Mapping[str, object]) -> str | None:
    """What is wrong with this node itself (not its children), or None."""
    shown = source.segment(node, text)
    if isinstance(node, ast.Constant):
        ok = isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
        return None if ok else f"not allowed: {shown}; {_ALLOWED}"
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            return f"{node.id} is a function: call it as {node.id}(...) or x.{node.id}()"
        return None if node.id in names else _unknown_name(node.id, names).replace("=1.0", "=[1,2]")
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        if type(node.op) in _BINARY or isinstance(node.op, (ast.USub, ast.UAdd)):
            return None
        return f"not allowed: the operator in {shown}; {_ALLOWED}"
    if isinstance(node, ast.Attribute):
        return None if node.attr == "T" else f"not allowed: {shown}; {_ALLOWED}"
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in FUNCTIONS:
            if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
                return f"{func.id}() takes exactly one argument, as in {func.id}(x)"
            return None
        if isinstance(func, ast.Attribute) and func.attr in METHODS:
            if node.args or node.keywords:
                return f".{func.attr}() takes no arguments, as in x.{func.attr}()"
            return None
        if isinstance(func, ast.Attribute) and func.attr in REDUCTIONS:
            if node.keywords or len(node.args) > 1 or (node.args and not _is_int(node.args[0])):
                name = func.attr
                return f".{name}() takes no argument or one dim (an integer), as in x.{name}() or x.{name}(0)"
            return None
        return f"not allowed: calling {source.segment(func, text)}; {_ALLOWED}"
    return f"not allowed: {shown}; {_ALLOWED}"


def _is_int(node: ast.expr) -> bool:
    value = _literal(node)
    return isinstance(value, int)


def _check(tree: ast.Expression, text: str, source: _Source, names: Mapping[str, object]) -> None:
    """Reject anything outside the language, reporting the problem that comes first in the text."""
    problems = []
    stack: list[ast.expr] = [tree.body]
    while stack:
        node = stack.pop()
        if _literal(node) is not None:
            continue
        problem = _problem(node, text, source, names)
        if problem is not None:
            problems.append((source.column(node), problem))
        else:
            stack.extend(_children(node))
    if problems:
        (line, column), message = min(problems, key=lambda p: p[0])
        raise ExpressionError(message, column, line, source.multiline)


def _apply(node: ast.expr, inputs: list[Any], source: _Source, text: str) -> Any:
    """The Tensor operation ``node`` stands for, applied to its children's values (at least one a Tensor)."""
    if isinstance(node, ast.BinOp):
        exponent = _literal(node.right) if isinstance(node.op, ast.Pow) else None
        if exponent is not None:
            return inputs[0] ** _as_number(exponent, node.right, source, text)
        if isinstance(node.op, ast.MatMult):
            if not all(hasattr(x, "shape") and x.ndim for x in inputs):
                raise source.error(node, f"{source.segment(node, text)}: @ needs a vector or a matrix on each side")
            a, b = (x.shape for x in inputs)
            if a[-1] != b[0 if len(b) == 1 else -2]:
                inner = "length" if len(b) == 1 else "number of rows"
                raise source.error(node, f"{source.segment(node, text)}: @ cannot multiply shapes {a} and {b}: the "
                                         f"last dim of the first ({a[-1]}) must equal the {inner} of the second "
                                         f"({b[0 if len(b) == 1 else -2]})")
        return _BINARY[type(node.op)](*inputs)
    if isinstance(node, ast.UnaryOp):
        return -inputs[0] if isinstance(node.op, ast.USub) else inputs[0]
    if isinstance(node, ast.Attribute):
        return inputs[0].T
    func = node.func  # type: ignore[attr-defined]
    if isinstance(func, ast.Name):
        return getattr(inputs[0], func.id)()
    dims = [int(_literal(arg)) for arg in node.args]  # type: ignore[arg-type,attr-defined]
    return getattr(inputs[0], func.attr)(*dims)


def _apply_checked(node: ast.expr, inputs: list[Any], source: _Source, text: str) -> Any:
    """``node``'s value: a number where its inputs are numbers, else a finite Tensor; the engine's
    refusals (shapes that do not fit) are said where they happen."""
    from micrograd.tensor import Tensor

    if not any(isinstance(x, Tensor) for x in inputs):
        return _number_only(node, inputs, source, text)
    try:
        out = _apply(node, inputs, source, text)
    except ExpressionError:
        raise
    except (ValueError, TypeError, IndexError) as e:
        raise source.error(node, f"{source.segment(node, text)}: {e}") from None
    if not bool(abs(out.data).max() < math.inf):
        raise source.error(node, f"{source.segment(node, text)} is not finite everywhere (inf or nan): "
                                 "the explorer and the drawings need finite numbers")
    return out


def evaluate_tensor(expression: str, variables: Mapping[str, float | list[Any]]) -> tuple[Tensor, dict[str, Tensor]]:
    """The Tensor graph of ``expression``, and the leaf made for each name (float64, ``requires_grad=True``).

    Raises :class:`~micrograd.apps.expression.ExpressionError` with a one-line message
    pointing at the first problem: a name without a value, shapes that do not fit
    (``W @ x`` with the wrong sizes), a result that is not finite, an expression that uses
    no input. Nothing in the text is executed.
    """
    from micrograd.tensor import Tensor

    if not isinstance(expression, str):
        raise TypeError(f"expression must be a str, got {type(expression).__name__}")
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(expression):,} characters long; the limit is {MAX_LENGTH:,}")
    if not expression.strip():
        raise ExpressionError("the expression is empty")
    leaves = {
        _check_name(name): Tensor(value, requires_grad=True, dtype="float64") for name, value in variables.items()
    }
    source = _Source(expression)
    tree = _parse(expression, source)
    _check(tree, expression, source, leaves)

    root = _build(tree.body, leaves, source, expression, _children, _apply_checked, float)
    if not isinstance(root, Tensor) or not root._prev and not any(root is leaf for leaf in leaves.values()):
        raise ExpressionError("the expression uses none of the inputs given with --set, so it has no gradient")
    return root, leaves


def _number_only(node: ast.expr, inputs: list[float], source: _Source, text: str) -> float:
    """A part of the expression made of numbers only, computed as the scalar expressions compute it."""
    method = isinstance(node, ast.Attribute) or (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute))
    if method or (isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult)):
        raise source.error(node, f"{source.segment(node, text)}: numbers only; @, .T and the methods are for arrays")
    return _scalar_apply(node, [Value(x) for x in inputs], source, text).data


def one_number(root: Tensor) -> Tensor:
    """``root`` when it holds one number; else the error PyTorch's ``backward()`` gives, said for the explorer."""
    if root.data.size != 1:
        raise ExpressionError(f"the result has shape {tuple(root.shape)}: backpropagation starts from one number; "
                              "end the expression with .sum() or .mean()")
    return root
