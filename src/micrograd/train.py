"""The training loop: ``fit`` a model to data, with a progress bar and a history of what happened.

One step is: zero the grads, compute the loss on a batch and backpropagate it,
let the optimizer move the parameters. ``fit`` repeats that for every batch of
every epoch and records the loss, accuracy and learning rate of each step.

The loss-and-gradient computation of a step is one function (see :data:`StepFn`
and :func:`make_step`), so another way of computing it (e.g. compiled code) can
be passed to ``fit(step=...)`` without changing the loop.

Pressing Ctrl-C stops training cleanly after the current step: the model keeps
everything it has learned and the history is marked ``interrupted``. A loss that
becomes nan or infinite stops training before the bad step is applied.
"""

from __future__ import annotations

import math
import random
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Protocol

from micrograd.checks import describe, index
from micrograd.collector import collector_paused
from micrograd.compiler import compile as compile_step
from micrograd.data import MAX_SAMPLES, as_inputs, as_targets
from micrograd.engine import Value, no_grad
from micrograd.losses import Loss, Objective, l2_regularization, objective
from micrograd.nn import MLP, Layer, Neuron
from micrograd.optim import OPTIMIZERS, Optimizer, Schedule

__all__ = [
    "History",
    "StepFn",
    "make_step",
    "make_compiled_step",
    "fit",
    "evaluate",
    "accuracy",
    "Evaluation",
    "MAX_EPOCHS",
]

MAX_EPOCHS = 1_000_000
"""The most epochs ``fit`` runs: a million passes over even one sample take hours in pure
Python, so more is a typo (and the history keeps an entry per step)."""

class Model(Protocol):
    """What ``fit`` trains: a Module that maps one input row to a Value (or a list of Values)."""

    def __call__(self, x: Any) -> Any: ...

    def parameters(self) -> list[Value]: ...


StepFn = Callable[[list[list[float]], list[Any]], tuple[float, list[Any] | None]]
"""One training step's computation: ``step(X_batch, y_batch) -> (loss, outputs)``.

It computes the loss on the batch, backpropagates it so that every parameter's
``.grad`` holds ∂loss/∂p (the grads were zeroed just before), and returns the loss
as a float and the model's outputs as floats, for the accuracy (or None, and no
accuracy is recorded for that step)."""


def _floats(output: Any) -> Any:
    """A model output (a Value, or a list of Values for several outputs) as plain floats."""
    if isinstance(output, Value):
        return output.data
    return [v.data for v in output]


def make_step(model: Model, loss: str | Loss | Objective, l2: float = 0.0) -> StepFn:
    """The eager training step: forward every sample, loss (+ l2·Σp²), ``backward()``.

    ``loss`` is a name from ``micrograd.losses.LOSSES``, a function
    ``loss(outputs, targets) -> Value``, or an :class:`~micrograd.losses.Objective`.
    """
    goal = objective(loss, l2)

    def step(X: list[list[float]], y: list[Any]) -> tuple[float, list[Any]]:
        outputs = [model(x) for x in X]
        total = goal(model.parameters(), outputs, y)
        total.backward()
        return total.data, [_floats(o) for o in outputs]

    return step


