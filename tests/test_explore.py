"""The explorer's recording is the engine's run, number for number, and its page needs nothing from outside."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from micrograd.engine import Value, dot, topological_order
from micrograd.explore import MAX_VALUES, record_graph, record_training, render_page, write_page
from micrograd.ops import OPS

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)"
)

# The lecture's neuron: its tanh input n is chosen so that o = tanh(n) = 1/√2 and ∂o/∂n = 1 - o² = 0.5.
LECTURE = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}


def lecture_neuron() -> tuple[Value, dict[str, Value]]:
    v = {name: Value(data, label=name) for name, data in LECTURE.items()}
    x1w1 = v["x1"] * v["w1"]
    x1w1.label = "x1w1"
    x2w2 = v["x2"] * v["w2"]
    x2w2.label = "x2w2"
    s = x1w1 + x2w2
    s.label = "x1w1x2w2"
    n = s + v["b"]
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, v


def replay(recording: dict) -> dict[str, float]:
    """What the page shows at the last step: every update applied in order, as the page's script does."""
    grads: dict[str, float] = {}
    for step in recording["backward"]:
        if step.get("seed"):
            grads = {node["id"]: 0.0 for node in recording["nodes"]}
        for update in step["updates"]:
            grads[update["node"]] = update["grad"]
    return grads


def test_recorded_values_and_grads_are_the_engines():
    root, _ = lecture_neuron()
    recording = record_graph(root, layout=False)
    twin, _ = lecture_neuron()
    twin.backward()
    expected = topological_order(twin)
    assert [n["name"] for n in recording["nodes"]] == [n.label for n in expected]
    for node, value in zip(recording["nodes"], expected, strict=True):
        assert node["data"] == value.data
        assert node["grad"] == value.grad
        assert node["parents"] == [f"v{expected.index(p)}" for p in value._prev]
    assert replay(recording) == {node["id"]: node["grad"] for node in recording["nodes"]}
    assert [step["node"] for step in recording["forward"]] == [f"v{i}" for i in range(len(expected))]
    backward_order = [step["node"] for step in recording["backward"][1:]]
    assert backward_order == [f"v{expected.index(n)}" for n in reversed(expected) if n._prev]


