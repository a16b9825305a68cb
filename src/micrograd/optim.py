"""Optimizers and learning-rate schedules: how parameters move once their gradients are known.

Each optimizer has PyTorch's name, constructor arguments and defaults, and performs
the same arithmetic as ``torch.optim``'s update (same formulas, same order), so a
trajectory matches PyTorch float64 step for step. Usage is PyTorch's::

    opt = Adam(model.parameters(), lr=0.01)
    for k in range(steps):
        opt.zero_grad()
        loss = ...
        loss.backward()
        opt.step()

A schedule is a function from the step number k to a learning rate; apply it with
``opt.lr = schedule(k)`` before ``opt.step()`` (``fit`` does this for you).

Each update rule is written once and runs on floats or on arrays: the parameters may be
``Value``s (each ``.data`` a float) or tensors (:mod:`micrograd.tensor`, each ``.data`` a
NumPy array), and a step does its arithmetic through the backend that fits the parameter
(``m.div``, ``m.sqrt``, as the ops' rules do), so ``Adam(model.parameters())`` is the same
Adam for an MLP of Values and for a tensor ``Sequential``. As in PyTorch, a tensor whose
``.grad`` is None (no gradient reached it) is skipped by ``step()``.

The same rules step a compiled step's parameters all at once: while a compiled NumPy step
holds its parameters in one array (:mod:`micrograd.compiler.held`) and an optimizer's
parameters are exactly those, ``step()`` applies its rule to that array once, with its
running buffers as arrays in the array's order, instead of looping over the Values;
``zero_grad()`` fills the gradient array with zeros. The numbers are the same to the
bit (the same IEEE operations, element by element), and the buffers read as lists
(``opt.exp_avg``, ``state_dict()``) as always.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from micrograd.checks import as_float, index
from micrograd.engine import Value
from micrograd.nn import Module, _check_set_to_none, _no_parameters_hint
from micrograd.ops import FloatMath

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "OPTIMIZERS",
    "Schedule",
    "LinearDecay",
    "StepDecay",
    "CosineDecay",
]

Schedule = Callable[[int], float]
"""A learning-rate schedule: step number k (from 0) → learning rate."""


def _tensor_type() -> Any:
    """micrograd's Tensor class when :mod:`micrograd.tensor` is loaded (no tensor exists otherwise).

    Looked up, not imported, so that the scalar library never needs NumPy.
    """
    module = sys.modules.get("micrograd.tensor.tensor")
    return getattr(module, "Tensor", None)


def _math(p: Any) -> Any:
    """The backend a parameter's numbers need: FloatMath for a Value's float, the array backend for a tensor's array.

    FloatMath gives IEEE results where Python raises (x/0 is ±inf or nan, √x is nan below 0),
    as NumPy and PyTorch do.
    """
    if isinstance(p, Value):
        return FloatMath
    return sys.modules["micrograd.tensor.arraymath"].ARRAY  # loaded with every tensor


def _copy(x: Any) -> Any:
    """A buffer's own copy of a gradient (a float is already one)."""
    return x.copy() if hasattr(x, "copy") else x


def _hyper(name: str, value: Any, *, low: float = 0.0, below: float | None = None) -> float:
    """A hyperparameter as a float in [low, below), or a ValueError naming it."""
    number = as_float(name, value)
    if not math.isfinite(number) or number < low or (below is not None and number >= below):
        if below is not None:
            bounds = f" in [{low:g}, {below:g})"
        else:
            bounds = f" >= {low:g}" if math.isfinite(low) else ""
        raise ValueError(f"Invalid {name} value: {number!r} (it must be a finite number{bounds})")
    return number