def make_compiled_step(
    model: Model, loss: str | Loss | Objective, l2: float = 0.0, *, reduction: str = "mean", backend: str = "auto"
) -> StepFn:
    """The training step as generated code (:func:`micrograd.compile`): the same loss and
    gradients as :func:`make_step` (to rounding), many times faster.

    The loss of one sample, ``loss([model(x)], [t])`` + l2·Σp², is traced once and then
    run on whole batches; ``reduction`` says how a batch's per-sample losses combine:
    ``'mean'`` (the named losses) or ``'sum'`` (a loss function that adds them up).
    Cross-entropy's label picks a logit, which a trace cannot follow, so the label
    becomes a one-hot row y and the loss of a sample Σ_c y_c·cross_entropy(z, c).
    Targets are checked by the loss itself, eagerly, the first time each value is seen.
    """
    goal = objective(loss, l2)
    loss_fn, l2, one_hot = goal.loss, goal.l2, goal.one_hot
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    params = model.parameters()

    def sample_loss(x: Any, t: Any) -> tuple[Value, Any]:
        out = model(x)
        if one_hot:
            value = sum((t_c * loss_fn([out], [c]) for c, t_c in enumerate(t)), Value(0.0))
        else:
            value = loss_fn([out], [t])
        if l2 and reduction == "mean":  # the same for every sample, so its mean over the batch is itself
            value = value + l2_regularization(params, l2)
        return value, out

    compiled = compile_step(sample_loss, backend=backend, has_aux=True)
    checked: set[Any] = set()
    classes: list[int] = []  # cross-entropy: the model's number of outputs, found on the first call

    def check(X: list[list[float]], y: list[Any]) -> None:
        """Let the loss check each target value it has not seen yet (eagerly, on zero outputs)."""
        if set(map(tuple, y) if isinstance(y[0], list) else y) <= checked:
            return
        new = {tuple(t) if isinstance(t, list) else t: t for t in y}
        new = {key: t for key, t in new.items() if key not in checked}
        with no_grad():
            if one_hot and not classes:
                first = model(X[0])
                classes.append(len(first) if isinstance(first, list) else 1)
            zeros = [
                [Value(0.0) for _ in range(classes[0] if one_hot else len(t))] if one_hot or isinstance(t, list)
                else Value(0.0)
                for t in new.values()
            ]
            loss_fn(zeros, list(new.values()))
        checked.update(new)

    def step(X: list[list[float]], y: list[Any]) -> tuple[float, list[Any]]:
        y = [t.tolist() if hasattr(t, "tolist") else t for t in y]  # NumPy targets as numbers and lists
        check(X, y)
        if one_hot:
            y = [[1.0 if c == label else 0.0 for c in range(classes[0])] for label in y]
        value, outputs = compiled(X, y, reduction=reduction)
        if l2 and reduction == "sum":
            penalty = l2_regularization(params, l2)
            penalty.backward()
            value += penalty.data
        return value, outputs

    return step


def accuracy(outputs: Sequence[Any], targets: Sequence[Any], threshold: float = 0.0) -> float:
    """The fraction of samples classified right.

    Several outputs per sample: the predicted class is the largest output (argmax)
    and the target a class index. One output: the prediction is positive when the
    output is above ``threshold`` (0 for scores and logits), and the target when it
    is above 0.5, so labels may be 0/1 or -1/+1.
    """
    if len(outputs) != len(targets) or not outputs:
        raise ValueError(
            f"accuracy needs as many outputs as targets (at least one), got {len(outputs)} and {len(targets)}"
        )
    right = 0
    for i, (out, target) in enumerate(zip(outputs, targets, strict=True)):
        try:
            if isinstance(out, (list, tuple)):
                right += max(range(len(out)), key=out.__getitem__) == target
            else:
                right += (out > threshold) == (target > 0.5)
        except TypeError:
            raise TypeError(
                f"accuracy: sample {i} has output {out!r} and target {target!r}; "
                "outputs must be numbers (or lists of numbers) and targets numbers"[:300]
            ) from None
    return right / len(outputs)


@dataclass
class Evaluation:
    """A model's loss (including the L2 term, if any) and accuracy on a dataset, and its outputs."""

    loss: float
    accuracy: float | None
    outputs: list[Any]


def evaluate(
    model: Model, X: Any, y: Any, loss: str | Loss | Objective, l2: float = 0.0, with_accuracy: bool | None = None
) -> Evaluation:
    """The loss and accuracy of ``model`` on (X, y), computed without recording a graph.

    ``with_accuracy=None`` measures accuracy for the classification losses
    (hinge, bce, cross_entropy) and not for the others.
    """
    rows = as_inputs(X, getattr(model, "nin", None))
    targets = as_targets(y, len(rows))
    goal = objective(loss, l2)
    with no_grad():
        outputs = [model(x) for x in rows]
        total = goal(model.parameters(), outputs, targets)
    values = [_floats(o) for o in outputs]
    acc = accuracy(values, targets) if _wants_accuracy(goal, with_accuracy) else None
    return Evaluation(total.data, acc, values)


