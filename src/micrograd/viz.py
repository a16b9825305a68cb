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

import functools
import math
import sys
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from micrograd.engine import Value, topological_order
from micrograd.ops import DOT

if TYPE_CHECKING:
    import graphviz

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
    "add_graph_command",
    "run_graph_command",
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
_FONT = "Helvetica,Arial,sans-serif"
_POSITIVE = (239, 138, 98)  # fill for the largest positive grad
_NEGATIVE = (103, 169, 207)  # fill for the largest negative grad
_NAN_FILL = "#d9d9d9"
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_INSTALL_DOT = (
    "Graphviz's 'dot' program is needed to render the drawing and was not found on PATH: "
    "install it with 'apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS) "
    "or 'conda install graphviz'; without it, draw_dot(...).source still gives the DOT text"
)


class GraphTooLargeError(ValueError):
    """The graph has more nodes than can be drawn readably (see ``max_nodes``)."""

    def __init__(self, message: str, nodes: int, limit: int) -> None:
        super().__init__(message)
        self.nodes = nodes
        self.limit = limit


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed, so a drawing cannot be rendered."""


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            'drawing graphs needs the graphviz package: pip install "micrograd[viz]" '
            "(and Graphviz's dot program: apt-get install graphviz, or brew install graphviz)"
        ) from None
    return graphviz


@functools.cache
def _drawing_class() -> type:
    """A ``graphviz.Digraph`` whose rendering explains how to install ``dot`` when it is missing.

    Rendering inline in Jupyter, ``.pipe()``, ``.render()`` and ``.view()`` all go through
    the two methods overridden here.
    """
    gv = _import_graphviz()

    class Drawing(gv.Digraph):  # type: ignore[name-defined,misc]
        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().pipe(*args, **kwargs)
            except gv.ExecutableNotFound:
                raise GraphvizNotFoundError(_INSTALL_DOT) from None

        def render(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().render(*args, **kwargs)
            except gv.ExecutableNotFound:
                raise GraphvizNotFoundError(_INSTALL_DOT) from None

    Drawing.__name__ = Drawing.__qualname__ = "Digraph"
    return Drawing


def _number(x: float) -> str:
    """A number as the lecture prints it (4 decimals), in scientific notation when that would hide it."""
    if x == 0 or not math.isfinite(x) or 1e-4 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.4e}"


def _record_text(text: str) -> str:
    """Text safe inside a Graphviz record field, where ``{ } | < >`` have meanings."""
    for special in '\\{}|<>"':
        text = text.replace(special, "\\" + special)
    return text


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


def _op_label(op: str) -> str:
    return "w·x + b" if op == DOT else op


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
    n = len(node._prev) // 2
    return (
        [f"w{i + 1}".translate(_SUBSCRIPTS) for i in range(n)]
        + [f"x{i + 1}".translate(_SUBSCRIPTS) for i in range(n)]
        + ["b"]
    )


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


def draw_dot(
    root: Value | Sequence[Value],
    format: str = "svg",
    rankdir: str = "LR",
    show_grad: bool = True,
    color_by_grad: bool = False,
    max_nodes: int = MAX_NODES,
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
    Save with :func:`save_graph`, or ``draw_dot(...).render(...)``.
    """
    roots = [root] if isinstance(root, Value) else list(root) if isinstance(root, (list, tuple)) else None
    if not roots or not all(isinstance(r, Value) for r in roots):
        raise TypeError(f"draw_dot expects a Value or a non-empty list of Values, got {type(root).__name__}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(map(repr, _RANKDIRS))}, got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
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
    graphviz = _import_graphviz()
    if format not in graphviz.FORMATS:
        raise ValueError(f"unknown Graphviz output format {format!r}: use e.g. 'svg', 'png' or 'pdf'")

    drawing = _drawing_class()(
        format=format,
        graph_attr={"rankdir": rankdir, "fontname": _FONT},
        node_attr={"fontname": _FONT, "fontsize": "12"},
        edge_attr={"fontname": _FONT, "fontsize": "10", "color": "#555555"},
    )
    grads = [_grad_of(node) for node in nodes] if color_by_grad else []
    largest = max((abs(g) for g in grads if math.isfinite(g)), default=0.0)
    ids = {node: f"v{i}" for i, node in enumerate(nodes)}
    repeated = repeated_uses([(node, node._prev) for node in nodes])
    records: dict[Value, str] = {}
    fills: dict[Value, dict[str, str]] = {}
    for i, node in enumerate(nodes):
        fields = [_record_text(node.label), f"data {_number(node.data)}"]
        if show_grad:
            fields.append(f"grad {_number(_grad_of(node))}")
        records[node] = "{ " + " | ".join(fields) + " }"
        style = {"style": "filled", "fillcolor": _fill(grads[i], largest)} if color_by_grad else {}
        fills[node] = {"fillcolor": style["fillcolor"]} if style else {}
        drawing.node(ids[node], label=records[node], shape="record", **style)
        if node._prev:
            op_id = ids[node] + "_op"
            drawing.node(
                op_id,
                label=_op_label(node._op),
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
        notes.append(f"fill: red where grad > 0, blue where grad < 0, deeper as |grad| nears {_number(largest)}")
    if notes:
        drawing.attr(label="\\n".join(notes), labelloc="b", fontsize="10")
    return drawing


def save_graph(graph: Value | Sequence[Value] | graphviz.Digraph, path: str | Path, **options: Any) -> Path:
    """Write a drawing to ``path``, its format taken from the suffix (.svg, .png, .pdf, .dot).

    ``graph`` is a drawing from :func:`draw_dot`, or the Value(s) to draw (then ``options``
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
    if isinstance(graph, (Value, list, tuple)):
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


def add_graph_command(subparsers: Any) -> Any:
    """Add ``micrograd graph EXPR --set x=2 ... [-o graph.svg]`` to argparse subparsers (runs ``run_graph_command``)."""
    from micrograd.expression import add_assignments_argument

    parser = subparsers.add_parser(
        "graph",
        help="draw the computation graph of an expression, with gradients",
        description=(
            "Evaluate an arithmetic expression safely (numbers, names given with --set, + - * / **, "
            "and the functions tanh exp log sqrt sigmoid relu abs sin cos), backpropagate from its result, "
            "and draw the graph with every value and gradient. An expression that starts with a minus sign "
            "goes last, after --, as in: micrograd graph --set x=1 -- '-x*2'"
        ),
    )
    parser.add_argument("expression", help="e.g. 'tanh(x*w + b)'")
    add_assignments_argument(parser)
    parser.add_argument(
        "-o",
        "--output",
        default=str(DEFAULT_OUTPUT),
        help="file to write (missing directories are made); its suffix picks the format: .svg, .png, .pdf or .dot "
        f"(default: {DEFAULT_OUTPUT})",
    )
    parser.add_argument("--rankdir", choices=_RANKDIRS, default="LR", help="layout direction (default: LR)")
    parser.add_argument("--no-grad", action="store_true", help="leave the gradients out of the drawing")
    parser.add_argument(
        "--color", action="store_true", help="fill each value red (grad > 0) or blue (grad < 0), deeper for larger"
    )
    parser.add_argument(
        "--max-nodes", type=int, default=MAX_NODES, help=f"refuse to draw more values than this (default: {MAX_NODES})"
    )
    parser.set_defaults(run=run_graph_command)
    return parser


def run_graph_command(args: Any) -> int:
    """Evaluate, backpropagate, draw and save; report the result and gradients. Returns the exit status.

    Every expected failure (a bad expression or assignment, an unknown suffix, a graph too
    large, Graphviz missing) is one line on stderr and status 2; a file that cannot be written
    raises ``OSError``, which the program reports in one line with status 3.
    """
    from micrograd.expression import evaluate, parse_assignments

    try:
        output = Path(args.output)
        if output.suffix.lower().lstrip(".") not in (*SAVE_FORMATS, "gv"):
            raise ValueError(f"cannot tell the format of {args.output!r} from its suffix: use .svg, .png, .pdf or .dot")
        variables = parse_assignments(args.assignments)
        root = evaluate(args.expression, variables)
        root.backward()
        try:
            drawing = draw_dot(
                root,
                format="svg",
                rankdir=args.rankdir,
                show_grad=not args.no_grad,
                color_by_grad=args.color,
                max_nodes=args.max_nodes,
            )
        except GraphTooLargeError as e:
            raise ValueError(
                f"the graph has {e.nodes:,} values, more than --max-nodes {e.limit} can show readably: "
                f"draw a shorter expression, or pass --max-nodes {e.nodes}"
            ) from None
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            save_graph(drawing, output)
        except OSError as e:  # reported by the program, with its own exit code
            raise OSError(f"cannot write {args.output}: {e.strerror or e}") from None
    except (ValueError, TypeError, ImportError, RuntimeError) as e:
        print(f"micrograd: error: {e}", file=sys.stderr)
        return 2
    nodes = topological_order([root])
    leaves = {node.label: node for node in nodes if not node._prev and node.label}
    print(f"{' '.join(args.expression.split())} = {root.data:.10g}")
    if leaves:
        print("  ".join(f"∂/∂{name} = {leaves[name].grad:.10g}" for name in variables if name in leaves))
    unused = [name for name in variables if name not in leaves]
    if unused:
        print(f"note: not used in the expression: {', '.join(unused)}", file=sys.stderr)
    operations = sum(1 for node in nodes if node._prev)
    counts = f"{len(nodes)} value{'s' * (len(nodes) != 1)}, {operations} operation{'s' * (operations != 1)}"
    print(f"wrote {args.output} ({counts})")
    return 0