def _parameter_list(params: Any, owner: str) -> list[Any]:
    """The parameters to move: Values (from a Module or an iterable) or leaf float tensors."""
    module = params if isinstance(params, Module) else None
    if isinstance(params, Module):
        params = params.parameters()
    elif isinstance(params, Value):
        params = [params]
    tensor = _tensor_type()
    if tensor is not None and isinstance(params, tensor):
        params = [params]
    elif not isinstance(params, Module) and callable(getattr(params, "parameters", None)):
        params = params.parameters()  # a micrograd.tensor Module
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            f"{owner} expects model.parameters() (an iterable of Values or tensors), got {type(params).__name__}"
        ) from None
    if not params:
        raise ValueError(f"{owner} got an empty parameter list" + (_no_parameters_hint(module) if module else ""))
    seen: set[int] = set()
    for i, p in enumerate(params):
        if tensor is not None and isinstance(p, tensor):
            if p.dtype.kind != "f" or not p.is_leaf:
                article = "an" if p.dtype.name[0] in "aeiou" else "a"
                kind = "a result of other tensors" if not p.is_leaf else f"{article} {p.dtype} tensor"
                raise TypeError(
                    f"{owner}: parameter {i} is {kind}; optimizers move leaf floating-point tensors "
                    "(model.parameters())"
                )
        elif not isinstance(p, Value):
            raise TypeError(f"{owner}: parameter {i} must be a Value or a tensor, got {type(p).__name__}")
        if id(p) in seen:
            raise ValueError(f"{owner}: parameter {i} appears more than once in the parameter list")
        seen.add(id(p))
    return params


