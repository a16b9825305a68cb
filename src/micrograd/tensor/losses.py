"""Losses on whole batches of tensor outputs, by the names ``fit`` knows: 'mse', 'hinge', 'bce', 'cross_entropy'.

Each is written from tensor operations (so its gradient comes from the ops' rules) and
agrees with its scalar twin in :mod:`micrograd.losses` and with ``torch.nn.functional``:

* mse:            mean over the batch of (output - target)²
* hinge:          mean of max(0, 1 - y·score) for labels y = ±1 (the moons demo's loss)
* bce:            mean of max(z, 0) - z·y + log(1 + e^-|z|) for logits z and labels y in [0, 1]
* cross_entropy:  :func:`micrograd.tensor.cross_entropy`, integer class targets
* l2_penalty:     α·Σ p² over the parameters, added to any of them
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from micrograd.tensor.fused import SquareSum
from micrograd.tensor.softmax import cross_entropy
from micrograd.tensor.tensor import Tensor, _apply

__all__ = ["mse_loss", "hinge_loss", "binary_cross_entropy_with_logits", "cross_entropy", "l2_penalty", "LOSSES"]


def _one_per_sample(outputs: Any, targets: Any, name: str) -> tuple[Tensor, np.ndarray]:
    """Outputs of shape (N,) or (N, 1) and N float targets, as (N,) both."""
    if not isinstance(outputs, Tensor):
        raise TypeError(f"{name} takes the model's output Tensor, got {type(outputs).__name__}")
    array = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{name} targets must be numbers, got {array.dtype}")
    shape = outputs.shape
    if outputs.ndim == 2 and outputs.shape[1] == 1:
        outputs = outputs.reshape(-1)
    if outputs.ndim != 1 or array.shape != outputs.shape:
        wanted = f"({shape[0]},)" if outputs.ndim == 1 else "(N,) for outputs of shape (N,) or (N, 1)"
        raise ValueError(f"{name}: outputs of shape {shape} need targets of shape {wanted}, got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name}: targets must be finite")
    return outputs, array.astype(outputs.dtype)


def mse_loss(outputs: Tensor, targets: Any) -> Tensor:
    """The mean squared error: mean of (output - target)²; outputs (N,) or (N, 1), or (N, K) with targets (N, K)."""
    if isinstance(outputs, Tensor) and outputs.ndim == 2 and outputs.shape[1] > 1:
        array = np.asarray(targets.data if isinstance(targets, Tensor) else targets, dtype=outputs.dtype)
        if array.shape != outputs.shape:
            raise ValueError(f"mse_loss: outputs of shape {outputs.shape} need targets of one shape, got {array.shape}")
        return ((outputs - Tensor(array)) ** 2).mean()
    outputs, array = _one_per_sample(outputs, targets, "mse_loss")
    return ((outputs - Tensor(array)) ** 2).mean()


def hinge_loss(scores: Tensor, labels: Any) -> Tensor:
    """The SVM max-margin loss for labels ±1: mean of max(0, 1 - y·s)."""
    scores, y = _one_per_sample(scores, labels, "hinge_loss")
    if not np.isin(y, (-1.0, 1.0)).all():
        bad = y[~np.isin(y, (-1.0, 1.0))][0]
        raise ValueError(f"hinge_loss needs labels -1 or +1, got {bad:g} (for 0/1 labels pass 2*y - 1)")
    return (1 - Tensor(y) * scores).relu().mean()


def binary_cross_entropy_with_logits(logits: Tensor, labels: Any) -> Tensor:
    """Binary cross-entropy of logits z for labels y in [0, 1], written so no exponential can overflow."""
    z, y = _one_per_sample(logits, labels, "binary_cross_entropy_with_logits")
    if ((y < 0) | (y > 1)).any():
        raise ValueError("binary_cross_entropy_with_logits needs labels in [0, 1]")
    magnitude = abs(z)
    softplus = (1 + (-magnitude).exp()).log()  # type: ignore[attr-defined]  # made from the ops registry
    return ((z + magnitude) * 0.5 - z * Tensor(y) + softplus).mean()


def l2_penalty(parameters: Iterable[Tensor], alpha: float) -> Tensor:
    """α·Σ p² over every element of every parameter, one fused node (:class:`~micrograd.tensor.fused.SquareSum`)."""
    params = tuple(parameters)
    if not params or not all(isinstance(p, Tensor) and p.dtype.kind == "f" for p in params):
        raise TypeError("l2_penalty takes a non-empty list of floating-point tensors (model.parameters())")
    return _apply(SquareSum(float(alpha)), params)


LOSSES: dict[str, Callable[..., Tensor]] = {
    "mse": mse_loss,
    "hinge": hinge_loss,
    "bce": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
}
"""The losses by short name, as ``fit(loss='hinge')`` accepts them for a tensor model."""
