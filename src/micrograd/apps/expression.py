"""A safe evaluator for arithmetic expressions written as text: ``"tanh(x*w + b)"`` → a Value graph.

The text is parsed with :mod:`ast` and only a small language is accepted: numbers,
names bound by the caller, ``+ - * / **``, unary ``-`` and ``+``, parentheses, and
the engine's functions (``tanh exp log sqrt sigmoid relu abs sin cos``) called with
one argument. Nothing is ever handed to ``eval``: every node of the parsed tree is
checked first, then the tree is walked without recursion and each node becomes the
matching Value operation, so the result is an ordinary graph ready for ``backward()``.
Arithmetic is done on floats, where nothing can take long (``10**10**10`` is not a
huge integer but a float overflow, reported as an error).
"""

from __future__ import annotations

import ast
import difflib
import keyword
import math
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from micrograd.engine import Value

__all__ = ["evaluate", "parse_assignments", "ExpressionError", "FUNCTIONS", "MAX_LENGTH"]

FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "tanh": Value.tanh,
    "exp": Value.exp,
    "log": Value.log,
    "sqrt": Value.sqrt,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "abs": Value.abs,
    "sin": Value.sin,
    "cos": Value.cos,
}
"""The functions an expression may call, each with one argument."""

MAX_LENGTH = 10_000
"""Longest expression accepted, in characters (a drawing of anything near it is unreadable anyway)."""

_BINARY: dict[type, Callable[[Value, Value], Value]] = {
    ast.Add: Value.__add__,
    ast.Sub: Value.__sub__,
    ast.Mult: Value.__mul__,
    ast.Div: Value.__truediv__,
    ast.Pow: Value.__pow__,
}
_OPERATOR_SYMBOLS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Not: "not",
    ast.Invert: "~",
}
_NOT_ALLOWED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Compare: "a comparison",
    ast.BoolOp: "and/or",
    ast.IfExp: "a conditional expression",
    ast.NamedExpr: "assignment",
    ast.JoinedStr: "an f-string",
    ast.Tuple: "a tuple",
    ast.List: "a list",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.Starred: "unpacking",
}
_ALLOWED_SUMMARY = "allowed are numbers, names given values, + - * / **, ( ) and " + " ".join(FUNCTIONS)


class ExpressionError(ValueError):
    """An expression that cannot be evaluated; the one-line message says what and where.

    ``line`` and ``column`` (1-based, in characters) point at the problem; ``column`` is
    None when the problem is not at one place (e.g. the expression is too long).
    """

    def __init__(self, message: str, column: int | None = None, line: int = 1, multiline: bool = False) -> None:
        self.column = column
        self.line = line
        if column is not None:
            where = f"line {line}, column {column}" if multiline else f"column {column}"
            message = f"{where}: {message}"
        super().__init__(message)


def _snippet(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Source:
    """The expression's text, to turn the parser's byte offsets into what a reader counts."""

    def __init__(self, text: str) -> None:
        self.lines = re.split(r"\r\n|\r|\n", text)  # the line ends Python's parser counts
        self.multiline = len(self.lines) > 1

    def column(self, node: ast.AST) -> tuple[int, int]:
        line = node.lineno  # type: ignore[attr-defined]
        encoded = self.lines[line - 1].encode("utf-8")
        return line, len(encoded[: node.col_offset].decode("utf-8", "replace")) + 1  # type: ignore[attr-defined]

    def error(self, node: ast.AST, message: str) -> ExpressionError:
        line, column = self.column(node)
        return ExpressionError(message, column, line, self.multiline)

    def segment(self, node: ast.AST, text: str) -> str:
        return _snippet(ast.get_source_segment(text, node) or "")


def _parse(text: str, source: _Source) -> ast.Expression:
    try:
        with warnings.catch_warnings():  # "invalid decimal literal" in `1if x`: the error that follows says it all
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)  # the same warning's category on CPython 3.10
            return ast.parse(text, mode="eval")
    except SyntaxError as e:
        message = e.msg
        if message == "invalid syntax" and not e.offset:  # the parser ran out of text
            end = len(source.lines[-1]) + 1
            raise ExpressionError("the expression is incomplete: something is missing at its end", end,
                                  len(source.lines), source.multiline) from None
        if message == "invalid syntax":
            message = "invalid syntax here"
        elif "integer string conversion" in message:
            message = "a number has too many digits to be read"
        if e.offset:
            raise ExpressionError(message, e.offset, e.lineno or 1, source.multiline) from None
        raise ExpressionError(message) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(
            "the expression is nested too deeply for Python's parser (thousands of operations in one chain, "
            "or of signs or parentheses in a row): write a shorter one"
        ) from None
    except UnicodeError as e:  # a lone surrogate: bytes from the command line that are not UTF-8
        start = e.start if isinstance(e, UnicodeEncodeError) else 0
        line, column = text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start)
        raise ExpressionError(f"the expression contains {ascii(text[start])}, which is not a character of valid text",
                              column, line, source.multiline) from None
    except ValueError as e:  # e.g. a null character, on Python versions that raise ValueError for it
        raise ExpressionError(str(e)) from None


