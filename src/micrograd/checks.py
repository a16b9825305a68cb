"""Argument checks shared by every module, so that each kind of mistake is worded once.

A size is anything with ``__index__`` (a Python int, a NumPy integer), as
``operator.index`` reads it, except a bool; a number is a real number that fits a
float, except a bool. ``True`` is refused wherever a number goes because Python would
silently read it as 1: ``Value(True)``, ``Value(1.0) * True``, ``MLP(True, [1])`` and
``SGD(params, lr=True)`` are all mistakes, and all say so with :func:`bool_error`'s
message. Only the standard library is imported here (the engine depends on it).
"""

from __future__ import annotations

import math
import numbers
import operator
import sys
from typing import Any

__all__ = ["describe", "shorten", "bool_error", "too_large_error", "as_float", "index", "comparison_error", "is_number"]

_LOG10_2 = 0.30102999566398120


def describe(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut in the middle when longer than ``limit``, and never failing on a huge int.

    An int of more digits than Python will print (``sys.get_int_max_str_digits()``)
    is described by its length: a 5,000-digit number in a message helps no one.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        digits = int(abs(value).bit_length() * _LOG10_2) + 1
        max_digits = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
        if max_digits and digits >= max_digits:
            return f"an integer of about {digits:,} digits"
        text = str(value)
        return shorten(text, limit, f"{len(text.lstrip('-')):,} digits")
    return shorten(repr(value), limit)


def shorten(text: str, limit: int = 60, length: str = "") -> str:
    """``text``, cut in the middle when longer than ``limit``, with its length said."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}…{text[-half:]} ({length or f'{len(text):,} characters'})"


def bool_error(what: str, value: bool) -> TypeError:
    """The one refusal of True or False where a number or a size goes."""
    return TypeError(
        f"{what} is {value} (a bool): True and False are not numbers in micrograd; "
        "pass 1 or 0 (1.0 or 0.0) if that is what you mean"
    )


def too_large_error(what: str, value: Any) -> ValueError:
    """An int (or other real) beyond the largest float, about 1.8e308."""
    return ValueError(f"{what} is too large for a float (the largest is about 1.8e308): got {describe(value)}")


def comparison_error(symbol: str, other: Any) -> TypeError:
    """Why ``value == number`` is refused, and what to write instead (see ``Value``'s docstring)."""
    number = other.item() if getattr(other, "ndim", None) == 0 else other
    return TypeError(
        f"cannot compare a Value with a number by {symbol}: a Value equals only itself (it is a node of a graph); "
        f"compare numbers with v.data {symbol} {describe(number, 40)}"
    )


def is_number(x: Any) -> bool:
    """A number, or a 0-d array holding one (what ``==`` with a Value refuses)."""
    return isinstance(x, numbers.Number) or (getattr(x, "ndim", None) == 0 and not isinstance(x, (str, bytes)))


def as_float(what: str, value: Any) -> float:
    """``value`` as a float: a real number that fits one (nan and inf pass; callers bound them)."""
    if type(value) is float:
        return value
    if isinstance(value, bool):
        raise bool_error(what, value)
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number, got {type(value).__name__}: {describe(value, 40)}")
    try:
        return float(value)
    except OverflowError:
        raise too_large_error(what, value) from None


def real(what: str, value: Any, expected: str = "a number") -> Any:
    """``value`` as a Python real number: a NumPy scalar or 0-d array unwrapped, a bool refused, and
    anything else that is not real a TypeError saying it must be ``expected``."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        raise bool_error(what, value)
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be {expected}, got {type(value).__name__}: {describe(value, 40)}")
    return value


def finite_float(what: str, value: Any, why: str, expected: str = "a number") -> float:
    """``value`` as a finite float (see :func:`real`); nan or inf is a ValueError giving ``why`` it must be finite."""
    number = as_float(what, real(what, value, expected))
    if not math.isfinite(number):
        raise ValueError(f"{what} is {number}: {why}")
    return number


def index(what: str, value: Any, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` as a Python int in [minimum, maximum]: a size, a count, a step number.

    Accepts what ``operator.index`` accepts (ints, NumPy integers), refuses bools,
    floats (even 2.0: a size is never rounded) and everything else.
    """
    if isinstance(value, bool):
        raise bool_error(what, value)
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{what} must be {_int_range(minimum, maximum)}, got {type(value).__name__}: {describe(value, 40)}"
        ) from None
    if number < minimum or (maximum is not None and number > maximum):
        raise ValueError(f"{what} must be {_int_range(minimum, maximum)}, got {describe(number)}")
    return number


def _int_range(minimum: int, maximum: int | None) -> str:
    low = "a positive int" if minimum == 1 else f"an int >= {minimum}"
    return low if maximum is None else f"{low} up to {maximum:,}"
