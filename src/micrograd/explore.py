"""The backprop explorer: a recorded run of the engine, replayed step by step in a web page.

Learners understand backpropagation when they can step through it. :func:`record_graph`
runs the forward and backward pass of a graph and writes down everything that happened:
each node's value in topological order, then, in reverse order, each node's gradient
being pushed into its parents by its operation's rule, with the numbers,

    ∂o/∂n = 1 - tanh²n = 0.5000,   n.grad += o.grad × ∂o/∂n = 1.0000 × 0.5000.

:func:`record_training` does the same for a training run of a 2-D demo: the decision
boundary at a few epochs, and the loss and accuracy curves. :func:`render_page` turns a
recording into one self-contained HTML file (script, style and data inline, no network),
whose JavaScript only replays the recorded numbers: the page cannot disagree with the
library, because it never computes a value or a gradient itself.

The local derivatives are computed by each operation's own ``backward`` rule in
:mod:`micrograd.ops`, and the formula shown next to them is that rule's docstring.
Graphviz's ``dot`` program lays out the graph (``apt-get install graphviz``).
"""

from __future__ import annotations

import argparse
import html
import http.server
import json
import math
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from micrograd.engine import Value, topological_order
from micrograd.ops import DOT, FloatMath, Op, PowConst

__all__ = [
    "MAX_VALUES",
    "DEFAULT_OUTPUT",
    "LAYOUT_TIMEOUT",
    "record_graph",
    "record_training",
    "render_page",
    "write_page",
    "start_server",
    "add_explore_command",
    "run_explore_command",
]

MAX_VALUES = 150
"""Largest graph (in Values) the page steps through: beyond it the nodes are too small to read
on a projector and the layout takes long, so a part of the graph is shown instead."""

DEFAULT_OUTPUT = Path("micrograd-out") / "explore.html"

LAYOUT_TIMEOUT = 60
"""Seconds Graphviz's ``dot`` may take to lay out a page's graph before the explorer gives up
(a graph of at most :data:`MAX_VALUES` values takes a few seconds)."""

_PAGE = "explorer_page"
_INSTALL_DOT = (
    "the explorer lays out the graph with Graphviz's 'dot' program, which was not found on PATH: "
    "install it with 'apt-get install graphviz' (Debian/Ubuntu) or 'brew install graphviz' (macOS)"
)
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_INFIX = {"+": "+", "-": "−", "*": "×", "/": "/", "**": "^"}


def _number(x: float) -> str:
    """A number as the lecture prints it (4 decimals), in scientific notation when that would hide it."""
    if x == 0 or not math.isfinite(x) or 1e-4 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.4e}"


def _json_number(x: float) -> float | str:
    """JSON has no inf or nan: those travel as strings."""
    return x if math.isfinite(x) else repr(x)


def _grouped(text: str) -> str:
    """``text`` in parentheses when it is not a plain name or a non-negative number."""
    return text if re.fullmatch(r"[\w.₀-₉]+", text) else f"({text})"


def _formula(op: str, args: Sequence[str]) -> str:
    """How ``op`` applied to ``args`` (names or numbers) reads on the page: ``x × w``, ``tanh(n)``, ``x^2``."""
    if op == DOT:
        n = len(args) // 2
        return " + ".join([_grouped(args[-1]), *(f"{_grouped(args[i])}·{_grouped(args[n + i])}" for i in range(n))])
    if isinstance(op, PowConst):
        return f"{_grouped(args[0])}^{op.exponent:g}"
    if op == "neg":
        return f"−{_grouped(args[0])}"
    if op in _INFIX and len(args) == 2:
        return f"{_grouped(args[0])} {_INFIX[op]} {_grouped(args[1])}"
    return f"{op}({', '.join(args)})"


# --- the local rule, as its docstring in micrograd.ops states it -------------------------------


