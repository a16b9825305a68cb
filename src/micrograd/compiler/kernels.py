"""Writes ``micrograd/_kernels.py``: what ``backward()`` runs, from the rules in :mod:`micrograd.ops`.

Calling a rule on floats works (``MUL.backward(FloatMath, g, out, a, b)``), but each call
packs arguments into tuples, looks up the backend's functions and unpacks the results
again, once per node of every backward pass. Instead each rule is run once on symbols
with the Python code-writing backend (:data:`~micrograd.compiler.codegen.PYTHON`, the
same one ``micrograd.compile`` uses), and the code it writes is checked in as plain
functions the engine calls per node:

    MUL.backward(PYTHON, g, out, p0.data, p1.data)  →  (g * p1.data, g * p0.data)

    def backward_mul(node):
        g = node.grad
        p0, p1 = node._p0, node._p1
        p0.grad += g * p1.data
        p1.grad += g * p0.data

A fused neuron (``dot``) takes any number of inputs: its rule is written for one weight,
one input and the bias, and the weight and input lines become the body of a loop.
Operations made at run time (``x ** c`` for each constant c, the ``where`` nodes of
gradient graphs) run their rule itself. ``python -m micrograd.compiler.kernels`` writes
the file again; ``tests/test_kernels.py`` fails when it differs from the rules.
"""

from __future__ import annotations

import sys
from pathlib import Path

from micrograd import ops as ops_module
from micrograd.compiler.codegen import PYTHON, Expr, const, python_namespace
from micrograd.ops import DOT, OPS, Op

__all__ = ["kernel_source", "kernels_module", "KERNELS_PATH"]

KERNELS_PATH = Path(__file__).resolve().parent.parent / "_kernels.py"


def _text(x: Expr | float) -> str:
    return x.text if isinstance(x, Expr) else const(x)


def _function_name(op: Op) -> str:
    return type(op).__name__.lower()


def _fixed(op: Op, arity: int) -> str:
    """``forward_<op>(parents)`` and ``backward_<op>(node)`` for an op with ``arity`` inputs."""
    parents = [f"p{i}" for i in range(arity)]
    unpack = f"({parents[0]},)" if arity == 1 else ", ".join(parents)
    slots = ", ".join(f"node._p{i}" for i in range(arity))  # the parents' slots (Value._prev says why)
    data = [Expr.name(f"{p}.data") for p in parents]
    value = op.forward(PYTHON, *data)
    grads = op.backward(PYTHON, Expr.name("g"), Expr.name("out"), *data)
    if len(grads) != arity:
        raise ValueError(f"the backward rule of {op!r} gave {len(grads)} gradients for {arity} inputs")
    uses_out = any(isinstance(gr, Expr) and "out" in gr.names for gr in grads)
    name = _function_name(op)
    return "\n".join(
        [
            f"def forward_{name}(parents):  # {op.formula}",
            f"    {unpack} = parents",
            f"    return {_text(value)}",
            "",
            "",
            f"def backward_{name}(node):  # {op.derivative}",
            "    g = node.grad",
            *(["    out = node.data"] if uses_out else []),
            f"    {', '.join(parents)} = {slots}",
            *(f"    {p}.grad += {_text(gr)}" for p, gr in zip(parents, grads)),
        ]
    )


def _dot() -> str:
    """The dot rule for one (w, x) pair and the bias; the pair's lines run once per pair."""
    w, x, b, total = (Expr.name(n) for n in ("w.data", "x.data", "b.data", "total"))
    value = DOT.forward(PYTHON, w, x, total)
    to_w, to_x, to_b = DOT.backward(PYTHON, Expr.name("g"), Expr.name("out"), w, x, b)
    if {"out"} & {n for share in (to_w, to_x, to_b) if isinstance(share, Expr) for n in share.names}:
        raise ValueError("the dot kernel is written without the node's output")
    return "\n".join(
        [
            f"def forward_dot(parents):  # {DOT.formula}, summed left to right",
            "    n = len(parents) // 2",
            "    total = parents[-1].data",
            "    for w, x in zip(parents, parents[n:-1]):",
            f"        total = {_text(value)}",
            "    return total",
            "",
            "",
            f"def backward_dot(node):  # {DOT.derivative}",
            "    g = node.grad",
            "    parents = node._prev",
            "    n = len(parents) // 2",
            "    for w, x in zip(parents, parents[n:-1]):",
            f"        w.grad += {_text(to_w)}",
            f"        x.grad += {_text(to_x)}",
            f"    parents[-1].grad += {_text(to_b)}",
        ]
    )


def kernel_source(op: Op, arity: int | None = None) -> str:
    """The checked-in Python that ``backward()`` runs for ``op`` (e.g. ``kernel_source(TANH)``).

    ``arity``, if given, must be a number of inputs the op takes; ``dot`` has one loop for all.
    """
    if not isinstance(op, Op):
        raise TypeError(f"kernel_source expects an operation such as micrograd.ops.TANH, got {type(op).__name__}")
    if arity is not None and not op.takes(arity):
        raise ValueError(f"{op!r} cannot take {arity} inputs")
    if op is DOT:
        return _dot() + "\n"
    if OPS.get(op) is op and op.arity is not None:
        return _fixed(op, op.arity) + "\n"
    return f"# {op!r} is made at run time and runs its rule: ops.{type(op).__name__}\n"


def kernels_module() -> str:
    """The text of ``micrograd/_kernels.py``."""
    ops = list(OPS.values())
    functions = "\n".join(
        f"{name} = ops.FloatMath.{name}" for name in python_namespace() if name not in ("inf", "nan")
    )
    header = f'''"""What ``backward()`` runs for the built-in operations: their rules, written out as Python.

Each function is the rule of one operation in :mod:`micrograd.ops`, run once on symbols
and written down (``forward_tanh`` computes what ``TANH.forward`` computes, bit for bit).
Written by ``python -m micrograd.compiler.kernels``; do not edit: ``tests/test_kernels.py``
writes it again and fails on any difference.
"""

from math import inf, nan  # noqa: F401

import micrograd.ops as ops

{functions}
'''
    body = "\n\n\n".join(kernel_source(op).rstrip("\n") for op in ops)
    table_forward = "\n".join(f"    ops.{_constant(op)}: forward_{_function_name(op)}," for op in ops)
    table_backward = "\n".join(f"    ops.{_constant(op)}: backward_{_function_name(op)}," for op in ops)
    footer = (
        f"FORWARD = {{\n{table_forward}\n}}\n"
        '"""Each built-in op\'s ``forward(parents)``: the output\'s float from the parents\' ``.data``."""\n\n'
        f"BACKWARD = {{\n{table_backward}\n}}\n"
        '"""Each built-in op\'s ``backward(node)``: adds ``node.grad · ∂node/∂parent`` to its parents\' ``.grad``."""\n'
    )
    return f"{header}\n\n{body}\n\n\n{footer}"


def _constant(op: Op) -> str:
    """The name of ``op`` in :mod:`micrograd.ops` (``MUL``)."""
    return next(name for name in ops_module.__all__ if getattr(ops_module, name) is op)


def main() -> None:
    KERNELS_PATH.write_text(kernels_module(), encoding="utf-8")
    print(f"wrote {KERNELS_PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()
