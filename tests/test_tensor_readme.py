"""The README's tensor example runs and prints what the README shows; and the same bigram
training in PyTorch float64 follows the same losses."""

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


def test_the_readme_example_prints_what_the_readme_shows():
    code, shown = _example()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md (Tensors)", "exec"), {})
    assert out.getvalue() == shown


@pytest.mark.torch
def test_bigram_training_follows_pytorch(torch_module):
    torch = torch_module
    F = torch.nn.functional
    from micrograd.tensor import Tensor, cross_entropy, one_hot

    words = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia"]
    chars = ["."] + sorted(set("".join(words)))
    stoi = {c: i for i, c in enumerate(chars)}
    pairs = [(stoi[a], stoi[b]) for w in words for a, b in zip("." + w, w + ".")]
    V = len(chars)
    W0 = np.random.default_rng(2147483647).standard_normal((V, V))
    xs, ys = Tensor([a for a, _ in pairs]), Tensor([b for _, b in pairs])
    W, tW = Tensor(W0, requires_grad=True), torch.tensor(W0, requires_grad=True)
    txs, tys = torch.tensor(xs.data), torch.tensor(ys.data)
    for _ in range(101):
        loss = cross_entropy(one_hot(xs, V).double() @ W, ys) + 0.01 * (W**2).mean()
        W.grad = None
        loss.backward()
        W.data -= 10 * W.grad
        reference = F.cross_entropy(F.one_hot(txs, V).double() @ tW, tys) + 0.01 * (tW**2).mean()
        tW.grad = None
        reference.backward()
        with torch.no_grad():
            tW -= 10 * tW.grad
        assert loss.item() == pytest.approx(reference.item(), rel=1e-14)
    np.testing.assert_allclose(W.data, tW.detach().numpy(), rtol=0, atol=1e-13)