def _rule_text(op: Op) -> tuple[str, dict[str, str]]:
    """The derivative line of an operation's docstring, and its formula for each input name.

    ``Tanh``'s docstring ``tanh x;  ∂/∂x = 1 - tanh²x.`` gives ``("∂/∂x = 1 - tanh²x", {"x": "1 - tanh²x"})``.
    """
    doc = " ".join((type(op).__doc__ or "").split())
    sentences = [part for part in re.split(r"(?<=\.)\s+(?=[A-Z∂])", doc) if "∂/∂" in part]
    if not sentences:
        return "", {}
    text = sentences[0].split(";", 1)[-1].strip().rstrip(".")
    clauses = {}
    for clause in re.split(r",\s*(?=∂/∂)", text):
        match = re.fullmatch(r"∂/∂(\S+) = (.+)", clause.strip())
        if match:
            clauses[match.group(1)] = match.group(2)
    return text, clauses


def _without_remark(formula: str) -> str:
    """A formula without its closing remark in words: ``sign(x) (the subgradient 0 at x = 0)`` → ``sign(x)``."""
    return re.sub(r"\s+\((?=[^()]*[A-Za-z]{2})[^()]*\)$", "", formula)


def _input_names(op: Op, count: int) -> list[tuple[str, dict[str, int]]]:
    """For each input of ``op``: the name its rule uses, and which input each name in the rule stands for."""
    if op == DOT:
        n = count // 2
        return [
            ("wᵢ" if k < n else "xᵢ" if k < 2 * n else "b", {"wᵢ": k % n, "xᵢ": n + k % n, "b": count - 1})
            for k in range(count)
        ]
    if count == 1:
        return [("x", {"x": 0})]
    if count == 2:
        return [("a", {"a": 0, "b": 1}), ("b", {"a": 0, "b": 1})]
    return [("", {}) for _ in range(count)]


