"""The operations micrograd can differentiate: each one's forward and derivative, once.

Every operation is a small class with two methods written side by side:

* ``forward(m, *xs)`` computes the result from the inputs ``xs``;
* ``backward(m, g, out, *xs)`` returns, for each input, the gradient it receives
  when ``g`` (the gradient of the final result with respect to this operation's
  output ``out``) flows back through the operation: ``g * ∂out/∂x`` (the chain rule).

Both methods are written against ``m``, a *math backend*: the numbers they compute
with and the few functions those numbers need (``m.exp``, ``m.div``, ``m.where``,
...). The same rule therefore serves three purposes:

* with :class:`FloatMath` the numbers are Python floats: eager forward and ``backward()``
  (:mod:`micrograd._kernels` is the built-in rules written out as plain Python, what
  the engine runs per node; a test rewrites it from these rules and fails on a difference);
* with the engine's Value backend the numbers are :class:`~micrograd.engine.Value`
  nodes, so the gradient is itself a graph that can be differentiated again
  (``backward(create_graph=True)``, :func:`micrograd.grad`);
* with a code-generating backend the numbers are symbols, and the rule writes
  source code (:mod:`micrograd.compiler`).

Operators ``+ - *`` and unary ``-`` are used directly; division and powers go through
``m.div``, ``m.pow`` and ``m.pow_by_constant`` (a constant exponent) because Python's float
``/`` and ``**`` raise where IEEE 754 (and PyTorch) give ``inf`` or ``nan``. Each derivative follows PyTorch's formula
(``derivatives.yaml``) so that results agree with it to the last bit wherever
floating point allows.

An :class:`Op` *is* its symbol: a ``str`` (``'+'``, ``'tanh'``, ``'**2'``) that also
carries its rules, so ``node._op == '+'`` reads as in the lecture, and its math as text
(``formula``, ``derivative``) for pictures and generated code. Adding an operation is one
class here (plus a ``Math`` function and a ``Value`` method when it needs a new one).
"""

from __future__ import annotations

import math
from functools import reduce
from itertools import repeat
from operator import add, mul
from typing import Any, ClassVar, Protocol

__all__ = [
    "Op",
    "Math",
    "FloatMath",
    "constant_power",
    "OPS",
    "op_from_symbol",
    "ADD",
    "SUB",
    "MUL",
    "DIV",
    "NEG",
    "POW",
    "EXP",
    "LOG",
    "SQRT",
    "TANH",
    "SIGMOID",
    "RELU",
    "ABS",
    "SIN",
    "COS",
    "LOG1P",
    "EXPM1",
    "DOT",
    "WHERE_FIRST",
    "WHERE_SECOND",
    "PowConst",
]

_INF = math.inf
_NAN = math.nan


class Math(Protocol):
    """What a rule may call on its backend ``m``: the functions every backend provides.

    Rules also use ``+ - *`` and unary ``-`` on the backend's numbers directly. Comparisons
    and ``and_`` give the backend's notion of a condition, which only ``where`` consumes.
    """

    def div(self, a: Any, b: Any, /) -> Any: ...
    def pow(self, a: Any, b: Any, /) -> Any: ...
    def pow_by_constant(self, x: Any, c: float, /) -> Any: ...
    def exp(self, x: Any, /) -> Any: ...
    def expm1(self, x: Any, /) -> Any: ...
    def log(self, x: Any, /) -> Any: ...
    def log1p(self, x: Any, /) -> Any: ...
    def sqrt(self, x: Any, /) -> Any: ...
    def tanh(self, x: Any, /) -> Any: ...
    def sin(self, x: Any, /) -> Any: ...
    def cos(self, x: Any, /) -> Any: ...
    def abs(self, x: Any, /) -> Any: ...
    def sign(self, x: Any, /) -> Any: ...
    def where(self, condition: Any, if_true: Any, if_false: Any, /) -> Any: ...
    def lt(self, a: Any, b: Any, /) -> Any: ...
    def le(self, a: Any, b: Any, /) -> Any: ...
    def eq(self, a: Any, b: Any, /) -> Any: ...
    def ge(self, a: Any, b: Any, /) -> Any: ...
    def and_(self, a: Any, b: Any, /) -> Any: ...


