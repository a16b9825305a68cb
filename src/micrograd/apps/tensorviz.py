"""Drawing a Tensor graph with Graphviz: each tensor a small table of its numbers, each operation a node.

A tensor is a box headed by its name and shape; below it its data and its grad, shown in
full when the array is small (at most 2 dims and :data:`SHOW_VALUES_UP_TO` numbers), as
min, max and mean otherwise. Operations sit between their inputs and their result, as in
the drawings of Values (:mod:`micrograd.apps.viz`), so the picture reads as the forward
pass left to right and backpropagation right to left.

Broadcasting is always drawn as a node of its own, ``broadcast (3,)→(2, 3)``: the engine
records it as an ``expand`` node when the input requires grad (its backward sums the
gradient back to the input's shape: that sum is the input's grad), and an operation that
broadcasts a constant inside itself (``2 * x``) gets a dashed broadcast node in front of it.

Only leaves keep their ``.grad`` after ``backward()``, as in PyTorch; call
:func:`keep_grads` before ``backward()`` to see every tensor's gradient.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from micrograd.apps.drawing import GraphTooLargeError, new_drawing
from micrograd.apps.formatting import number, op_label
from micrograd.tensor import Tensor
from micrograd.tensor.arrayops import ArrayOp, Expand, Mean, Permute, Reshape, Sum
from micrograd.tensor.backprop import _graph_order

if TYPE_CHECKING:
    import graphviz

__all__ = ["SHOW_VALUES_UP_TO", "draw_tensor_dot", "keep_grads", "tensor_order", "op_text", "summed_axes"]

SHOW_VALUES_UP_TO = 9
"""A tensor of at most 2 dims and at most this many numbers (3×3, a 9-vector) is drawn number by
number; a larger one as the min, max and mean of its data and of its grad."""

_HEADER = "#e9ecef"
_BROADCAST = "#fff3bf"


def tensor_order(roots: Sequence[Tensor]) -> list[Tensor]:
    """Every tensor the roots depend on, each after its inputs: the operations in the order the
    backward pass sorts them, each leaf just before its first use."""
    order: list[Tensor] = []
    seen: set[int] = set()
    for node in [*_graph_order(roots), *roots]:
        for tensor in [*node._prev, node]:
            if id(tensor) not in seen and (not tensor._prev or tensor is node):
                seen.add(id(tensor))
                order.append(tensor)
    return order


def keep_grads(root: Tensor) -> None:
    """``retain_grad()`` on every intermediate tensor behind ``root``, so ``backward()`` leaves each its gradient."""
    for node in tensor_order([root]):
        if node._prev and node.requires_grad:
            node.retain_grad()


def shape_text(shape: tuple[int, ...]) -> str:
    """``(2, 3)``, ``(3,)``, ``()``: a shape as Python writes it."""
    return str(tuple(shape))


def summed_axes(before: tuple[int, ...], after: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``after`` that broadcasting ``before`` to it added or stretched: the ones its gradient sums."""
    extra = len(after) - len(before)
    return tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(before) if n == 1 and after[extra + i] != 1
    )


def sum_text(axes: tuple[int, ...], ndim: int) -> str:
    """How a broadcast's gradient is summed back: ``sum over axis 0``, ``sum over axes 0, 1``, ``sum over all axes``."""
    if len(axes) == ndim and ndim > 1:
        return "sum over all axes"
    return f"sum over axis{'es' * (len(axes) > 1)} {', '.join(map(str, axes))}"


def op_text(op: Any, inputs: Sequence[tuple[int, ...]], out: tuple[int, ...]) -> str:
    """An operation as the drawings and the explorer name it: ``@``, ``tanh``, ``broadcast (3,)→(2, 3)``,
    ``sum over axis 0``, ``reshape (2,)→(2, 1)``, ``transpose``."""
    if isinstance(op, Expand):
        return f"broadcast {shape_text(inputs[0])}→{shape_text(out)}"
    if isinstance(op, (Sum, Mean)):
        if len(op.dims) == len(inputs[0]):
            return str(op)
        return f"{op} over axis {', '.join(map(str, op.dims))}" + (" (kept)" if op.keepdim else "")
    if isinstance(op, Reshape):
        return f"reshape {shape_text(inputs[0])}→{shape_text(out)}"
    if isinstance(op, Permute):
        return "transpose" if op.axes == tuple(reversed(range(len(op.axes)))) else f"permute {op.axes}"
    return op_label(op) if not isinstance(op, ArrayOp) else str(op)


def _cells(array: np.ndarray) -> list[list[str]]:
    """The numbers of a small array as rows of text: a 0-d array is one row of one, a vector one row."""
    rows = array.reshape(1, -1) if array.ndim < 2 else array
    return [[number(float(x)) for x in row] for row in rows]


def _small(array: np.ndarray) -> bool:
    return array.ndim <= 2 and array.size <= SHOW_VALUES_UP_TO


def _summary(array: np.ndarray) -> list[list[str]]:
    if array.size == 0:
        return [["empty"]]
    return [[f"min {number(float(array.min()))}", f"max {number(float(array.max()))}",
             f"mean {number(float(array.mean()))}"]]


