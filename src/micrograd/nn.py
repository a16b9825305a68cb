"""Neural networks from Values: ``Module``, ``Neuron``, ``Layer`` and ``MLP``.

A neuron computes ``act(w·x + b)``; a layer is neurons that share one input; an MLP
is layers applied in turn. By default a neuron's ``w·x + b`` is one fused ``dot``
node (its rule is written once in :mod:`micrograd.ops`), which makes the graph ~10×
smaller; ``fused=False`` builds the lecture's chain of ``*`` and ``+`` nodes instead.
Both give bit-identical outputs, since the fused sum runs in the same order.

What is trained is explicit: a :class:`Parameter` (a ``Value`` subclass). A module's
parameters are the ``Parameter`` objects among its attributes and in the lists, tuples,
dicts and submodules they hold, so a cached activation, a constant ``Value`` or a result
computed under ``no_grad()`` is never mistaken for one.
"""

from __future__ import annotations

import math
import operator
import os
import random
from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from types import MethodType
from typing import Any

from micrograd import serialize
from micrograd.checks import index
from micrograd.engine import Value, _apply, _to_float
from micrograd.ops import DOT

__all__ = ["Parameter", "Module", "Neuron", "Layer", "MLP", "ACTIVATIONS", "INITS", "MAX_PARAMETERS"]

MAX_PARAMETERS = 10_000_000
"""The most parameters a Neuron, Layer or MLP may have: ten million Values take about
a gigabyte and a forward pass in pure Python takes seconds, so a larger net is almost
certainly a typo (a size of 10**9); each size is also at most this."""

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
"""The activation functions a neuron can apply to w·x + b."""

INITS = ("uniform", "scaled", "lecture")
"""Weight initialisations: ``uniform`` is U(-1, 1) as in the original micrograd (bias 0);
``scaled`` is U(-1, 1)/√fan_in, PyTorch's ``nn.Linear`` range, which keeps deep or
wide nets and larger learning rates stable; ``lecture`` is the lecture's ``Neuron``:
weights and then the bias drawn from U(-1, 1), neuron by neuron, with tanh as the
activation unless one is given."""

Input = Any  # a sequence of numbers or Values (a NumPy row is fine), or one number when nin == 1


