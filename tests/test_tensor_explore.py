"""The explorer's recording of a Tensor graph is the engine's run, array for array (and PyTorch's, in float64)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from console import MICROGRAD
from hypothesis import given
from hypothesis import strategies as st

np = pytest.importorskip("numpy", reason='tensors need NumPy: pip install "micrograd[numpy]"')

from micrograd.apps.explore import render_page  # noqa: E402
from micrograd.apps.explore.tensor_record import record_tensor_graph  # noqa: E402
from micrograd.apps.expression import ExpressionError  # noqa: E402
from micrograd.apps.tensor_expression import evaluate_tensor, parse_array_assignments  # noqa: E402
from micrograd.tensor import Tensor  # noqa: E402

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

W0, X0, B0 = [[1.0, 2.0, -0.5], [3.0, -4.0, 0.25]], [0.5, -1.0, 2.0], [0.1, -0.2]


def layer(W=W0, x=X0, b=B0):
    """tanh(W @ x + b) summed, built with the library's own calls (no expression parser)."""
    leaves = {name: Tensor(value, requires_grad=True) for name, value in (("W", W), ("x", x), ("b", b))}
    out = (leaves["W"] @ leaves["x"] + leaves["b"]).tanh().sum()
    return out, leaves


def replay(recording):
    """Each node's grad at the last step: every update applied in order, as the page's script does."""
    grads = {}
    for step in recording["backward"]:
        for update in step["updates"]:
            grads[update["node"]] = np.array(update["grad"], dtype=float)
    return grads


def pieces(equation):
    """An equation's text and arrays: (joined text, [arrays])."""
    return "".join(p.get("text", "") for p in equation if "array" not in p), [
        np.array(p["array"], dtype=float) for p in equation if "array" in p]


def test_every_recorded_array_is_the_engines():
    root, leaves = layer()
    recording = record_tensor_graph(root, leaves, layout=False)
    twin, twin_leaves = layer()
    twin.backward()
    by_name = {node["name"]: node for node in recording["nodes"]}
    for name, tensor in twin_leaves.items():
        assert by_name[name]["shape"] == list(tensor.shape)
        assert np.array_equal(np.array(by_name[name]["data"]).reshape(tensor.shape), tensor.data)
        assert np.array_equal(replay(recording)[by_name[name]["id"]].reshape(tensor.shape), tensor.grad)
    assert by_name["o"]["data"] == [[twin.item()]]
    # intermediate tensors: their grads are backward()'s own, as retain_grad() keeps them
    for node, step in zip(recording["nodes"], recording["forward"]):
        assert step["node"] == node["id"]
        shown = [np.array(p["array"]) for p in step["equation"] if "array" in p][-1]
        assert np.array_equal(shown, np.array(node["data"]))


def test_the_steps_show_the_matmul_and_broadcast_rules_with_their_arrays():
    root, leaves = layer()
    recording = record_tensor_graph(root, leaves, layout=False)
    names = {node["id"]: node["name"] for node in recording["nodes"]}
    terms = {names[t["parent"]]: t for step in recording["backward"] for t in step.get("terms", [])}
    # W.grad += g @ xᵀ, with g the (2, 1) grad of the product, xᵀ the (1, 3) row
    text, (g, xT, contribution) = pieces(terms["W"]["update"])
    assert text.startswith("W.grad += ") and "@" in text and "ᵀ" in text
    assert np.array_equal(xT, np.array([X0])) and np.array_equal(g @ xT, contribution)
    twin, twin_leaves = layer()
    twin.backward()
    assert np.array_equal(contribution, twin_leaves["W"].grad)
    # b was added to a (2,) vector: no broadcast; a () bias would be broadcast and summed back
    root, leaves = layer(b=0.5)
    recording = record_tensor_graph(root, leaves, layout=False)
    names = {node["id"]: node["name"] for node in recording["nodes"]}
    term = next(t for step in recording["backward"] for t in step.get("terms", []) if names[t["parent"]] == "b")
    text, (g, summed) = pieces(term["update"])
    assert text.startswith("b.grad += sum over axis 0 of ")
    assert summed.item() == g.sum() and g.shape == (1, 2)
    assert any(node["op_text"] == "broadcast ()→(2,)" for node in recording["nodes"])


def test_a_two_input_elementwise_rule_shows_its_local_derivatives():
    variables = parse_array_assignments(["a=[[1,2],[3,4]]", "c=[-1,0.5]"])
    root, leaves = evaluate_tensor("(a * c).sum()", variables)
    recording = record_tensor_graph(root, leaves, layout=False)
    step = next(s for s in recording["backward"] if s.get("rule", "").startswith("*"))
    derivatives = [pieces(t["derivative"]) for t in step["terms"]]
    texts = [text for text, _ in derivatives]
    assert texts == ["∂n₂/∂a = n₁ = ", "∂n₂/∂n₁ = a = "]  # n₁ is c broadcast to a's shape (2, 2)
    assert np.array_equal(derivatives[0][1][0], np.broadcast_to([-1.0, 0.5], (2, 2)))
    assert np.array_equal(derivatives[1][1][0], np.array([[1.0, 2.0], [3.0, 4.0]]))


