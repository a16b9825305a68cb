"""``micrograd.gradcheck`` for tensor functions: every analytic derivative against central differences.

For inputs that are Tensors, :func:`micrograd.gradcheck` comes here. The analytic Jacobian is
built a row at a time, one backward pass (:func:`micrograd.tensor.grad`) per output element;
the numerical one a column at a time, moving one input element by ±ε:
∂out[k]/∂x[i] ≈ (out[k](x + ε·eᵢ) - out[k](x - ε·eᵢ)) / 2ε, whose error is O(ε²). Inputs must
be float64: in float32 a step of 1e-6 is rounding noise.

A function of gradients (``grad(..., create_graph=True)`` inside ``f``) is checked the same
way, so ``gradcheck(lambda x: grad(f(x), x, create_graph=True)[0], [x])`` is a gradgradcheck.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from micrograd.gradcheck import raise_failures, register_array_check
from micrograd.tensor.autograd import grad
from micrograd.tensor.tensor import Tensor

__all__ = ["tensor_gradcheck"]


def _outputs(result: Any) -> list[Tensor]:
    items = [result] if isinstance(result, Tensor) else list(result) if isinstance(result, (list, tuple)) else None
    if not items or not all(isinstance(t, Tensor) for t in items):
        raise TypeError(f"gradcheck: f must return a Tensor or a list of Tensors, got {type(result).__name__}")
    return items


def _at(flat: int, shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(int(i)) for i in np.unravel_index(flat, shape)) + "]"


def _claims(inputs: Sequence[Any]) -> bool:
    return any(isinstance(x, Tensor) for x in inputs)


def tensor_gradcheck(f: Callable[..., Any], inputs: Sequence[Any], eps: float, atol: float, rtol: float,
                     raise_exception: bool) -> bool:  # fmt: skip
    """True if every ∂out[k]/∂x[i] of ``f(*inputs)`` matches its central difference (see the module)."""
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"gradcheck: inputs mix Tensors with other things: inputs[{i}] is {type(x).__name__}")
        if x.requires_grad and x.dtype != np.float64:
            raise TypeError(
                f"gradcheck: inputs[{i}] is {x.dtype}: central differences need float64 (a step of {eps:g} "
                "is rounding noise in float32); check x.double()"
            )
    checked = [k for k, x in enumerate(inputs) if x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    outputs = _outputs(f(*inputs))
    analytic: list[list[np.ndarray]] = []  # [output][input]: a Jacobian (output elements, input elements)
    for out in outputs:
        blocks = [np.zeros((out.data.size, inputs[k].data.size)) for k in checked]
        if out.requires_grad:
            for e in range(out.data.size):
                seed = np.zeros(out.shape)
                seed.flat[e] = 1.0
                rows = grad(out, [inputs[k] for k in checked], seed, materialize_grads=True)
                for block, row in zip(blocks, rows):
                    if row is not None:  # materialize_grads: never None
                        block[e] = row.data.ravel()
        analytic.append(blocks)

    def evaluate() -> list[np.ndarray]:  # with gradients on: f may itself call grad()
        return [np.array(out.data, dtype=np.float64).ravel() for out in _outputs(f(*inputs))]

    failures = []
    for column, k in enumerate(checked):
        x = inputs[k]
        for i in range(x.data.size):
            original = x.data.flat[i]
            try:
                x.data.flat[i] = original + eps
                plus = evaluate()
                x.data.flat[i] = original - eps
                minus = evaluate()
            finally:
                x.data.flat[i] = original
            for o, (p, m) in enumerate(zip(plus, minus)):
                numeric = (p - m) / (2 * eps)
                exact = analytic[o][column][:, i]
                for e in range(numeric.size):
                    difference = abs(exact[e] - numeric[e])
                    allowed = atol + rtol * abs(numeric[e])
                    if not difference <= allowed:
                        failures.append((o, e, k, i, exact[e], numeric[e], difference, allowed))
    if not failures:
        return True
    if not raise_exception:
        return False
    total = sum(out.data.size for out in outputs) * sum(inputs[k].data.size for k in checked)
    lines = [
        f"gradcheck: {len(failures)} of {total} derivatives ∂output[element]/∂input[element] disagree "
        f"with central differences (eps={eps}, atol={atol}, rtol={rtol}):",
        f"  {'output[element]':>16} {'input[element]':>15} {'analytic':>14} {'numeric':>14} "
        f"{'|difference|':>13} {'allowed':>10}",
    ]
    for o, e, k, i, a, n, difference, allowed in failures[:20]:
        out_at, in_at = f"{o}{_at(e, outputs[o].shape)}", f"{k}{_at(i, inputs[k].shape)}"
        lines.append(f"  {out_at:>16} {in_at:>15} {a:>14.6g} {n:>14.6g} {difference:>13.3g} {allowed:>10.3g}")
    raise_failures(lines, len(failures), any(math.isnan(a) or math.isnan(n) for *_, a, n, _d, _al in failures))


register_array_check(_claims, tensor_gradcheck)