def _rows(title: str, cells: list[list[str]], width: int) -> list[str]:
    """Table rows: ``title`` in the first column, spanning the rows of ``cells``, padded to ``width`` columns."""
    out = []
    for i, row in enumerate(cells):
        head = f'<TD ROWSPAN="{len(cells)}" ALIGN="LEFT"><I>{title}</I></TD>' if i == 0 else ""
        span = width - len(row) + 1
        tds = [f"<TD>{html.escape(c)}</TD>" for c in row[:-1]]
        last = f' COLSPAN="{span}"' if span > 1 else ""
        tds.append(f"<TD{last}>{html.escape(row[-1])}</TD>")
        out.append(f"<TR>{head}{''.join(tds)}</TR>")
    return out


def _grad_cells(node: Tensor) -> list[list[str]]:
    grad = node.grad
    if grad is None:
        if not node.requires_grad:
            return [["none (a constant)"]]
        return [["not kept (see keep_grads)" if node._prev else "none yet (call backward)"]]
    array = np.asarray(grad.data if isinstance(grad, Tensor) else grad)
    return _cells(array) if _small(array) else _summary(array)


def _label(node: Tensor, name: str, show_grad: bool) -> str:
    """The HTML-like Graphviz label of one tensor: name and shape, then its data and grad."""
    data = _cells(node.data) if _small(node.data) else _summary(node.data)
    parts = [("data", data)]
    if show_grad:
        parts.append(("grad", _grad_cells(node)))
    width = max(len(row) for _, cells in parts for row in cells)
    header = (f"<B>{html.escape(name)}</B>  " if name else "") + html.escape(shape_text(node.shape))
    rows = [f'<TR><TD COLSPAN="{width + 1}" BGCOLOR="{_HEADER}">{header}</TD></TR>']
    for title, cells in parts:
        rows += _rows(title, cells, width)
    return '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">' + "".join(rows) + "</TABLE>>"


def draw_tensor_dot(
    root: Tensor | Sequence[Tensor],
    names: Mapping[str, Tensor] | None = None,
    format: str = "svg",
    rankdir: str = "LR",
    show_grad: bool = True,
    max_nodes: int = 500,
) -> graphviz.Digraph:
    """The graph behind ``root`` (a Tensor or several), each tensor a table; see the module docstring.

    ``names`` labels tensors of the graph (``{"W": W, "x": x}``). Called through
    :func:`micrograd.apps.viz.draw_dot`, which checks the common arguments.
    """
    roots = [root] if isinstance(root, Tensor) else list(root)
    names = dict(names or {})
    for name, t in names.items():
        if not isinstance(name, str) or not isinstance(t, Tensor):
            raise TypeError(f"names maps names (str) to Tensors of the graph, got {name!r}: {type(t).__name__}")
    label_of = {id(t): name for name, t in names.items()}
    nodes = tensor_order(roots)
    if len(nodes) > max_nodes:
        raise GraphTooLargeError(
            f"this graph has {len(nodes):,} tensors, more than max_nodes={max_nodes:,} can show readably: "
            f"draw a smaller part of it, or pass max_nodes={len(nodes)} to draw it all (Graphviz may take minutes)",
            len(nodes),
            max_nodes,
        )
    drawing = new_drawing(format, rankdir, "11")
    ids = {id(node): f"t{i}" for i, node in enumerate(nodes)}
    op_style = {"shape": "ellipse", "fontsize": "11", "margin": "0.05,0.02", "height": "0.3", "ordering": "in"}
    implicit = False
    for node in nodes:
        drawing.node(ids[id(node)], label=_label(node, label_of.get(id(node), ""), show_grad), shape="plain")
        if not node._prev:
            continue
        op_id = ids[id(node)] + "_op"
        text = op_text(node._op, [p.shape for p in node._prev], node.shape)
        fill = {}
        if isinstance(node._op, Expand):
            fill = {"style": "filled", "fillcolor": _BROADCAST}
            text += f"\\n(grad: {sum_text(summed_axes(node._prev[0].shape, node.shape), node.ndim)})"
        drawing.node(op_id, label=text, **op_style, **fill)
        drawing.edge(op_id, ids[id(node)])
        elementwise = not isinstance(node._op, ArrayOp)
        for position, parent in enumerate(node._prev):
            tail = ids[id(parent)]
            if elementwise and parent.shape != node.shape:  # broadcast inside the op: draw it anyway
                implicit = True
                tail_op = f"{op_id}_b{position}"
                label = f"broadcast {shape_text(parent.shape)}→{shape_text(node.shape)}"
                drawing.node(tail_op, label=label, **op_style, style="dashed,filled", fillcolor=_BROADCAST)
                drawing.edge(tail, tail_op)
                tail = tail_op
            drawing.edge(tail, op_id)
    notes = ["yellow: broadcasting; its gradient is summed back over the broadcast axes"]
    if implicit:
        notes.append("dashed: a constant broadcast inside the operation (it has no gradient)")
    if any(isinstance(node._op, Expand) for node in nodes) or implicit:
        drawing.attr(label="\\n".join(notes), labelloc="b", fontsize="10")
    return drawing
