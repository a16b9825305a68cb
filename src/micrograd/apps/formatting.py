"""How the drawings and the explorer write numbers, names and operations, so the two agree."""

from __future__ import annotations

import math

from micrograd.ops import DOT

SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
"""``"w12".translate(SUBSCRIPTS)`` is ``"w₁₂"``."""

INSTALL_DOT = (
    "install it with 'apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS) "
    "or 'conda install graphviz'"
)


def dot_not_found(needed_for: str) -> str:
    """The message for a missing Graphviz ``dot`` program: what it was needed for and how to install it."""
    return f"Graphviz's 'dot' program is needed to {needed_for} and was not found on PATH: {INSTALL_DOT}"


def number(x: float) -> str:
    """A number as the lecture prints it (4 decimals), in scientific notation when that would hide it."""
    if x == 0 or not math.isfinite(x) or 1e-4 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.4e}"


def neuron_inputs(count: int) -> list[str]:
    """The names of a fused neuron's ``count`` inputs, in the ``dot`` op's order: ``w₁ … wₙ, x₁ … xₙ, b``."""
    n = count // 2
    return [f"w{i + 1}".translate(SUBSCRIPTS) for i in range(n)] + [
        f"x{i + 1}".translate(SUBSCRIPTS) for i in range(n)
    ] + ["b"]


def op_label(op: str) -> str:
    """An operation as the lecture's pictures name it: its ``_op`` (``*``, ``tanh``), a fused neuron ``w·x + b``."""
    return "w·x + b" if op == DOT else op