def test_the_grads_agree_with_pytorch_in_float64(torch_module):
    torch = torch_module
    root, leaves = layer()
    recording = record_tensor_graph(root, leaves, layout=False)
    grads = replay(recording)
    ids = {node["name"]: node["id"] for node in recording["nodes"]}
    W = torch.tensor(W0, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(B0, dtype=torch.float64, requires_grad=True)
    (W @ x + b).tanh().sum().backward()
    for name, reference in {"W": W, "x": x, "b": b}.items():
        mine = grads[ids[name]].reshape(reference.shape)
        assert np.allclose(mine, reference.grad.numpy(), rtol=1e-12, atol=0), name


@given(st.integers(1, 3), st.integers(1, 3), st.data())
def test_random_layers_are_recorded_as_the_engine_runs_them(rows, cols, data):
    numbers = st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 3))
    W = data.draw(st.lists(st.lists(numbers, min_size=cols, max_size=cols), min_size=rows, max_size=rows))
    x = data.draw(st.lists(numbers, min_size=cols, max_size=cols))
    b = data.draw(numbers | st.lists(numbers, min_size=rows, max_size=rows))
    root, leaves = layer(W, x, b)
    recording = record_tensor_graph(root, leaves, layout=False)  # raises if a total differs from backward()
    twin, twin_leaves = layer(W, x, b)
    twin.backward()
    ids = {node["name"]: node["id"] for node in recording["nodes"]}
    for name, tensor in twin_leaves.items():
        assert np.array_equal(replay(recording)[ids[name]].reshape(tensor.shape), tensor.grad)


def test_what_the_page_cannot_show_is_refused():
    W = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(ExpressionError, match=r"the result has shape \(2, 2\): backpropagation starts from one"):
        record_tensor_graph(W * 2, layout=False)
    big = Tensor(np.ones((7, 2)), requires_grad=True)
    with pytest.raises(ValueError, match=r"has shape \(7, 2\): the explorer shows arrays of at most 2 dims and 6 × 6"):
        record_tensor_graph(big.sum(), layout=False)
    with pytest.raises(TypeError, match="record_tensor_graph expects a Tensor"):
        record_tensor_graph(1.0)


@needs_dot
def test_micrograd_explore_writes_a_tensor_page(tmp_path):
    out = tmp_path / "t.html"
    run = subprocess.run([*MICROGRAD, "explore", "(W @ x + b).tanh().sum()", "--set", "W=[[1,2],[3,4]]", "x=[1,-1]",
                          "b=0.5", "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    root, _ = evaluate_tensor("(W @ x + b).tanh().sum()", {"W": [[1, 2], [3, 4]], "x": [1, -1], "b": 0.5})
    assert run.stdout.splitlines()[0] == f"(W @ x + b).tanh().sum() = {root.item():.10g}"
    page = out.read_text()
    assert '"arrays":true' in page and "http" not in page.split("<script")[1]


@needs_dot
def test_micrograd_graph_draws_a_tensor_expression(tmp_path):
    pytest.importorskip("graphviz", reason='drawing needs the graphviz package: pip install "micrograd[viz]"')
    out = tmp_path / "g.dot"
    run = subprocess.run([*MICROGRAD, "graph", "(W @ x + b).sum()", "--set", "W=[[1,2],[3,4]]", "x=[1,-1]", "b=0.5",
                          "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "(W @ x + b).sum() = -1",
        "∂/∂W = [[1, -1], [1, -1]]",
        "∂/∂x = [4, 6]",
        "∂/∂b = 2",
        f"wrote {out} (9 tensors, 6 operations)",
    ]
    assert "broadcast ()→(2,)" in out.read_text()


def test_a_recording_renders_into_a_page_only_with_a_layout():
    root, leaves = layer()
    with pytest.raises(ValueError, match="no layout"):
        render_page(record_tensor_graph(root, leaves, layout=False))


def test_the_help_documents_the_tensor_syntax():
    from micrograd.apps.cli import build_parser

    parser = build_parser()
    subcommands = next(a for a in parser._actions if a.dest == "command").choices
    explore = " ".join(subcommands["explore"].format_help().split())
    for part in ("--set 'W=[[1,2],[3,4]]' 'x=[1,-1]' b=0.5", "at most 6 x 6", "@, .T", ".sum() .mean()",
                 "end with .sum() or .mean()"):
        assert part in explore, part
    assert "tensor expression" in " ".join(subcommands["graph"].format_help().split())


def test_two_inputs_broadcast_against_each_other_each_sum_back_their_own_axis():
    variables = parse_array_assignments(["a=[[1],[2]]", "c=[1,2,3]"])
    root, leaves = evaluate_tensor("(a * c).sum()", variables)
    recording = record_tensor_graph(root, leaves, layout=False)
    names = {node["id"]: node["name"] for node in recording["nodes"]}
    terms = {names[t["parent"]]: t for step in recording["backward"] for t in step.get("terms", [])}
    a_text, (a_g, a_sum) = pieces(terms["a"]["update"])
    c_text, (c_g, c_sum) = pieces(terms["c"]["update"])
    assert terms["a"]["derivative"] == "broadcasting copied a along axis 1, so its grad adds up the copies' grads"
    assert a_text.startswith("a.grad += sum over axis 1 of ") and c_text.startswith("c.grad += sum over axis 0 of ")
    assert np.array_equal(a_sum, a_g.sum(axis=1, keepdims=True)) and np.array_equal(c_sum, c_g.sum(axis=0)[None])
    assert np.array_equal(a_sum, leaves["a"].grad) and np.array_equal(c_sum[0], leaves["c"].grad)
    # ∂/∂a Σ aᵢcⱼ = Σ c in each row; ∂/∂c = Σ a in each column
    assert leaves["a"].grad.tolist() == [[1.0 + 2 + 3]] * 2 and leaves["c"].grad.tolist() == [1.0 + 2] * 3