@dataclass
class History:
    """What happened during ``fit``: one entry per step (and per epoch for validation).

    ``loss[k]``, ``accuracy[k]`` and ``lr[k]`` are step k's loss and accuracy on its
    batch (measured before its update) and the learning rate it used; ``epoch[k]``
    is the epoch it belongs to. ``val_loss``/``val_accuracy`` hold one entry per
    epoch, measured after it. ``stop_reason`` is None when every epoch ran, else
    ``'interrupted'`` (Ctrl-C), ``'diverged'`` (non-finite loss) or ``'callback'``.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    epoch: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    epochs: int = 0
    seconds: float = 0.0
    stop_reason: str | None = None

    @property
    def steps(self) -> int:
        """The number of optimizer steps taken."""
        return len(self.loss)

    @property
    def interrupted(self) -> bool:
        """True when training was stopped with Ctrl-C."""
        return self.stop_reason == "interrupted"

    @property
    def diverged(self) -> bool:
        """True when the loss became nan or infinite and training stopped."""
        return self.stop_reason == "diverged"

    def to_dict(self) -> dict[str, Any]:
        """The history as plain lists and numbers (ready for ``json.dump``)."""
        return {
            "loss": list(self.loss),
            "accuracy": list(self.accuracy),
            "lr": list(self.lr),
            "epoch": list(self.epoch),
            "val_loss": list(self.val_loss),
            "val_accuracy": list(self.val_accuracy),
            "epochs": self.epochs,
            "seconds": self.seconds,
            "stop_reason": self.stop_reason,
        }


def _check_batch_size(batch_size: Any) -> int | None:
    if batch_size is None:
        return None
    try:
        return index("batch_size", batch_size, 1, MAX_SAMPLES)
    except ValueError:
        raise ValueError(
            f"batch_size must be a positive int up to {MAX_SAMPLES:,} (or None for the whole set), "
            f"got {describe(batch_size)}"
        ) from None


def _wants_accuracy(goal: Objective, requested: bool | None) -> bool:
    if requested is not None:
        return bool(requested)
    return goal.classification


class _Progress:
    """A progress bar over epochs: tqdm when installed, else a plain line every tenth of the run."""

    def __init__(self, epochs: int, enabled: bool, description: str) -> None:
        self.epochs = epochs
        self.enabled = enabled
        self.bar = None
        self.every = max(1, epochs // 10)
        if not enabled:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=epochs, desc=description, unit="epoch", file=sys.stderr, dynamic_ncols=True,
                        mininterval=0.25)

    def update(self, epoch: int, metrics: str) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.set_postfix_str(metrics, refresh=False)
            self.bar.update(1)
        elif epoch == 1 or epoch % self.every == 0 or epoch == self.epochs:
            print(f"epoch {epoch:>{len(str(self.epochs))}}/{self.epochs}  {metrics}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _StopRequest:
    """Set by the first Ctrl-C during ``fit``; the loop checks it between steps."""

    requested = False


@contextmanager
def _ctrl_c_stops(stop: _StopRequest) -> Iterator[None]:
    """While training, the first Ctrl-C asks the loop to stop after the current step.

    A second Ctrl-C raises KeyboardInterrupt as usual. Signal handlers can only be
    installed from the main thread; elsewhere Ctrl-C arrives as KeyboardInterrupt,
    which ``fit`` also catches.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def request_stop(signum: int, frame: Any) -> None:
        stop.requested = True
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _batches(n: int, batch_size: int | None, rng: random.Random | None) -> list[list[int]]:
    order = list(range(n))
    if batch_size is None or batch_size >= n:
        return [order]
    if rng is not None:
        rng.shuffle(order)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def _format_metrics(loss: float, acc: float | None, lr: float, val: tuple[float, float | None] | None) -> str:
    text = f"loss {loss:.4g}"
    if acc is not None:
        text += f"  acc {acc:.1%}"
    if val is not None:
        text += f"  val_loss {val[0]:.4g}"
        if val[1] is not None:
            text += f"  val_acc {val[1]:.1%}"
    return text + f"  lr {lr:.3g}"


class _Data(Protocol):
    """What the training loop asks of a dataset: its batches, a training step on one, and
    the checks and measures around it. One for models of Values, one for tensor models
    (:class:`micrograd.tensor.training.TensorData`), so both share the loop below."""

    def batches(self) -> Iterable[Any]: ...

    def step(self, batch: Any) -> tuple[float, Any, Any]:
        """The loss on the batch (its gradient left in the parameters), the outputs and the batch's targets."""
        ...

    def finite_gradients(self, params: list[Any]) -> bool: ...

    def accuracy(self, outputs: Any, targets: Any) -> float: ...

    def evaluate(self, with_accuracy: bool) -> tuple[float, float | None]:
        """The loss and (if asked for) the accuracy on the validation set."""
        ...

    @property
    def classification(self) -> bool:
        """Whether the loss is a classification loss (then ``fit`` measures accuracy by default)."""
        ...