class _RunningBuffer:
    """A per-parameter buffer such as ``opt.exp_avg``: a list, one entry per parameter, in their order.

    While the optimizer steps a packed array the buffer is one array in that array's
    order; reading or setting the attribute turns it back into the list first.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, opt: Optimizer | None, owner: type | None = None) -> Any:
        if opt is None:
            return self
        opt._unpack()
        return opt._running[self.name]

    def __set__(self, opt: Optimizer, value: Any) -> None:
        opt._unpack()
        opt._running[self.name] = value


class Optimizer:
    """What every optimizer shares: its parameters, a learning rate, ``zero_grad()`` and ``step()``.

    ``state_dict()`` is everything a later ``step()`` depends on besides the parameters
    themselves: the constructor's hyperparameters, and the per-parameter buffers and
    step count each subclass names in ``_hyperparameters``, ``_buffers`` and ``_counters``.
    """

    _hyperparameters: tuple[str, ...] = ("lr", "maximize")
    _buffers: tuple[str, ...] = ()
    _counters: tuple[str, ...] = ()
    _nullable_buffers: tuple[str, ...] = ()
    _steps_packed = False
    """Whether ``step()`` can apply its rule to a compiled step's whole parameter array at once."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls._buffers:
            if not isinstance(getattr(cls, name, None), _RunningBuffer):
                setattr(cls, name, _RunningBuffer(name))

    def __init__(self, params: Module | Iterable[Value], lr: float, maximize: bool = False) -> None:
        self._running: dict[str, list[Any]] = {}
        self._packed: tuple[Any, list[int]] | None = None  # (the ParameterArray, each parameter's position)
        self._checked: tuple[Any, list[int] | None] = (None, None)
        self.params = _parameter_list(params, type(self).__name__)
        self.lr = lr
        self.maximize = bool(maximize)

    @property
    def lr(self) -> float:
        """The learning rate used by the next ``step()``; schedules set it."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _hyper("learning rate", value)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient before the next backward pass accumulates into it.

        A tensor's grad becomes None (``set_to_none=True``, PyTorch's default) or zeros.
        A Value's grad is 0.0 either way: it is one float, so there is nothing to free, and
        backward adds into it (``grad += ...``) as does a hand-written update
        (``p.data -= lr * p.grad``): with None both would fail.
        """
        _check_set_to_none(set_to_none)
        held = self._held_array()
        if held is not None:
            held.gtheta.fill(0.0)
            return
        for p in self.params:
            if isinstance(p, Value):
                p.grad = 0.0
            elif set_to_none:
                p.grad = None
            else:
                import numpy as np  # a tensor exists, so NumPy is loaded

                p.grad = np.zeros_like(p.data)

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's hyperparameters and running state, as plain JSON-ready data.

        ``{"optimizer": "Adam", "hyperparameters": {"lr": ..., ...}, "state": {"steps": 3,
        "exp_avg": [one float per parameter], ...}}``; buffers are in parameter order.
        """
        return {
            "optimizer": type(self).__name__,
            "hyperparameters": {name: _plain(getattr(self, name)) for name in self._hyperparameters},
            "state": {
                **{name: getattr(self, name) for name in self._counters},
                **{name: [_plain(x) for x in getattr(self, name)] for name in self._buffers},
            },
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from ``state`` (as made by ``state_dict``) on this optimizer's parameters.

        Checks everything first (the optimizer type, every hyperparameter through the
        constructor's own checks, one number per parameter in every buffer), so a bad
        ``state`` raises ``ValueError`` or ``TypeError`` and leaves the optimizer as it was.
        """
        name = type(self).__name__
        if not isinstance(state, Mapping) or set(state) != {"optimizer", "hyperparameters", "state"}:
            raise ValueError(
                f"{name}.load_state_dict expects a dict with 'optimizer', 'hyperparameters' and 'state' "
                f"(as made by state_dict()), got {_describe(state)}"
            )
        if state["optimizer"] != name:
            raise ValueError(f"this state is for {state['optimizer']!r}, not {name!r}")
        hyper, running = state["hyperparameters"], state["state"]
        for what, given, expected in (
            ("hyperparameters", hyper, self._hyperparameters),
            ("state", running, (*self._counters, *self._buffers)),
        ):
            if not isinstance(given, Mapping) or set(given) != set(expected):
                keys = ", ".join(expected)
                raise ValueError(f"{name} state's {what!r} must have the keys {keys}, got {_describe(given)}")
        checked = type(self)(self.params, **hyper)
        counters = {}
        for key in self._counters:
            value = running[key]
            counters[key] = index(f"{name} state[{key!r}]", value, 0)
        buffers = {
            key: _buffer(running[key], self.params, f"{name} state[{key!r}]", key in self._nullable_buffers)
            for key in self._buffers
        }
        for key in self._hyperparameters:
            setattr(self, key, getattr(checked, key))
        for key, value in {**counters, **buffers}.items():
            setattr(self, key, value)

    def _held_array(self) -> Any:
        """The compiled step's ParameterArray holding exactly this optimizer's parameters, or None."""
        array = getattr(type(self.params[0]), "_parameter_array", None)
        if array is None or not array.holding or len(array.params) != len(self.params):
            return None
        if self._checked[0] is not array:
            index = array.index
            positions = [index.get(id(p)) for p in self.params]
            self._checked = (array, None if None in positions else positions)  # type: ignore[assignment]
        return array if self._checked[1] is not None else None

    def _pack(self, array: Any) -> bool:
        """Make the running buffers one array each, in ``array``'s order; False if one cannot be
        (some of its entries None, others numbers)."""
        if self._packed is not None and self._packed[0] is array:
            return True
        self._unpack()
        import numpy as np  # a compiled NumPy step holds the parameters, so NumPy is loaded

        positions = self._checked[1]
        packed: dict[str, list[Any]] = {}
        for name in self._buffers:
            values = self._running[name]
            if all(v is None for v in values):
                packed[name] = [None]
                continue
            if any(type(v) is not float for v in values):
                return False
            column = np.empty(len(values))
            column[positions] = values
            packed[name] = [column]
        self._running.update(packed)
        self._packed = (array, positions)  # type: ignore[assignment]
        return True

    def _unpack(self) -> None:
        """The running buffers as lists again, one entry per parameter in the optimizer's order."""
        if self._packed is None:
            return
        _, positions = self._packed
        self._packed = None
        for name in self._buffers:
            (column,) = self._running[name]
            self._running[name] = [None] * len(positions) if column is None else column[positions].tolist()

    def _grads(self) -> list[tuple[int, Any, Any, Any]] | Iterator[tuple[int, Any, Any, Any]]:
        """(index, parameter, its gradient (negated when maximizing), its backend) for each
        parameter that has a gradient: a Value's as a float, a tensor's array unless it is None.

        When the parameters are a compiled step's held array, one item: the whole array as
        one parameter (index 0 of the packed buffers). Call it before reading ``_running``.
        """
        held = self._held_array() if self._steps_packed else None
        if held is not None and self._pack(held):
            g = held.gtheta
            return [(0, held.packed, -g if self.maximize else g, held.math)]
        self._unpack()
        return self._each_grad()

    def _each_grad(self) -> Iterator[tuple[int, Any, Any, Any]]:
        for i, p in enumerate(self.params):
            g = p.grad
            if type(g) is not float:
                if g is None:
                    continue
                g = g.data if isinstance(g, Value) else g if hasattr(g, "shape") else float(g)
            yield i, p, -g if self.maximize else g, _math(p)

    def step(self) -> None:
        """Move every parameter once, using its current ``.grad``."""
        raise NotImplementedError(f"{type(self).__name__} must define step()")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr:g})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay.

    g ← ∇ + λ·p;  b ← μ·b + (1 - τ)·g (b = g at the first step);  g ← g + μ·b (Nesterov) or b;  p ← p - lr·g.
    With the defaults it is the plain p ← p - lr·∇ of the lecture.
    """

    _hyperparameters: tuple[str, ...] = ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize")
    _buffers: tuple[str, ...] = ("momentum_buffer",)
    _nullable_buffers: tuple[str, ...] = ("momentum_buffer",)  # None until a parameter's first momentum step
    _steps_packed = True

    def __init__(
        self,
        params: Module | Iterable[Value],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, maximize=maximize)
        self.momentum = _hyper("momentum", momentum)
        self.dampening = _hyper("dampening", dampening, low=-math.inf)
        self.weight_decay = _hyper("weight_decay", weight_decay)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        self.momentum_buffer: list[float | None] = [None] * len(self.params)

    def step(self) -> None:
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        grads = self._grads()
        momentum_buffer = self._running["momentum_buffer"]
        for i, p, g, _ in grads:
            if wd != 0:
                g = g + wd * p.data
            if mu != 0:
                buf = momentum_buffer[i]
                buf = _copy(g) if buf is None else buf * mu + (1 - self.dampening) * g
                momentum_buffer[i] = buf
                g = g + mu * buf if self.nesterov else buf
            p.data = p.data - lr * g


class Adam(Optimizer):
    """Adam: steps scaled by running averages of the gradient and of its square.

    m ← m + (1 - β₁)(g - m);  v ← β₂·v + (1 - β₂)·g²;  p ← p - lr/(1 - β₁ᵗ) · m / (√v / √(1 - β₂ᵗ) + ε).
    ``weight_decay`` adds λ·p to g (L2); with ``decoupled_weight_decay=True`` (AdamW)
    it shrinks p ← p·(1 - lr·λ) instead. ``amsgrad`` uses the largest v seen so far.
    """

    _hyperparameters: tuple[str, ...] = (
        "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "decoupled_weight_decay",
    )  # fmt: skip
    _buffers: tuple[str, ...] = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _counters: tuple[str, ...] = ("steps",)
    _steps_packed = True

    def __init__(
        self,
        params: Module | Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(params, lr, maximize)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        beta1 = _hyper("beta parameter at index 0", betas[0], below=1.0)
        beta2 = _hyper("beta parameter at index 1", betas[1], below=1.0)
        self.betas = (beta1, beta2)
        self.eps = _hyper("epsilon", eps)
        self.weight_decay = _hyper("weight_decay", weight_decay)
        self.amsgrad = bool(amsgrad)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)
        self.steps = 0
        self.exp_avg = [0.0] * len(self.params)
        self.exp_avg_sq = [0.0] * len(self.params)
        self.max_exp_avg_sq = [0.0] * len(self.params)

    def step(self) -> None:
        lr, (beta1, beta2), eps, wd = self.lr, self.betas, self.eps, self.weight_decay
        self.steps += 1
        t = float(self.steps)
        step_size = lr / (1 - beta1**t)
        bias_correction2_sqrt = (1 - beta2**t) ** 0.5
        grads = self._grads()
        exp_avg, exp_avg_sq, max_exp_avg_sq = (self._running[name] for name in self._buffers)
        for i, p, g, m in grads:
            if wd != 0:
                if self.decoupled_weight_decay:
                    p.data = p.data * (1 - lr * wd)
                else:
                    g = g + wd * p.data
            mean = exp_avg[i] = exp_avg[i] + (1 - beta1) * (g - exp_avg[i])
            v = exp_avg_sq[i] = exp_avg_sq[i] * beta2 + (1 - beta2) * g * g
            if self.amsgrad:
                largest = max_exp_avg_sq[i]
                v = max_exp_avg_sq[i] = m.where(m.lt(largest, v), v, largest)
            denom = m.div(m.sqrt(v), bias_correction2_sqrt) + eps
            p.data = p.data + -step_size * m.div(mean, denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (default λ = 0.01): p ← p·(1 - lr·λ) before the Adam step."""

    _hyperparameters: tuple[str, ...] = ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize")

    def __init__(
        self,
        params: Module | Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, decoupled_weight_decay=True)


