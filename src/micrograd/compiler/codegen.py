"""Numbers that write code: run an operation's rules on symbols and get source text back.

Every rule in :mod:`micrograd.ops` is written once against a math backend ``m``. Here
``m``'s numbers are symbols: an :class:`Expr` holds a piece of Python source, and
arithmetic on it builds bigger pieces. So, with ``g``, ``out`` and ``x`` naming three
variables of the program being written,

    TANH.backward(NUMPY, g, out, x)   →   Expr('g * (1.0 - out * out)')

which is the derivative the compiler emits: the engine's own rule, never a copy.
Plain Python numbers mixed into a rule (``1.0 - out``, the exponent of ``x ** c``)
stay numbers, and a rule applied to numbers only is folded with
:class:`~micrograd.ops.FloatMath`, so constants keep IEEE 754 semantics.

Two backends write two dialects. :data:`PYTHON` writes straight-line code on floats;
division, powers and the functions that could raise call FloatMath's IEEE versions
(``div(a, b)`` gives inf for a/0 where ``a / b`` would raise). :data:`NUMPY` writes
array code over a whole batch at once; the program runs under
``np.errstate(all='ignore')`` so that ``a / b`` and ``a ** b`` give inf and nan
exactly like FloatMath, silently.

Layers need one more kind of number. A fused neuron (``ops.DOT``) is multilinear:
its rules only add and multiply. Run them on :class:`Product` symbols — products of
slices of named arrays, ``W[i, j=3]·x[j=3, s]`` — and the per-input results stack
into whole-array products; summing every index the receiving array does not have
is exactly the graph's accumulation over the edges into each node, and that sum is
a matrix product (:func:`contract`). This is how ``W.T @ g`` comes out of the rule
``∂(w·x)/∂xⱼ = wⱼ`` rather than being written by hand.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Union

from micrograd.ops import FloatMath, constant_power

__all__ = [
    "Expr",
    "PYTHON",
    "NUMPY",
    "const",
    "Factor",
    "Product",
    "Sum",
    "MULTILINEAR",
    "stack",
    "contract",
    "Writer",
    "python_namespace",
    "numpy_namespace",
]

# Python's operator precedence, loosest first (only what generated code uses).
TERNARY, AND, COMPARE, BITAND, ADDITIVE, MULTIPLICATIVE, UNARY, POWER, ATOM = range(9)

Number = float | bool
Operand = Union["Expr", float, bool]


def const(x: Number) -> str:
    """Source text for a Python number: ``1.0``, ``-0.5``, ``inf``, ``nan``, ``True``."""
    if isinstance(x, bool):
        return repr(x)
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


class Expr:
    """A symbolic number: a piece of source code and the variables it reads.

    ``+ - *`` and unary ``-`` build new expressions, parenthesised as Python needs
    and never simplified (``x * 0.0`` is not 0 when x is inf), so the code computes
    exactly what the rule says, in the rule's order.
    """

    __slots__ = ("text", "prec", "names", "kind", "args", "at_least_zero")

    def __init__(
        self,
        text: str,
        prec: int = ATOM,
        names: Iterable[str] = (),
        kind: str = "",
        args: tuple = (),
        at_least_zero: bool = False,
    ) -> None:
        self.text = text
        self.prec = prec
        self.names = frozenset(names)
        self.kind = kind
        self.args = args
        self.at_least_zero = at_least_zero
        """Known to be ≥ 0 (a zero possibly -0.0) or nan everywhere, like a ReLU's output."""

    @classmethod
    def name(cls, name: str, at_least_zero: bool = False) -> Expr:
        """The symbol for a variable of the generated program (holding ``at_least_zero`` values or not)."""
        return cls(name, ATOM, (name,), "name", at_least_zero=at_least_zero)

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"

    def __bool__(self) -> bool:
        raise TypeError(
            f"the symbol {self.text!r} has no truth value while code is being written: "
            "a rule must choose with m.where(...), not with Python's if"
        )

    def __add__(self, other: Operand) -> Expr:
        return _binary("+", ADDITIVE, self, other)

    def __radd__(self, other: Operand) -> Expr:
        return _binary("+", ADDITIVE, other, self)

    def __sub__(self, other: Operand) -> Expr:
        return _binary("-", ADDITIVE, self, other)

    def __rsub__(self, other: Operand) -> Expr:
        return _binary("-", ADDITIVE, other, self)

    def __mul__(self, other: Operand) -> Expr:
        return _binary("*", MULTIPLICATIVE, self, other)

    def __rmul__(self, other: Operand) -> Expr:
        return _binary("*", MULTIPLICATIVE, other, self)

    def __neg__(self) -> Expr:
        inner = _text(self, UNARY)
        if inner.startswith("-"):
            inner = f"({inner})"
        return Expr("-" + inner, UNARY, self.names, "neg", (self,))