@pytest.mark.torch
def test_recorded_grads_match_pytorch(torch_module):
    torch = torch_module
    root, _ = lecture_neuron()
    recording = record_graph(root, layout=False)
    t = {name: torch.tensor(data, dtype=torch.float64, requires_grad=True) for name, data in LECTURE.items()}
    o = torch.tanh(t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"])
    o.backward()
    shown = {node["name"]: node for node in recording["nodes"]}
    assert shown["o"]["data"] == pytest.approx(o.item(), rel=1e-12, abs=0)
    for name, tensor in t.items():
        assert shown[name]["grad"] == pytest.approx(tensor.grad.item(), rel=1e-12, abs=1e-300)


def test_backward_step_shows_the_rule_with_its_numbers():
    root, _ = lecture_neuron()
    recording = record_graph(root, layout=False)
    tanh_step = recording["backward"][1]
    assert tanh_step["rule"] == "tanh(x):  ∂/∂x = 1 - tanh²x"
    (term,) = tanh_step["terms"]
    assert term["derivative"] == "∂o/∂n = 1 - tanh²(n) = 0.5000"
    assert term["update"] == "n.grad += o.grad × ∂o/∂n = 1.0000 × 0.5000 = 0.5000"
    assert term["total"] == "n.grad: 0.0000 → 0.5000"
    mul_step = next(s for s in recording["backward"] if s.get("rule", "").startswith("a × b"))
    assert [t["derivative"] for t in mul_step["terms"]] == ["∂x2w2/∂x2 = w2 = 1.0000", "∂x2w2/∂w2 = x2 = 0.0000"]
    assert recording["forward"][-1]["text"] == "o = tanh(n) = tanh(0.8814) = 0.7071"


def test_a_value_used_twice_accumulates_both_contributions():
    x = Value(3.0, label="x")
    y = x * x
    recording = record_graph(y, layout=False)
    step = recording["backward"][1]
    assert [t["total"] for t in step["terms"]] == ["x.grad: 0.0000 → 3.0000", "x.grad: 3.0000 → 6.0000"]
    assert [u["grad"] for u in step["updates"]] == [3.0, 6.0]
    assert recording["nodes"][0]["grad"] == x.grad == 6.0
    assert recording["nodes"][1]["name"] == "o"


def test_every_operation_has_a_rule_to_show():
    a, b, c = Value(0.7, label="a"), Value(1.3, label="b"), Value(-0.4, label="c")
    w = [Value(0.5, label="w1"), Value(-1.5, label="w2")]
    parts = [
        a + b, a - b, a * b, a / b, -a, a**b, a**3, a.exp(), a.log(), a.sqrt(), a.tanh(), a.sigmoid(),
        c.relu(), c.abs(), a.sin(), a.cos(), dot(w, [a, b], c),
    ]
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    recording = record_graph(total, layout=False)
    shown_ops = {node["op"] for node in recording["nodes"] if node["op"]}
    assert set(OPS) <= shown_ops
    for step in recording["backward"][1:]:
        assert step["rule"], f"no rule text for {step['text']}"
        for term in step["terms"]:
            assert re.fullmatch(r"∂\S+/∂\S+ = .+", term["derivative"]), term["derivative"]
            assert not re.search(r"\b(the|when|where)\b", term["derivative"]), "a remark in words left in the formula"
    shown = {n["name"]: n["grad"] for n in recording["nodes"]}  # record_graph ran backward() once
    assert [shown["a"], shown["b"], shown["c"]] == [a.grad, b.grad, c.grad]


def test_a_big_graph_is_cut_to_the_part_nearest_the_output():
    x = Value(0.5, label="x")
    total = x
    for _ in range(200):
        total = total * 0.99 + x
    recording = record_graph(total, layout=False)
    assert len(recording["nodes"]) <= MAX_VALUES
    assert "This graph has 601 values" in recording["note"]
    assert recording["nodes"][-1]["data"] == total.data
    assert replay(recording) == {node["id"]: node["grad"] for node in recording["nodes"]}


@needs_dot
def test_snapshots_show_the_numbers_the_chart_records():
    recording = record_training("moons", epochs=4, snapshots=5, grid=6)
    training = recording["training"]
    for shot in training["snapshots"][:-1]:
        assert shot["loss"] == training["loss"][shot["step"]]
        assert shot["accuracy"] == training["accuracy"][shot["step"]]
        assert f"loss {shot['loss']:.4f}" in shot["text"]


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="expects a Value"):
        record_graph(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_values"):
        record_graph(Value(1.0), max_values=0)
    with pytest.raises(ValueError, match="unknown demo 'nope'"):
        record_training("nope")
    with pytest.raises(ValueError, match="2-D classifier demo, not 'sine'"):
        record_training("sine")
    with pytest.raises(ValueError, match="no layout"):
        render_page(record_graph(Value(1.0), layout=False))


def embedded_recording(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="recording">(.*?)</script>', page, re.S)
    assert match is not None
    return json.loads(match.group(1))


@needs_dot
def test_page_is_self_contained_and_carries_the_recording():
    root, _ = lecture_neuron()
    root.label = "</script><!-- o"
    recording = record_graph(root, title="the lecture's neuron")
    page = render_page(recording)
    assert not re.search(r"https?:", page)
    assert not re.search(r"<script[^>]*\ssrc=|<link\b|@import|url\(|<iframe|fetch\(|XMLHttpRequest", page)
    assert page.count("</script>") == 2
    assert embedded_recording(page) == recording
    layout = recording["layout"]
    assert set(layout["boxes"]) == {n["id"] for n in recording["nodes"]} | {
        n["id"] + "_op" for n in recording["nodes"] if n["parents"]
    }


@needs_dot
def test_training_run_is_the_demos_run():
    from micrograd.demos import run_demo

    recording = record_training("moons", epochs=2, snapshots=3, grid=6)
    run = run_demo("moons", epochs=2, out=None, verbose=False)
    training = recording["training"]
    assert training["loss"] == run.history.loss
    assert training["accuracy"] == run.history.accuracy
    assert [s["epoch"] for s in training["snapshots"]] == [0, 1, 2]
    assert [s["step"] for s in training["snapshots"]] == [0, 1, 2]
    # full batch: the snapshot after k steps shows the history's entry k, the number on the chart
    assert [s["loss"] for s in training["snapshots"][:2]] == training["loss"]
    assert [s["accuracy"] for s in training["snapshots"][:2]] == training["accuracy"]
    assert training["snapshots"][-1]["loss"] == run.final.loss
    assert training["snapshots"][-1]["accuracy"] == run.final.accuracy
    assert all(len(s["classes"]) == len(s["strength"]) == 36 for s in training["snapshots"])
    predicted = run.model([training["extent"][0] + 0.5 * (training["extent"][1] - training["extent"][0]) / 6,
                           training["extent"][3] - 0.5 * (training["extent"][3] - training["extent"][2]) / 6])
    assert training["snapshots"][-1]["classes"][0] == str(int(predicted.data > 0))
    neuron = recording["graph"]
    weights = run.model.layers[0].neurons[0]
    shown = {n["name"]: n for n in neuron["nodes"]}
    assert [shown["w₁"]["data"], shown["w₂"]["data"], shown["b"]["data"]] == [w.data for w in (*weights.w, weights.b)]
    assert "404 values" in neuron["note"]


@needs_dot
def test_cli_writes_the_page(tmp_path, capsys):
    from micrograd.cli import main

    out = tmp_path / "page" / "explore.html"
    assert main(["explore", "tanh(x*w + b)", "--set", "x=2", "w=-3", "b=6.88", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"tanh(x*w + b) = {math.tanh(2 * -3 + 6.88):.10g}\n")
    recording = embedded_recording(out.read_text(encoding="utf-8"))
    slope = 1 - math.tanh(2 * -3 + 6.88) ** 2
    grads = {n["name"]: n["grad"] for n in recording["nodes"] if n["name"] in ("x", "w", "b")}
    assert grads == {"x": slope * -3, "w": slope * 2, "b": slope}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["explore"], "give an expression"),
        (["explore", "x", "--demo", "moons"], "not both"),
        (["explore", "--demo", "sine"], "2-D classifier"),
        (["explore", "x*y", "--set", "x=1"], "y"),
        (["explore", "x", "--set", "x=1", "--epochs", "3"], "--epochs applies only with --demo"),
    ],
)
def test_cli_errors_are_one_line(argv, message, capsys):
    from micrograd.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("micrograd: error: ") and err.count("\n") == 1 and message in err


