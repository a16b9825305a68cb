"""Drawing Tensor graphs: each tensor's op, shape and numbers are the engine's; broadcasting is a node."""

from __future__ import annotations

import html
import re
import shutil

import pytest

pytest.importorskip("numpy", reason='tensors need NumPy: pip install "micrograd[numpy]"')
pytest.importorskip("graphviz", reason='drawing needs the graphviz package: pip install "micrograd[viz]"')

from micrograd.apps.expression import ExpressionError  # noqa: E402
from micrograd.apps.tensor_expression import evaluate_tensor, parse_array_assignments  # noqa: E402
from micrograd.apps.tensorviz import SHOW_VALUES_UP_TO, keep_grads, tensor_order  # noqa: E402
from micrograd.apps.viz import draw_dot, save_graph  # noqa: E402
from micrograd.engine import Value  # noqa: E402
from micrograd.tensor import Tensor  # noqa: E402

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

NODE = re.compile(r"^\t(\w+) \[label=(<<TABLE.*</TABLE>>|\"(?:[^\"\\]|\\.)*\"|\S+)(.*)\]$")
EDGE = re.compile(r"^\t(\w+) -> (\w+)")


def number(x: float) -> str:
    return f"{x:.4f}"


def parse(drawing):
    """{id: (label, attributes)} and [(tail, head)] of a drawing's DOT source."""
    nodes, edges = {}, []
    for line in drawing.source.splitlines():
        if m := NODE.match(line):
            nodes[m[1]] = (m[2], m[3])
        elif m := EDGE.match(line):
            edges.append((m[1], m[2]))
    return nodes, edges


def table(label: str) -> dict:
    """A tensor box's header and its data and grad cells, as the drawing writes them."""
    rows = re.findall(r"<TR>(.*?)</TR>", label)
    header = html.unescape(re.sub(r"<[^>]+>", "", rows[0])).strip()
    cells: dict[str, list[str]] = {"data": [], "grad": []}
    kind = None
    for row in rows[1:]:
        if m := re.search(r"<I>(\w+)</I>", row):
            kind = m[1]
            row = row[m.end():]
        cells[kind] += [html.unescape(c) for c in re.findall(r"<TD[^>]*>([^<]*)</TD>", row)]
    return {"header": header, **cells}


def small_graph():
    variables = parse_array_assignments(["W=[[1,2],[3,4]]", "x=[1,-1]", "b=[0.5,-2]"])
    root, leaves = evaluate_tensor("(2 * (W @ x) + b).tanh().sum()", variables)
    keep_grads(root)
    root.backward()
    return root, leaves


def test_each_tensor_shows_its_op_shape_values_and_grad_as_the_engine_has_them():
    root, leaves = small_graph()
    drawing = draw_dot(root, names=leaves)
    nodes, edges = parse(drawing)
    order = tensor_order([root])
    assert len([n for n in nodes if re.fullmatch(r"t\d+", n)]) == len(order)
    for i, tensor in enumerate(order):
        box = table(nodes[f"t{i}"][0])
        name = next((n for n, t in leaves.items() if t is tensor), "")
        assert box["header"] == (f"{name}  {tuple(tensor.shape)}" if name else str(tuple(tensor.shape)))
        assert box["data"] == [number(x) for x in tensor.data.reshape(-1)]
        if tensor.requires_grad:
            assert box["grad"] == [number(x) for x in tensor.grad.reshape(-1)]
        else:
            assert box["grad"] == ["none (a constant)"]
        if tensor._prev:
            op_label = nodes[f"t{i}_op"][0].strip('"')
            assert (f"t{i}_op", f"t{i}") in edges
            expected = {"@": "@", "tanh": "tanh", "sum": "sum", "+": "+", "*": "*"}.get(str(tensor._op))
            if expected:
                assert op_label == expected
            elif tensor._op == "reshape":
                assert op_label == f"reshape {tensor._prev[0].shape}→{tensor.shape}".replace("'", "")
    # b (2,) is added to a (2,) vector: no broadcast; the constant 2 () is broadcast inside * to (2,)
    labels = [label.strip('"') for label, _ in nodes.values() if not label.startswith("<")]
    assert "broadcast ()→(2,)" in labels
    implicit = next(i for i, (label, attrs) in nodes.items() if label.strip('"') == "broadcast ()→(2,)")
    assert "dashed" in nodes[implicit][1]


def test_a_recorded_broadcast_is_a_node_whose_input_grad_is_the_summed_back_one():
    variables = parse_array_assignments(["W=[[1,2,3],[4,5,6]]", "b=[0.5,-1,2]"])
    root, leaves = evaluate_tensor("((W + b) * W).sum()", variables)
    keep_grads(root)
    root.backward()
    nodes, edges = parse(draw_dot(root, names=leaves))
    order = tensor_order([root])
    expand = next(i for i, t in enumerate(order) if t._op == "expand")
    label = nodes[f"t{expand}_op"][0]
    assert label == '"broadcast (3,)→(2, 3)\\n(grad: sum over axis 0)"'
    b_id = next(f"t{i}" for i, t in enumerate(order) if t is leaves["b"])
    assert (b_id, f"t{expand}_op") in edges and (f"t{expand}_op", f"t{expand}") in edges
    summed = order[expand].grad.sum(axis=0)
    assert table(nodes[b_id][0])["grad"] == [number(x) for x in summed]
    assert list(leaves["b"].grad) == list(summed)  # the engine's b.grad is that sum


