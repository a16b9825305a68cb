"""The entry points of differentiation: ``Tensor.backward()`` and ``grad()``.

Both check what they are given, make the seed gradient, choose the numbers the rules
compute with (arrays, or with ``create_graph=True`` the Tensor math backend, so that the
gradients are graphs to differentiate again) and hand all that to the driver,
:func:`micrograd.tensor.backprop._backpropagate`. This module needs both the driver and
:mod:`micrograd.tensor.tensormath`, which are built on the Tensor class, so it sits above
them all; ``Tensor.backward`` reaches :func:`backward` through the registration at the end
of this module (``micrograd.tensor`` imports it, so it is done before a user can call it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from micrograd.tensor.backprop import _backpropagate
from micrograd.tensor.base import _as_array
from micrograd.tensor.tensor import Tensor, _constant, _provide
from micrograd.tensor.tensormath import TENSOR

__all__ = ["grad", "backward"]


def _as_list(x: Any, what: str) -> list[Tensor]:
    items = [x] if isinstance(x, Tensor) else list(x) if isinstance(x, (list, tuple)) else None
    if not items:
        raise TypeError(f"grad() {what} must be a Tensor or a non-empty list of Tensors, got {type(x).__name__}")
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad() {what}[{i}] must be a Tensor, got {type(t).__name__}")
    return items


def _seed(output: Tensor, gradient: Any, create_graph: bool, where: str) -> Any:
    """The gradient that starts a backward pass at ``output``: ones for a one-element tensor, else ``gradient``."""
    seed: Any
    if gradient is None:
        if output.data.size != 1:
            raise ValueError(
                f"{where} without a gradient needs a one-element tensor, got shape {output.shape}: "
                f"pass {'grad_outputs' if where.startswith('grad') else 'gradient'}= (an array of that shape), "
                "or reduce first (.sum(), .mean())"
            )
        seed = np.ones(output.shape, dtype=output.dtype)
    elif isinstance(gradient, Tensor) and create_graph:
        if gradient.shape != output.shape and not (gradient.data.size == 1 == output.data.size):
            raise ValueError(f"{where} gradient has shape {gradient.shape}, the tensor has shape {output.shape}")
        seed = gradient._to(output.dtype) if gradient.dtype.kind == "f" else _constant(gradient.data.astype(
            output.dtype))
        return seed if seed.shape == output.shape else seed.reshape(output.shape)
    else:
        seed = _as_array(gradient, output.dtype, f"{where} gradient")
        if seed.shape != output.shape:
            if seed.size == 1 and output.data.size == 1:
                seed = seed.reshape(output.shape)
            else:
                raise ValueError(f"{where} gradient has shape {seed.shape}, the tensor has shape {output.shape}")
    return _constant(seed) if create_graph else seed


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def backward(output: Tensor, gradient: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False) -> None:  # fmt: skip
    """``output.backward(gradient, retain_graph, create_graph)``: see :meth:`Tensor.backward`."""
    create_graph = _flag(create_graph, "create_graph")
    if retain_graph is not None:
        _flag(retain_graph, "retain_graph")
    seed = _seed(output, gradient, create_graph, "backward()")
    _backpropagate([output], [seed], TENSOR if create_graph else None)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor], grad_outputs: Any = None,
         retain_graph: bool | None = None, create_graph: bool = False, allow_unused: bool = False,
         materialize_grads: bool = False) -> tuple[Tensor | None, ...]:  # fmt: skip
    """∂outputs/∂input for each input, as ``torch.autograd.grad``; no ``.grad`` is touched.

    ``grad_outputs`` (one per output; may be left out for one-element outputs) weights the
    outputs: the result is ∂(Σ grad_outputs·outputs)/∂input. With ``create_graph=True`` the
    gradients are Tensors in a graph, so they can be differentiated again:
    ``grad(grad(f, x, create_graph=True)[0].sum(), x)`` is Σ of the rows of f's Hessian. An
    input the outputs do not depend on is an error, or None with ``allow_unused=True``, or
    zeros with ``materialize_grads=True``. Inputs may be intermediate tensors.
    ``retain_graph`` is accepted for PyTorch's signature: the graph is always kept.
    """
    outs, xs = _as_list(outputs, "outputs"), _as_list(inputs, "inputs")
    create_graph, allow_unused = _flag(create_graph, "create_graph"), _flag(allow_unused, "allow_unused")
    materialize_grads = _flag(materialize_grads, "materialize_grads")
    if retain_graph is not None:
        _flag(retain_graph, "retain_graph")
    if grad_outputs is None:
        grad_outputs = [None] * len(outs)
    elif isinstance(grad_outputs, (list, tuple)) and all(g is None or isinstance(g, (Tensor, np.ndarray))
                                                         for g in grad_outputs):  # fmt: skip
        grad_outputs = list(grad_outputs)
    else:
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outs):
        raise ValueError(f"grad(): {len(grad_outputs)} grad_outputs for {len(outs)} outputs")
    for name, items in (("outputs", outs), ("inputs", xs)):
        for i, t in enumerate(items):
            if not t._requires_grad:
                raise ValueError(
                    f"grad(): {name}[{i}] (shape {t.shape}) does not require grad, so nothing can be differentiated "
                    + ("with respect to it: set requires_grad=True on it" if name == "inputs" else
                       "through it: it was computed from no tensor that requires grad, or inside no_grad()")
                )  # fmt: skip
    seeds = [_seed(out, g, create_graph, f"grad() outputs[{i}]") for i, (out, g) in enumerate(zip(outs, grad_outputs))]
    found = _backpropagate(outs, seeds, TENSOR if create_graph else None, xs)
    result: list[Tensor | None] = []
    for i, x in enumerate(xs):
        g = found.get(id(x))
        if g is None:
            if not (allow_unused or materialize_grads):
                raise ValueError(
                    f"grad(): inputs[{i}] (shape {x.shape}) was not used to compute the outputs: "
                    "pass allow_unused=True (None for it) or materialize_grads=True (zeros)"
                )
            result.append(_constant(np.zeros(x.shape, dtype=x.dtype)) if materialize_grads else None)
        elif create_graph:
            result.append(g)
        else:
            result.append(_constant(np.array(g)))
    return tuple(result)


_provide("backward", backward)