class Parameter(Value):
    """A Value that a Module trains: ``Module.parameters()`` collects these and nothing else.

    Being a ``Value``, it takes part in arithmetic like any other; results are plain Values.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Parameter(data={self.data}, grad={self.grad})"


class Module:
    """Anything with parameters: finds them by walking its attributes (Parameters, Modules,
    and the lists, tuples and dicts that hold them).

    A subclass may instead define its own ``parameters()`` (as the lecture's modules do);
    then that list is what ``zero_grad``, ``state_dict``, the optimizers and model files use.
    """

    training: bool = True
    """Set by ``train()`` and ``eval()`` for modules that behave differently when training."""

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        """(name, Parameter) for every parameter, e.g. ``('layers.0.neurons.3.w.1', Parameter(...))``.

        Each parameter is listed once, under the first name it is found by.
        """
        return _once(_named_parameters(self, "", {id(self)}))

    def parameters(self) -> list[Value]:
        """All trainable Values, in a fixed order."""
        if _overrides(self, "named_parameters"):
            return [p for _, p in self.named_parameters()]
        return [p for _, p in _once(_walk(self, "", {id(self)}))]  # what super().parameters() extends

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, Module) for each direct submodule, e.g. ``('layers.0', Layer(...))``."""
        seen: set[int] = set()
        for attr, item in _attributes(self):
            for name, child in _named_modules_in(attr, item):
                if id(child) not in seen:
                    seen.add(id(child))
                    yield name, child

    def children(self) -> Iterator[Module]:
        """Each direct submodule once."""
        for _, child in self.named_children():
            yield child

    def named_modules(self) -> Iterator[tuple[str, Module]]:
        """(name, Module) for this module (named ``''``) and every module inside it, depth first."""
        seen = {id(self)}
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            prefix, module = stack.pop()
            yield prefix, module
            found = []
            for name, child in module.named_children():
                if id(child) not in seen:
                    seen.add(id(child))
                    found.append((f"{prefix}.{name}" if prefix else name, child))
            stack.extend(reversed(found))

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, each once, depth first."""
        for _, module in self.named_modules():
            yield module

    def train(self, mode: bool = True) -> Module:
        """Set ``training`` on this module and every module inside it; returns the module."""
        if not isinstance(mode, bool):
            raise TypeError(f"train() expects True or False, got {type(mode).__name__}: {mode!r}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """``train(False)``: mark this module and every module inside it as not training."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's grad to 0 (do this before each backward pass).

        ``set_to_none`` is accepted for PyTorch's sake and changes nothing: see
        ``Optimizer.zero_grad`` for why a Value's grad is 0.0, never None.
        """
        _check_set_to_none(set_to_none)
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """The parameters' values by name: a plain dict of floats."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter from ``state`` (as made by ``state_dict``).

        Checks everything first, so a bad ``state`` raises ``ValueError`` or ``TypeError``
        naming the missing, unexpected or non-numeric entries and leaves the model as it was.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict expects a mapping of names to numbers, got {type(state).__name__}")
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing {len(missing)} ({_preview(missing)})")
            if unexpected:
                parts.append(f"unexpected {len(unexpected)} ({_preview(unexpected)})")
            raise ValueError(
                f"state does not match this {type(self).__name__}'s {len(params)} parameters: " + "; ".join(parts)
            )
        values = {name: _to_float(state[name], f"state[{name!r}]") for name in params}
        for name, value in values.items():
            if not math.isfinite(value):
                raise ValueError(f"state[{name!r}] is {value}: every parameter must be a finite number")
        for name, p in params.items():
            p.data = values[name]


def _attributes(module: Module) -> list[tuple[str, Any]]:
    return list(getattr(module, "__dict__", {}).items())


def _overrides(module: Module, method: str) -> bool:
    return getattr(type(module), method) is not getattr(Module, method)


def _named_parameters(module: Module, prefix: str, modules: set[int]) -> Iterator[tuple[str, Value]]:
    """A module's (name, parameter) pairs, honouring its own ``parameters()`` or ``named_parameters()``."""
    if prefix and _overrides(module, "named_parameters"):
        for name, p in module.named_parameters():
            yield f"{prefix}.{name}", p
    elif _overrides(module, "parameters"):
        names: dict[int, str] = {}
        for attr, item in _attributes(module):
            for name, value in _named_values(attr, item, Value, {id(module)}):
                names.setdefault(id(value), name)
        for i, p in enumerate(module.parameters()):
            name = names.get(id(p), str(i))
            yield (f"{prefix}.{name}" if prefix else name), p
    else:
        yield from _walk(module, prefix, modules)


def _walk(module: Module, prefix: str, modules: set[int]) -> Iterator[tuple[str, Value]]:
    for attr, item in _attributes(module):
        yield from _named_values(f"{prefix}.{attr}" if prefix else attr, item, Parameter, modules)


def _once(pairs: Iterator[tuple[str, Value]]) -> Iterator[tuple[str, Value]]:
    """Each parameter once, under the first name it is found by."""
    seen: set[int] = set()
    for name, p in pairs:
        if id(p) not in seen:
            seen.add(id(p))
            yield name, p


def _named_values(prefix: str, item: Any, kind: type[Value], modules: set[int]) -> Iterator[tuple[str, Value]]:
    """Every ``kind`` instance in ``item``, walking Modules, lists, tuples and dicts."""
    if isinstance(item, kind):
        yield prefix, item
    elif isinstance(item, Module):
        if id(item) in modules:
            return
        modules.add(id(item))
        if kind is Parameter:
            yield from _named_parameters(item, prefix, modules)
        else:
            for attr, value in _attributes(item):
                yield from _named_values(f"{prefix}.{attr}", value, kind, modules)
    elif isinstance(item, (list, tuple)):
        for i, element in enumerate(item):
            yield from _named_values(f"{prefix}.{i}", element, kind, modules)
    elif isinstance(item, dict):
        for key, element in item.items():
            yield from _named_values(f"{prefix}.{key}", element, kind, modules)


def _named_modules_in(prefix: str, item: Any) -> Iterator[tuple[str, Module]]:
    if isinstance(item, Module):
        yield prefix, item
    elif isinstance(item, (list, tuple)):
        for i, element in enumerate(item):
            yield from _named_modules_in(f"{prefix}.{i}", element)
    elif isinstance(item, dict):
        for key, element in item.items():
            yield from _named_modules_in(f"{prefix}.{key}", element)


def _no_parameters_hint(module: Module) -> str:
    """Why a module has no parameters, when it holds Values that are not Parameters."""
    stray = [name for attr, item in _attributes(module) for name, _ in _named_values(attr, item, Value, {id(module)})]
    if not stray:
        return ""
    return (
        f": {type(module).__name__} holds Values ({_preview(stray)}) but no Parameter; make the ones to train "
        "micrograd.nn.Parameter(...), or define parameters()"
    )


def _check_set_to_none(set_to_none: Any) -> None:
    if not isinstance(set_to_none, bool):
        raise TypeError(f"set_to_none must be True or False, got {type(set_to_none).__name__}: {set_to_none!r}")


def _preview(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (", ..." if len(names) > limit else "")


def _check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}: choose one of {', '.join(repr(c) for c in choices)}")
    return value


def _check_size(name: str, value: Any) -> int:
    return index(name, value, 1, MAX_PARAMETERS)


def _check_parameter_count(what: str, sizes: Sequence[int]) -> None:
    count = sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))
    if count > MAX_PARAMETERS:
        raise ValueError(f"{what} would have {count:,} parameters; the limit is {MAX_PARAMETERS:,}")


