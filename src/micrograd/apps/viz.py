"""Drawing a computation graph with Graphviz, in the style of the lecture.

Every Value becomes a record ``{ label | data 2.0000 | grad -1.5029 }``, and every
operation a small node between its inputs and its result, so the picture reads as
the forward pass left to right and backpropagation right to left. A fused neuron
(the ``dot`` operation, inputs ``w₁ … wₙ, x₁ … xₙ, b``) is drawn as one ``w·x + b``
node whose input edges are named ``w₁``, ``x₁``, …, ``b``.

Graphviz is optional: the Python package (``pip install "micrograd[viz]"``) builds
the drawing, and its ``dot`` program (``apt-get install graphviz``,
``brew install graphviz``) lays it out and renders it.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from micrograd.apps.drawing import (
    _INSTALL_DOT,
    GraphTooLargeError,
    GraphvizNotFoundError,
    _import_graphviz,
    _record_text,
    new_drawing,
)
from micrograd.apps.formatting import neuron_inputs, number, op_label
from micrograd.checks import index
from micrograd.engine import Value, topological_order
from micrograd.ops import DOT

if TYPE_CHECKING:
    import graphviz

    from micrograd.tensor import Tensor

__all__ = [
    "draw_dot",
    "save_graph",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "DEFAULT_OUTPUT",
    "MAX_NODES",
    "MAX_USE_DEPTHS",
    "SAVE_FORMATS",
    "repeated_uses",
]

MAX_NODES = 500
"""Default limit on the number of Values drawn: beyond a few hundred a graph is unreadable and
Graphviz's layout time grows quickly. The moons demo's loss over its 100 samples has about 8,300
nodes with fused neurons, and 66,000 with the lecture's chain of ``*`` and ``+``."""

MAX_USE_DEPTHS = 4
"""A value whose uses lie at more than this many depths of the graph (``x`` in ``x+x+...+x``) is
drawn where it is first used and again, dashed, beside each later use. Drawn once, it would need
one long edge per use across the whole picture, which is hard to follow and makes Graphviz's
``dot`` slow: with 2.43, 14 s for 60 uses and minutes beyond. Values used at up to this many
depths, like the lecture's ``a + a`` and the inputs an MLP layer shares, stay one box."""

DEFAULT_OUTPUT = Path("micrograd-out") / "graph.svg"
"""Where ``micrograd graph`` writes without ``-o``: every command writes into ``./micrograd-out/``."""

SAVE_FORMATS = ("svg", "png", "pdf", "dot")
"""File types :func:`save_graph` writes, by suffix (``.gv`` is accepted for ``dot``)."""

_RANKDIRS = ("LR", "TB", "RL", "BT")
_POSITIVE = (239, 138, 98)  # fill for the largest positive grad
_NEGATIVE = (103, 169, 207)  # fill for the largest negative grad
_NAN_FILL = "#d9d9d9"


def _grad_of(node: Value) -> float:
    g = node.grad
    return g.data if isinstance(g, Value) else float(g)


def _fill(g: float, largest: float) -> str:
    """White for no gradient, deepening to red (positive) or blue (negative) as |grad| nears the largest."""
    if math.isnan(g):
        return _NAN_FILL
    share = 1.0 if math.isinf(g) else (abs(g) / largest if largest > 0 else 0.0)
    share = min(share, 1.0)
    r, gr, b = _POSITIVE if g > 0 else _NEGATIVE
    return "#{:02x}{:02x}{:02x}".format(*(round(255 + (c - 255) * share) for c in (r, gr, b)))


def _input_names(node: Value) -> list[str]:
    """Edge labels for an operation's inputs where their roles are not obvious.

    ``w₁ … wₙ, x₁ … xₙ, b`` for a fused neuron; ``taken`` / ``not taken`` for the
    ``where`` nodes of gradient graphs, which pass on one input; none otherwise.
    """
    take_first = getattr(node._op, "take_first", None)
    if take_first is not None:
        return ["taken", "not taken"] if take_first else ["not taken", "taken"]
    if node._op != DOT:
        return [""] * len(node._prev)
    return neuron_inputs(len(node._prev))