class RMSprop(Optimizer):
    """RMSprop: each step divided by a running root-mean-square of the gradient.

    s ← α·s + (1 - α)·g²;  d = √(s - ḡ²) + ε if centered (ḡ ← ḡ + (1 - α)(g - ḡ)) else √s + ε;
    p ← p - lr·g/d, or with momentum b ← μ·b + g/d, p ← p - lr·b.
    """

    _hyperparameters: tuple[str, ...] = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize")
    _buffers: tuple[str, ...] = ("square_avg", "grad_avg", "momentum_buffer")
    _steps_packed = True

    def __init__(
        self,
        params: Module | Iterable[Value],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, maximize)
        self.alpha = _hyper("alpha", alpha)
        self.eps = _hyper("epsilon", eps)
        self.weight_decay = _hyper("weight_decay", weight_decay)
        self.momentum = _hyper("momentum", momentum)
        self.centered = bool(centered)
        self.square_avg = [0.0] * len(self.params)
        self.grad_avg = [0.0] * len(self.params)
        self.momentum_buffer = [0.0] * len(self.params)

    def step(self) -> None:
        lr, alpha, eps, wd, mu = self.lr, self.alpha, self.eps, self.weight_decay, self.momentum
        grads = self._grads()
        square_avg, grad_avg, momentum_buffer = (self._running[name] for name in self._buffers)
        for i, p, g, m in grads:
            if wd != 0:
                g = g + wd * p.data
            s = square_avg[i] = square_avg[i] * alpha + (1 - alpha) * g * g
            if self.centered:
                mean = grad_avg[i] = grad_avg[i] + (1 - alpha) * (g - grad_avg[i])
                avg = m.sqrt(s - mean * mean) + eps
            else:
                avg = m.sqrt(s) + eps
            if mu > 0:
                buf = momentum_buffer[i] = momentum_buffer[i] * mu + m.div(g, avg)
                p.data = p.data - lr * buf
            else:
                p.data = p.data + -lr * m.div(g, avg)