def _text(x: Operand, prec: int) -> str:
    """x's source, in parentheses if it binds less tightly than ``prec`` requires."""
    if isinstance(x, Expr):
        return x.text if x.prec >= prec else f"({x.text})"
    text = const(x)
    own = UNARY if text.startswith("-") else ATOM
    return text if own >= prec else f"({text})"


def _names(*xs: Operand) -> frozenset[str]:
    return frozenset().union(*(x.names for x in xs if isinstance(x, Expr)))


def _binary(symbol: str, prec: int, a: Operand, b: Operand) -> Expr:
    if not isinstance(b, (Expr, float, int)) or not isinstance(a, (Expr, float, int)):
        return NotImplemented
    if prec == POWER:  # right-associative: a ** b ** c is a ** (b ** c)
        left, right = _text(a, ATOM), _text(b, UNARY)
    elif prec == COMPARE:  # comparisons chain in Python: never leave one bare inside another
        left, right = _text(a, BITAND), _text(b, BITAND)
    else:  # left-associative: a - b - c is (a - b) - c, and a - (b - c) needs its parentheses
        left, right = _text(a, prec), _text(b, prec + 1)
    return Expr(f"{left} {symbol} {right}", prec, _names(a, b), symbol, (a, b))


def _is_symbolic(*xs: Any) -> bool:
    return any(isinstance(x, Expr) for x in xs)


class _CodeMath(ABC):
    """What both dialects share: a rule applied to plain numbers is folded by FloatMath."""

    def _call(self, function: str, *args: Any) -> Expr:
        inner = ", ".join(_text(a, TERNARY + 1) for a in args)
        return Expr(f"{function}({inner})", ATOM, _names(*args), function, args)

    def _unary(self, function: str, x: Any, fold: Any) -> Any:
        return self._call(function, x) if _is_symbolic(x) else fold(x)

    def lt(self, a: Any, b: Any) -> Any:
        return _binary("<", COMPARE, a, b) if _is_symbolic(a, b) else a < b

    def le(self, a: Any, b: Any) -> Any:
        return _binary("<=", COMPARE, a, b) if _is_symbolic(a, b) else a <= b

    def eq(self, a: Any, b: Any) -> Any:
        return _binary("==", COMPARE, a, b) if _is_symbolic(a, b) else a == b

    def ge(self, a: Any, b: Any) -> Any:
        return _binary(">=", COMPARE, a, b) if _is_symbolic(a, b) else a >= b

    def sign(self, x: Any) -> Any:
        return self._unary("sign", x, FloatMath.sign)

    def pow_by_constant(self, x: Any, c: float) -> Any:
        """x ** c for a constant c, in the form :meth:`FloatMath.pow_by_constant` computes it.

        x·x for 2, √x for ½, 1/√x for -½, … (the forms PyTorch uses), written with this
        dialect's own functions, so compiled code gives the same signed zeros, infinities
        and nans as eager code. (``tests/test_compile.py`` checks the two agree bit for bit.)
        """
        if not _is_symbolic(x):
            return FloatMath.pow_by_constant(x, c)
        return constant_power(self, x, c)

    @abstractmethod
    def sqrt(self, x: Any) -> Any: ...

    @abstractmethod
    def div(self, a: Any, b: Any) -> Any: ...

    @abstractmethod
    def pow(self, a: Any, b: Any) -> Any: ...


