"""Random tensor expression graphs for Hypothesis: leaves of a few broadcastable shapes, and steps
that apply an elementwise op, a reduction, softmax or a broadcasting binary op to earlier nodes.

The same program runs on micrograd tensors and on PyTorch tensors (the ops are spelled alike).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from strategies import BINARY

SHAPES = ((3, 4), (3, 1), (1, 4), ())
UNARY = {
    "neg": lambda x: -x,
    "exp": lambda x: (x * 0.5).exp(),
    "log": lambda x: (abs(x) + 0.5).log(),
    "sqrt": lambda x: (abs(x) + 0.5).sqrt(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "abs": lambda x: abs(x),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "square": lambda x: x**2,
    "pow_c": lambda x: (abs(x) + 0.5) ** 1.5,
    "sum0": lambda x: x.sum(0, keepdim=True) if x.ndim else x,
    "mean1": lambda x: x.mean(-1, keepdim=True) if x.ndim else x,
    "amax": lambda x: x.amax(0, keepdim=True) if x.ndim else x,
    "softmax": lambda x: x.softmax(-1) if x.ndim else x,
    "log_softmax": lambda x: x.log_softmax(0) if x.ndim else x,
    "T": lambda x: x.T.T if x.ndim == 2 else x,
}


@st.composite
def programs(draw: Any, max_steps: int = 8,
             unary: Any = None) -> tuple[list[tuple[int, ...]], list[tuple[Any, ...]], int]:  # fmt: skip
    """A random program: leaf shapes, steps, a seed for the numbers; ``unary`` limits the one-input ops."""
    names = sorted(UNARY) if unary is None else list(unary)
    leaves = draw(st.lists(st.sampled_from(SHAPES), min_size=1, max_size=3))
    steps = []
    for n in range(draw(st.integers(1, max_steps))):
        available = len(leaves) + n
        if draw(st.booleans()):
            steps.append(("unary", draw(st.sampled_from(names)), draw(st.integers(0, available - 1))))
        else:
            ops = sorted(set(BINARY) - {"pow"})
            steps.append(("binary", draw(st.sampled_from(ops)), draw(st.integers(0, available - 1)),
                          draw(st.integers(0, available - 1))))  # fmt: skip
    return leaves, steps, draw(st.integers(0, 2**32 - 1))


def evaluate(leaves: list[Any], steps: list[tuple[Any, ...]]) -> Any:
    nodes = list(leaves)
    for step in steps:
        if step[0] == "unary":
            nodes.append(UNARY[step[1]](nodes[step[2]]))
        else:
            nodes.append(BINARY[step[1]](nodes[step[2]], nodes[step[3]]))
    return nodes[-1]


@dataclass
class Paired:
    """One random program run on micrograd tensors and on PyTorch's, from the same leaves."""

    rng: Any  # the program's generator, for drawing the upstream gradients next
    arrays: list[Any]
    ours: list[Any]
    theirs: list[Any]
    out: Any
    ref: Any


def run_both(program: tuple[Any, ...], torch: Any) -> Paired:
    """The program's leaves drawn from its seed in [-2, 2], as Tensors and as torch tensors that
    require grad, and the program's result in each engine."""
    import numpy as np

    from micrograd.tensor import Tensor

    shapes, steps, seed = program
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-2.0, 2.0, size=s) for s in shapes]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return Paired(rng, arrays, ours, theirs, evaluate(ours, steps), evaluate(theirs, steps))