def constant_power(m: Any, x: Any, c: float) -> Any:
    """x ** c for a constant c in PyTorch's forms, written once with any backend ``m``'s functions.

    x·x, √x, 1/√x, 1/x, x·x·x, 1/x² for c = 2, ½, -½, -1, 3, -2 (PyTorch's signed zeros and nans), else m.pow."""
    if c == 2:
        return x * x
    if c == 0.5:
        return m.sqrt(x)
    if c == -0.5:
        return m.div(1.0, m.sqrt(x))
    if c == -1:
        return m.div(1.0, x)
    if c == 3:
        return x * x * x
    if c == -2:
        return m.div(1.0, x * x)
    return m.pow(x, c)


class FloatMath:
    """The float backend: IEEE 754 results (inf, nan) where Python's ``math`` raises."""

    @staticmethod
    def div(a: float, b: float) -> float:
        """a / b, with x/0 = ±inf and 0/0 = nan instead of ZeroDivisionError."""
        try:
            return a / b
        except ZeroDivisionError:
            if a == 0 or a != a:
                return _NAN
            return math.copysign(_INF, a) * math.copysign(1.0, b)

    @staticmethod
    def pow(a: float, b: float) -> float:
        """a ** b as C's pow: real results only (nan for a negative base and fractional b)."""
        try:
            return math.pow(a, b)
        except OverflowError:
            odd_integer = b == int(b) and int(b) % 2 == 1
            return -_INF if (a < 0 and odd_integer) else _INF
        except ValueError:  # 0 ** negative, or negative ** non-integer
            if a == 0:
                odd_integer = b == int(b) and int(b) % 2 == 1
                return math.copysign(_INF, a) if odd_integer else _INF
            return _NAN

    @staticmethod
    def pow_by_constant(x: float, c: float) -> float:
        """x ** c for a constant c as PyTorch computes it (see :func:`constant_power`)."""
        return constant_power(FloatMath, x, c)

    @staticmethod
    def exp(x: float) -> float:
        """e ** x, inf on overflow."""
        try:
            return math.exp(x)
        except OverflowError:
            return _INF

    @staticmethod
    def expm1(x: float) -> float:
        """e ** x - 1, exact near 0; inf on overflow."""
        try:
            return math.expm1(x)
        except OverflowError:
            return _INF

    @staticmethod
    def log1p(x: float) -> float:
        """ln(1 + x), exact near 0: log1p(-1) = -inf, log1p(x < -1) = nan."""
        if x > -1:
            return math.log1p(x)
        if x == -1:
            return -_INF
        return _NAN

    @staticmethod
    def log(x: float) -> float:
        """Natural log: log(0) = -inf, log(x < 0) = nan."""
        if x > 0:
            return math.log(x)
        if x == 0:
            return -_INF
        return _NAN

    @staticmethod
    def sqrt(x: float) -> float:
        """√x, nan for x < 0."""
        return math.sqrt(x) if x >= 0 else _NAN

    @staticmethod
    def sin(x: float) -> float:
        """sin x, nan at ±inf."""
        return math.sin(x) if math.isfinite(x) else _NAN

    @staticmethod
    def cos(x: float) -> float:
        """cos x, nan at ±inf."""
        return math.cos(x) if math.isfinite(x) else _NAN

    tanh = staticmethod(math.tanh)
    abs = staticmethod(math.fabs)

    @staticmethod
    def sign(x: float) -> float:
        """-1, 0 or 1 (0 for nan, as ``torch.sign``)."""
        return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)

    @staticmethod
    def where(condition: bool, if_true: float, if_false: float) -> float:
        return if_true if condition else if_false

    @staticmethod
    def lt(a: float, b: float) -> bool:
        return a < b

    @staticmethod
    def le(a: float, b: float) -> bool:
        return a <= b

    @staticmethod
    def eq(a: float, b: float) -> bool:
        return a == b

    @staticmethod
    def ge(a: float, b: float) -> bool:
        return a >= b

    @staticmethod
    def and_(a: bool, b: bool) -> bool:
        return a and b