class PythonMath(_CodeMath):
    """Writes code on Python floats; every call is to a FloatMath function (IEEE results)."""

    def div(self, a: Any, b: Any) -> Any:
        return self._call("div", a, b) if _is_symbolic(a, b) else FloatMath.div(a, b)

    def pow(self, a: Any, b: Any) -> Any:
        return self._call("pow", a, b) if _is_symbolic(a, b) else FloatMath.pow(a, b)

    def exp(self, x: Any) -> Any:
        return self._unary("exp", x, FloatMath.exp)

    def log(self, x: Any) -> Any:
        return self._unary("log", x, FloatMath.log)

    def log1p(self, x: Any) -> Any:
        return self._unary("log1p", x, FloatMath.log1p)

    def expm1(self, x: Any) -> Any:
        return self._unary("expm1", x, FloatMath.expm1)

    def sqrt(self, x: Any) -> Any:
        return self._unary("sqrt", x, FloatMath.sqrt)

    def tanh(self, x: Any) -> Any:
        return self._unary("tanh", x, FloatMath.tanh)

    def sin(self, x: Any) -> Any:
        return self._unary("sin", x, FloatMath.sin)

    def cos(self, x: Any) -> Any:
        return self._unary("cos", x, FloatMath.cos)

    def abs(self, x: Any) -> Any:
        return self._unary("abs", x, FloatMath.abs)

    def where(self, condition: Any, if_true: Any, if_false: Any) -> Any:
        if not _is_symbolic(condition):
            return if_true if condition else if_false
        text = f"{_text(if_true, AND)} if {_text(condition, AND)} else {_text(if_false, TERNARY)}"
        return Expr(text, TERNARY, _names(condition, if_true, if_false), "where", (condition, if_true, if_false))

    def and_(self, a: Any, b: Any) -> Any:
        return _binary("and", AND, a, b) if _is_symbolic(a, b) else a and b


class NumpyMath(_CodeMath):
    """Writes NumPy code: each symbol is an array over the batch (or one shared number)."""

    def div(self, a: Any, b: Any) -> Any:
        return _binary("/", MULTIPLICATIVE, a, b) if _is_symbolic(a, b) else FloatMath.div(a, b)

    def pow(self, a: Any, b: Any) -> Any:
        return _binary("**", POWER, a, b) if _is_symbolic(a, b) else FloatMath.pow(a, b)

    def exp(self, x: Any) -> Any:
        return self._unary("np.exp", x, FloatMath.exp)

    def log(self, x: Any) -> Any:
        return self._unary("np.log", x, FloatMath.log)

    def log1p(self, x: Any) -> Any:
        return self._unary("np.log1p", x, FloatMath.log1p)

    def expm1(self, x: Any) -> Any:
        return self._unary("np.expm1", x, FloatMath.expm1)

    def sqrt(self, x: Any) -> Any:
        return self._unary("np.sqrt", x, FloatMath.sqrt)

    def tanh(self, x: Any) -> Any:
        return self._unary("np.tanh", x, FloatMath.tanh)

    def sin(self, x: Any) -> Any:
        return self._unary("np.sin", x, FloatMath.sin)

    def cos(self, x: Any) -> Any:
        return self._unary("np.cos", x, FloatMath.cos)

    def abs(self, x: Any) -> Any:
        return self._unary("np.abs", x, FloatMath.abs)

    def where(self, condition: Any, if_true: Any, if_false: Any) -> Any:
        """``np.where``, or a form of it that does the same with fewer passes over the arrays.

        * ``where(x < 0, 0, x)`` is ``np.maximum(0.0, x)``: one pass, nan stays nan and
          -0.0 stays -0.0 (``np.maximum`` returns its first argument on a tie, its nan otherwise);
        * ``where(y <= 0, 0·y, g)`` with y ≥ 0 or nan (a ReLU's output) is
          ``np.where(y <= 0, y, g)``: where y ≤ 0 holds, y is ±0, and 0·y is y itself.

        ``tests/test_compile.py`` holds both to the rule's values bit for bit, signed zeros,
        infinities and nans included.
        """
        if not _is_symbolic(condition):
            return if_true if condition else if_false
        if isinstance(condition, Expr) and len(condition.args) == 2 and _is_zero(condition.args[1]):
            x = condition.args[0]
            if condition.kind == "<" and _is_zero(if_true) and if_false is x:
                return Expr(f"np.maximum(0.0, {_text(x, TERNARY + 1)})", ATOM, _names(x), "np.maximum", (0.0, x), True)
            product = if_true
            if (
                condition.kind == "<="
                and isinstance(x, Expr)
                and x.at_least_zero
                and isinstance(product, Expr)
                and product.kind == "*"
                and _is_zero(product.args[0])
                and product.args[1] is x
            ):
                return self._call("np.where", condition, x, if_false)
        return self._call("np.where", condition, if_true, if_false)

    def and_(self, a: Any, b: Any) -> Any:
        return _binary("&", BITAND, a, b) if _is_symbolic(a, b) else a and b


