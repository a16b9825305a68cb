"""The eager engine's float kernels: each operation's rules written out as plain Python.

Calling a rule from :mod:`micrograd.ops` on floats works (``MUL.backward(FloatMath,
g, out, a, b)``), but each call pays for packing arguments into tuples, looking up the
backend's functions and unpacking the results again, once per node of every backward
pass. Instead, each rule is run once on symbols with the Python code-writing backend
(:data:`micrograd.codegen.PYTHON`, the same one ``micrograd.compile`` uses), and the
code it writes becomes a small function the engine calls per node:

    MUL.backward(PYTHON, g, out, p0.data, p1.data)  →  (g * p1.data, g * p0.data)

    def backward_mul(node):
        g = node.grad
        p0, p1 = node._prev
        p0.grad += g * p1.data
        p1.grad += g * p0.data

So the derivative is still written once, in ``ops``; these functions are generated
from it. A fused neuron (``dot``) gets one unrolled function per number of inputs, up
to :data:`MAX_UNROLLED_PARENTS`; wider nodes run the rule itself. :func:`kernel_source`
shows what was generated for an operation.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from typing import Any

from micrograd.codegen import PYTHON, Expr, const, python_namespace
from micrograd.ops import FloatMath, Op

__all__ = ["MAX_UNROLLED_PARENTS", "Kernels", "kernels", "install", "kernel_source", "write_kernels"]

MAX_UNROLLED_PARENTS = 129
"""Nodes with more inputs than this (a neuron with over 64 inputs) run the rule itself:
unrolled code grows with the arity and Python's compiler nests long sums deeply."""

Forward = Callable[[tuple[Any, ...]], float]
Backward = Callable[[Any], None]


class Kernels:
    """An operation's forward and backward for one arity, as functions on nodes.

    ``forward(parents)`` returns the output's float from the parents' ``.data``;
    ``backward(node)`` adds ``node.grad · ∂node/∂parent`` into each parent's ``.grad``.
    """

    __slots__ = ("forward", "backward", "source")

    def __init__(self, forward: Forward, backward: Backward, source: str) -> None:
        self.forward = forward
        self.backward = backward
        self.source = source


def _text(x: Any) -> str:
    return x.text if isinstance(x, Expr) else const(x)


def write_kernels(op: Op, arity: int) -> str:
    """Python source of ``forward(parents)`` and ``backward(node)`` for ``op`` with ``arity`` inputs."""
    parents = [f"p{i}" for i in range(arity)]
    unpack = f"{', '.join(parents)}{',' if arity == 1 else ''}"
    data = [Expr.name(f"{p}.data") for p in parents]
    value = op.forward(PYTHON, *data)
    grads = op.backward(PYTHON, Expr.name("g"), Expr.name("out"), *data)
    if len(grads) != arity:
        raise ValueError(f"the backward rule of {op!r} gave {len(grads)} gradients for {arity} inputs")
    uses_out = any(isinstance(gr, Expr) and "out" in gr.names for gr in grads)
    lines = [
        f"def forward(parents):  # {(type(op).__doc__ or str(op)).splitlines()[0]}",
        f"    {unpack} = parents",
        f"    return {_text(value)}",
        "",
        "",
        "def backward(node):",
        "    g = node.grad",
        *(["    out = node.data"] if uses_out else []),
        f"    {unpack} = node._prev",
        *(f"    {p}.grad += {_text(gr)}" for p, gr in zip(parents, grads)),
    ]
    return "\n".join(lines) + "\n"


def _generic(op: Op) -> Kernels:
    """The rule itself, called with floats: for arities too wide to unroll."""
    rule_forward = op.forward

    def forward(parents: tuple[Any, ...]) -> float:
        return rule_forward(FloatMath, *[p.data for p in parents])

    def backward(node: Any) -> None:
        node._backward()  # the node's own step of the chain rule, by the rule on floats

    return Kernels(forward, backward, f"# {op!r} with this many inputs runs its rule: ops.{type(op).__name__}\n")


def _build(op: Op, arity: int) -> Kernels:
    if arity > MAX_UNROLLED_PARENTS:
        return _generic(op)
    source = write_kernels(op, arity)
    filename = f"<micrograd kernel {op} ({arity} inputs)>"
    namespace = {**python_namespace(), "__name__": __name__}
    exec(compile(source, filename, "exec"), namespace)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # tracebacks show it
    return Kernels(namespace["forward"], namespace["backward"], source)


_CACHE_LIMIT = 4096


def kernels(op: Op, arity: int) -> Kernels:
    """The float kernels of ``op`` for ``arity`` inputs, generated on first use and kept on the op."""
    table = op.__dict__.setdefault("_kernels", {})
    found = table.get(arity)
    if found is None:
        found = _build(op, arity)
        if len(table) < _CACHE_LIMIT:
            table[arity] = found
    return found


def install(op: Op) -> Op:
    """Give ``op`` its ``float_forward(parents)`` and ``float_backward(node)``; returns ``op``.

    The engine calls these for every node. An op with a fixed arity gets its generated
    functions themselves; ``dot`` gets functions that pick the kernel for the node's arity.
    """
    if op.arity is not None:
        found = kernels(op, op.arity)
        op.float_forward, op.float_backward = found.forward, found.backward
        return op

    forwards: dict[int, Forward] = {}
    backwards: dict[int, Backward] = {}

    def learn(arity: int) -> Kernels:
        found = kernels(op, arity)
        if len(forwards) < _CACHE_LIMIT:
            forwards[arity], backwards[arity] = found.forward, found.backward
        return found

    def float_forward(parents: tuple[Any, ...]) -> float:
        forward = forwards.get(len(parents))
        return (forward or learn(len(parents)).forward)(parents)

    def float_backward(node: Any) -> None:
        backward = backwards.get(len(node._prev))
        (backward or learn(len(node._prev)).backward)(node)

    op.float_forward, op.float_backward = float_forward, float_backward
    return op


def kernel_source(op: Op, arity: int | None = None) -> str:
    """The generated Python source for ``op`` (e.g. ``kernel_source(MUL)``); ``arity`` for ``dot``."""
    if arity is None:
        if op.arity is None:
            raise ValueError(f"{op!r} takes any number of inputs: pass arity=")
        arity = op.arity
    if not op.takes(arity):
        raise ValueError(f"{op!r} cannot take {arity} inputs")
    return kernels(op, arity).source
