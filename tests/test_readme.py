"""The README's examples print what it says they print, and its claims about PyTorch hold as stated."""

from __future__ import annotations

import contextlib
import io
import math
import random
import re
import shutil
from pathlib import Path

import pytest

from micrograd.engine import Value

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, re.S)


def test_the_neuron_example_prints_what_the_readme_shows():
    block = next(b for b in python_blocks() if "o.backward()" in b)
    shown = [re.match(r"print\(.*?\)\s+# (.*?)(\s{2}\(.*)?$", line).group(1)
             for line in block.splitlines() if line.startswith("print(")]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(block, {})
    assert printed.getvalue().splitlines() == shown


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)")
def test_the_explore_example_shows_the_pages_numbers(tmp_path):
    from micrograd.apps.cli import main

    command = re.search(r"`micrograd explore '([^']+)' --set ([^`]+)`", README)
    derivative, update = re.search(r"the local rule with its numbers \(`([^`]+)`, `([^`]+)`\)", README).groups()
    out = tmp_path / "explore.html"
    assert main(["explore", command.group(1), "--set", *command.group(2).split(), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert f'"derivative":"{derivative}"' in page
    assert f'"update":"{" ".join(update.split())}' in page


def _ulps(ours: float, theirs: float) -> float:
    return 0.0 if ours == theirs else abs(ours - theirs) / math.ulp(theirs)


@pytest.mark.torch
def test_agreement_with_pytorch_is_as_the_readme_states(torch_module):
    """`+ − × /`, sigmoid and integer powers bit for bit; tanh within 2 ulp; c / x and the rest within 1 ulp."""
    torch = torch_module
    rng = random.Random(11)
    pairs = [(rng.uniform(-3, 3), rng.uniform(-3, 3)) for _ in range(5000)]
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    within = {
        0: [(lambda a, b: Value(a) + Value(b), lambda a, b: t(a) + t(b)),
            (lambda a, b: Value(a) - Value(b), lambda a, b: t(a) - t(b)),
            (lambda a, b: Value(a) * Value(b), lambda a, b: t(a) * t(b)),
            (lambda a, b: Value(a) / Value(b), lambda a, b: t(a) / t(b)),
            (lambda a, b: Value(a).sigmoid(), lambda a, b: torch.sigmoid(t(a))),
            (lambda a, b: Value(a) ** 3, lambda a, b: t(a) ** 3)],
        1: [(lambda a, b: 2.5 / Value(a), lambda a, b: 2.5 / t(a)),
            (lambda a, b: Value(a).exp(), lambda a, b: torch.exp(t(a))),
            (lambda a, b: Value(abs(a)).log(), lambda a, b: torch.log(t(abs(a)))),
            (lambda a, b: Value(abs(a)).sqrt(), lambda a, b: torch.sqrt(t(abs(a)))),
            (lambda a, b: Value(a).sin(), lambda a, b: torch.sin(t(a))),
            (lambda a, b: Value(a).cos(), lambda a, b: torch.cos(t(a)))],
        2: [(lambda a, b: Value(a).tanh(), lambda a, b: torch.tanh(t(a)))],
    }
    for limit, cases in within.items():
        for ours, theirs in cases:
            worst = max(_ulps(ours(a, b).data, theirs(a, b).item()) for a, b in pairs)
            assert worst <= limit, (limit, worst)
    slopes = []
    for a, _ in pairs:
        x, xt = Value(a), t(a).requires_grad_()
        x.tanh().backward()
        torch.tanh(xt).backward()
        slopes.append(abs(x.grad - xt.grad.item()) / abs(xt.grad.item()))
    assert max(slopes) <= 1e-13


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)")
def test_the_tensor_explore_example_shows_the_steps_the_readme_quotes(tmp_path):
    pytest.importorskip("numpy", reason='tensors need NumPy: pip install "micrograd[numpy]"')
    from micrograd.apps.cli import main

    expression, values = re.search(r"`micrograd explore '([^']+)' --set ('W[^`]+)`", README).groups()
    out = tmp_path / "explore.html"
    assert main(["explore", expression, "--set", *(v.strip("'") for v in values.split()), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    matmul = re.search(r"for `@`, `([^`]+) =`", README).group(1)
    broadcast = re.search(r"\(`(b\.grad \+= sum over axis 0 of [^`]+)`\)", README).group(1)
    reshape = re.search(r"around `@` \(`([^`]+)`\)", README).group(1)
    assert f'"text":"{matmul} = "' in page
    assert f'"text":"{broadcast} = sum of "' in page
    assert f'"op_text":"{reshape}"' in page


@pytest.mark.torch
def test_the_tensor_explore_example_has_pytorchs_grads_exactly(torch_module):
    pytest.importorskip("numpy")
    from micrograd.apps.explore.tensor_record import record_tensor_graph
    from micrograd.apps.tensor_expression import evaluate_tensor, parse_array_assignments

    assert "For this example the grads\nare exactly PyTorch float64's." in README
    expression, values = re.search(r"`micrograd explore '([^']+)' --set ('W[^`]+)`", README).groups()
    variables = parse_array_assignments([v.strip("'") for v in values.split()])
    root, leaves = evaluate_tensor(expression, variables)
    record_tensor_graph(root, leaves, layout=False)  # its totals are backward()'s, checked exactly
    torch = torch_module
    reference = {name: torch.tensor(v, dtype=torch.float64, requires_grad=True) for name, v in variables.items()}
    (reference["W"] @ reference["x"] + reference["b"]).tanh().sum().backward()
    for name, leaf in leaves.items():
        assert leaf.grad.tolist() == reference[name].grad.tolist(), name


def test_the_paused_collector_loop_trains_and_gives_the_collector_back():
    import gc

    block = next(b for b in python_blocks() if "collector_paused()" in b)
    namespace: dict = {}
    exec(block, namespace)
    assert gc.isenabled()
    model, X, y = namespace["model"], namespace["X"], namespace["y"]
    after = sum((1 - yi * model(x)).relu().data for x, yi in zip(X, y)) / len(X)
    assert after < namespace["loss"].data  # the last update lowered the loss it was computed from
