"""The README's tensor example runs and prints what the README shows; replayed in PyTorch
float64, the same training ends with the same weights."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

np = pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _example() -> tuple[str, str]:
    section = README.split("## Tensors", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    shown = re.search(r"```text\n(.*?)```", section, flags=re.S).group(1)
    return code, shown


@pytest.fixture(scope="module")
def example_run() -> tuple[str, dict]:
    """The example's printed output and its variables (it trains for a few seconds: run it once)."""
    code, _ = _example()
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md (Tensors)", "exec"), namespace)
    return out.getvalue(), namespace


def test_the_readme_example_prints_what_the_readme_shows(example_run):
    printed, _ = example_run
    assert printed == _example()[1]


@pytest.mark.torch
def test_the_readme_training_replayed_in_pytorch_ends_with_the_same_weights(example_run, torch_module):
    torch = torch_module
    F = torch.nn.functional
    _, ns = example_run
    V, steps = ns["V"], ns["step"] + 1
    xs, ys = torch.tensor(ns["xs"].data), torch.tensor(ns["ys"].data)
    W = torch.tensor(np.random.default_rng(2147483647).standard_normal((V, V)), requires_grad=True)
    for _ in range(steps):
        loss = F.cross_entropy(F.one_hot(xs, V).double() @ W, ys) + 0.01 * (W**2).mean()
        W.grad = None
        loss.backward()
        with torch.no_grad():
            W -= 50 * W.grad
    assert ns["loss"].item() == pytest.approx(loss.item(), rel=1e-14)
    np.testing.assert_allclose(ns["W"].data, W.detach().numpy(), rtol=0, atol=1e-12)