class Op(str):
    """An operation: its symbol (this string) plus its forward and backward rules."""

    arity: ClassVar[int | None] = None
    """Number of inputs, or None for any number."""

    formula: ClassVar[str] = ""
    """The forward math in one line, for pictures and generated code (``'tanh x'``)."""
    derivative: ClassVar[str] = ""
    """The derivative with respect to each input in one line (``'∂/∂x = 1 - tanh²x'``)."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickles as its symbol; unpickling gives back the shared op (``ADD`` is ``ADD``).

        An op defined outside this module pickles as its class and symbol (the class must
        be importable, as for any pickled object).
        """
        if type(self).__module__ != __name__:
            return (type(self), (str(self),))
        return (op_from_symbol, (str(self),))

    def takes(self, n: int) -> bool:
        """Whether a node of this operation can have ``n`` inputs."""
        return n == self.arity if self.arity is not None else n >= 1

    def forward(self, m: Math, *xs: Any) -> Any:
        raise NotImplementedError

    def backward(self, m: Math, g: Any, out: Any, *xs: Any) -> tuple[Any, ...]:
        raise NotImplementedError


class Add(Op):
    """Addition."""

    formula = "a + b"
    derivative = "∂/∂a = 1, ∂/∂b = 1"
    arity = 2

    def forward(self, m, a, b):
        return a + b

    def backward(self, m, g, out, a, b):
        return g, g


class Sub(Op):
    """Subtraction."""

    formula = "a - b"
    derivative = "∂/∂a = 1, ∂/∂b = -1"
    arity = 2

    def forward(self, m, a, b):
        return a - b

    def backward(self, m, g, out, a, b):
        return g, -g


class Mul(Op):
    """Multiplication."""

    formula = "a · b"
    derivative = "∂/∂a = b, ∂/∂b = a"
    arity = 2

    def forward(self, m, a, b):
        return a * b

    def backward(self, m, g, out, a, b):
        return g * b, g * a


class Div(Op):
    """Division (IEEE 754: x/0 is ±inf, 0/0 is nan)."""

    formula = "a / b"
    derivative = "∂/∂a = 1/b, ∂/∂b = -a/b²"
    arity = 2

    def forward(self, m, a, b):
        return m.div(a, b)

    def backward(self, m, g, out, a, b):
        return m.div(g, b), -g * m.div(m.div(a, b), b)


class Neg(Op):
    """Negation."""

    formula = "-x"
    derivative = "∂/∂x = -1"
    arity = 1

    def forward(self, m, x):
        return -x

    def backward(self, m, g, out, x):
        return (-g,)


class Pow(Op):
    """A power of two variables."""

    formula = "a ** b"
    derivative = "∂/∂a = b·a^(b-1), ∂/∂b = a^b·ln a (0 where a = 0, b ≥ 0)"
    arity = 2

    def forward(self, m, a, b):
        return m.pow(a, b)

    def backward(self, m, g, out, a, b):
        grad_a = m.where(m.eq(b, 0), 0.0, g * (b * m.pow(a, b - 1)))
        grad_b = g * m.where(m.and_(m.eq(a, 0), m.ge(b, 0)), 0.0, out * m.log(a))
        return grad_a, grad_b


class PowConst(Op):
    """A power with a constant exponent, one op per constant."""

    formula = "x ** c"
    derivative = "∂/∂x = c·x^(c-1) (0 when c = 0)"
    arity = 1
    exponent: float

    def __new__(cls, exponent: float) -> PowConst:
        op = super().__new__(cls, f"**{exponent}")
        op.exponent = float(exponent)
        return op

    def forward(self, m, x):
        return m.pow_by_constant(x, self.exponent)

    def backward(self, m, g, out, x):
        c = self.exponent
        if c == 0:
            return (0.0,)
        return (g * (c * m.pow_by_constant(x, c - 1)),)