def repeated_uses(graph: Sequence[tuple[Hashable, Sequence[Hashable]]]) -> set[tuple[Hashable, int]]:
    """The uses at which a value is drawn again: ``(node, position)`` pairs, meaning ``node``'s input at
    ``position`` is drawn as a copy beside ``node`` (see :data:`MAX_USE_DEPTHS`).

    ``graph`` lists each node with its inputs, inputs first. A node's depth is the length of the
    longest path to it from a leaf; a value's first use is the one of least depth.
    """
    depth: dict[Hashable, int] = {}
    uses: dict[Hashable, list[tuple[Hashable, int]]] = {}
    for node, inputs in graph:
        depth[node] = 1 + max((depth[parent] for parent in inputs), default=-1)
        for position, parent in enumerate(inputs):
            uses.setdefault(parent, []).append((node, position))
    repeated: set[tuple[Hashable, int]] = set()
    for value_uses in uses.values():
        if len({depth[node] for node, _ in value_uses}) > MAX_USE_DEPTHS:
            nearest = min(depth[node] for node, _ in value_uses)
            repeated.update(use for use in value_uses if depth[use[0]] > nearest)
    return repeated


def _tensor_graph(root: Any) -> bool:
    """Whether ``root`` is a Tensor or a list of them (looked up without importing NumPy for Values)."""
    module = sys.modules.get("micrograd.tensor.tensor")
    if module is None:
        return False
    items = root if isinstance(root, (list, tuple)) else [root]
    return bool(items) and all(isinstance(item, module.Tensor) for item in items)


def draw_dot(
    root: Value | Sequence[Value] | Tensor | Sequence[Tensor],
    format: str = "svg",
    rankdir: str = "LR",
    show_grad: bool = True,
    color_by_grad: bool = False,
    max_nodes: int = MAX_NODES,
    names: Mapping[str, Tensor] | None = None,
) -> graphviz.Digraph:
    """The computation graph behind ``root`` as a ``graphviz.Digraph`` (renders inline in Jupyter).

    ``root`` may be one Value or several (a layer's outputs). Each Value is a record
    ``{ label | data | grad }``; each operation a node with an edge to its result.
    ``rankdir`` is ``'LR'`` (left to right) or ``'TB'``, ``'RL'``, ``'BT'``;
    ``show_grad=False`` leaves the grad out; ``color_by_grad=True`` fills each record
    red for a positive and blue for a negative grad, deeper as |grad| nears the graph's largest.
    A graph with more than ``max_nodes`` Values raises :class:`GraphTooLargeError`: draw
    a smaller part instead (one neuron, one sample's loss), or raise the limit.
    A value used at many depths of the graph is drawn again, dashed, beside each later use
    (see :data:`MAX_USE_DEPTHS`).

    ``root`` may also be a :class:`~micrograd.tensor.Tensor` (or several): each tensor is then a
    table headed by its shape, with its numbers when small, else their min, max and mean, and
    broadcasting is a node of its own (:mod:`micrograd.apps.tensorviz`); ``names`` labels
    tensors (``{"W": W}``), and ``color_by_grad`` does not apply.
    Save with :func:`save_graph`, or ``draw_dot(...).render(...)``.
    """
    if _tensor_graph(root):
        if rankdir not in _RANKDIRS:
            raise ValueError(f"rankdir must be one of {', '.join(map(repr, _RANKDIRS))}, got {rankdir!r}")
        if color_by_grad:
            raise ValueError("color_by_grad=True draws Value graphs: a tensor's box shows its grad's numbers instead")
        from micrograd.apps.tensorviz import draw_tensor_dot

        tensors = cast("Tensor | Sequence[Tensor]", root)  # _tensor_graph checked it
        return draw_tensor_dot(tensors, names, format, rankdir, show_grad, index("max_nodes", max_nodes))
    if names is not None:
        raise TypeError("names labels the tensors of a Tensor graph; a Value carries its own label")
    roots = [root] if isinstance(root, Value) else list(root) if isinstance(root, (list, tuple)) else None
    if not roots or not all(isinstance(r, Value) for r in roots):
        raise TypeError(f"draw_dot expects a Value or a non-empty list of Values, got {type(root).__name__}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(map(repr, _RANKDIRS))}, got {rankdir!r}")
    max_nodes = index("max_nodes", max_nodes)
    nodes = topological_order(roots)
    if len(nodes) > max_nodes:
        raise GraphTooLargeError(
            f"this graph has {len(nodes):,} nodes, more than max_nodes={max_nodes:,} can show readably: "
            "draw a smaller part of it, such as one neuron (draw_dot(model.layers[0].neurons[0](x))) "
            f"or the loss of a single sample, or pass max_nodes={len(nodes)} to draw it all "
            "(Graphviz may take minutes)",
            len(nodes),
            max_nodes,
        )
    drawing = new_drawing(format, rankdir, "12")
    grads = [_grad_of(node) for node in nodes] if color_by_grad else []
    largest = max((abs(g) for g in grads if math.isfinite(g)), default=0.0)
    ids = {node: f"v{i}" for i, node in enumerate(nodes)}
    repeated = repeated_uses([(node, node._prev) for node in nodes])
    records: dict[Value, str] = {}
    fills: dict[Value, dict[str, str]] = {}
    for i, node in enumerate(nodes):
        fields = [_record_text(node.label), f"data {number(node.data)}"]
        if show_grad:
            fields.append(f"grad {number(_grad_of(node))}")
        records[node] = "{ " + " | ".join(fields) + " }"
        style = {"style": "filled", "fillcolor": _fill(grads[i], largest)} if color_by_grad else {}
        fills[node] = {"fillcolor": style["fillcolor"]} if style else {}
        drawing.node(ids[node], label=records[node], shape="record", **style)
        if node._prev:
            op_id = ids[node] + "_op"
            drawing.node(
                op_id,
                label=op_label(node._op),
                shape="ellipse",
                fontsize="11",
                margin="0.05,0.02",
                height="0.3",
                ordering="in",
            )
            drawing.edge(op_id, ids[node])
            for position, (parent, name) in enumerate(zip(node._prev, _input_names(node), strict=True)):
                tail = ids[parent]
                if (node, position) in repeated:
                    tail = f"{op_id}_{position}"
                    copy_style = {"style": "dashed", **fills.get(parent, {})}
                    if color_by_grad:
                        copy_style["style"] = "dashed,filled"
                    drawing.node(tail, label=records[parent], shape="record", **copy_style)
                drawing.edge(tail, op_id, label=name or None)
    notes = []
    if repeated:
        notes.append("dashed boxes: a value used in many places, drawn again at each use (the same value and grad)")
    if color_by_grad:
        notes.append(f"fill: red where grad > 0, blue where grad < 0, deeper as |grad| nears {number(largest)}")
    if notes:
        drawing.attr(label="\\n".join(notes), labelloc="b", fontsize="10")
    return drawing


