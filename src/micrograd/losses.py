"""Loss functions: how wrong a model's outputs are, as one Value to call ``backward()`` on.

Each loss is built from Value operations only, so its gradient comes from the
engine's rules (no derivative is written here) and it traces like any other
graph. Every loss has PyTorch's name and ``reduction`` ('mean', 'sum' or 'none'
for the list of per-sample losses) and agrees with ``torch.nn.functional``.
Targets may be lists or NumPy arrays. For mse, hinge and bce a target may also be
a Value (e.g. a placeholder while :func:`micrograd.compile` traces a per-sample
loss); its number is then not checked, since reading it would freeze it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from micrograd.checks import as_float, finite_float, real
from micrograd.engine import Value
from micrograd.nn import Module

__all__ = [
    "Objective",
    "objective",
    "l2_weight",
    "mse_loss",
    "hinge_loss",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "l2_regularization",
    "LOSSES",
    "get_loss",
]

Loss = Callable[..., Any]
REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses: list[Value], reduction: str) -> Value | list[Value]:
    """Σ losses (left to right), its mean Σ/n, or the list itself."""
    if reduction == "none":
        return losses
    total = losses[0]
    for term in losses[1:]:
        total = total + term
    return total / len(losses) if reduction == "mean" else total


def _check_reduction(reduction: object) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(map(repr, REDUCTIONS))}, got {reduction!r}")
    return reduction  # type: ignore[return-value]


def _pairs(outputs: Any, targets: Any, name: str) -> tuple[list[Any], list[Any]]:
    """Outputs and targets as two equally long, non-empty lists (a single Value is one sample)."""
    if isinstance(outputs, (Value, numbers.Real)):
        outputs = [outputs]
    elif hasattr(outputs, "tolist"):
        outputs = outputs.tolist()
    if isinstance(targets, (Value, numbers.Real)) or getattr(targets, "ndim", None) == 0:
        targets = [targets]
    elif hasattr(targets, "tolist"):
        targets = targets.tolist()
    try:
        outputs, targets = list(outputs), list(targets)
    except TypeError:
        raise TypeError(
            f"{name} expects a list of outputs and a list of targets, "
            f"got {type(outputs).__name__} and {type(targets).__name__}"
        ) from None
    if len(outputs) != len(targets):
        raise ValueError(f"{name}: got {len(outputs)} outputs but {len(targets)} targets")
    if not outputs:
        raise ValueError(f"{name}: no samples (empty outputs and targets)")
    return outputs, targets


def _items(x: Any) -> list[Any]:
    """One sample's outputs (or targets) as a list: a single number or Value is a list of one."""
    if isinstance(x, (Value, numbers.Real, str)) or getattr(x, "ndim", None) == 0:
        return [x]
    return list(x.tolist() if hasattr(x, "tolist") else x)


def _value(x: Any, where: str) -> Value:
    """A model output as a Value (a plain number becomes a constant)."""
    return x if isinstance(x, Value) else Value(real(where, x, "a Value or a number"))


def _target(t: Any, where: str) -> float:
    """A target as a finite float, or a TypeError/ValueError naming it."""
    return finite_float(where, t, "targets must be finite")


def _label(y: Any, i: int, loss: str, allowed: Callable[[float], bool], wanted: str, hint: str) -> Value | float:
    """A two-class label: a Value as it is, a number only if ``allowed`` (else an error naming what is wanted)."""
    if isinstance(y, Value):
        return y
    label = _target(y, f"{loss} label {i}")
    if not allowed(label):
        raise ValueError(f"{loss} needs labels {wanted}, got {label:g} at index {i} ({hint})")
    return label