def _substitute(formula: str, names: dict[str, str]) -> str:
    """``formula`` with each single-letter input name (``x``, ``wᵢ``) replaced by the node it stands for."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(1)
        if token not in names:
            return token
        before = formula[match.start() - 1] if match.start() > 0 else " "
        follows_function = before.isalpha() or before in "²√"
        return f"({names[token]})" if follows_function else _grouped(names[token])

    return re.sub(r"(?<![A-Za-z])([a-z]ᵢ?)(?![A-Za-z])", replace, formula)


# --- recording a graph --------------------------------------------------------------------------


def _is_number(text: str, value: float) -> bool:
    """Whether ``text`` is a plain number equal to ``value`` (so writing the value again adds nothing)."""
    try:
        return float(text) == value
    except ValueError:
        return False


def _names(nodes: list[Value]) -> dict[Value, str]:
    """What the page calls each node: its label, a constant's value, n₁, n₂, … for unlabelled results,
    and ``o`` (as in the lecture) for an unlabelled output."""
    names: dict[Value, str] = {}
    count = 0
    root = nodes[-1]
    if not root.label:
        taken = {node.label for node in nodes}
        names[root] = next(name for name in ("o", "out", "output", "result") if name not in taken)
    for node in nodes:
        if node in names:
            continue
        if node.label:
            names[node] = node.label
        elif not node._prev:
            names[node] = f"{node.data:g}"
        else:
            count += 1
            names[node] = f"n{count}".translate(_SUBSCRIPTS)
    return names


def _excerpt(root: Value, limit: int) -> tuple[Value, int]:
    """The part of ``root``'s graph nearest the output, at most ``limit`` Values, as a graph of its own.

    Nodes are taken breadth-first back from the output; a taken node whose inputs are not
    all taken becomes an input (a leaf with the same data and label). Returns the new root
    and the number of Values in the whole graph.
    """
    total = len(topological_order(root))
    kept: list[Value] = [root]
    seen = {root}
    for node in kept:
        if len(kept) >= limit:
            break
        for parent in node._prev:
            if parent not in seen and len(kept) < limit:
                seen.add(parent)
                kept.append(parent)
    copies: dict[Value, Value] = {}
    for node in topological_order(root):
        if node not in seen:
            continue
        if node._prev and all(parent in seen for parent in node._prev):
            copy = Value(node.data, tuple(copies[parent] for parent in node._prev), node._op, label=node.label)
        else:
            copy = Value(node.data, label=node.label or f"{node.data:g}")
        copies[node] = copy
    return copies[root], total


def record_graph(root: Value, *, title: str = "", max_values: int = MAX_VALUES, layout: bool = True) -> dict[str, Any]:
    """Run ``root.backward()`` and record the forward and backward pass for the explorer page.

    Leaves' grads are zeroed first, so the page shows one pass. Every backward step is the
    engine's own: each node hands ``grad · ∂node/∂parent`` to its parents, computed by its
    operation's rule, in the order ``backward()`` uses; the recorded totals are checked to be
    exactly the grads ``backward()`` leaves. A graph of more than ``max_values`` Values is cut
    to the part nearest the output (see the recording's ``note``). ``layout=False`` skips
    Graphviz (the recording then has no positions and cannot be rendered).
    """
    if not isinstance(root, Value):
        raise TypeError(f"record_graph expects a Value, got {type(root).__name__}")
    if isinstance(max_values, bool) or not isinstance(max_values, int) or max_values < 1:
        raise ValueError(f"max_values must be a positive int, got {max_values!r}")
    note = ""
    order = topological_order(root)
    if len(order) > max_values:
        root, total = _excerpt(root, max_values)
        order = topological_order(root)
        note = (
            f"This graph has {total:,} values, more than the {max_values} that can be followed on one page: "
            f"shown here are the {len(order)} nearest the output, with the values that feed them taken as inputs "
            "(their gradients are those of this part)."
        )
    for node in order:
        node.grad = 0.0
    ids = {node: f"v{i}" for i, node in enumerate(order)}
    names = _names(order)

    forward = []
    for node in order:
        if node._prev:
            symbolic = _formula(node._op, [names[p] for p in node._prev])
            numeric = _formula(node._op, [_number(p.data) for p in node._prev])
            text = f"{names[node]} = {symbolic} = {numeric} = {_number(node.data)}"
        else:
            text = f"{names[node]} = {_number(node.data)}" + (" (an input)" if node.label else " (a constant)")
        forward.append({"node": ids[node], "text": text})

    grads = {node: 0.0 for node in order}
    grads[root] = 1.0
    backward: list[dict[str, Any]] = [
        {
            "node": ids[root],
            "seed": True,
            "text": f"{names[root]}.grad = 1: the output's derivative with respect to itself, ∂{names[root]}/∂"
            f"{names[root]} = 1. Every other grad starts at 0.",
            "updates": [{"node": ids[root], "grad": 1.0, "text": _number(1.0)}],
        }
    ]
    for node in reversed(order):
        if not node._prev:
            continue
        g = grads[node]
        xs = [p.data for p in node._prev]
        local = node._op.backward(FloatMath, 1.0, node.data, *xs)  # type: ignore[attr-defined]
        pushed = node._op.backward(FloatMath, g, node.data, *xs)  # type: ignore[attr-defined]
        rule, clauses = _rule_text(node._op)  # type: ignore[arg-type]
        terms, updates = [], []
        for parent, (input_name, meaning), d, contribution in zip(
            node._prev, _input_names(node._op, len(xs)), local, pushed  # type: ignore[arg-type]
        ):
            stands_for = {name: names[node._prev[k]] for name, k in meaning.items()}
            if isinstance(node._op, PowConst):
                stands_for["c"] = f"{node._op.exponent:g}"
            derivative = f"∂{names[node]}/∂{names[parent]}"
            if input_name in clauses:
                derivative += f" = {_substitute(_without_remark(clauses[input_name]), stands_for)}"
            if not _is_number(derivative.rsplit(" = ", 1)[-1], d):
                derivative += f" = {_number(d)}"
            before = grads[parent]
            grads[parent] = before + contribution
            terms.append(
                {
                    "parent": ids[parent],
                    "derivative": derivative,
                    "update": f"{names[parent]}.grad += {names[node]}.grad × ∂{names[node]}/∂{names[parent]}"
                    f" = {_grouped(_number(g))} × {_grouped(_number(d))} = {_number(contribution)}",
                    "total": f"{names[parent]}.grad: {_number(before)} → {_number(grads[parent])}",
                }
            )
            updates.append({"node": ids[parent], "grad": _json_number(grads[parent]), "text": _number(grads[parent])})
        backward.append(
            {
                "node": ids[node],
                "text": f"{names[node]} = {_formula(node._op, [names[p] for p in node._prev])},"
                f"  {names[node]}.grad = {_number(g)}",
                "rule": f"{_formula(node._op, _rule_arguments(node._op, len(xs)))}:  {rule}" if rule else "",
                "terms": terms,
                "updates": updates,
            }
        )

    root.backward()
    for node in order:
        if not (node.grad == grads[node] or (math.isnan(node.grad) and math.isnan(grads[node]))):
            raise RuntimeError(
                f"the recorded backward pass gives {names[node]}.grad = {grads[node]!r} but backward() gives "
                f"{node.grad!r}: the recording no longer follows the engine"
            )

    recording: dict[str, Any] = {
        "kind": "graph",
        "title": title,
        "note": note,
        "nodes": [
            {
                "id": ids[node],
                "name": names[node],
                "op": str(node._op) if node._prev else "",
                "op_text": _op_label(node._op) if node._prev else "",
                "parents": [ids[p] for p in node._prev],
                "data": _json_number(node.data),
                "data_text": _number(node.data),
                "grad": _json_number(node.grad),
                "grad_text": _number(node.grad),
            }
            for node in order
        ],
        "forward": forward,
        "backward": backward,
    }
    if layout:
        recording["layout"] = _layout(recording["nodes"])
    return recording


def _rule_arguments(op: Any, count: int) -> list[str]:
    """The generic input names a rule is written with: ``x``; ``a, b``; ``w₁ … x₁ … b``."""
    if op == DOT:
        n = count // 2
        return [f"w{i + 1}".translate(_SUBSCRIPTS) for i in range(n)] + [
            f"x{i + 1}".translate(_SUBSCRIPTS) for i in range(n)
        ] + ["b"]
    return ["x"] if count == 1 else ["a", "b"] if count == 2 else [f"x{i + 1}" for i in range(count)]


def _op_label(op: str) -> str:
    if op == DOT:
        return "w·x + b"
    if isinstance(op, PowConst):
        return f"^{op.exponent:g}"
    return _INFIX.get(op, op)


# --- layout with Graphviz ---------------------------------------------------------------------


def _layout(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    """Positions (points, y down) for each value box and operation ellipse, and each edge's Bézier path.

    A value used at many depths is laid out again beside each later use, as ``draw_dot`` draws it
    (:data:`micrograd.viz.MAX_USE_DEPTHS`): ``copies`` lists each such value's extra boxes, and an
    edge's ``box`` is the box it leaves from (``from`` stays the value).
    """
    from micrograd.viz import repeated_uses

    if shutil.which("dot") is None:
        raise RuntimeError(_INSTALL_DOT)
    repeated = repeated_uses([(node["id"], node["parents"]) for node in nodes])
    copies: dict[str, list[str]] = {}
    lines = ["digraph explorer {", 'rankdir=LR; nodesep=0.25; ranksep=0.45; node [fontname="Helvetica"];']
    boxes = {}
    for node in nodes:
        chars = max(len(node["name"]), len(node["data_text"]) + 5, len(node["grad_text"]) + 5, 11)
        boxes[node["id"]] = f"shape=box, fixedsize=true, width={0.3 + 0.13 * chars:.2f}, height=0.95, label=\"\""
        lines.append(f'{node["id"]} [{boxes[node["id"]]}];')
        if node["parents"]:
            op_width = max(0.55, 0.3 + 0.11 * len(node["op_text"]))
            lines.append(
                f'{node["id"]}_op [shape=ellipse, fixedsize=true, width={op_width:.2f}, height=0.42, label=""];'
            )
            lines.append(f'{node["id"]}_op -> {node["id"]};')
            for position, parent in enumerate(node["parents"]):
                tail = parent
                if (node["id"], position) in repeated:
                    tail = f'{node["id"]}_op_{position}'
                    copies.setdefault(parent, []).append(tail)
                    lines.append(f"{tail} [{boxes[parent]}];")
                lines.append(f'{tail} -> {node["id"]}_op;')
    lines.append("}")
    try:
        done = subprocess.run(
            ["dot", "-Tjson0"], input="\n".join(lines), capture_output=True, text=True, timeout=LAYOUT_TIMEOUT
        )
    except FileNotFoundError:
        raise RuntimeError(_INSTALL_DOT) from None
    except subprocess.TimeoutExpired:
        raise RuntimeError(
            f"Graphviz's dot took more than {LAYOUT_TIMEOUT} s to lay out the graph of {len(nodes)} values: "
            "explore a shorter expression"
        ) from None
    if done.returncode != 0:
        raise RuntimeError(f"Graphviz's dot failed to lay out the graph: {done.stderr.strip()[-300:]}")
    graph = json.loads(done.stdout)
    _, _, width, height = (float(v) for v in graph["bb"].split(","))

    def point(text: str) -> list[float]:
        x, y = text.split(",")
        return [round(float(x), 2), round(height - float(y), 2)]

    original = {copy: value for value, its_copies in copies.items() for copy in its_copies}
    positions = {}
    names = []
    for obj in graph.get("objects", []):
        names.append(obj["name"])
        x, y = point(obj["pos"])
        positions[obj["name"]] = {
            "x": x,
            "y": y,
            "w": round(float(obj["width"]) * 72, 2),
            "h": round(float(obj["height"]) * 72, 2),
        }
    edges = []
    for edge in graph.get("edges", []):
        parts = edge["pos"].split()
        end = point(parts[0][2:]) if parts[0].startswith("e,") else None
        path = [point(p) for p in parts if not p.startswith(("e,", "s,"))]
        tail = names[edge["tail"]]
        edges.append(
            {"from": original.get(tail, tail), "box": tail, "to": names[edge["head"]], "path": path, "end": end}
        )
    return {
        "width": round(width, 2),
        "height": round(height, 2),
        "boxes": positions,
        "copies": copies,
        "edges": edges,
    }


# --- recording a training run -----------------------------------------------------------------


def _classes(output: float | Sequence[float]) -> tuple[int, float]:
    """Predicted class and confidence (0 at the boundary, 1 far from it) of one output, as accuracy() decides."""
    if isinstance(output, (list, tuple)):
        scores = sorted(output, reverse=True)
        best = max(range(len(output)), key=lambda k: output[k])
        return best, min(1.0, scores[0] - scores[1]) if len(scores) > 1 else 1.0
    return int(output > 0.0), min(1.0, abs(output))


def _lattice(extent: tuple[float, float, float, float], size: int) -> list[list[float]]:
    """The centres of a ``size × size`` lattice over ``extent``, row by row from the top."""
    x0, x1, y0, y1 = extent
    return [
        [x0 + (col + 0.5) * (x1 - x0) / size, y1 - (row + 0.5) * (y1 - y0) / size]
        for row in range(size)
        for col in range(size)
    ]


def _grid(outputs: Sequence[Any]) -> tuple[str, str]:
    """The model's class (a digit) and confidence (0-9) at each lattice point, from its outputs there."""
    classes, strengths = [], []
    for output in outputs:
        cls, strength = _classes(output)
        classes.append(str(cls))
        strengths.append(str(min(9, int(strength * 9.999))))
    return "".join(classes), "".join(strengths)


def _check_training_demo(name: Any) -> Any:
    """The demo called ``name``, if it is a 2-D classifier (the ones whose boundary can be drawn)."""
    from micrograd.demos import DEMOS

    two_d = [d.name for d in DEMOS.values() if d.kind == "classifier" and d.nin == 2]
    if name not in two_d:
        known = "unknown demo" if name not in DEMOS else "the training view needs a 2-D classifier demo, not"
        raise ValueError(f"{known} {name!r}: choose one of {', '.join(two_d)}")
    return DEMOS[name]


def record_training(
    name: str = "moons",
    *,
    epochs: int | None = None,
    lr: float | None = None,
    seed: int | None = None,
    snapshots: int = 16,
    grid: int = 48,
    max_values: int = MAX_VALUES,
    verbose: bool = False,
) -> dict[str, Any]:
    """Train a 2-D classifier demo exactly as ``micrograd demo`` does, recording its decision boundary.

    The boundary (the model's class on a ``grid × grid`` lattice, computed by generated code
    as in training) and the loss and accuracy on the whole data set are recorded before
    training and after ``snapshots - 1`` evenly spaced epochs; the loss and accuracy of every
    step come from the training history. A full-batch demo's snapshot shows the history's own
    number for its step, so the page's text and its chart cannot disagree. The
    recording also holds one neuron's graph (the first of the first layer, trained, on the
    first sample), written out as the lecture's chain of ``*`` and ``+``, to step through.
    """
    from micrograd.compile import compile as compile_function
    from micrograd.demos import run_demo
    from micrograd.nn import Neuron
    from micrograd.train import evaluate

    demo = _check_training_demo(name)
    for option, value, low in (("snapshots", snapshots, 2), ("grid", grid, 4)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{option} must be an int >= {low}, got {value!r}")
    epochs = demo.epochs if epochs is None else epochs
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    lr = demo.lr if lr is None else lr

    X, y = demo.data()
    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    pad_x, pad_y = 0.1 * (max(xs) - min(xs)) + 0.1, 0.1 * (max(ys) - min(ys)) + 0.1
    extent = (min(xs) - pad_x, max(xs) + pad_x, min(ys) - pad_y, max(ys) + pad_y)
    lattice = _lattice(extent, grid)
    chosen = sorted({round(k * epochs / (snapshots - 1)) for k in range(snapshots)})
    taken: list[dict[str, Any]] = []
    boundary: Any = None
    full_batch = demo.batch_size is None

    def snapshot(epoch: int, steps: int, model: Any) -> None:
        nonlocal boundary
        if epoch not in chosen:
            return
        if boundary is None:  # the model on the whole lattice as generated code; it reads the parameters at each call
            boundary = compile_function(model)
        classes, strength = _grid(boundary(lattice, reduction="none"))
        taken.append({"epoch": epoch, "step": steps, "classes": classes, "strength": strength})
        if not full_batch:  # the history holds mini-batch losses only: measure the whole data set now
            result = evaluate(model, X, y, demo.loss, demo.l2, with_accuracy=True)
            taken[-1].update(loss=result.loss, accuracy=result.accuracy)

    run = run_demo(demo.name, epochs=epochs, lr=lr, seed=seed, out=None, verbose=verbose, on_epoch=snapshot)
    model, history = run.model, run.history
    for shot in taken:
        if full_batch:
            # A full-batch step measures the whole data set before its update: the snapshot after k steps
            # shows history entry k, the very number on the chart; after the last step, the final
            # evaluation that `micrograd demo` prints.
            last = shot["step"] >= len(history.loss)
            shot["loss"] = run.final.loss if last else history.loss[shot["step"]]
            shot["accuracy"] = run.final.accuracy if last else history.accuracy[shot["step"]]
        loss, acc = shot["loss"], shot["accuracy"]
        shot.update(loss=_json_number(loss), accuracy=acc,
                    text=f"epoch {shot['epoch']}: loss {loss:.4f}, accuracy {acc:.0%}")

    source = model.layers[0].neurons[0]
    neuron = Neuron(demo.nin, activation=source.activation, fused=False)
    neuron.load_state_dict(source.state_dict())
    for k, weight in enumerate(neuron.w):
        weight.label = f"w{k + 1}".translate(_SUBSCRIPTS)
    neuron.b.label = "b"
    inputs = [Value(v, label=f"x{k + 1}".translate(_SUBSCRIPTS)) for k, v in enumerate(X[0])]
    out = neuron(inputs)
    out.label = "h"
    output = model(X[0])
    sample_values = len(topological_order(output if isinstance(output, list) else [output]))
    graph = record_graph(
        out,
        title=f"one neuron: h = {source.activation}(w₁·x₁ + w₂·x₂ + b), trained, on the first sample",
        max_values=max_values,
    )
    graph["note"] = (
        f"The whole network's output for one sample is a graph of {sample_values:,} values (the loss over all "
        f"{len(X)} samples many times more), too many to follow: here is one neuron of its first layer."
    )
    labels = [int(t > 0.5) if len(demo.nouts) and demo.nouts[-1] == 1 else int(t) for t in y]
    sizes = "-".join(map(str, (demo.nin, *demo.nouts)))
    return {
        "kind": "training",
        "title": f"micrograd explorer: {demo.name}",
        "training": {
            "demo": demo.name,
            "description": demo.describe(epochs, lr, len(X)),
            "model": f"MLP {sizes}",
            "extent": list(extent),
            "grid": grid,
            "classes": demo.nouts[-1] if demo.nouts[-1] > 1 else 2,
            "points": [[round(p[0], 5), round(p[1], 5), c] for p, c in zip(X, labels)],
            "loss": [_json_number(v) for v in history.loss],
            "accuracy": list(history.accuracy),
            "snapshots": taken,
            "stop_reason": history.stop_reason,
        },
        "graph": graph,
    }


# --- the page ---------------------------------------------------------------------------------


def _page_file(name: str) -> str:
    return (resources.files("micrograd") / _PAGE / name).read_text(encoding="utf-8")


def render_page(recording: dict[str, Any]) -> str:
    """The explorer as one HTML document: the template, its style and script, and the recording as JSON.

    Nothing is loaded from anywhere else, so the file works from ``file://`` and offline.
    """
    if not isinstance(recording, dict) or recording.get("kind") not in ("graph", "training"):
        raise ValueError("render_page expects a recording from record_graph() or record_training()")
    graph = recording if recording["kind"] == "graph" else recording["graph"]
    if "layout" not in graph:
        raise ValueError("this recording has no layout (it was made with layout=False), so it cannot be drawn")
    data = json.dumps(recording, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    data = data.replace("<", "\\u003c")  # no "</script>" or "<!--" can end the data early
    title = recording.get("title") or "micrograd explorer"
    page = _page_file("explorer.html")
    for marker, content in (
        ("/*STYLE*/", _page_file("explorer.css")),
        ("/*SCRIPT*/", _page_file("explorer.js")),
        ("/*RECORDING*/", data),
        ("<!--TITLE-->", html.escape(title)),
    ):
        if marker not in page:
            raise RuntimeError(f"the explorer page template has lost its {marker} marker")
        page = page.replace(marker, content, 1)
    return page


def write_page(recording: dict[str, Any], path: str | Path = DEFAULT_OUTPUT) -> Path:
    """Write the page for ``recording`` to ``path`` (its directory is created); returns the path."""
    path = Path(path)
    page = render_page(recording)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


class _PageHandler(http.server.BaseHTTPRequestHandler):
    """Serves one page at ``/`` (and under its file name); everything else is 404."""

    page: bytes = b""
    name: str = "explore.html"

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        if self.path.split("?")[0] not in ("/", "/" + self.name):
            self.send_error(404, "only the explorer page is served here")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def start_server(path: str | Path, port: int = 0) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve the page at ``path`` on 127.0.0.1 (``port=0``: a free port) in a background thread.

    Returns the server (call ``shutdown()`` to stop it) and its address.
    """
    path = Path(path)
    handler = type("Handler", (_PageHandler,), {"page": path.read_bytes(), "name": path.name})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


# --- micrograd explore ------------------------------------------------------------------------


def add_explore_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``micrograd explore EXPR --set x=2 ...`` / ``micrograd explore --demo moons`` to argparse subparsers."""
    from micrograd.cli import positive_int
    from micrograd.demos import DEMOS
    from micrograd.expression import add_assignments_argument

    demos = [d.name for d in DEMOS.values() if d.kind == "classifier" and d.nin == 2]
    parser = subparsers.add_parser(
        "explore",
        help="step through backpropagation (or a training run) in the browser",
        description=(
            "Write one self-contained HTML page to step through the forward and backward pass of an "
            "expression, node by node, with each local rule and its numbers; or, with --demo, to watch a "
            "2-D classifier's decision boundary during training. Every number on the page comes from "
            "micrograd's own run. Keys on the page: → next step, ← previous step, space play/pause."
        ),
    )
    parser.add_argument("expression", nargs="?", help="e.g. 'tanh(x*w + b)' (not with --demo)")
    add_assignments_argument(parser)
    parser.add_argument("--demo", metavar="NAME", help=f"a 2-D classifier demo to train and show: {', '.join(demos)}")
    parser.add_argument("--epochs", type=positive_int, help="with --demo: number of epochs (default: the demo's)")
    parser.add_argument(
        "--snapshots", type=positive_int, default=16, help="with --demo: how many boundaries to record (default: 16)"
    )
    parser.add_argument(
        "-o", "--output", default=str(DEFAULT_OUTPUT), help=f"the page to write (default: {DEFAULT_OUTPUT})"
    )
    parser.add_argument("--serve", action="store_true", help="also serve the page on 127.0.0.1 until Ctrl-C")
    parser.add_argument("--port", type=int, help="with --serve: the port (default: any free port)")
    parser.set_defaults(run=run_explore_command)
    return parser


def run_explore_command(args: Any) -> int:
    """Record, write the page, and serve it if asked. Expected failures are one line on stderr and status 2;
    a page that cannot be written raises ``OSError``, which the program reports in one line with status 3."""
    from micrograd.expression import evaluate, parse_assignments

    try:
        if args.port is not None and not args.serve:
            raise ValueError("--port applies only with --serve")
        if not 0 <= (args.port or 0) <= 65535:
            raise ValueError(f"--port must be between 0 and 65535, got {args.port}")
        if args.demo is not None:
            if args.expression is not None or args.assignments:
                raise ValueError("give either an expression (with --set) or --demo, not both")
            _check_training_demo(args.demo)
            if args.snapshots < 2:
                raise ValueError(f"--snapshots must be at least 2 (before and after training), got {args.snapshots}")
            print(f"training {args.demo} and recording its decision boundary ...", file=sys.stderr, flush=True)
            recording = record_training(args.demo, epochs=args.epochs, snapshots=args.snapshots, verbose=True)
            summary = recording["training"]["snapshots"][-1]["text"]
        else:
            if args.expression is None:
                raise ValueError("give an expression to explore, e.g. 'tanh(x*w + b)' --set x=2 w=-3 b=6.88, or --demo")
            if args.epochs is not None:
                raise ValueError("--epochs applies only with --demo")
            variables = parse_assignments(args.assignments)
            root = evaluate(args.expression, variables)
            recording = record_graph(root, title=" ".join(args.expression.split()))
            summary = f"{recording['title']} = {root.data:.10g}"
        try:
            path = write_page(recording, args.output)
        except OSError as e:  # reported by the program, with its own exit code
            raise OSError(f"cannot write {args.output}: {e.strerror or e}") from None
    except (ValueError, TypeError, ImportError, RuntimeError) as e:
        print(f"micrograd: error: {e}", file=sys.stderr)
        return 2
    print(summary)
    print(f"wrote {path} (open it in a browser: {path.resolve().as_uri()})", flush=True)
    if not args.serve:
        return 0
    try:
        server, address = start_server(path, args.port or 0)
    except OSError as e:
        print(f"micrograd: error: cannot serve on 127.0.0.1:{args.port or 0}: {e.strerror or e}", file=sys.stderr)
        return 2
    print(f"serving the explorer at {address} (Ctrl-C stops)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
    return 0