def _is_zero(x: Any) -> bool:
    """The constant +0.0 (not -0.0, not a symbol, not False)."""
    return type(x) in (float, int) and x == 0 and math.copysign(1.0, x) > 0


PYTHON = PythonMath()
NUMPY = NumpyMath()


def python_namespace() -> dict[str, Any]:
    """The names :data:`PYTHON` code calls: FloatMath's IEEE functions."""
    return {
        "div": FloatMath.div,
        "pow": FloatMath.pow,
        "exp": FloatMath.exp,
        "log": FloatMath.log,
        "log1p": FloatMath.log1p,
        "expm1": FloatMath.expm1,
        "sqrt": FloatMath.sqrt,
        "tanh": FloatMath.tanh,
        "sin": FloatMath.sin,
        "cos": FloatMath.cos,
        "sign": FloatMath.sign,
        "inf": math.inf,
        "nan": math.nan,
    }


def numpy_namespace(np: Any) -> dict[str, Any]:
    """The names :data:`NUMPY` code uses; ``sign`` is 0 at nan, as FloatMath's."""

    def sign(x: Any) -> Any:
        return (x > 0) * 1.0 - (x < 0)

    return {"np": np, "sign": sign, "inf": math.inf, "nan": math.nan}


# --- multilinear symbols: the fused neuron's rules on whole arrays ---------------------


@dataclass(frozen=True)
class Factor:
    """An array of the generated program, or one slice of it.

    ``Factor('W1', 'ij', (('j', 3),))`` is column 3 of the matrix ``W1`` whose axes are
    i (neurons) and j (inputs): a vector over i. Axis letters name what they count.
    """

    array: str
    axes: str
    fixed: tuple[tuple[str, int], ...] = ()

    def math(self) -> str:
        """How a comment writes it: ``W1[i,j]``, or with the fixed position ``x[3,s]``."""
        position = dict(self.fixed)
        return f"{self.array}[{','.join(str(position.get(a, a)) for a in self.axes)}]"


class Product:
    """A product of factors: the only kind of number a multilinear rule makes from them."""

    __slots__ = ("factors",)

    def __init__(self, *factors: Factor) -> None:
        self.factors = factors

    def __mul__(self, other: Any) -> Product:
        if isinstance(other, Product):
            return Product(*self.factors, *other.factors)
        return NotImplemented

    def __add__(self, other: Any) -> Sum:
        return Sum((self,)) + other

    def __repr__(self) -> str:
        return "·".join(f.math() for f in self.factors)


class Sum:
    """A sum of products, in the order the rule added them."""

    __slots__ = ("terms",)

    def __init__(self, terms: tuple[Product, ...]) -> None:
        self.terms = terms

    def __add__(self, other: Any) -> Sum:
        if isinstance(other, Product):
            return Sum((*self.terms, other))
        if isinstance(other, Sum):
            return Sum((*self.terms, *other.terms))
        return NotImplemented

    def __repr__(self) -> str:
        return " + ".join(map(repr, self.terms))


class _Multilinear:
    """The backend for multilinear rules: it has no functions, only the operators + and *.

    A rule that needs anything else (``m.exp``, ``m.div``) is not multilinear and
    raises AttributeError here; the compiler then leaves that node unvectorised.
    """


MULTILINEAR = _Multilinear()


def stack(products: Sequence[Product], axis: str) -> Product | None:
    """One product over the whole of ``axis`` from its slices, or None if they are not slices.

    ``products[k]`` must be the same product with every factor that has ``axis``
    fixed at position k: ``g·x[k]`` for k = 0 … n-1 stacks into ``g·x`` with the
    axis free. Products with nothing fixed (the same term n times) do not stack.
    """
    freed: Product | None = None
    for k, product in enumerate(products):
        factors = []
        for f in product.factors:
            position = dict(f.fixed)
            if axis in position and position[axis] != k:
                return None
            factors.append(Factor(f.array, f.axes, tuple(p for p in f.fixed if p[0] != axis)))
        candidate = Product(*factors)
        if freed is None:
            freed = candidate
        elif candidate.factors != freed.factors:
            return None
    if freed is None or freed.factors == products[0].factors:
        return None
    return freed