def save_graph(graph: Value | Sequence[Value] | graphviz.Digraph, path: str | Path, **options: Any) -> Path:
    """Write a drawing to ``path``, its format taken from the suffix (.svg, .png, .pdf, .dot).

    ``graph`` is a drawing from :func:`draw_dot`, or the Value(s) or Tensor(s) to draw (then ``options``
    go to :func:`draw_dot`, e.g. ``color_by_grad=True``). Returns the path written.
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    fmt = "dot" if suffix == "gv" else suffix
    if fmt not in SAVE_FORMATS:
        raise ValueError(
            f"cannot tell the format of {str(path)!r} from its suffix: use one of "
            + ", ".join("." + f for f in SAVE_FORMATS)
        )
    if isinstance(graph, (Value, list, tuple)) or _tensor_graph(graph):
        drawing = draw_dot(graph, **options)
    elif options:
        raise TypeError(f"save_graph options {sorted(options)} apply only when drawing Values, not a finished drawing")
    elif hasattr(graph, "pipe") and hasattr(graph, "source"):
        drawing = graph
    else:
        raise TypeError(f"save_graph expects a Value, a list of Values or a drawing, got {type(graph).__name__}")
    gv = _import_graphviz()
    if fmt == "dot":
        content: bytes = drawing.source.encode("utf-8")
    else:
        try:
            content = drawing.pipe(format=fmt)
        except gv.ExecutableNotFound:  # a plain graphviz.Digraph made elsewhere
            raise GraphvizNotFoundError(_INSTALL_DOT) from None
        except gv.CalledProcessError as e:
            detail = (e.stderr or b"").decode("utf-8", "replace").strip().splitlines()
            reason = detail[-1] if detail else str(e)
            raise RuntimeError(f"Graphviz's dot failed to render {str(path)!r}: {reason}") from None
    path.write_bytes(content)
    return path