def _check(tree: ast.Expression, text: str, source: _Source, names: Mapping[str, object]) -> None:
    """Reject anything outside the language, reporting the problem that comes first in the text.

    The walk does not descend into a rejected node, so ``[i for i in x]`` is reported
    as a comprehension rather than as an unknown name ``i``.
    """
    problems: list[tuple[tuple[int, int], str]] = []
    stack: list[ast.expr] = [tree.body]
    while stack:
        node = stack.pop()
        problem = _problem(node, text, source, names)
        if problem is not None:
            problems.append((source.column(node), problem))
        elif isinstance(node, ast.BinOp):
            stack += (node.left, node.right)
        elif isinstance(node, ast.UnaryOp):
            stack.append(node.operand)
        elif isinstance(node, ast.Call):
            stack.append(node.args[0])
    if problems:
        (line, column), message = min(problems, key=lambda p: p[0])
        raise ExpressionError(message, column, line, source.multiline)


def _problem(node: ast.expr, text: str, source: _Source, names: Mapping[str, object]) -> str | None:
    """What is wrong with this node itself (not its children), or None."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = {complex: "the complex number ", str: "the string ", bytes: "the string "}.get(type(value), "")
            return f"not allowed: {kind}{source.segment(node, text)}; {_ALLOWED_SUMMARY}"
        return None
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            return f"{node.id} is a function: call it as {node.id}(...)"
        return None if node.id in names else _unknown_name(node.id, names)
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        if type(node.op) in _BINARY or isinstance(node.op, (ast.USub, ast.UAdd)):
            return None
        symbol = _OPERATOR_SYMBOLS.get(type(node.op), type(node.op).__name__)
        return f"not allowed: the operator {symbol} in {source.segment(node, text)}; {_ALLOWED_SUMMARY}"
    if isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
            message = f"not allowed: calling {source.segment(func, text)}; the functions are {' '.join(FUNCTIONS)}"
            close = difflib.get_close_matches(func.id, FUNCTIONS, n=1) if isinstance(func, ast.Name) else []
            return message + (f" (did you mean {close[0]}?)" if close else "")
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            return f"{func.id}() takes exactly one argument, as in {func.id}(x)"
        return None
    what = _NOT_ALLOWED.get(type(node))
    return f"not allowed: {what + ' ' if what else ''}{source.segment(node, text)}; {_ALLOWED_SUMMARY}"


def _unknown_name(name: str, names: Mapping[str, object]) -> str:
    message = f"unknown name {name}: give it a value, e.g. --set {name}=1.0"
    close = difflib.get_close_matches(name, [*names, *FUNCTIONS], n=1)
    return message + (f" (or did you mean {close[0]}?)" if close else "")


def _literal(node: ast.expr) -> int | float | None:
    """The number a literal such as ``2``, ``-3`` or ``+0.5`` stands for; None for anything else."""
    sign = 1
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return sign * node.value
    return None


def _pole(node: ast.expr, inputs: list[float]) -> bool:
    """Whether an infinite result is the function's value at a pole (1/0, log 0, 0**-1) rather than an overflow."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return inputs[1] == 0
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return inputs[0] == 0
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "log" and inputs[0] == 0


def _children(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return (
            [node.left]
            if _literal(node.right) is not None and isinstance(node.op, ast.Pow)
            else [node.left, node.right]
        )
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return [node.args[0]]
    return []


def _as_number(value: int | float, node: ast.AST, source: _Source, text: str) -> int | float:
    """A literal as a number that fits a float: small ints stay ints so ``x**2`` is the ``**2`` operation."""
    try:
        as_float = float(value)
    except OverflowError:
        as_float = math.inf
    if not math.isfinite(as_float):
        raise source.error(node, f"the number {source.segment(node, text)} is too large for a float")
    return value if isinstance(value, int) and abs(value) <= 2**53 else as_float


def evaluate(expression: str, variables: Mapping[str, float] | None = None) -> Value:
    """The Value graph of ``expression`` with each name bound to a labelled leaf, e.g. ``Value(2.0, label='x')``.

    A name used twice is the same leaf, so ``x*x`` gets ∂/∂x = 2x. Literal numbers are
    leaves too, except a literal exponent, which makes the ``**c`` operation
    (``x**2``, as ``Value.__pow__``). Raises :class:`ExpressionError` (a ValueError) with
    a one-line message pointing at the first problem; nothing in the text is executed.
    """
    if not isinstance(expression, str):
        raise TypeError(f"expression must be a str, got {type(expression).__name__}")
    variables = {} if variables is None else variables
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(expression):,} characters long; the limit is {MAX_LENGTH:,}")
    if not expression.strip():
        raise ExpressionError("the expression is empty")
    for name in variables:
        _check_name(name)
    leaves = {name: Value(_to_number(value, name), label=name) for name, value in variables.items()}

    source = _Source(expression)
    tree = _parse(expression, source)
    _check(tree, expression, source, leaves)
    return _build(tree.body, leaves, source, expression)


