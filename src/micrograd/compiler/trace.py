"""Compile a function of Values: trace its graph once, then run generated code for it.

    model = MLP(2, [16, 16, 1])

    def loss_fn(x, y):                   # one sample in, one Value out
        return (1 + -y * model(x)).relu()

    step = micrograd.compile(loss_fn)
    loss = step(X, Y)                    # the mean over the batch; ∂loss/∂p lands in p.grad
    print(step.source)                   # the code it runs

**Tracing.** The first call runs ``loss_fn`` on *placeholders*: Values standing for the
numbers of one sample. The graph it builds is recorded (:class:`micrograd.compiler.graph.Graph`)
and becomes source code, forward pass and backward pass, written by each operation's own
rules (:mod:`micrograd.compiler.codegen`): no derivative is written twice. Every later call with
arguments of the same shape runs that code and never calls ``loss_fn`` again.

**What is what.** Arguments are the data: one item per sample (a number, or a list of
numbers). Values the function reaches that already existed (the model's parameters)
are *captured*: read fresh at every call, so an optimizer that updates ``p.data``
keeps working, and their ``.grad`` receives the gradient, accumulating exactly as
``loss.backward()`` would. (The NumPy backend keeps them in one array while it trains
them, so that nothing is copied per call: :mod:`micrograd.compiler.held`.) Values
created while tracing (``1`` in ``1 + …``) are constants.

**Batches.** ``step(X, Y)`` runs the function on every sample and reduces: ``'mean'``
(the default) or ``'sum'`` gives one float and the gradient of that number; ``'none'``
gives each sample's output(s) and no gradient. With NumPy the whole batch runs as
array code, with layers of fused neurons as matrix products; without it (or with
``backend='python'``) a pure-Python loop runs one sample at a time.

**Limits.** Tracing records one path through the function's Python code: ``if``,
loops and anything else decided from the data are frozen as they went for the traced
sample. Reading a placeholder's ``.data`` (or ``float(x)``) while tracing warns with
:class:`TracingWarning`; the function is traced on two different samples and a
graph that changes between them raises :class:`TracingError`, as does a constant that
differs (a number computed from the data). Side effects (printing, appending to a
list) happen once, at tracing.
"""

from __future__ import annotations

import builtins
import inspect
import linecache
import math
import numbers
import sys
import warnings
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from micrograd import gradmode
from micrograd.closures import ClosureOp, closure_error
from micrograd.collector import collector_paused
from micrograd.compiler.codegen import numpy_namespace, python_namespace
from micrograd.compiler.graph import Graph, Node
from micrograd.compiler.numpy_program import numpy_source
from micrograd.compiler.plan import same_op
from micrograd.compiler.python_program import python_source
from micrograd.engine import Value, is_grad_enabled

__all__ = ["compile", "Compiled", "TracingWarning", "TracingError", "BACKENDS", "REDUCTIONS"]

BACKENDS = ("auto", "numpy", "python")
REDUCTIONS = ("mean", "sum", "none")

_data = attrgetter("data")
_DATA: Any = Value.__dict__["data"]  # the slot holding a Value's number (placeholders read it via a property)
_tracing = False


class TracingWarning(UserWarning):
    """The traced function read a sample's number: Python code depending on it is frozen."""


class TracingError(ValueError):
    """The function's graph depends on the data, so no single trace can stand for it."""


_ENGINE = ("micrograd.engine", "micrograd._kernels")
"""Modules whose reading of a placeholder's number is the engine computing, not the user deciding."""


