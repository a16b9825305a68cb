"""Softmax, log-softmax and cross-entropy: each one fused node, computed stably.

Written from exp, sum and log nodes these overflow (e^1000) and cost a node per step;
as one rule each they subtract the row's maximum first (which changes nothing
mathematically: softmax(x) = softmax(x - c)) and have a short exact gradient:

* log_softmax:  out = x - max - log Σ e^(x - max);   ∂/∂x = g - e^out · Σ g
* softmax:      out = e^(x - max) / Σ e^(x - max);   ∂/∂x = out · (g - Σ g·out)
* cross_entropy(logits, targets) = nll(log_softmax(logits)), the mean over the batch of
  -log p[target], as PyTorch composes it;   ∂nll/∂logp[i, tᵢ] = -g / N.

The sums run over ``dim`` (the classes). The three rules live with the other array rules
in :mod:`micrograd.tensor.arrayops` (so that Tensor's methods need not import this module);
like them they reach their arrays only through the backend ``m``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.tensor.arrayops import LogSoftmax, NLLLoss, Softmax
from micrograd.tensor.shapes import _dims
from micrograd.tensor.tensor import Tensor, _apply

__all__ = ["log_softmax", "softmax", "cross_entropy"]


def _float_tensor(x: Any, what: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{what} takes a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{what} needs a floating-point tensor, got {x.dtype}: convert it first with .double()")
    return x


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """log(e^x / Σ e^x) along ``dim``, stable for large x (one fused node)."""
    (d,) = _dims(dim, _float_tensor(x, "log_softmax").ndim, "log_softmax")
    return _apply(LogSoftmax(d), (x,))


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """e^x / Σ e^x along ``dim``: probabilities that sum to 1, stable for large x (one fused node)."""
    (d,) = _dims(dim, _float_tensor(x, "softmax").ndim, "softmax")
    return _apply(Softmax(d), (x,))


def _class_targets(targets: Any, n: int, classes: int) -> np.ndarray:
    """Targets as an int array of shape (n,) with every class in range, or a clear error."""
    array = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    if array.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy targets must be integer class indices, got {array.dtype}")
    if array.shape != (n,):
        raise ValueError(
            f"cross_entropy: logits of shape ({n}, {classes}) need targets of shape ({n},), got {array.shape}"
        )
    bad = (array < 0) | (array >= classes)
    if bad.any():
        i = int(np.argmax(bad))
        raise IndexError(f"cross_entropy: target {int(array[i])} (row {i}) is not a class in 0..{classes - 1}")
    return array.astype(np.intp)


def cross_entropy(logits: Tensor, targets: Any) -> Tensor:
    """The mean over the batch of -log softmax(logits)[i, targets[i]], as ``torch.nn.functional.cross_entropy``.

    ``logits`` is (N, C); ``targets`` holds N class indices (an int tensor, array or list).
    """
    if _float_tensor(logits, "cross_entropy").ndim != 2:
        raise ValueError(f"cross_entropy needs logits of shape (N, C), got {logits.shape}")
    n, classes = logits.shape
    rows = np.arange(n)
    key = (rows, _class_targets(targets, n, classes))
    return _apply(NLLLoss(key, n), (log_softmax(logits, 1),))