def contract(product: Product, out: str) -> tuple[str, str]:
    """NumPy source for Σ over every axis not in ``out`` of the product, with axes ``out``.

    Returns ``(code, math)``. Two matrices sharing one summed axis become ``A @ B``
    (transposed as needed), one array alone a ``.sum`` or a broadcast, anything else
    ``np.einsum``. The summed axes are the ones the receiving array lacks: the graph
    adds up the gradient of every edge into a node, and that addition is this sum.
    """
    factors = product.factors
    if any(f.fixed for f in factors):
        raise ValueError(f"contract needs whole arrays, got slices in {product!r}")
    summed = "".join(sorted({a for f in factors for a in f.axes} - set(out)))
    math_text = "·".join(f.math() for f in factors)
    if summed:
        math_text = f"Σ_{summed} {math_text}"
    if len(factors) == 1:
        return _one_array(factors[0], out), math_text
    if len(factors) == 2:
        code = _matmul(factors[0], factors[1], out)
        if code is not None:
            return code, math_text
    spec = ",".join(f.axes for f in factors) + "->" + out
    return f"np.einsum('{spec}', {', '.join(f.array for f in factors)})", math_text


def _one_array(f: Factor, out: str) -> str:
    code, axes = f.array, f.axes
    extra = [a for a in axes if a not in out]
    if extra:
        positions = tuple(axes.index(a) for a in extra)
        axis = positions[0] if len(positions) == 1 else positions
        code = f"{code}.sum(axis={axis})"
        axes = "".join(a for a in axes if a in out)
    if all(a in axes for a in out) and len(axes) == len(out):
        if axes == out:
            return code
        if len(out) == 2:
            return f"{code}.T"
        return f"np.transpose({code}, {tuple(axes.index(a) for a in out)})"
    if [a for a in out if a in axes] != list(axes):
        raise ValueError(f"cannot broadcast axes {axes!r} to {out!r} without a transpose")
    return f"{code}[{', '.join(':' if a in axes else 'None' for a in out)}]"


def _matmul(a: Factor, b: Factor, out: str) -> str | None:
    """``A @ B`` for Σ_c A·B when each has at most one other axis and those make ``out``."""
    shared = set(a.axes) & set(b.axes)
    if len(shared) != 1 or len(a.axes) > 2 or len(b.axes) > 2 or shared & set(out):
        return None
    (c,) = shared
    rest_a = a.axes.replace(c, "")
    rest_b = b.axes.replace(c, "")
    if sorted(rest_a + rest_b) != sorted(out):
        return None
    if len(out) == 2 and rest_a != out[0]:
        a, b, rest_a, rest_b = b, a, rest_b, rest_a
    if len(out) == 1 and rest_b == out and rest_a == "":
        left = a.array  # a vector on the left: v @ M sums v's axis against M's first
        right = b.array if b.axes == c + rest_b else f"{b.array}.T"
        return f"{left} @ {right}"
    left = a.array if a.axes == rest_a + c else f"{a.array}.T"
    right = b.array if b.axes == c + rest_b else f"{b.array}.T"
    return f"{left} @ {right}"


class Writer:
    """Lines of source with their comments aligned in one column (a readable listing)."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, str, str]] = []
        self.depth = 0

    def line(self, code: str = "", comment: str = "") -> None:
        self.lines.append((self.depth, code, comment))

    def comment(self, text: str) -> None:
        self.lines.append((self.depth, "", text))

    def indent(self) -> None:
        self.depth += 1

    def dedent(self) -> None:
        self.depth -= 1

    def source(self, column_limit: int = 56) -> str:
        widths = [4 * d + len(code) for d, code, comment in self.lines if code and comment]
        column = min(max(widths, default=0), column_limit) + 2
        out = []
        for depth, code, comment in self.lines:
            pad = "    " * depth
            if not code:
                out.append(f"{pad}# {comment}" if comment else "")
            elif comment:
                text = pad + code
                out.append(f"{text.ljust(column)}# {comment}" if len(text) < column else f"{text}  # {comment}")
            else:
                out.append(pad + code)
        return "\n".join(out) + "\n"
