"""A traced function as data: the graph the program writers read.

:mod:`micrograd.compiler.trace` records a function's graph once: each node an input of
one sample, a parameter, a constant or an operation, referring to its inputs by position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from micrograd.ops import Op

__all__ = ["Node", "Graph"]


@dataclass(eq=False)
class Node:
    """One node of a traced graph (nodes refer to each other by position)."""

    kind: str
    """``'input'`` (one number of one sample), ``'param'``, ``'const'`` or ``'op'``."""
    op: Op | None = None
    inputs: tuple[int, ...] = ()
    value: float = 0.0
    """A constant's number (frozen at trace time)."""
    arg: int = -1
    """For an input: which argument of the function."""
    item: int | None = None
    """For an input: its position in a sequence argument (None when the argument is one number)."""
    param: int = -1
    """For a parameter: its position in the parameter list."""
    label: str = ""
    varying: bool = False
    """Depends on the sample (an input reaches it)."""
    needs_grad: bool = False
    """Depends on a parameter, so the backward pass must reach it."""
    users: list[int] = field(default_factory=list)

    @property
    def operation(self) -> Op:
        """The operation of an ``'op'`` node."""
        if self.op is None:
            raise ValueError(f"an {self.kind!r} node has no operation")
        return self.op


@dataclass
class Graph:
    """A traced function: nodes in topological order, its outputs, and its arguments."""

    nodes: list[Node]
    outputs: list[int]
    args: list[tuple[str, int | None]]
    """(name, size) for each argument: size n for a sequence of n numbers, None for one number."""
    n_params: int

    def __post_init__(self) -> None:
        for i, node in enumerate(self.nodes):
            if node.kind == "input":
                node.varying = True
            elif node.kind == "param":
                node.needs_grad = True
            for j in node.inputs:
                parent = self.nodes[j]
                parent.users.append(i)
                node.varying |= parent.varying
                node.needs_grad |= parent.needs_grad
