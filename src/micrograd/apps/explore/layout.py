"""Where the explorer page draws each value, operation and edge: a layout by Graphviz's ``dot``."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from micrograd.apps.formatting import dot_not_found
from micrograd.apps.viz import repeated_uses

__all__ = ["LAYOUT_TIMEOUT", "layout"]

LAYOUT_TIMEOUT = 60
"""Seconds Graphviz's ``dot`` may take to lay out a page's graph before the explorer gives up
(a graph of at most :data:`~micrograd.apps.explore.MAX_VALUES` values takes a few seconds)."""

_INSTALL_DOT = dot_not_found("lay out the explorer's graph")


TABLE = {"header": 26, "row": 20, "label": 44, "gap": 8, "pad": 6, "char": 8.2}
"""A tensor's box on the page, in points: its header (name and shape), a row of its tables, the column
naming them (data, grad), the space between the two tables, the padding, and the width of a digit;
the page's script draws the tables with the same numbers (``TABLE`` in explorer.js)."""


def table_box(node: dict[str, Any]) -> tuple[float, float]:
    """The width and height (inches) of a tensor's box: its data and grad tables under a header."""
    rows, cols = len(node["data_text"]), len(node["data_text"][0])
    texts = [t for table in (node["data_text"], node["grad_text"] or []) for row in table for t in row]
    cell = TABLE["char"] * max(len(t) for t in texts) + 2 * TABLE["pad"]
    header = TABLE["char"] * (len(node["name"]) + len(node["shape_text"]) + 3) + 2 * TABLE["pad"]
    width = max(TABLE["label"] + cols * cell + TABLE["pad"], header)
    height = TABLE["header"] + 2 * rows * TABLE["row"] + TABLE["gap"] + TABLE["pad"]
    return width / 72, height / 72


def layout(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    """Positions (points, y down) for each value box and operation ellipse, and each edge's Bézier path.

    A value used at many depths is laid out again beside each later use, as ``draw_dot`` draws it
    (:data:`micrograd.apps.viz.MAX_USE_DEPTHS`): ``copies`` lists each such value's extra boxes, and an
    edge's ``box`` is the box it leaves from (``from`` stays the value).
    """
    if shutil.which("dot") is None:
        raise RuntimeError(_INSTALL_DOT)
    repeated = repeated_uses([(node["id"], node["parents"]) for node in nodes])
    copies: dict[str, list[str]] = {}
    lines = ["digraph explorer {", 'rankdir=LR; nodesep=0.25; ranksep=0.45; node [fontname="Helvetica"];']
    boxes = {}
    for node in nodes:
        if "shape" in node:
            width, height = table_box(node)
            boxes[node["id"]] = f"shape=box, fixedsize=true, width={width:.2f}, height={height:.2f}, label=\"\""
        else:
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