def _plain(value: Any) -> Any:
    """A hyperparameter or buffer entry as JSON-ready data: tuples and arrays as lists."""
    if isinstance(value, tuple):
        return list(value)
    return value.tolist() if hasattr(value, "tolist") else value


def _describe(x: Any) -> str:
    if isinstance(x, Mapping):
        return f"a {type(x).__name__} with keys {', '.join(map(repr, x)) or 'none'}"
    return type(x).__name__


def _buffer(values: Any, params: list[Any], where: str, nullable: bool) -> list[Any]:
    """A buffer from a state dict: one entry per parameter, a float (or None where ``nullable``),
    or for a tensor parameter an array of its shape (a float where it has not stepped yet)."""
    length = len(params)
    if not isinstance(values, (list, tuple)) or len(values) != length:
        got = f"{len(values)} entries" if isinstance(values, (list, tuple)) else type(values).__name__
        raise ValueError(f"{where} must be a list of {length} numbers (one per parameter), got {got}")
    out: list[Any] = []
    for i, (v, p) in enumerate(zip(values, params, strict=True)):
        if not isinstance(p, Value) and (isinstance(v, (list, tuple)) or hasattr(v, "shape")):
            out.append(_array_entry(v, p, f"{where}[{i}]"))
        else:
            out.append(None if v is None and nullable else as_float(f"{where}[{i}]", v))
    return out