class _ValueData:
    """Rows of numbers for a model of Values: each sample is one forward pass."""

    def __init__(self, model: Model, X: Any, y: Any, loss: str | Loss, l2: float, validation: Any,
                 batch_size: int | None, seed: int | None, step: StepFn | None) -> None:  # fmt: skip
        self.model = model
        self.rows = as_inputs(X, getattr(model, "nin", None))
        self.targets = as_targets(y, len(self.rows))
        self.goal = objective(loss, l2)
        self.classification = self.goal.classification
        if validation is not None:
            self.val_rows = as_inputs(validation[0], getattr(model, "nin", None))
            self.val_targets = as_targets(validation[1], len(self.val_rows))
        self.compute = step if step is not None else make_step(model, self.goal)
        self.library_only = _runs_only_library_code(model, loss, step)
        self.batch_size = batch_size
        self.rng = random.Random(seed) if seed is not None else None

    def batches(self) -> list[list[int]]:
        return _batches(len(self.rows), self.batch_size, self.rng)

    def step(self, batch: list[int]) -> tuple[float, Any, Any]:
        y_batch = [self.targets[i] for i in batch]
        with collector_paused() if self.library_only else nullcontext():
            loss_value, outputs = self.compute([self.rows[i] for i in batch], y_batch)
        return loss_value, outputs, y_batch

    def finite_gradients(self, params: list[Any]) -> bool:
        return all(math.isfinite(p.grad) for p in params)

    def accuracy(self, outputs: Any, targets: Any) -> float:
        return accuracy(outputs, targets)

    def evaluate(self, with_accuracy: bool) -> tuple[float, float | None]:
        result = evaluate(self.model, self.val_rows, self.val_targets, self.goal, with_accuracy=with_accuracy)
        return result.loss, result.accuracy


def _runs_only_library_code(model: Any, loss: Any, step: StepFn | None) -> bool:
    """Whether a step of ``fit`` (forward, loss, backward) runs micrograd's own code and nothing else.

    Then the step runs with Python's cyclic collector paused (:mod:`micrograd.collector`):
    the graph it builds has no cycles, so the collector's scans of it would find nothing,
    and they are most of an eager step's time. A model of the user's own class, a loss
    function or a ``step`` of the user's own may make cycles: with any of them the
    collector runs as usual.
    """
    return step is None and isinstance(loss, str) and type(model) in (MLP, Layer, Neuron)


def _is_tensor_model(model: Any) -> bool:
    """Whether ``model`` is a :mod:`micrograd.tensor.nn` Module (looked up, so NumPy is never imported here)."""
    module = sys.modules.get("micrograd.tensor.nn")
    return module is not None and isinstance(model, module.Module)