def mse_loss(predictions: Any, targets: Any, reduction: str = "mean") -> Value | list[Value]:
    """Mean squared error: (1/n)·Σ (pᵢ - tᵢ)².

    For models with several outputs, each prediction and target is a list and the
    mean runs over every element (as ``torch.nn.functional.mse_loss``).
    """
    reduction = _check_reduction(reduction)
    predictions, targets = _pairs(predictions, targets, "mse_loss")
    terms: list[Value] = []
    for i, (p, t) in enumerate(zip(predictions, targets, strict=True)):
        ps, ts = _items(p), _items(t)
        if len(ps) != len(ts):
            raise ValueError(f"mse_loss: prediction {i} has {len(ps)} output(s) but its target has {len(ts)}")
        for j, (pj, tj) in enumerate(zip(ps, ts, strict=True)):
            target = tj if isinstance(tj, Value) else _target(tj, f"target {i}[{j}]")
            diff = _value(pj, f"prediction {i}[{j}]") - target
            terms.append(diff * diff)
    return _reduce(terms, reduction)


def hinge_loss(scores: Any, labels: Any, reduction: str = "mean") -> Value | list[Value]:
    """The SVM max-margin loss for labels ±1: (1/n)·Σ max(0, 1 - yᵢ·sᵢ).

    A sample costs nothing once its score has the right sign with a margin of 1;
    this is the loss of the original micrograd moons demo.
    """
    reduction = _check_reduction(reduction)
    scores, labels = _pairs(scores, labels, "hinge_loss")
    terms = []
    for i, (s, y) in enumerate(zip(scores, labels, strict=True)):
        y = _label(y, i, "hinge_loss", lambda t: t in (-1.0, 1.0), "-1 or +1", "for 0/1 labels pass 2*y - 1")
        terms.append((1 - y * _value(s, f"score {i}")).relu())
    return _reduce(terms, reduction)


def binary_cross_entropy_with_logits(logits: Any, labels: Any, reduction: str = "mean") -> Value | list[Value]:
    """Binary cross-entropy on logits z for labels y in [0, 1]: max(z, 0) - z·y + log(1 + e^-|z|).

    That is -[y·log σ(z) + (1-y)·log(1-σ(z))] written so that no exponential can
    overflow (stable for any |z|), and log(1 + e^-|z|) is log1p, which keeps e^-|z| where
    1 + e^-|z| rounds to 1 (|z| > 37). max(z, 0) is computed as (z + |z|)/2 so that the
    gradient at z = 0 is exactly σ(0) - y = 1/2 - y.
    """
    reduction = _check_reduction(reduction)
    logits, labels = _pairs(logits, labels, "binary_cross_entropy_with_logits")
    terms = []
    for i, (z, y) in enumerate(zip(logits, labels, strict=True)):
        y = _label(y, i, "binary_cross_entropy_with_logits", lambda t: 0.0 <= t <= 1.0, "in [0, 1]",
                   "for -1/+1 labels pass (y + 1) / 2")
        z = _value(z, f"logit {i}")
        # The e^-|z| term has its own |z| node and comes first, so that backward() adds
        # its tiny share of ∂/∂z last, after the ±1/2 of max(z, 0) and -y have cancelled
        # (added first, it would be lost in rounding).
        terms.append((-z.abs()).exp().log1p() + ((z + z.abs()) * 0.5 - z * y))
    return _reduce(terms, reduction)