def _array_entry(v: Any, p: Any, where: str) -> Any:
    """A tensor parameter's buffer entry: an array of the parameter's shape and dtype."""
    import numpy as np

    try:
        array = np.array(v, dtype=p.dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{where} must be numbers in the shape of its parameter {p.shape}") from None
    if array.shape != p.shape:
        raise ValueError(f"{where} has shape {array.shape}, its parameter has shape {p.shape}")
    return array


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop}
"""The optimizers by lower-case name."""


def _check_k(k: Any) -> int:
    return index("a schedule's step number", k, 0)


class LinearDecay:
    """lr_k = start - (start - end)·k/steps, reaching ``end`` at k = steps and staying there.

    ``LinearDecay(1.0, 0.1, 100)`` is the original micrograd demo's 1.0 - 0.9·k/100.
    """

    def __init__(self, start: float, end: float, steps: int) -> None:
        self.start = _hyper("start learning rate", start)
        self.end = _hyper("end learning rate", end)
        self.steps = index("steps", steps)

    def __call__(self, k: int) -> float:
        return self.start - (self.start - self.end) * min(_check_k(k), self.steps) / self.steps

    def __repr__(self) -> str:
        return f"LinearDecay({self.start:g} → {self.end:g} over {self.steps} steps)"


class StepDecay:
    """lr_k = start·γ^⌊k / step_size⌋: multiply by γ every ``step_size`` steps (PyTorch's StepLR)."""

    def __init__(self, start: float, step_size: int, gamma: float = 0.1) -> None:
        self.start = _hyper("start learning rate", start)
        self.step_size = index("step_size", step_size)
        self.gamma = _hyper("gamma", gamma)

    def __call__(self, k: int) -> float:
        return self.start * self.gamma ** (_check_k(k) // self.step_size)

    def __repr__(self) -> str:
        return f"StepDecay({self.start:g} × {self.gamma:g} every {self.step_size} steps)"


class CosineDecay:
    """lr_k = end + (start - end)·(1 + cos(πk/steps))/2: a half cosine from start to end (k ≥ steps: end)."""

    def __init__(self, start: float, end: float = 0.0, steps: int = 100) -> None:
        self.start = _hyper("start learning rate", start)
        self.end = _hyper("end learning rate", end)
        self.steps = index("steps", steps)

    def __call__(self, k: int) -> float:
        progress = min(_check_k(k), self.steps) / self.steps
        return self.end + (self.start - self.end) * (1 + math.cos(math.pi * progress)) / 2

    def __repr__(self) -> str:
        return f"CosineDecay({self.start:g} → {self.end:g} over {self.steps} steps)"
