"""What the Python and the NumPy program writers share: names, values, gradient bookkeeping.

Each writer runs every operation's own rules from :mod:`micrograd.ops` on the symbols of
:mod:`micrograd.compiler.codegen`:

* forward, in topological order:  ``v7 = op.forward(m, v3, v5)`` becomes a line;
* backward, in reverse order, the chain rule exactly as ``Value.backward`` runs it:
  ``op.backward(m, g7, v7, v3, v5)`` gives each input's share g7·∂v7/∂input, and a node
  used several times adds up the shares of all its uses.
"""

from __future__ import annotations

import builtins
import keyword
from collections.abc import Sequence
from typing import Any

from micrograd.compiler.codegen import Expr, Writer, const
from micrograd.compiler.graph import Graph
from micrograd.ops import Op

Operand = Expr | float | bool


def identifier(label: str) -> str:
    """A Value's label as a variable name, when it can be one (``'w1'`` yes, ``'x·w'`` no)."""
    ok = label.isidentifier() and label.isascii() and not label.startswith("_") and not keyword.iskeyword(label)
    return label if ok else ""


def op_name(op: Op) -> str:
    """An identifier for an op's results: ``relu``, ``mul``, ``pow``."""
    return type(op).__name__.lower().replace("powconst", "pow")


_RESERVED = set(keyword.kwlist) | set(dir(builtins)) | {
    "np", "theta", "gtheta", "seed", "total", "outputs", "aux", "div", "pow", "exp", "log", "sqrt", "log1p", "expm1",
    "tanh", "sin", "cos", "sign", "inf", "nan", "forward", "forward_backward",
}  # fmt: skip


class Names:
    """Unique variable names for the generated program."""

    def __init__(self) -> None:
        self.used = set(_RESERVED)
        self.suffix: dict[str, int] = {}
        """For each base, the first suffix not yet tried (so n names from one base cost n steps)."""

    def new(self, base: str) -> str:
        name, k = base, self.suffix.get(base, 1)
        if k > 1:
            name = f"{base}_{k - 1}"
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        self.suffix[base] = k
        return name


def wrap(items: Sequence[str], width: int = 88) -> list[str]:
    """Items as comma-separated lines of at most ``width`` characters (no trailing commas)."""
    lines: list[list[str]] = [[]]
    length = 0
    for item in items:
        if lines[-1] and length + len(item) + 2 > width:
            lines.append([])
            length = 0
        lines[-1].append(item)
        length += len(item) + 2
    return [", ".join(line) for line in lines if line]


class Emitter:
    """What both programs share: names, values, and the bookkeeping of gradients."""

    math: Any = None

    def __init__(self, graph: Graph, backward: bool) -> None:
        self.graph = graph
        self.nodes = graph.nodes
        self.backward = backward
        self.names = Names()
        self.w = Writer()
        self.args = []
        for i, (name, _) in enumerate(graph.args):
            ok = name.isidentifier() and not name.startswith("_") and name not in self.names.used
            self.args.append(self.names.new(name if ok else f"arg{i}"))
        self.value: dict[int, Operand] = {}
        self.grad: dict[Any, Expr] = {}
        self.grad_names: dict[Any, str] = {}

    # --- values ---------------------------------------------------------------------

    def node_comment(self, i: int, text: str) -> str:
        label = self.nodes[i].label
        return f"{text}  [{label}]" if label else text

    def emit_op(self, i: int, inputs: Sequence[Operand]) -> None:
        """The forward line of op node i: its rule run on its inputs' symbols."""
        node = self.nodes[i]
        op = node.operation
        result = op.forward(self.math, *inputs)
        if isinstance(result, Expr):
            name = self.names.new(f"v{i}")
            self.w.line(f"{name} = {result.text}", self.node_comment(i, f"{op}  {op.formula}"))
            self.value[i] = Expr.name(name, result.at_least_zero)
        else:  # every input was a constant: the rule folded to a number
            self.value[i] = result

    def backward_op(self, i: int, inputs: Sequence[Operand], reduce: bool) -> None:
        """The backward lines of op node i: its rule gives each input its share."""
        node = self.nodes[i]
        g = self.grad.get(i)
        if g is None:
            return
        op = node.operation
        shares = [self.constant_share(share, g) for share in op.backward(self.math, g, self.value[i], *inputs)]
        comment = f"{op}  {op.derivative}"
        for j, share in zip(node.inputs, shares):
            self.give(j, share, reduce, comment)

    # --- gradients ------------------------------------------------------------------

    def grad_name(self, key: Any, base: str) -> str:
        if key not in self.grad_names:
            self.grad_names[key] = self.names.new(f"g_{base}")
        return self.grad_names[key]

    def accumulate(self, key: Any, base: str, share: Operand, comment: str) -> None:
        """grad[key] += share: the first share is assigned (or just named), later ones added."""
        current = self.grad.get(key)
        if current is None and isinstance(share, Expr) and share.kind == "name":
            self.grad[key] = share
            return
        name = self.grad_name(key, base)
        text = share.text if isinstance(share, Expr) else const(share)
        if current is None:
            self.w.line(f"{name} = {text}", comment)
        else:
            self.w.line(f"{name} = {(current + share).text}", comment)
        self.grad[key] = Expr.name(name)

    def give(self, j: int, share: Operand, reduce: bool, comment: str) -> None:
        raise NotImplementedError

    def constant_share(self, share: Operand, g: Expr) -> Operand:
        """A rule may give an input a constant share (``where`` gives the other side 0.0)."""
        return share


def plural(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def text_of(x: Operand) -> str:
    return x.text if isinstance(x, Expr) else const(x)


def names_of(x: Operand) -> frozenset[str]:
    return x.names if isinstance(x, Expr) else frozenset()