def _reading(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` of Value for a placeholder: it reads the number, so it warns as ``.data`` does."""

    def reads(self: _Placeholder, *args: Any) -> Any:
        self._read()
        return method(self, *args)

    reads.__name__ = reads.__qualname__ = method.__name__
    return reads


class _Placeholder(Value):
    """A Value standing for one number of one sample while the function is traced."""

    __slots__ = ("where", "warned")

    def __init__(self, data: float, where: tuple[int, int | None], label: str, warn: bool) -> None:
        _DATA.__set__(self, data)
        self.grad = 0.0
        self._prev = ()
        self._op = ""
        self.label = label
        self.where = where
        self.warned = not warn

    def _read(self) -> float:
        if _tracing and not self.warned and sys._getframe(2).f_globals.get("__name__") not in _ENGINE:
            self.warned = True
            warnings.warn(
                f"compile: the function read the number of {self.label} while being traced; "
                "any Python decision made from it (if, max, indexing) is frozen as it went for the "
                "traced sample. Use Value operations (e.g. relu, where-like arithmetic) instead.",
                TracingWarning,
                stacklevel=3,
            )
        return _DATA.__get__(self)

    @property  # type: ignore[override]
    def data(self) -> float:
        return self._read()

    @data.setter
    def data(self, value: float) -> None:
        _DATA.__set__(self, value)

    def __float__(self) -> float:
        return self._read()

    def __bool__(self) -> bool:
        return self._read() != 0.0

    # Comparisons, round(), int() and item() read the number too (and so warn).
    __lt__ = _reading(Value.__lt__)
    __le__ = _reading(Value.__le__)
    __gt__ = _reading(Value.__gt__)
    __ge__ = _reading(Value.__ge__)
    __int__ = _reading(Value.__int__)
    __round__ = _reading(Value.__round__)
    item = _reading(Value.item)


def _values(result: Any, what: str) -> list[Value]:
    """A Value or a non-empty list of Values, as a list; a TypeError naming ``what`` was expected otherwise."""
    if isinstance(result, Value):
        return [result]
    if isinstance(result, (list, tuple)) and result and all(isinstance(v, Value) for v in result):
        return list(result)
    raise TypeError(
        f"a compiled function must return {what} computed from its arguments, got {type(result).__name__}: {result!r}"[
            :300
        ]
    )


def _outputs(result: Any, has_aux: bool) -> tuple[list[Value], str]:
    """The traced function's outputs, and their shape: 'value', 'list', 'aux value' or 'aux list'.

    With ``has_aux`` the function returns ``(loss, aux)``: the loss is differentiated,
    the aux Value(s) (say the model's outputs, for an accuracy) are only computed.
    """
    if not has_aux:
        values = _values(result, "a Value (or a list of Values)")
        return values, "value" if isinstance(result, Value) else "list"
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], Value)):
        raise TypeError(
            f"with has_aux=True a compiled function must return (loss, aux) with loss a Value, got {result!r}"[:300]
        )
    aux = _values(result[1], "as aux a Value or a list of Values")
    return [result[0], *aux], "aux value" if isinstance(result[1], Value) else "aux list"


def _trace(
    fn: Callable[..., Any], sample: Sequence[Any], names: list[str], warn: bool, has_aux: bool
) -> tuple[list[Value], str]:
    """Run ``fn`` once on placeholders holding ``sample``'s numbers; return its outputs and their shape."""
    global _tracing
    args: list[Any] = []
    for a, item in enumerate(sample):
        if isinstance(item, list):
            args.append([_Placeholder(v, (a, j), f"{names[a]}[{j}]", warn) for j, v in enumerate(item)])
        else:
            args.append(_Placeholder(item, (a, None), names[a], warn))
    was_tracing, was_recording = _tracing, gradmode.thread_mode.enabled
    _tracing, gradmode.thread_mode.enabled = True, True  # a trace needs the graph even inside no_grad()
    try:
        result = fn(*args)
    finally:
        _tracing, gradmode.thread_mode.enabled = was_tracing, was_recording
    return _outputs(result, has_aux)


def _graph(first: list[Value], second: list[Value], args: list[tuple[str, int | None]]) -> tuple[Graph, list[Value]]:
    """The graph of two traces of the same function, checked to be the same graph.

    One depth-first walk goes through both traces at once, from the outputs (the k-th of
    one trace paired with the k-th of the other) to the leaves, each node paired with the
    node in the same place of the other trace; a node met twice must meet the same partner.
    Nodes come out in :func:`~micrograd.engine.topological_order`'s order for ``first``.
    Leaves that are the very same object in both traces existed before tracing: they are
    the captured parameters. Other leaves were made while tracing: constants.
    """
    changed = TracingError(
        "the function builds a different graph for two samples: its Python control flow (if, "
        "loops, indexing) depends on the data, so one trace cannot stand for every sample. "
        "Run it eagerly, or express the choice with Value operations."
    )
    if len(first) != len(second):
        raise changed
    nodes: list[Node] = []
    params: list[Value] = []
    constants: list[tuple[Value, Value]] = []
    index: dict[Value, int] = {}  # a node of the first trace → its position in the graph
    partner: dict[Value, Value] = {}  # first trace → second, for every node met
    owner: dict[Value, Value] = {}  # second trace → first
    stack: list[tuple[Any, Any, Any]] = [(None, None, iter(zip(first, second)))]  # a stand-in for the outputs
    met, claimed, push, emit = partner.get, owner.get, stack.append, nodes.append  # the loop's hot calls
    # Nodes are made with positional fields (kind, op, inputs, value, arg, item, param, label): a tenth faster.
    while stack:
        a, b, pairs = stack[-1]
        for pa, pb in pairs:
            seen = met(pa)
            if seen is not None:
                if seen is not pb:
                    raise changed
                continue
            if claimed(pb, pa) is not pa:
                raise changed
            partner[pa] = pb
            owner[pb] = pa
            if pa._prev:
                if type(pa._op) is ClosureOp:
                    raise closure_error(pa, "micrograd.compile cannot write code for")
                if len(pa._prev) != len(pb._prev) or not same_op(pa._op, pb._op):
                    raise changed
                push((pa, pb, iter(zip(pa._prev, pb._prev))))
                break
            index[pa] = len(nodes)
            emit(_leaf_node(pa, pb, params, constants, changed))
        else:
            stack.pop()
            if a is not None:
                index[a] = len(nodes)
                inputs = tuple(map(index.__getitem__, a._prev))
                emit(Node("op", a._op, inputs, 0.0, -1, None, -1, a.label))  # type: ignore[arg-type]
    for a, b in constants:  # a Value made in one trace and used in the other is no constant
        if b in index or a in owner:
            raise changed
    return Graph(nodes, [index[v] for v in first], args, len(params)), params


def _leaf_node(
    a: Value, b: Value, params: list[Value], constants: list[tuple[Value, Value]], changed: Exception
) -> Node:
    """The graph's node for the leaf ``a`` of the first trace, ``b`` in the same place of the second."""
    if b._prev:
        raise changed
    if isinstance(a, _Placeholder):
        if not isinstance(b, _Placeholder) or a.where != b.where:
            raise changed
        return Node("input", arg=a.where[0], item=a.where[1], label=a.label)
    if a is b:
        params.append(a)
        return Node("param", None, (), 0.0, -1, None, len(params) - 1, a.label)
    if isinstance(b, _Placeholder):
        raise changed
    same = a.data == b.data or (math.isnan(a.data) and math.isnan(b.data))
    if not same:
        raise TracingError(
            f"a constant of the traced function is {a.data!r} for one sample and {b.data!r} "
            "for another: it was computed from the data (e.g. Value(x.data)), and compiled "
            "code would freeze it. Keep the computation in Value operations."
        )
    constants.append((a, b))
    return Node("const", value=a.data, label=a.label)


class _Program:
    """The generated code for one shape of arguments, and the parameters it reads."""

    def __init__(self, graph: Graph, params: list[Value], shape: str, backend: str, name: str) -> None:
        self.graph = graph
        self.shape = shape
        self.has_loss = shape != "list"  # one Value to differentiate: a single output, or (loss, aux)
        self.backend = backend
        self.name = name
        self.sources: dict[bool, str] = {}
        self.functions: dict[bool, Callable[..., Any]] = {}
        self.layout = list(range(len(params)))
        self.function(backward=self.has_loss)  # fixes the layout: the order theta holds the parameters in
        self.params = [params[k] for k in self.layout]
        self._held: Any = None

    def held(self) -> Any:
        """The ParameterArray of the NumPy program's parameters, holding them (None if it cannot)."""
        if self.backend != "numpy" or not self.params:
            return None
        if self._held is None:
            from micrograd.compiler.held import ParameterArray  # NumPy's side of the compiler

            self._held = ParameterArray(self.params)
        if self._held.holding:
            return self._held
        with collector_paused():  # a loop over the parameters that makes no cycle
            return self._held if self._held.hold() else None

    def aux(self, per_output: list[list[float]]) -> list[Any]:
        """Aux values per sample, from one list per aux output: numbers, or lists of numbers."""
        if self.shape == "aux value":
            return per_output[0]
        return [list(values) for values in zip(*per_output)]

    def function(self, backward: bool) -> Callable[..., Any]:
        """``forward_backward`` (backward=True) or ``forward``, written and loaded on first use."""
        if backward not in self.functions:
            if self.backend == "numpy":
                source, layout = numpy_source(self.graph, backward=backward)
                if backward == self.has_loss:
                    self.layout = layout
                elif layout != self.layout:
                    raise RuntimeError("micrograd.compile: the two programs disagree on the parameter order")
            else:
                source = python_source(self.graph, backward=backward)
            self.sources[backward] = source
            self.functions[backward] = _load(source, self.backend, f"<compiled {self.name}>")
        return self.functions[backward]


def _load(source: str, backend: str, filename: str) -> Callable[..., Any]:
    """Execute generated source and return the function it defines.

    The source is registered with ``linecache`` so that a traceback through generated
    code shows its lines.
    """
    namespace = numpy_namespace(_numpy()) if backend == "numpy" else python_namespace()
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(builtins.compile(source, filename, "exec"), namespace)  # our generated code, never user text
    return namespace["forward_backward" if "def forward_backward" in source else "forward"]


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError(
            'the NumPy backend of micrograd.compile needs NumPy: pip install "micrograd[numpy]" '
            "(or use backend='python')"
        ) from None
    return numpy


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, Value)


def _argument_names(fn: Callable[..., Any]) -> list[str]:
    """The names of ``fn``'s positional parameters, for the generated code (best effort)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in signature.parameters.values() if p.kind in kinds]


class Compiled:
    """A function of Values compiled for batches of samples (made by :func:`compile`).

    ``step(*batches, reduction='mean')``: each positional argument is a batch, one item
    per sample (a number, or a list of numbers), as a list or a NumPy array. Returns
    the mean (or sum) of the function's output over the samples and adds its gradient
    to every captured Value's ``.grad``; with ``reduction='none'``, returns every
    sample's output(s) and computes no gradient. Inside ``no_grad()`` no gradient is
    computed either. With ``has_aux=True`` a call returns ``(loss, aux)``: the reduced
    loss and every sample's aux value(s); with ``'none'``, every sample's loss and aux.
    """

    def __init__(self, fn: Callable[..., Any], backend: str = "auto", has_aux: bool = False) -> None:
        if not callable(fn):
            raise TypeError(f"compile expects a function of Values, got {type(fn).__name__}")
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}: choose one of {', '.join(map(repr, BACKENDS))}")
        if backend == "auto":
            try:
                _numpy()
                backend = "numpy"
            except ImportError:
                backend = "python"
        elif backend == "numpy":
            _numpy()
        self.fn = fn
        self.backend = backend
        self.has_aux = bool(has_aux)
        self.name = getattr(fn, "__name__", type(fn).__name__)
        self._names = _argument_names(fn)
        self._programs: dict[tuple[int | None, ...], _Program] = {}
        self._last: _Program | None = None

    def __repr__(self) -> str:
        return f"<micrograd.compile of {self.name} ({self.backend}), {len(self._programs)} trace(s)>"

    # --- what was compiled ------------------------------------------------------------

    def _program_or_error(self) -> _Program:
        if self._last is None:
            raise RuntimeError(
                f"{self.name} has not been traced yet: call the compiled function on a batch first "
                "(or trace it on one sample with .trace(...))"
            )
        return self._last

    @property
    def source(self) -> str:
        """The generated code of the latest trace (forward and backward pass)."""
        program = self._program_or_error()
        return program.sources[program.has_loss]

    @property
    def graph(self) -> Graph:
        """The traced graph of the latest trace: nodes in topological order."""
        return self._program_or_error().graph

    @property
    def parameters(self) -> list[Value]:
        """The captured Values of the latest trace, in the order the generated code reads them."""
        return list(self._program_or_error().params)

    def trace(self, *sample: Any) -> None:
        """Trace the function on one sample (each argument a number or a list of numbers)."""
        self(*([item] for item in sample), reduction="none")

    # --- calling ----------------------------------------------------------------------

    def __call__(self, *batches: Any, reduction: str = "mean") -> Any:
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {', '.join(map(repr, REDUCTIONS))}, got {reduction!r}")
        if not batches:
            raise TypeError(f"the compiled {self.name} needs its arguments as batches, got none")
        if self.backend == "numpy":
            data, count, shapes = self._arrays(batches)
        else:
            data, count, shapes = self._lists(batches)
        program = self._programs.get(shapes)
        if program is None:  # the first and last samples, to trace on (built only when tracing)
            if self.backend == "numpy":
                samples = [[d[i].tolist() for d in data] for i in (0, count - 1)]
            else:
                samples = [[d[i] for d in data] for i in (0, count - 1)]
            program = self._compile(shapes, samples)
        self._last = program
        if reduction != "none" and not program.has_loss:
            raise ValueError(
                f"{self.name} returns {len(program.graph.outputs)} Values; reduction={reduction!r} needs "
                "exactly one (use reduction='none' for every output, or has_aux=True and return (loss, aux))"
            )
        backward = reduction != "none" and is_grad_enabled()
        run = self._run_numpy if self.backend == "numpy" else self._run_python
        if backward:
            total, aux = run(program, data, count, reduction)
        else:
            outputs = self._forward(program, data, count)
            if reduction == "none":
                if program.has_loss and self.has_aux:
                    return outputs[0], program.aux(outputs[1:])
                return outputs[0] if program.shape == "value" else [tuple(o) for o in zip(*outputs)]
            total, aux = math.fsum(outputs[0]), program.aux(outputs[1:]) if self.has_aux else None
        loss = total / count if reduction == "mean" else total
        return (loss, aux) if self.has_aux else loss

    def _compile(self, shapes: tuple[int | None, ...], samples: list[list[Any]]) -> _Program:
        names = [self._names[a] if a < len(self._names) else f"arg{a}" for a in range(len(shapes))]
        with collector_paused():  # two traces of Values, no cycle among them: nothing for it to find
            first, shape = _trace(self.fn, samples[0], names, warn=True, has_aux=self.has_aux)
            second, _ = _trace(self.fn, samples[1], names, warn=False, has_aux=self.has_aux)
            graph, params = _graph(first, second, list(zip(names, shapes)))
            del first, second
            program = _Program(graph, params, shape, self.backend, self.name)
        self._programs[shapes] = program
        return program

    def _name(self, a: int) -> str:
        return repr(self._names[a]) if a < len(self._names) else f"#{a}"

    def _arrays(self, batches: tuple[Any, ...]) -> tuple[list[Any], int, tuple[int | None, ...]]:
        """Each batch as a float64 array: (B,) for one number per sample, (B, n) for n numbers."""
        np = _numpy()
        arrays, shapes, count = [], [], None
        for a, batch in enumerate(batches):
            try:
                array = np.asarray(batch)
            except ValueError:
                raise ValueError(
                    f"argument {self._name(a)}: every sample must have the same number of values"
                ) from None
            if array.dtype.kind not in "biuf":
                kinds = {
                    "U": "strings",
                    "S": "bytes",
                    "c": "complex numbers",
                    "O": "objects (Values? pass their .data)",
                }
                found = kinds.get(array.dtype.kind, f"{array.dtype} elements")
                raise TypeError(f"argument {self._name(a)} must hold numbers (one item per sample), got {found}")
            if array.ndim not in (1, 2):
                raise ValueError(
                    f"argument {self._name(a)} must be a batch: a list of numbers or a list of rows, "
                    f"got an array of shape {array.shape}"
                )
            count = self._check_count(a, len(array), count)
            arrays.append(array.astype(np.float64, copy=False))
            shapes.append(None if array.ndim == 1 else array.shape[1])
        return arrays, count, tuple(shapes)  # type: ignore[return-value]

    def _lists(self, batches: tuple[Any, ...]) -> tuple[list[Any], int, tuple[int | None, ...]]:
        """Each batch as a list of floats, or a list of equally long lists of floats."""
        lists: list[Any] = []
        shapes: list[int | None] = []
        count = None
        for a, batch in enumerate(batches):
            if hasattr(batch, "tolist"):
                batch = batch.tolist()
            if _is_number(batch) or isinstance(batch, (str, bytes)) or not hasattr(batch, "__iter__"):
                raise ValueError(f"argument {self._name(a)} must be a batch (one item per sample), got {batch!r}")
            items = list(batch)
            count = self._check_count(a, len(items), count)
            if _is_number(items[0]):
                bad = next((i for i, v in enumerate(items) if not _is_number(v)), None)
                if bad is not None:
                    raise TypeError(f"argument {self._name(a)}: sample {bad} is {items[bad]!r}, not a number")
                lists.append([float(v) for v in items])
                shapes.append(None)
                continue
            size: int | None = None
            rows = []
            for i, row in enumerate(items):
                if not hasattr(row, "__len__") or isinstance(row, (str, bytes)):
                    raise TypeError(
                        f"argument {self._name(a)}: sample {i} is {row!r}, not a number or a list of numbers"
                    )
                size = len(row) if size is None else size
                if len(row) != size:
                    raise ValueError(
                        f"argument {self._name(a)}: every sample must have the same number of values "
                        f"(sample 0 has {size}, sample {i} has {len(row)})"
                    )
                if not all(_is_number(v) for v in row):
                    raise TypeError(f"argument {self._name(a)}: sample {i} holds something that is not a number")
                rows.append([float(v) for v in row])
            lists.append(rows)
            shapes.append(size)
        return lists, count, tuple(shapes)  # type: ignore[return-value]

    def _check_count(self, a: int, n: int, count: int | None) -> int:
        if n == 0:
            raise ValueError(f"argument {self._name(a)} is an empty batch: there must be at least one sample")
        if count is not None and n != count:
            raise ValueError(
                f"the arguments hold different numbers of samples: {count} and {n} (argument {self._name(a)})"
            )
        return n

    def _run_numpy(self, program: _Program, arrays: list[Any], count: int, reduction: str) -> tuple[float, Any]:
        """Forward and backward over the batch; ∂(mean or sum)/∂p is added to each p.grad."""
        np = _numpy()
        params = program.params
        held = program.held()
        theta = held.theta if held else np.fromiter(map(_data, params), dtype=np.float64, count=len(params))
        columns = [a.T if a.ndim == 2 else a for a in arrays]  # a sample's numbers down a column
        seed = np.full(count, 1.0 / count if reduction == "mean" else 1.0)
        out, gtheta = program.function(True)(theta, *columns, seed)
        if held:
            held.gtheta += gtheta  # p.grad += ∂loss/∂p for every held p at once
        else:
            for p, g in zip(params, gtheta.tolist()):
                p.grad += g
        if len(program.graph.outputs) == 1:
            if np.shape(out) == (count,):  # one output per sample (else one shared by all, repeated)
                return float(out.sum()), None
            return float(np.sum(np.broadcast_to(out, (count,)))), None
        outs = [np.broadcast_to(o, (count,)) for o in out]
        return float(np.sum(outs[0])), program.aux([o.tolist() for o in outs[1:]])

    def _run_python(self, program: _Program, lists: list[Any], count: int, reduction: str) -> tuple[float, Any]:
        """Forward and backward, one sample at a time; ∂(mean or sum)/∂p is added to each p.grad."""
        params = program.params
        theta = [p.data for p in params]
        seed = 1.0 / count if reduction == "mean" else 1.0
        if len(program.graph.outputs) == 1:
            total, grads = program.function(True)(theta, *lists, seed)
            aux = None
        else:
            total, per_sample, grads = program.function(True)(theta, *lists, seed)
            aux = per_sample if program.shape == "aux value" else [list(a) for a in per_sample]
        for p, g in zip(params, grads):
            p.grad += g
        return total, aux

    def _forward(self, program: _Program, data: list[Any], count: int) -> list[list[float]]:
        """Every output of every sample, one list per output; no gradient."""
        run = program.function(False)
        if self.backend == "numpy":
            np = _numpy()
            held = program._held
            if held is not None and held.holding:
                theta = held.theta
            else:
                theta = np.fromiter(map(_data, program.params), dtype=np.float64, count=len(program.params))
            outs = run(theta, *(a.T if a.ndim == 2 else a for a in data))
            return [np.broadcast_to(o, (count,)).tolist() for o in outs]
        rows = run([p.data for p in program.params], *data)
        if len(program.graph.outputs) == 1:
            return [rows]
        return [list(column) for column in zip(*rows)]


def compile(fn: Callable[..., Any] | None = None, *, backend: str = "auto", has_aux: bool = False) -> Any:
    """Compile a function of Values for batches: ``step = micrograd.compile(loss_fn)``.

    ``fn`` takes one sample (each argument a number or a list of numbers) and returns a
    Value (or several). The result is a :class:`Compiled`; call it on batches. Usable
    as a decorator, with or without arguments. ``backend``: ``'numpy'`` (batched array
    code), ``'python'`` (a pure-Python loop, no dependencies), or ``'auto'`` (NumPy when
    it is installed). With ``has_aux=True``, ``fn`` returns ``(loss, aux)`` and a call
    returns ``(loss, aux of every sample)``: the model's outputs, say, computed in the
    same pass as the loss and its gradient.
    """
    if fn is None:
        return lambda f: Compiled(f, backend, has_aux)
    return Compiled(fn, backend, has_aux)
