"""Fused rules for the layers: an affine map and a weight penalty, each one node.

``Linear`` written from ``@``, ``.T`` and ``+`` is four nodes (a transpose, a product, the
bias's broadcast and an add), and its backward pass computes ∂/∂x even for the data
itself, which nothing needs: for a first layer on 1797 samples that is as much work as
the forward product. As one rule it is one node, and it skips ∂/∂x when x needs no
gradient (the layer knows when it makes the node). An L2 penalty over a model's
parameters is likewise one node instead of three per parameter. These are what the
scalar engine's fused ``dot`` is to a neuron: the same numbers, a smaller graph.

* affine:  out = x @ Wᵀ + b;  ∂/∂x = g @ W,  ∂/∂W = gᵀ @ x,  ∂/∂b = Σ_rows g   (rows: every dim but the last)
* square_sum(α):  out = α · Σₖ Σ pₖ²;  ∂/∂pₖ = 2 · (α·g) · pₖ

The gradients are PyTorch's formulas (``addmm``'s and ``mul``'s), so models agree with it
as closely as for the unfused graph. Like the other array rules they reach their arrays
only through the backend ``m``.
"""

from __future__ import annotations

from typing import Any

from micrograd.tensor.arrayops import ArrayOp

__all__ = ["Affine", "SquareSum"]


class Affine(ArrayOp):
    """x @ Wᵀ (+ b) for W (out, in) and x (..., in);  ∂/∂x = g @ W, ∂/∂W = gᵀ @ x, ∂/∂b = Σ_rows g."""

    input_grad: bool  # whether x needs its gradient (the data of a first layer does not)

    def __new__(cls, bias: bool, input_grad: bool) -> Affine:
        return super().__new__(cls, "affine", arity=3 if bias else 2, input_grad=input_grad)  # arity: with a bias

    def forward(self, m: Any, x: Any, W: Any, *b: Any) -> Any:
        out = m.matmul(x, m.swap_last(W))
        return out + b[0] if b else out

    def backward(self, m: Any, g: Any, out: Any, x: Any, W: Any, *b: Any) -> tuple[Any, ...]:
        rows = m.reshape(g, (-1, W.shape[0]))
        dW = m.matmul(m.swap_last(rows), m.reshape(x, (-1, W.shape[1])))
        dx = m.matmul(g, W) if self.input_grad else None
        return (dx, dW, m.sum(rows, (0,), False)) if b else (dx, dW)


class SquareSum(ArrayOp):
    """α · Σₖ Σ pₖ² over any number of arrays;  ∂/∂pₖ = 2 · (α·g) · pₖ."""

    arity = None  # any number of inputs
    alpha: float

    def __new__(cls, alpha: float) -> SquareSum:
        return super().__new__(cls, "square_sum", alpha=alpha)

    def forward(self, m: Any, *ps: Any) -> Any:
        total = m.sum(ps[0] * ps[0], None, False)
        for p in ps[1:]:
            total = total + m.sum(p * p, None, False)
        return self.alpha * total

    def backward(self, m: Any, g: Any, out: Any, *ps: Any) -> tuple[Any, ...]:
        scaled = self.alpha * g
        return tuple(2 * (scaled * p) for p in ps)