def cross_entropy(logits: Any, labels: Any, reduction: str = "mean") -> Value | list[Value]:
    """Softmax cross-entropy for class labels 0 … k-1: log Σⱼ e^(zⱼ - m) - (z_y - m), m = maxⱼ zⱼ.

    Each sample's logits are a list of k Values (an MLP with k outputs). Subtracting
    the largest logit keeps every exponential ≤ 1, so it never overflows; m is a
    running max a + relu(b - a) of Values, which needs no comparison of numbers and
    whose gradient cancels out (the loss does not depend on the shift).
    """
    reduction = _check_reduction(reduction)
    logits, labels = _pairs(logits, labels, "cross_entropy")
    terms = []
    for i, (zs, y) in enumerate(zip(logits, labels, strict=True)):
        if isinstance(zs, (Value, numbers.Real)):
            raise ValueError(
                f"cross_entropy: sample {i} has a single logit; it needs one per class "
                "(for two classes with one output use binary_cross_entropy_with_logits)"
            )
        zs = [_value(v, f"logit {i}[{j}]") for j, v in enumerate(zs)]
        if len(zs) < 2:
            raise ValueError(f"cross_entropy: sample {i} has {len(zs)} logit(s); it needs at least 2 classes")
        if isinstance(y, Value):
            raise TypeError(
                f"cross_entropy label {i} must be a class index (an int), not a Value: the label picks a logit"
            )
        label = _target(y, f"cross_entropy label {i}")
        if label != int(label) or not 0 <= label < len(zs):
            raise ValueError(f"cross_entropy: label {i} is {y!r}; it must be a class index 0 … {len(zs) - 1}")
        m = zs[0]
        for z in zs[1:]:
            m = m + (z - m).relu()
        total = (zs[0] - m).exp()
        for z in zs[1:]:
            total = total + (z - m).exp()
        terms.append(total.log() - (zs[int(label)] - m))
    return _reduce(terms, reduction)


def l2_regularization(parameters: Module | Iterable[Value], alpha: float = 1e-4) -> Value:
    """The weight penalty α·Σ p² over a model's parameters (added to the loss, it pulls weights to 0)."""
    if not (math.isfinite(as_float("alpha", alpha)) and alpha >= 0):
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
    params = parameters.parameters() if isinstance(parameters, Module) else list(parameters)
    if not params:
        raise ValueError("l2_regularization got no parameters")
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"l2_regularization: parameter {i} must be a Value, got {type(p).__name__}")
    total = params[0] * params[0]
    for p in params[1:]:
        total = total + p * p
    return alpha * total


LOSSES: dict[str, Loss] = {
    "mse": mse_loss,
    "hinge": hinge_loss,
    "bce": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
}
"""The losses by short name, as ``fit(loss='hinge')`` accepts them."""

CLASSIFICATION_LOSSES = ("hinge", "bce", "cross_entropy")


def get_loss(loss: str | Loss) -> Loss:
    """A loss function from its short name (see ``LOSSES``), or the callable itself."""
    if callable(loss):
        return loss
    if isinstance(loss, str) and loss in LOSSES:
        return LOSSES[loss]
    raise ValueError(f"unknown loss {loss!r}: choose one of {', '.join(map(repr, LOSSES))} or pass a function")


@dataclass(frozen=True)
class Objective:
    """What training minimises, resolved once: ``loss(outputs, targets) + l2·Σp²``.

    ``classification`` says whether accuracy means something for it (hinge, bce,
    cross_entropy); ``one_hot`` whether its label picks one of several logits.
    """

    loss: Loss
    l2: float = 0.0
    classification: bool = False
    one_hot: bool = False

    def __call__(self, parameters: Sequence[Value], outputs: list[Any], targets: list[Any]) -> Value:
        total = self.loss(outputs, targets)
        return total + l2_regularization(parameters, self.l2) if self.l2 else total


def l2_weight(l2: Any) -> float:
    """``l2`` as the weight of an L2 penalty: a finite number >= 0 (bools refused, as everywhere)."""
    weight = as_float("l2", l2)
    if not (math.isfinite(weight) and weight >= 0):
        raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")
    return weight


def objective(loss: str | Loss | Objective, l2: float = 0.0) -> Objective:
    """The :class:`Objective` for a loss name or function and an ``l2`` weight (an Objective passes through)."""
    if isinstance(loss, Objective):
        if l2:
            raise ValueError("l2 is part of the objective already: pass it to objective(), not here")
        return loss
    function = get_loss(loss)
    weight = l2_weight(l2)
    classification = any(function is LOSSES[name] for name in CLASSIFICATION_LOSSES)
    return Objective(function, weight, classification, function is LOSSES["cross_entropy"])