def _build(root: ast.expr, leaves: Mapping[str, Any], source: _Source, text: str,
           children: Callable[[ast.expr], list[ast.expr]] | None = None,
           apply: Callable[[ast.expr, list[Any], _Source, str], Any] | None = None,
           constant: Callable[[int | float], Any] = Value) -> Any:  # fmt: skip
    """Turn a checked tree into Values, children first, with an explicit stack (any depth works).

    ``children``, ``apply`` and ``constant`` (a node's inputs, what it computes from them, what a
    literal number becomes) default to this language's; the tensor expressions pass their own.
    """
    children = children or _children
    apply = apply or _apply
    results: dict[ast.expr, Any] = {}
    stack: list[tuple[ast.expr, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        literal = _literal(node)
        if literal is not None:
            results[node] = constant(_as_number(literal, node, source, text))
            continue
        if isinstance(node, ast.Name):
            results[node] = leaves[node.id]
            continue
        inputs_of = children(node)
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(inputs_of))
            continue
        inputs = [results.pop(child) for child in inputs_of]
        results[node] = apply(node, inputs, source, text)
    return results[root]


def _apply(node: ast.expr, inputs: list[Value], source: _Source, text: str) -> Value:
    if isinstance(node, ast.BinOp):
        exponent = _literal(node.right) if isinstance(node.op, ast.Pow) else None
        if exponent is not None:
            exponent = _as_number(exponent, node.right, source, text)
            operands = [inputs[0].data, float(exponent)]
            out = inputs[0] ** exponent
        else:
            operands = [v.data for v in inputs]
            out = _BINARY[type(node.op)](inputs[0], inputs[1])
    elif isinstance(node, ast.UnaryOp):
        operands = [inputs[0].data]
        out = -inputs[0] if isinstance(node.op, ast.USub) else inputs[0]
    else:
        operands = [inputs[0].data]
        out = FUNCTIONS[node.func.id](inputs[0])  # type: ignore[attr-defined]
    if math.isinf(out.data) and all(map(math.isfinite, operands)) and not _pole(node, operands):
        raise source.error(
            node, f"{source.segment(node, text)} overflows: its value is beyond the largest float (about 1.8e308)"
        )
    return out


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ExpressionError(
            f"{name!r} cannot be a variable name: use letters, digits and _, not starting with a digit"
        )
    if name in FUNCTIONS:
        raise ExpressionError(f"{name} is one of the functions ({', '.join(FUNCTIONS)}) and cannot be a variable name")
    return name


def _to_number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExpressionError(f"the value of {name} must be a number, got {type(value).__name__}: {value!r}")
    try:
        return float(value)
    except OverflowError:
        raise ExpressionError(f"the value of {name} is too large for a float") from None


def _assignment(item: str, given: dict[str, str], form: str) -> tuple[str, str]:
    """``NAME=TEXT`` as its name (checked, and not given before) and its text; ``given`` records the item."""
    name, equals, text = item.partition("=")
    name, text = name.strip(), text.strip()
    if not equals or not name or not text:
        raise ExpressionError(f"cannot read {item!r}: write {form}")
    _check_name(name)
    if name in given:
        raise ExpressionError(f"{name} is given a value twice ({given[name]} and {item})")
    given[name] = item
    return name, text


def parse_assignments(items: Iterable[str]) -> dict[str, float]:
    """``["x=2", "w=-3"]`` → ``{'x': 2.0, 'w': -3.0}``, as given on the command line with ``--set``."""
    variables: dict[str, float] = {}
    given: dict[str, str] = {}
    for item in items:
        name, text = _assignment(item, given, "NAME=NUMBER, e.g. x=2.0")
        try:
            value = float(text)
        except ValueError:
            raise ExpressionError(f"the value of {name} must be a number, got {text!r}") from None
        if math.isinf(value) and "inf" not in text.lower():
            raise ExpressionError(f"the value of {name}, {text}, is too large for a float")
        if value == 0 and any(digit in "123456789" for digit in text.lower().partition("e")[0]):
            raise ExpressionError(f"the value of {name}, {text}, is too small for a float: it would be 0")
        variables[name] = value
    return variables