@needs_dot
def test_serve_answers_on_localhost(tmp_path):
    out = tmp_path / "explore.html"
    command = [sys.executable, "-m", "micrograd", "explore", "x*x", "--set", "x=3", "-o", str(out), "--serve"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        address = None
        for _ in range(5):
            line = process.stdout.readline()
            match = re.search(r"serving the explorer at (http://127\.0\.0\.1:\d+/)", line)
            if match:
                address = match.group(1)
                break
        assert address is not None, process.stderr.read() if process.poll() is not None else "no address printed"
        with urllib.request.urlopen(address, timeout=10) as response:
            assert response.status == 200
            assert response.read() == Path(out).read_bytes()
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(address + "elsewhere", timeout=10)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


@needs_dot
def test_write_page_creates_the_directory(tmp_path):
    path = write_page(record_graph(Value(2.0, label="x") ** 2), tmp_path / "a" / "b" / "x.html")
    assert path.exists() and embedded_recording(path.read_text(encoding="utf-8"))["nodes"][0]["name"] == "x"


def test_the_boundary_grids_run_as_generated_code(monkeypatch):
    """Each snapshot's lattice goes through micrograd.compile: the model itself runs only to be traced,
    and for the final evaluation and the neuron shown."""
    from micrograd.nn import MLP

    calls = []
    original = MLP.__call__
    monkeypatch.setattr(MLP, "__call__", lambda self, x: calls.append(1) or original(self, x))
    monkeypatch.setattr("micrograd.explore.record_graph", lambda root, **options: {"note": ""})  # no dot needed
    recording = record_training("moons", epochs=2, snapshots=3, grid=12)
    samples = len(recording["training"]["points"])
    assert len(recording["training"]["snapshots"]) == 3
    assert len(calls) <= samples + 10, len(calls)  # eagerly: 3 × 144 lattice points, plus 3 × 100 samples


@needs_dot
def test_cli_training_view_shows_progress(tmp_path, capsys):
    from micrograd.cli import main

    assert main(["explore", "--demo", "moons", "--epochs", "3", "-o", str(tmp_path / "t.html")]) == 0
    assert "3/3" in capsys.readouterr().err


@needs_dot
def test_a_value_used_at_many_depths_is_laid_out_again_at_each_use():
    """x+x+...+x with 200 terms: the page draws x beside each later use, as draw_dot does, so
    Graphviz lays it out in seconds instead of timing out; every copy is the same value on the page."""
    x = Value(1.0, label="x")
    total = x
    for _ in range(199):
        total = total + x
    recording = record_graph(total)
    x_id = next(node["id"] for node in recording["nodes"] if node["name"] == "x")
    copies = recording["layout"]["copies"][x_id]
    assert len(copies) > 50
    assert all(copy in recording["layout"]["boxes"] for copy in copies)
    from_x = [edge for edge in recording["layout"]["edges"] if edge["from"] == x_id]
    boxes = [edge["box"] for edge in from_x]
    assert sorted(boxes) == sorted([x_id] * (len(from_x) - len(copies)) + copies)  # one edge from each copy
    assert x_id in boxes


def test_a_layout_that_times_out_is_one_line_and_exit_code_2(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    import micrograd.explore as explore
    from micrograd.cli import main

    def too_slow(command, **options):
        raise subprocess.TimeoutExpired(command, options["timeout"])

    monkeypatch.setattr(explore.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(explore.subprocess, "run", too_slow)
    assert main(["explore", "x*x", "--set", "x=3", "-o", "unused.html"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"micrograd: error: Graphviz's dot took more than {explore.LAYOUT_TIMEOUT} s to lay out")


def test_port_without_serve_is_an_error(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    from micrograd.cli import main

    assert main(["explore", "x", "--set", "x=1", "--port", "8080"]) == 2
    err = capsys.readouterr().err
    assert err == "micrograd: error: --port applies only with --serve\n"
    assert list(tmp_path.iterdir()) == []