def fit(
    model: Model,
    X: Any,
    y: Any,
    *,
    loss: str | Loss,
    optimizer: Optimizer,
    epochs: int = 100,
    batch_size: int | None = None,
    lr_schedule: Schedule | None = None,
    l2: float = 0.0,
    validation: tuple[Any, Any] | None = None,
    shuffle: bool = True,
    seed: int | None = 0,
    with_accuracy: bool | None = None,
    verbose: bool = True,
    description: str = "training",
    callback: Callable[[int, History], Any] | None = None,
    step: StepFn | None = None,
) -> History:
    """Train ``model`` on (X, y) and return the :class:`History`.

    - ``loss``: 'mse', 'hinge', 'bce', 'cross_entropy' or a function ``(outputs, targets) -> Value``;
      ``l2`` adds l2·Σp² to it.
    - ``optimizer``: e.g. ``SGD(model.parameters(), lr=0.1)``; ``lr_schedule(k)``, if given,
      sets its learning rate before step k.
    - ``batch_size=None`` trains on the whole set at every step; otherwise the samples are
      shuffled each epoch (``seed``) and cut into mini-batches.
    - ``validation=(X_val, y_val)`` is evaluated after every epoch.
    - ``verbose`` shows a progress bar (tqdm if installed) on stderr.
    - ``callback(epoch, history)`` runs after every epoch; returning True stops training.
    - ``step`` replaces the eager loss-and-gradient computation (see :data:`StepFn`).

    X and y may be lists or NumPy arrays (e.g. straight from scikit-learn).

    A tensor model (:mod:`micrograd.tensor.nn`, e.g. a ``Sequential``) trains the same way
    on whole batches at once: X is a tensor or array of samples along dim 0, ``loss`` is
    'mse', 'hinge', 'cross_entropy' or a function ``(outputs, targets) -> Tensor``, and the
    batches are drawn from ``Generator(seed)`` (see :mod:`micrograd.tensor.training`).
    """
    if not (callable(model) and callable(getattr(model, "parameters", None))):
        raise TypeError(f"model must be callable and have parameters() (an MLP, say), got {type(model).__name__}")
    if isinstance(optimizer, str):
        names = ", ".join(f"{cls.__name__}(...)" for cls in OPTIMIZERS.values())
        known = "a known name" if optimizer.lower() in OPTIMIZERS else "not an optimizer name"
        raise TypeError(
            f"optimizer must be an optimizer object, got the string {optimizer!r} ({known}): pass one of {names}, "
            "e.g. optimizer=SGD(model.parameters(), lr=0.1)"
        )
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be a micrograd.optim optimizer such as SGD(...), got {type(optimizer).__name__}"
        )
    epochs = index("epochs", epochs, 0, MAX_EPOCHS)
    batch_size = _check_batch_size(batch_size)
    if lr_schedule is not None and not callable(lr_schedule):
        raise TypeError(f"lr_schedule must be a function of the step number, got {type(lr_schedule).__name__}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a function of (epoch, history), got {type(callback).__name__}")
    held = {id(p) for p in optimizer.params}
    if not any(id(p) in held for p in model.parameters()):
        raise ValueError(
            f"the optimizer holds none of the model's {len(model.parameters())} parameters, so training would "
            f"change nothing: build it from this model, e.g. {type(optimizer).__name__}(model.parameters(), lr=...)"
        )
    if validation is not None and (not isinstance(validation, (tuple, list)) or len(validation) != 2):
        raise ValueError("validation must be a pair (X_val, y_val)")
    if _is_tensor_model(model):
        from micrograd.tensor.training import TensorData

        tensor_model: Any = model
        data: _Data = TensorData(tensor_model, X, y, loss, l2, validation, batch_size, seed if shuffle else None, step)
    else:
        data = _ValueData(model, X, y, loss, l2, validation, batch_size, seed if shuffle else None, step)
    with_acc = bool(with_accuracy) if with_accuracy is not None else data.classification

    history = History()
    progress = _Progress(epochs, verbose, description)
    stop = _StopRequest()
    start = time.perf_counter()
    try:
        with _ctrl_c_stops(stop):
            for epoch in range(epochs):
                for batch in data.batches():
                    if stop.requested:
                        break
                    if lr_schedule is not None:
                        optimizer.lr = lr_schedule(history.steps)
                    optimizer.zero_grad()
                    loss_value, outputs, y_batch = data.step(batch)
                    if not (math.isfinite(loss_value) and data.finite_gradients(optimizer.params)):
                        history.stop_reason = "diverged"
                        warnings.warn(
                            f"training stopped at step {history.steps + 1} (epoch {epoch + 1}): the loss is "
                            f"{loss_value:.4g} or a gradient is not finite; the learning rate is probably too "
                            "large. The model keeps its parameters from before this step.",
                            RuntimeWarning,
                            stacklevel=2,
                        )
                        break
                    optimizer.step()
                    history.loss.append(loss_value)
                    history.lr.append(optimizer.lr)
                    history.epoch.append(epoch)
                    if with_acc and outputs is not None:
                        history.accuracy.append(data.accuracy(outputs, y_batch))
                else:
                    history.epochs = epoch + 1
                if history.stop_reason == "diverged":
                    break
                val = None
                if validation is not None and history.epochs == epoch + 1:
                    val = data.evaluate(with_acc)
                    history.val_loss.append(val[0])
                    if val[1] is not None:
                        history.val_accuracy.append(val[1])
                if history.steps:
                    last_acc = history.accuracy[-1] if history.accuracy else None
                    progress.update(epoch + 1, _format_metrics(history.loss[-1], last_acc, history.lr[-1], val))
                if stop.requested:
                    history.stop_reason = "interrupted"
                    break
                if callback is not None and callback(epoch + 1, history) is True:
                    history.stop_reason = "callback"
                    break
    except KeyboardInterrupt:
        history.stop_reason = "interrupted"
    finally:
        progress.close()
        history.seconds = time.perf_counter() - start
    return history
