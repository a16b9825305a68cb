"""What ``micrograd.train.fit`` needs to train a tensor model: whole batches, drawn from a Generator.

``fit(model, X, y, loss=..., optimizer=...)`` runs the same loop for tensor models as for
models of Values (progress bar, history, Ctrl-C, divergence checks, validation,
callbacks); this module supplies the part that differs. A step is one forward pass of
the batch (``model(X[batch])``), the loss, ``backward()``. An epoch's batches are a
``randperm`` of the samples from ``Generator(seed)`` cut into ``batch_size`` pieces, so a
run repeats exactly; ``batch_size=None`` trains on the whole set at every step.
Validation runs in ``eval()`` mode (BatchNorm uses its running statistics) without
recording a graph, and the model returns to the mode it was in.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from micrograd.engine import no_grad
from micrograd.losses import CLASSIFICATION_LOSSES, l2_weight
from micrograd.tensor.generator import Generator
from micrograd.tensor.losses import LOSSES, l2_penalty
from micrograd.tensor.nn import Module
from micrograd.tensor.tensor import Tensor

__all__ = ["TensorData", "tensor_accuracy"]


def _samples(X: Any, what: str) -> Tensor:
    data = X if isinstance(X, Tensor) else Tensor(X)
    if data.ndim == 0 or data.shape[0] == 0:
        raise ValueError(f"{what} must hold at least one sample along dim 0, got shape {data.shape}")
    return data.detach()


def _targets(y: Any, n: int, what: str) -> np.ndarray:
    array = np.asarray(y.data if isinstance(y, Tensor) else y)
    if array.ndim == 0 or array.shape[0] != n:
        raise ValueError(f"{what} must have one target per sample ({n}), got shape {array.shape}")
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{what} must be numbers, got {array.dtype}")
    return array


def tensor_accuracy(outputs: np.ndarray, targets: np.ndarray, threshold: float = 0.0) -> float:
    """The fraction right, by :func:`micrograd.train.accuracy`'s rule: the largest of several
    outputs is the class; one output is positive above ``threshold``, a target above 0.5."""
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return float((outputs.argmax(axis=1) == targets).mean())
    return float(((outputs.reshape(-1) > threshold) == (targets.reshape(-1) > 0.5)).mean())


class TensorData:
    """Samples along dim 0 of a tensor, trained a whole batch per step (see the module docstring)."""

    def __init__(self, model: Module, X: Any, y: Any, loss: str | Callable[..., Tensor], l2: float,
                 validation: Any, batch_size: int | None, seed: int | None, step: Any) -> None:  # fmt: skip
        if step is not None:
            raise TypeError(
                "fit(step=...) replaces the step of a model of Values; a tensor model steps on whole batches"
            )
        self.model = model
        self.X = _samples(X, "X")
        self.y = _targets(y, self.X.shape[0], "y")
        self.classification = any(loss == name or loss is LOSSES.get(name) for name in CLASSIFICATION_LOSSES)
        if callable(loss):
            self.loss = loss
        elif loss in LOSSES:
            self.loss = LOSSES[loss]  # type: ignore[index]
        else:
            raise ValueError(f"unknown loss {loss!r}: choose one of {', '.join(map(repr, LOSSES))} or pass a function")
        self.l2 = l2_weight(l2)
        if validation is not None:
            self.val_X = _samples(validation[0], "validation X")
            self.val_y = _targets(validation[1], self.val_X.shape[0], "validation y")
        self.batch_size = batch_size
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"seed must be an int (or None), got {type(seed).__name__}")
        self.generator = Generator(seed) if seed is not None else None

    def batches(self) -> list[Any]:
        n = self.X.shape[0]
        if self.batch_size is None or self.batch_size >= n:
            return [slice(None)]
        order = self.generator.randperm(n).data if self.generator is not None else np.arange(n)
        return [order[i : i + self.batch_size] for i in range(0, n, self.batch_size)]

    def _objective(self, X: Tensor, y: np.ndarray) -> tuple[Tensor, Tensor]:
        outputs = self.model(X)
        total = self.loss(outputs, y)
        if not isinstance(total, Tensor) or total.numel() != 1:
            raise TypeError(f"the loss must return a one-element Tensor, got {type(total).__name__}")
        if self.l2:
            total = total + l2_penalty(self.model.parameters(), self.l2)
        return total, outputs

    def step(self, batch: Any) -> tuple[float, np.ndarray, np.ndarray]:
        y = self.y[batch]
        total, outputs = self._objective(self.X[batch], y)
        total.backward()
        return total.item(), outputs.data, y

    def finite_gradients(self, params: list[Any]) -> bool:
        return all(p.grad is None or np.isfinite(p.grad).all() for p in params)

    def accuracy(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        return tensor_accuracy(outputs, targets)

    def evaluate(self, with_accuracy: bool) -> tuple[float, float | None]:
        mode = self.model.training
        self.model.eval()
        try:
            with no_grad():
                total, outputs = self._objective(self.val_X, self.val_y)
        finally:
            self.model.train(mode)
        acc = tensor_accuracy(outputs.data, self.val_y) if with_accuracy else None
        return total.item(), acc
