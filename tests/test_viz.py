"""Drawing graphs: what the picture says (labels, numbers, nodes, edges), saving it, and clear errors."""

from __future__ import annotations

import random
import re
import shutil
import sys

import pytest

from micrograd import MLP, Neuron, Value, grad
from micrograd.viz import GraphTooLargeError, GraphvizNotFoundError, draw_dot, save_graph

pytest.importorskip("graphviz", reason='drawing needs the graphviz package: pip install "micrograd[viz]"')
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot program is not installed: apt-get install graphviz"
)

NODE = re.compile(r'^\t(\w+) \[label=("(?:[^"\\]|\\.)*"|\S+)(.*)\]$')
EDGE = re.compile(r"^\t(\w+) -> (\w+)(?: \[(.*)\])?$")


def parse(drawing):
    """The drawing's nodes {id: (label, attributes)} and edges [(tail, head, attributes)], in order."""
    nodes, edges = {}, []
    for line in drawing.source.splitlines():
        if m := NODE.match(line):
            nodes[m[1]] = (m[2].strip('"'), m[3])
        elif m := EDGE.match(line):
            edges.append((m[1], m[2], m[3] or ""))
    return nodes, edges


def records(nodes, with_attributes=False):
    found = [(label, attrs) for label, attrs in nodes.values() if "shape=record" in attrs]
    return found if with_attributes else [label for label, _ in found]


def ops(nodes):
    return [label for label, attrs in nodes.values() if "shape=ellipse" in attrs]


