"""Check backpropagation against finite differences: the classic test of any autograd.

For each input x the analytic ∂f/∂x (from ``backward``) is compared with the central
difference (f(x + ε) - f(x - ε)) / 2ε, whose error is O(ε²).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from micrograd.checks import bool_error
from micrograd.engine import Value, grad

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Analytic and numerical gradients disagree; the message has a table of where."""


_array_checks: list[tuple[Callable[[Sequence[Any]], bool], Callable[..., bool]]] = []
"""Checks for other kinds of inputs (``micrograd.tensor`` registers its own for Tensors):
each a test of the inputs and the check to run instead when it claims them."""


def register_array_check(claims: Callable[[Sequence[Any]], bool], check: Callable[..., bool]) -> None:
    """Have :func:`gradcheck` call ``check(f, inputs, eps, atol, rtol, raise_exception)`` for the
    inputs ``claims`` accepts."""
    _array_checks.append((claims, check))


def _outputs(result: Any) -> list[Value]:
    items = [result] if isinstance(result, Value) else list(result) if isinstance(result, (list, tuple)) else None
    if items is None or not all(isinstance(v, Value) for v in items):
        raise TypeError(f"gradcheck: f must return a Value or a list of Values, got {type(result).__name__}")
    return items


def check_tolerances(eps: Any, atol: Any, rtol: Any) -> None:
    """eps > 0, atol ≥ 0 and rtol ≥ 0 as numbers (not bools), or a clear error."""
    for name, number in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if isinstance(number, bool):
            raise bool_error(f"gradcheck: {name}", number)
        if not isinstance(number, (int, float)) or not number >= 0 or (name == "eps" and number == 0):
            kind = "positive" if name == "eps" else "non-negative"
            raise ValueError(f"gradcheck: {name} must be a {kind} number, got {number!r}")


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """True if ``f(*inputs)``'s gradients match central differences everywhere.

    An entry passes when |analytic - numeric| <= atol + rtol·|numeric| (nan never passes).
    ``f`` may return one Value or a list of them (then every output is checked). Tensors
    as inputs (``micrograd.tensor``) are checked element by element, every element of every
    output against every element of every input that requires grad.
    On disagreement raises :class:`GradcheckError` with a table of the failing entries,
    or returns False when ``raise_exception=False``.
    """
    if not callable(f):
        raise TypeError(f"gradcheck: f must be callable, got {type(f).__name__}")
    check_tolerances(eps, atol, rtol)
    for claims, check in _array_checks:
        if isinstance(inputs, (list, tuple)) and claims(inputs):
            return check(f, inputs, eps, atol, rtol, raise_exception)
    xs = [x if isinstance(x, Value) else Value(x) for x in inputs]

    outputs = _outputs(f(*xs))
    analytic = [grad(out, xs) for out in outputs]

    def evaluate() -> list[float]:  # with gradients on: f may itself call grad() (a gradient of a gradient)
        return [v.data for v in _outputs(f(*xs))]

    failures = []
    for i, x in enumerate(xs):
        original = x.data
        try:
            x.data = original + eps
            plus = evaluate()
            x.data = original - eps
            minus = evaluate()
        finally:
            x.data = original
        for k in range(len(outputs)):
            numeric = (plus[k] - minus[k]) / (2 * eps)
            a = analytic[k][i]
            difference = abs(a - numeric)
            allowed = atol + rtol * abs(numeric)
            if not difference <= allowed:
                failures.append((k, i, x.label, a, numeric, difference, allowed))
    if not failures:
        return True
    if not raise_exception:
        return False
    lines = [
        f"gradcheck: {len(failures)} of {len(xs) * len(outputs)} gradients disagree "
        f"with central differences (eps={eps}, atol={atol}, rtol={rtol}):",
        f"  {'output':>6} {'input':>12} {'analytic':>14} {'numeric':>14} {'|difference|':>13} {'allowed':>10}",
    ]
    for k, i, label, a, numeric, difference, allowed in failures[:20]:
        name = f"{i} ({label})" if label else str(i)
        lines.append(f"  {k:>6} {name:>12} {a:>14.6g} {numeric:>14.6g} {difference:>13.3g} {allowed:>10.3g}")
    raise_failures(lines, len(failures), any(math.isnan(a) or math.isnan(n) for *_, a, n, _d, _al in failures))


def raise_failures(lines: list[str], count: int, any_nan: bool, shown: int = 20) -> NoReturn:
    """Raise the GradcheckError whose message is ``lines`` (a header and up to ``shown`` rows) and a note
    of the rows left out and of nan."""
    if count > shown:
        lines.append(f"  ... and {count - shown} more")
    if any_nan:
        lines.append("  (nan never agrees: check the function's domain at these inputs)")
    raise GradcheckError("\n".join(lines))