def test_a_large_tensor_shows_min_max_mean_of_its_data_and_grad():
    import numpy as np

    data = np.random.default_rng(0).normal(size=(4, 5))
    A = Tensor(data, requires_grad=True)
    c = Tensor(np.linspace(-1, 1, 5), requires_grad=True)
    loss = ((A * c).tanh() * 3).mean()
    keep_grads(loss)
    loss.backward()
    nodes, _ = parse(draw_dot(loss, names={"A": A, "c": c}))
    order = tensor_order([loss])
    for i, tensor in enumerate(order):
        box = table(nodes[f"t{i}"][0])
        if tensor.data.size <= SHOW_VALUES_UP_TO:
            continue
        d, g = tensor.data, tensor.grad
        assert box["data"] == [f"min {number(d.min())}", f"max {number(d.max())}", f"mean {number(d.mean())}"]
        assert box["grad"] == [f"min {number(g.min())}", f"max {number(g.max())}", f"mean {number(g.mean())}"]
    assert table(nodes[f"t{next(i for i, t in enumerate(order) if t is A)}"][0])["header"] == "A  (4, 5)"


def test_grads_that_were_not_kept_say_so():
    W = Tensor([[1.0, 2.0]], requires_grad=True)
    out = (W * W).sum()
    out.backward()
    nodes, _ = parse(draw_dot(out))
    assert table(nodes["t1"][0])["grad"] == ["not kept (see keep_grads)"]
    assert table(nodes["t0"][0])["grad"] == [number(2.0), number(4.0)]


def test_tensor_drawing_arguments_are_checked():
    W = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="color_by_grad=True draws Value graphs"):
        draw_dot(W * 2, color_by_grad=True)
    with pytest.raises(ValueError, match="rankdir must be one of"):
        draw_dot(W * 2, rankdir="XY")
    with pytest.raises(TypeError, match="names maps names"):
        draw_dot(W * 2, names={"W": 1.0})
    with pytest.raises(TypeError, match="names labels the tensors"):
        draw_dot(Value(1.0), names={"W": W})


@needs_dot
def test_tensor_graphs_render_and_save(tmp_path):
    root, leaves = small_graph()
    png = save_graph(root, tmp_path / "t.png", names=leaves)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = save_graph(draw_dot(root, names=leaves), tmp_path / "t.svg").read_text()
    assert "broadcast ()→(2,)" in svg and "&#45;2.0000" in svg


# --- the catalogue rows (docs/errors.md, "tensor drawings and the explorer") --------------


def _record(output):
    from micrograd.apps.explore.tensor_record import record_tensor_graph

    return record_tensor_graph(output, layout=False)


def _leaf(*shape):
    import numpy as np

    return Tensor(np.ones(shape), requires_grad=True)


CATALOGUE = [
    ("draw a tensor with color_by_grad", lambda: draw_dot(_leaf(2) * 2, color_by_grad=True), ValueError,
     "color_by_grad=True draws Value graphs: a tensor's box shows its grad's numbers instead"),
    ("draw a Value with names", lambda: draw_dot(Value(1.0), names={"W": _leaf(1)}), TypeError,
     "names labels the tensors of a Tensor graph; a Value carries its own label"),
    ("names that map to a number", lambda: draw_dot(_leaf(1) * 2, names={"W": 1.0}), TypeError,
     "names maps names (str) to Tensors of the graph, got 'W': float"),
    ("record a tensor of shape (2, 2) as the output", lambda: _record(_leaf(2, 2) * 2), ExpressionError,
     "the result has shape (2, 2): backpropagation starts from one number; end the expression with .sum() or .mean()"),
    ("record a graph holding a (7, 2) tensor", lambda: _record(_leaf(7, 2).sum()), ValueError,
     "c₁ has shape (7, 2): the explorer shows arrays of at most 2 dims and 6 × 6 numbers"),
    ("record a number", lambda: _record(1.0), TypeError, "record_tensor_graph expects a Tensor, got float"),
]


@pytest.mark.parametrize(("call", "error", "message"), [c[1:] for c in CATALOGUE], ids=[c[0] for c in CATALOGUE])
def test_catalogue(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message


def test_every_case_is_a_row_of_the_catalogue_page():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "errors.md").read_text(encoding="utf-8")
    section = page.split("### tensor drawings and the explorer", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    rows = re.findall(r"^\| (.+?) \| `(\w+)` \| `(.+)` \|$", section, flags=re.M)
    assert rows == [(what, error.__name__, message) for what, _, error, message in CATALOGUE]