def _as_inputs(x: Input, nin: int, where: str) -> list[Any]:
    """An input row as a list of nin numbers or Values (a scalar is fine when nin == 1).

    Refused: containers without an order of their own (a dict, a set) and a batch of
    rows, which a one-sample call would otherwise misread or report as the wrong width.
    """
    kind = type(x)
    if kind is list or kind is tuple:
        row = list(x)
    elif isinstance(x, (Value, int, float)) or (getattr(x, "ndim", None) == 0):
        row = [x]
    elif isinstance(x, (Mapping, Set)):
        why = (
            "whose keys and values say nothing of which input is which: pass [d[k] for k in names] in input order"
            if isinstance(x, Mapping)
            else "which has no order: pass a list"
        )
        raise TypeError(
            f"{where} takes its inputs in order (a list, a tuple, a NumPy row), got a {kind.__name__}, {why}"
        )
    else:
        try:
            row = list(x)
        except TypeError:
            raise TypeError(
                f"{where} expects a sequence of {nin} numbers or Values, got {kind.__name__}"
            ) from None
    first = row[0] if row else 0.0
    if type(first) is not float and type(first) is not Value and _is_row(first):
        raise TypeError(
            f"{where} takes one sample ({nin} number{'s' * (nin != 1)}), but got a batch of {len(row)} samples: "
            "call it once per row, [model(x) for x in X] (micrograd.compile runs a whole batch at once)"
        )
    if len(row) != nin:
        batch = (
            f" (a batch of {len(row)} one-input samples? call it once per sample, [model(x) for x in xs])"
            if nin == 1 and len(row) > 1
            else ""
        )
        raise ValueError(f"{where} expects {nin} input{'s' * (nin != 1)}, got {len(row)}{batch}")
    return row


def _is_row(x: Any) -> bool:
    """Whether x is a row of numbers (so a list of such is a batch), not one number."""
    return isinstance(x, (list, tuple)) or (getattr(x, "ndim", 0) or 0) >= 1


def _as_values(row: list[Any]) -> list[Value]:
    return row if all(type(v) is Value for v in row) else [v if isinstance(v, Value) else Value(v) for v in row]


def _layer_sizes(nouts: Any) -> list[int]:
    """``nouts`` as a list of Python ints: from a list, a tuple, a range or a NumPy array."""
    if isinstance(nouts, (str, bytes, Mapping, Set)) or _is_index(nouts) or not hasattr(nouts, "__iter__"):
        raise ValueError(f"nouts must be a non-empty list of layer sizes such as [16, 16, 1], got {nouts!r}"[:200])
    sizes = [_check_size("each layer size in nouts", size) for size in nouts]
    if not sizes:
        raise ValueError("nouts must be a non-empty list of layer sizes such as [16, 16, 1], got an empty one")
    return sizes


def _is_index(x: Any) -> bool:
    try:
        operator.index(x)
    except TypeError:
        return False
    return True