class Exp(Op):
    """The exponential."""

    formula = "e^x"
    derivative = "∂/∂x = e^x (the output itself)"
    arity = 1

    def forward(self, m, x):
        return m.exp(x)

    def backward(self, m, g, out, x):
        return (g * out,)


class Log(Op):
    """The natural logarithm."""

    formula = "ln x"
    derivative = "∂/∂x = 1/x"
    arity = 1

    def forward(self, m, x):
        return m.log(x)

    def backward(self, m, g, out, x):
        return (m.div(g, x),)


class Sqrt(Op):
    """The square root."""

    formula = "√x"
    derivative = "∂/∂x = 1 / (2√x)"
    arity = 1

    def forward(self, m, x):
        return m.sqrt(x)

    def backward(self, m, g, out, x):
        return (m.div(g, 2.0 * out),)


class Tanh(Op):
    """The hyperbolic tangent."""

    formula = "tanh x"
    derivative = "∂/∂x = 1 - tanh²x"
    arity = 1

    def forward(self, m, x):
        return m.tanh(x)

    def backward(self, m, g, out, x):
        return (g * (1.0 - out * out),)


class Sigmoid(Op):
    """The logistic sigmoid."""

    formula = "σ(x) = 1 / (1 + e^-x)"
    derivative = "∂/∂x = σ(x)·(1 - σ(x))"
    arity = 1

    def forward(self, m, x):
        return m.div(1.0, 1.0 + m.exp(-x))

    def backward(self, m, g, out, x):
        return (g * (1.0 - out) * out,)


class ReLU(Op):
    """The rectifier."""

    formula = "max(0, x)"
    derivative = "∂/∂x = 1 if x > 0 else 0 (the subgradient 0 at x = 0)"
    arity = 1

    def forward(self, m, x):
        return m.where(m.lt(x, 0.0), 0.0, x)

    def backward(self, m, g, out, x):
        # 0·out rather than 0: in a gradient graph this keeps PyTorch's zero-gradient
        # edge to out, so nan and inf reach the same places as in PyTorch.
        return (m.where(m.le(out, 0.0), 0.0 * out, g),)


class Abs(Op):
    """The absolute value."""

    formula = "|x|"
    derivative = "∂/∂x = sign(x) (the subgradient 0 at x = 0)"
    arity = 1

    def forward(self, m, x):
        return m.abs(x)

    def backward(self, m, g, out, x):
        return (g * m.sign(x),)


class Sin(Op):
    """The sine."""

    formula = "sin x"
    derivative = "∂/∂x = cos x"
    arity = 1

    def forward(self, m, x):
        return m.sin(x)

    def backward(self, m, g, out, x):
        return (g * m.cos(x),)


class Cos(Op):
    """The cosine."""

    formula = "cos x"
    derivative = "∂/∂x = -sin x"
    arity = 1

    def forward(self, m, x):
        return m.cos(x)

    def backward(self, m, g, out, x):
        return (g * -m.sin(x),)


class Log1p(Op):
    """ln(1 + x), exact where x is tiny (``log(1 + x)`` loses x below 1e-16)."""

    formula = "ln(1 + x)"
    derivative = "∂/∂x = 1 / (x + 1)"
    arity = 1

    def forward(self, m, x):
        return m.log1p(x)

    def backward(self, m, g, out, x):
        return (m.div(g, x + 1.0),)


class Expm1(Op):
    """e^x - 1, exact where x is tiny."""

    formula = "e^x - 1"
    derivative = "∂/∂x = e^x (the output + 1)"
    arity = 1

    def forward(self, m, x):
        return m.expm1(x)

    def backward(self, m, g, out, x):
        return (g * (out + 1.0),)