def lecture_neuron():
    """The lecture's neuron: o = tanh(x1*w1 + x2*w2 + b), built op by op."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def test_lecture_neuron_records_show_label_data_and_grad():
    nodes, edges = parse(draw_dot(lecture_neuron()))
    assert sorted(records(nodes)) == sorted(
        [
            "{ x1 | data 2.0000 | grad -1.5000 }",
            "{ w1 | data -3.0000 | grad 1.0000 }",
            "{ x2 | data 0.0000 | grad 0.5000 }",
            "{ w2 | data 1.0000 | grad 0.0000 }",
            "{ b | data 6.8814 | grad 0.5000 }",
            "{ x1*w1 | data -6.0000 | grad 0.5000 }",
            "{ x2*w2 | data 0.0000 | grad 0.5000 }",
            "{ x1*w1 + x2*w2 | data -6.0000 | grad 0.5000 }",
            "{ n | data 0.8814 | grad 0.5000 }",
            "{ o | data 0.7071 | grad 1.0000 }",
        ]
    )
    assert sorted(ops(nodes)) == sorted(["*", "*", "+", "+", "tanh"])
    assert len(edges) == 5 + 9  # each op to its result, and each input to its op


def test_edges_run_from_inputs_through_the_op_to_the_result():
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    y = x * w
    y.label = "y"
    nodes, edges = parse(draw_dot(y))
    by_label = {label.split(" | ")[0].strip("{ "): node_id for node_id, (label, _) in nodes.items()}
    (op_id,) = [node_id for node_id, (label, _) in nodes.items() if label == "*"]
    assert [(a, b) for a, b, _ in edges] == [(op_id, by_label["y"]), (by_label["x"], op_id), (by_label["w"], op_id)]


def test_an_input_used_twice_gets_two_edges():
    x = Value(3.0, label="x")
    y = x * x
    y.backward()
    nodes, edges = parse(draw_dot(y))
    assert "{ x | data 3.0000 | grad 6.0000 }" in records(nodes)
    x_id = next(i for i, (label, _) in nodes.items() if label.startswith("{ x |"))
    assert sum(1 for a, _, _ in edges if a == x_id) == 2


def test_fused_neuron_is_one_readable_node_with_named_input_edges():
    neuron = Neuron(3, activation="tanh", rng=random.Random(0))
    xs = [Value(1.0, label="x1"), Value(-2.0, label="x2"), Value(0.5, label="x3")]
    out = neuron(xs)
    out.backward()
    nodes, edges = parse(draw_dot(out))
    assert sorted(ops(nodes)) == ["tanh", "w·x + b"]
    (dot_id,) = [i for i, (label, _) in nodes.items() if label == "w·x + b"]
    assert "ordering=in" in nodes[dot_id][1]
    into_dot = [(tail, attrs) for tail, head, attrs in edges if head == dot_id]
    names = [re.search(r'label="?([^" ]+)', attrs)[1] for _, attrs in into_dot]
    assert names == ["w₁", "w₂", "w₃", "x₁", "x₂", "x₃", "b"]
    tails = [nodes[tail][0] for tail, _ in into_dot]
    for w, tail in zip(neuron.w, tails[:3], strict=True):
        assert tail == f"{{  | data {w.data:.4f} | grad {w.grad:.4f} }}"
    assert [t.split(" | ")[0] for t in tails[3:6]] == ["{ x1", "{ x2", "{ x3"]
    assert tails[6] == f"{{  | data 0.0000 | grad {neuron.b.grad:.4f} }}"
    assert len(records(nodes)) == 3 + 3 + 1 + 2  # w, x, b, w·x + b, tanh


def test_unfused_neuron_is_drawn_op_by_op():
    neuron = Neuron(2, activation="tanh", fused=False, rng=random.Random(0))
    nodes, edges = parse(draw_dot(neuron([1.0, 2.0])))
    assert sorted(ops(nodes)) == ["*", "*", "+", "+", "tanh"]
    assert len(records(nodes)) == 2 + 2 + 1 + 2 + 2 + 1  # w, x, b, products, sums, tanh


def test_show_grad_false_leaves_grads_out():
    nodes, _ = parse(draw_dot(lecture_neuron(), show_grad=False))
    assert "{ o | data 0.7071 }" in records(nodes)
    assert not any("grad" in label for label in records(nodes))


def test_color_by_grad_fills_by_sign_and_magnitude():
    a, b, c, d = Value(1.0, label="a"), Value(-2.0, label="b"), Value(0.0, label="c"), Value(0.5, label="d")
    out = a * b + c * d  # grads: a -2 (the largest), b +1, c 0.5, d 0
    out.backward()
    nodes, _ = parse(draw_dot(out, color_by_grad=True))
    fills = {label.split(" | ")[0][2:]: re.search(r'fillcolor="(#\w+)"', a)[1] for label, a in records(nodes, True)}
    assert fills["a"] == "#67a9cf"  # the largest |grad|, negative: full blue (103, 169, 207)
    assert fills["b"] == "#f7c4b0"  # +1 is half the largest: halfway from white to red (239, 138, 98)
    assert fills["d"] == "#ffffff"  # no gradient: white
    nan = Value(2.0, label="q") * float("nan")  # q.grad is nan
    nan.backward()
    nodes, _ = parse(draw_dot(nan, color_by_grad=True))
    assert any(label.startswith("{ q") and 'fillcolor="#d9d9d9"' in attrs for label, attrs in records(nodes, True))


def test_numbers_that_four_decimals_would_hide_are_shown_in_scientific_notation():
    x = Value(1.5e-7, label="x")
    y = x * 2e7
    y.backward()
    labels = records(parse(draw_dot(y))[0])
    assert "{ x | data 1.5000e-07 | grad 2.0000e+07 }" in labels
    assert "{  | data 3.0000 | grad 1.0000 }" in labels


def test_labels_with_record_syntax_are_escaped():
    x = Value(1.0, label="a|b {c} <d>")
    nodes, _ = parse(draw_dot(x))
    assert list(records(nodes)) == [r"{ a\|b \{c\} \<d\> | data 1.0000 | grad 0.0000 }"]


def test_gradients_that_are_values_are_drawn_by_their_data():
    x = Value(3.0, label="x")
    y = x**3
    y.backward(create_graph=True)  # x.grad is a Value: 3x² = 27
    assert isinstance(x.grad, Value)
    assert "{ x | data 3.0000 | grad 27.0000 }" in records(parse(draw_dot(y))[0])


def test_several_roots_share_their_common_nodes():
    layer_out = MLP(2, [3], output_activation="relu", rng=random.Random(1))([1.0, -1.0])
    nodes, _ = parse(draw_dot(layer_out))
    assert ops(nodes).count("w·x + b") == 3
    assert ops(nodes).count("ReLU") == 3
    assert len(records(nodes)) == 6 + 3 + 2 + 3 + 3  # weights, biases, inputs, sums, relus


def test_rankdir_and_format():
    drawing = draw_dot(Value(1.0), format="png", rankdir="TB")
    assert drawing.format == "png"
    assert "rankdir=TB" in drawing.source


def test_a_graph_too_large_says_how_large_and_what_to_do():
    model = MLP(2, [16, 16, 1], rng=random.Random(0))
    loss = sum(model([i / 10, 1 - i / 10]) for i in range(10))
    with pytest.raises(GraphTooLargeError) as e:
        draw_dot(loss)
    n = len({id(v) for v in _all_nodes(loss)})
    message = str(e.value)
    assert f"{n:,} nodes" in message
    assert "max_nodes=500" in message
    assert "one neuron" in message
    assert f"max_nodes={n}" in message
    assert isinstance(e.value, ValueError)
    nodes, _ = parse(draw_dot(loss, max_nodes=n))
    assert len(records(nodes)) == n


def _all_nodes(root):
    seen, stack = [], [root]
    ids = set()
    while stack:
        v = stack.pop()
        if id(v) not in ids:
            ids.add(id(v))
            seen.append(v)
            stack.extend(v._prev)
    return seen


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"root": 2.0}, TypeError, "expects a Value"),
        ({"root": []}, TypeError, "expects a Value"),
        ({"rankdir": "XY"}, ValueError, "rankdir"),
        ({"max_nodes": 0}, ValueError, "max_nodes must be a positive int"),
        ({"max_nodes": True}, ValueError, "max_nodes must be a positive int"),
        ({"format": "bmpx"}, ValueError, "unknown Graphviz output format 'bmpx'"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, text):
    kwargs = {"root": Value(1.0), **kwargs}
    with pytest.raises(error, match=re.escape(text)):
        draw_dot(**kwargs)


def test_missing_graphviz_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=re.escape('pip install "micrograd[viz]"')):
        draw_dot(Value(1.0))


def test_missing_dot_program_says_how_to_install_it(monkeypatch, tmp_path):
    drawing = draw_dot(lecture_neuron())
    monkeypatch.setenv("PATH", str(tmp_path))
    for render in (drawing.pipe, drawing._repr_mimebundle_, lambda: save_graph(drawing, tmp_path / "g.svg")):
        with pytest.raises(GraphvizNotFoundError) as e:
            render()
        assert "apt-get install graphviz" in str(e.value)
        assert "brew install graphviz" in str(e.value)
    save_graph(drawing, tmp_path / "g.dot")  # the DOT text needs no Graphviz program
    assert (tmp_path / "g.dot").read_text() == drawing.source


@needs_dot
def test_renders_inline_in_jupyter_as_svg():
    bundle = draw_dot(lecture_neuron())._repr_mimebundle_()
    svg = bundle["image/svg+xml"]
    assert svg.count('class="node"') == 15
    assert svg.count('class="edge"') == 14
    assert "grad &#45;1.5000" in svg


@needs_dot
def test_save_graph_writes_each_format(tmp_path):
    o = lecture_neuron()
    svg = save_graph(o, tmp_path / "o.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "data 0.7071" in svg and "grad &#45;1.5000" in svg
    assert save_graph(draw_dot(o), tmp_path / "o.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert save_graph(o, tmp_path / "o.pdf").read_bytes()[:5] == b"%PDF-"
    assert save_graph(o, tmp_path / "o.dot").read_text() == draw_dot(o).source
    colored = save_graph(o, tmp_path / "c.svg", color_by_grad=True).read_text()
    assert "#67a9cf" in colored  # x1's grad, -1.5, is the largest


def test_save_graph_rejects_unknown_suffixes_and_misplaced_options(tmp_path):
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf, \.dot"):
        save_graph(Value(1.0), tmp_path / "graph.jpeg")
    with pytest.raises(TypeError, match="only when drawing Values"):
        save_graph(draw_dot(Value(1.0)), tmp_path / "graph.dot", show_grad=False)
    with pytest.raises(TypeError, match="expects a Value"):
        save_graph("x", tmp_path / "graph.dot")


def test_draws_second_order_graphs():
    x = Value(0.5, label="x")
    (dy,) = grad(x.tanh(), [x], create_graph=True)
    nodes, _ = parse(draw_dot(dy))
    assert "{ x | data 0.5000 | grad 0.0000 }" in records(nodes)
    assert "tanh" in ops(nodes)  # d/dx tanh x = 1 - tanh²x is a graph that uses tanh x


def test_where_nodes_of_gradient_graphs_name_the_input_they_pass_on():
    x = Value(0.5, label="x")
    (g,) = grad(x.relu(), [x], create_graph=True)  # relu' = where(x <= 0, 0, 1): here the second input
    nodes, edges = parse(draw_dot(g))
    (where_id,) = [i for i, (label, _) in nodes.items() if label == "where"]
    into = [(nodes[tail][0], attrs) for tail, head, attrs in edges if head == where_id]
    assert [re.search(r'label=("[^"]*"|\S+)', attrs)[1].strip('"') for _, attrs in into] == ["not taken", "taken"]
    assert [label for label, _ in into] == ["{  | data 0.0000 | grad 0.0000 }", "{  | data 1.0000 | grad 0.0000 }"]


def test_a_value_used_at_many_depths_is_drawn_again_at_each_use():
    """x+x+...+x: one x feeding 60 additions would make dot lay out 60 edges across 60 ranks
    (minutes with Graphviz 2.43); instead x is drawn where it is first used and again,
    dashed and with the same label, data and grad, beside each later use."""
    x = Value(1.0, label="x")
    total = x
    for _ in range(59):
        total = total + x
    total.backward()
    nodes, edges = parse(draw_dot(total))
    x_boxes = [i for i, (label, _) in nodes.items() if label == "{ x | data 1.0000 | grad 60.0000 }"]
    assert len(x_boxes) == 59  # the first addition, x + x, takes the value itself twice
    solid = [i for i in x_boxes if "dashed" not in nodes[i][1]]
    assert len(solid) == 1  # the value itself; the others are its copies
    for box in x_boxes:
        assert sum(1 for tail, _, _ in edges if tail == box) == (2 if box in solid else 1)
    assert "dashed" in nodes[x_boxes[-1]][1]
    assert 'label="dashed boxes: a value used in many places, drawn again at each use' in draw_dot(total).source


def test_a_product_with_a_hundred_factors_repeats_its_many_use_factor():
    x, y = Value(2.0, label="x"), Value(1.01, label="y")
    out = x
    for _ in range(99):
        out = out * y
    out.backward()
    nodes, _ = parse(draw_dot(out))
    assert len([label for label in records(nodes) if label.startswith("{ y |")]) == 99
    assert len([label for label in records(nodes) if label.startswith("{ x |")]) == 1


def test_values_used_a_few_times_or_side_by_side_are_drawn_once():
    """The lecture's pictures stay node for node: a value used twice, and the inputs of an MLP
    (each feeding every neuron of a layer, all at one depth), are one box each."""
    x = Value(3.0, label="x")
    y = (x * x + x) * x  # three uses at three depths
    assert not any("dashed" in attrs for _, attrs in parse(draw_dot(y))[0].values())
    model = MLP(3, [16, 16, 1], fused=False, rng=random.Random(0))
    nodes, _ = parse(draw_dot(model([1.0, 2.0, 3.0]), max_nodes=5000))
    assert not any("dashed" in attrs for _, attrs in nodes.values())