class _class_or_instance_method:
    """A method that receives the class when called on the class and the instance when called on one."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.__doc__ = function.__doc__

    def __get__(self, instance: Any, owner: type) -> Callable[..., Any]:
        return MethodType(self.function, owner if instance is None else instance)


class Neuron(Module):
    """One neuron: act(w·x + b) with ``nin`` weights and a bias."""

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        *,
        activation: str | None = None,
        init: str = "uniform",
        fused: bool = True,
        rng: random.Random | None = None,
    ) -> None:
        nin = _check_size("nin", nin)
        _check_parameter_count(f"Neuron({nin})", [nin, 1])
        _check_choice("init", init, INITS)
        if activation is None:
            activation = ("tanh" if init == "lecture" else "relu") if nonlin else "linear"
        self.activation = _check_choice("activation", activation, ACTIVATIONS)
        if rng is not None and not callable(getattr(rng, "uniform", None)):
            raise TypeError(f"rng must be a random.Random (or None for the global generator), got {type(rng).__name__}")
        uniform = (rng or random).uniform
        scale = 1.0 / math.sqrt(nin) if init == "scaled" else 1.0
        self.w = [Parameter(uniform(-1, 1) * scale) for _ in range(nin)]
        self.b = Parameter(uniform(-1, 1) if init == "lecture" else 0.0)
        self.fused = bool(fused)

    @property
    def nonlin(self) -> bool:
        return self.activation != "linear"

    def __call__(self, x: Input) -> Value:
        return self._forward(_as_values(_as_inputs(x, len(self.w), repr(self))))

    def _forward(self, x: Sequence[Value]) -> Value:
        """act(w·x + b) for inputs that are already Values."""
        if self.fused:
            act = _apply(DOT, (*self.w, *x, self.b))
        else:
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        if self.activation == "relu":
            return act.relu()
        if self.activation == "tanh":
            return act.tanh()
        if self.activation == "sigmoid":
            return act.sigmoid()
        return act

    def __repr__(self) -> str:
        name = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear"}[self.activation]
        return f"{name}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons that all see the same ``nin`` inputs."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        nin = _check_size("nin", nin)
        nout = _check_size("nout", nout)
        _check_parameter_count(f"Layer({nin}, {nout})", [nin, nout])
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    @property
    def nin(self) -> int:
        return len(self.neurons[0].w)

    def __call__(self, x: Input) -> Value | list[Value]:
        out = self._forward(_as_inputs(x, self.nin, f"Layer({self.nin}, {len(self.neurons)})"))
        return out[0] if len(out) == 1 else out

    def _forward(self, x: list[Any]) -> list[Value]:
        x = _as_values(x)  # wrap numbers once; every neuron shares the same input nodes
        return [n._forward(x) for n in self.neurons]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` maps 2 inputs through two hidden layers.

    Hidden layers use ``activation`` (ReLU by default, as in the original micrograd);
    the output layer uses ``output_activation`` (linear by default). The lecture's
    all-tanh net is ``MLP(3, [4, 4, 1], activation='tanh', output_activation='tanh')``;
    ``init='lecture'`` also draws each bias from U(-1, 1) as the lecture's ``Neuron`` does
    and makes tanh the default for both, so under the same ``random.seed``
    ``MLP(3, [4, 4, 1], init='lecture')`` starts from the lecture's very numbers.
    One output gives a Value; several give a list.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        *,
        activation: str | None = None,
        output_activation: str | None = None,
        init: str = "uniform",
        fused: bool = True,
        rng: random.Random | None = None,
    ) -> None:
        nin = _check_size("nin", nin)
        sizes = _layer_sizes(nouts)
        _check_parameter_count(f"MLP({nin}, {sizes})", [nin, *sizes])
        _check_choice("init", init, INITS)
        if activation is None:
            activation = "tanh" if init == "lecture" else "relu"
        if output_activation is None:
            output_activation = "tanh" if init == "lecture" else "linear"
        _check_choice("activation", activation, ACTIVATIONS)
        _check_choice("output_activation", output_activation, ACTIVATIONS)
        self.nin = nin
        self.nouts = sizes
        self.activation = activation
        self.output_activation = output_activation
        self.init = init
        self.fused = bool(fused)
        widths = [nin, *sizes]
        last = len(sizes) - 1
        self.layers = [
            Layer(
                widths[i],
                widths[i + 1],
                activation=output_activation if i == last else activation,
                init=init,
                fused=fused,
                rng=rng,
            )
            for i in range(len(sizes))
        ]

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this architecture."""
        return {
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
            "init": self.init,
            "fused": self.fused,
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the architecture and weights to a JSON file, atomically (see :mod:`micrograd.serialize`)."""
        serialize.save_model(self, path)

    @_class_or_instance_method
    def load(model_or_class: MLP | type[MLP], path: str | os.PathLike[str]) -> MLP:
        """``MLP.load(path)``: the MLP saved at ``path``, as a new model; ``model.load(path)``: into ``model``.

        Loading into a model needs the file's architecture (nin, nouts, activations) and
        returns the model. A bad or mismatching file raises ``ModelFileError`` and never
        leaves a half-loaded model.
        """
        if isinstance(model_or_class, type):
            return serialize.load_model(path, model_or_class)
        return serialize.load_into(model_or_class, path)

    def to_torch(self) -> Any:
        """An equivalent ``torch.nn.Sequential`` (float64) holding this model's weights; needs PyTorch."""
        return serialize.to_torch(self)

    def __call__(self, x: Input) -> Value | list[Value]:
        out = _as_inputs(x, self.nin, f"MLP({self.nin}, {self.nouts})")
        for layer in self.layers:
            out = layer._forward(out)
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        """One line per layer, as PyTorch prints a module: ``(layers.0): Layer of 16 × ReLUNeuron(2)``."""
        lines = [f"{type(self).__name__}("]
        for i, layer in enumerate(self.layers):
            kinds = {repr(n) for n in layer.neurons}
            inside = f"Layer of {len(layer.neurons)} × {kinds.pop()}" if len(kinds) == 1 else repr(layer)
            lines.append(f"  (layers.{i}): {inside}")
        return "\n".join([*lines, ")"])