class Dot(Op):
    """A whole neuron's sum in one node, its inputs ``(w₁ … wₙ, x₁ … xₙ, b)``.

    The sum runs left to right from ``b``, exactly as the lecture's
    ``sum((wi*xi for ...), b)``, so the fused and unfused neurons agree to the bit.
    """

    formula = "w·x + b = b + w₁x₁ + … + wₙxₙ"
    derivative = "∂/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ, ∂/∂b = 1"

    def takes(self, n: int) -> bool:
        return n % 2 == 1

    def forward(self, m, *wxb):
        n = len(wxb) // 2
        return reduce(add, map(mul, wxb[:n], wxb[n : 2 * n]), wxb[-1])

    def backward(self, m, g, out, *wxb):
        n = len(wxb) // 2
        return (*map(mul, repeat(g, n), wxb[n : 2 * n]), *map(mul, repeat(g, n), wxb[:n]), g)


class Where(Op):
    """One of two inputs, by a condition fixed when the node is made.

    Gradient graphs (``create_graph=True``) use it where a rule chooses between two
    formulas, so that the branch not taken still receives a zero gradient, exactly as
    PyTorch's ``where`` does (0 times an infinite local derivative is then nan there too).
    """

    formula = "a if condition else b"
    derivative = "∂/∂a = 1 if condition else 0, ∂/∂b the other way round"

    arity = 2
    take_first: bool

    def __new__(cls, take_first: bool) -> Where:
        op = super().__new__(cls, "where")
        op.take_first = take_first
        return op

    def __reduce__(self):
        return (Where, (self.take_first,))

    def forward(self, m, a, b):
        return a if self.take_first else b

    def backward(self, m, g, out, a, b):
        return (g, 0.0) if self.take_first else (0.0, g)


ADD = Add("+")
SUB = Sub("-")
MUL = Mul("*")
DIV = Div("/")
NEG = Neg("neg")
POW = Pow("**")
EXP = Exp("exp")
LOG = Log("log")
SQRT = Sqrt("sqrt")
TANH = Tanh("tanh")
SIGMOID = Sigmoid("sigmoid")
RELU = ReLU("ReLU")
ABS = Abs("abs")
SIN = Sin("sin")
COS = Cos("cos")
LOG1P = Log1p("log1p")
EXPM1 = Expm1("expm1")
DOT = Dot("dot")
WHERE_FIRST = Where(True)
WHERE_SECOND = Where(False)

OPS: dict[str, Op] = {
    op: op
    for op in (ADD, SUB, MUL, DIV, NEG, POW, EXP, LOG, SQRT, TANH, SIGMOID, RELU, ABS, SIN, COS, LOG1P, EXPM1, DOT)
}
"""Every fixed operation by its symbol (``x ** c`` ops are made per constant)."""

_POW_CONSTS: dict[tuple[type, float], PowConst] = {}


def pow_const(exponent: int | float) -> PowConst:
    """The shared ``**c`` operation for a constant exponent, named as written (``**2``, ``**0.5``)."""
    key = (type(exponent), exponent)
    op = _POW_CONSTS.get(key)
    if op is None:
        op = PowConst(exponent)
        if len(_POW_CONSTS) < 4096:
            _POW_CONSTS[key] = op
    return op


def op_from_symbol(symbol: str) -> Op:
    """The operation a symbol names: ``'+'``, ``'tanh'``, ``'**2'``, ...

    Raises ``ValueError`` naming the symbol when it is not one micrograd knows.
    """
    if isinstance(symbol, Op):
        return symbol
    op = OPS.get(symbol)
    if op is not None:
        return op
    if symbol.startswith("**") and len(symbol) > 2:
        text = symbol[2:]
        try:
            exponent: float = int(text)
        except ValueError:
            try:
                exponent = float(text)
            except ValueError:
                exponent = None  # type: ignore[assignment]
        if exponent is not None:
            return pow_const(exponent)
    known = ", ".join(repr(s) for s in OPS)
    raise ValueError(f"unknown operation {symbol!r}: known are {known} and '**c' for a constant c")
