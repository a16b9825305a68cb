"""The demos behind ``micrograd demo``: classic small problems, each trained from scratch.

A :class:`Demo` says everything about one: its data, network, loss, optimizer and
defaults. :func:`run_demo` trains it with :func:`micrograd.train.fit`, then draws
its pictures and saves the model. The defaults reproduce published results:

- ``moons``: the original micrograd demo (MLP 2-16-16-1, SVM hinge loss + 1e-4·L2,
  SGD with lr 1.0 - 0.9·k/100 for 100 steps, weights from seed 1337): >= 99% accuracy.
- ``sine``: y = sin x on 121 points, MLP 1-16-16-1 with scaled init, full-batch MSE,
  2000 epochs of SGD with lr 0.2 → 0.0005: MSE below 0.001.
- ``toy``: the lecture's MLP 3-4-4-1 (tanh) on its 4 samples: loss below 0.01.
- ``circles``: two rings, binary cross-entropy with Adam: 100% accuracy.
- ``spirals``: three interleaved spiral arms, softmax cross-entropy with Adam on
  mini-batches: 96% (the arms meet at the centre, where no boundary separates them).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from micrograd.checks import index
from micrograd.data import circles, moons, sine, spirals, toy
from micrograd.losses import mse_loss
from micrograd.nn import MLP
from micrograd.optim import OPTIMIZERS, LinearDecay, Optimizer
from micrograd.train import Evaluation, History, StepFn, evaluate, fit, make_compiled_step, make_step

__all__ = ["Demo", "DemoResult", "DEMOS", "DEFAULT_DEMO", "run_demo", "training_step", "draw_and_save"]


def sum_squared_error(outputs: Any, targets: Any) -> Any:
    """Σ (pᵢ - tᵢ)²: the lecture's loss for its four samples."""
    return mse_loss(outputs, targets, reduction="sum")


def _moons_pm1() -> tuple[list[list[float]], list[int]]:
    X, y = moons(100, noise=0.1, seed=0)
    return X, [2 * label - 1 for label in y]  # the hinge loss wants labels -1 / +1


@dataclass(frozen=True)
class Demo:
    """One demo: data, model, training recipe and the pictures it draws."""

    name: str
    summary: str
    data: Callable[[], tuple[Any, Any]]
    nin: int
    nouts: tuple[int, ...]
    loss: str | Callable[..., Any]
    loss_name: str
    epochs: int
    lr: float
    optimizer: str = "sgd"
    lr_end: float | None = None
    l2: float = 0.0
    activation: str = "relu"
    output_activation: str = "linear"
    init: str = "uniform"
    seed: int = 1337
    batch_size: int | None = None
    reduction: str = "mean"  # how the loss combines the samples of a batch: 'mean', or 'sum' (toy)
    kind: str = "classifier"  # 'classifier' (decision boundary), 'regression' (fit curve) or 'table'
    truth: Callable[[float], float] | None = None
    truth_label: str = ""

    def schedule(self, lr: float, steps: int) -> LinearDecay | None:
        """The learning-rate schedule for a run starting at ``lr``: the default decay, scaled."""
        if self.lr_end is None:
            return None
        return LinearDecay(lr, lr * self.lr_end / self.lr, steps)

    def describe(self, epochs: int, lr: float, n_samples: int) -> str:
        """One line: network, loss, optimizer and schedule."""
        sizes = "-".join(map(str, (self.nin, *self.nouts)))
        loss = self.loss_name + (f" + {self.l2:g}·L2" if self.l2 else "")
        rate = f"lr {lr:g} → {lr * self.lr_end / self.lr:g}" if self.lr_end is not None else f"lr {lr:g}"
        return (
            f"{self.name}: MLP {sizes} ({self.activation}) on {n_samples} samples, {loss}, "
            f"{self.optimizer.upper() if self.optimizer == 'sgd' else self.optimizer.capitalize()} {rate}, "
            f"{epochs} epochs"
        )


DEMOS: dict[str, Demo] = {
    demo.name: demo
    for demo in (
        # name and summary; data and model; loss; training
        Demo(
            "moons", "two moons, MLP 2-16-16-1, hinge loss, SGD (the original micrograd demo)",
            data=_moons_pm1, nin=2, nouts=(16, 16, 1),
            loss="hinge", loss_name="hinge loss", l2=1e-4,
            epochs=100, lr=1.0, lr_end=0.1,
        ),
        Demo(
            "sine", "fit y = sin x on [-3, 3], MLP 1-16-16-1, mean squared error, SGD with decay",
            data=sine, nin=1, nouts=(16, 16, 1), init="scaled",
            loss="mse", loss_name="MSE",
            epochs=2000, lr=0.2, lr_end=0.0005,
            kind="regression", truth=math.sin, truth_label="sin x",
        ),
        Demo(
            "toy", "the lecture's MLP 3-4-4-1 (tanh) on its 4 samples, sum of squared errors",
            data=toy, nin=3, nouts=(4, 4, 1), activation="tanh", output_activation="tanh",
            loss=sum_squared_error, reduction="sum", loss_name="sum of squared errors",
            epochs=100, lr=0.1,
            kind="table",
        ),
        Demo(
            "circles", "a ring inside a ring, MLP 2-16-16-1, binary cross-entropy, Adam",
            data=circles, nin=2, nouts=(16, 16, 1), init="scaled",
            loss="bce", loss_name="binary cross-entropy",
            optimizer="adam", epochs=100, lr=0.02,
        ),
        Demo(
            "spirals", "three spiral arms, MLP 2-16-16-3, softmax cross-entropy, Adam on mini-batches",
            data=spirals, nin=2, nouts=(16, 16, 3), init="scaled",
            loss="cross_entropy", loss_name="cross-entropy",
            optimizer="adam", epochs=60, lr=0.02, batch_size=30,
        ),
    )
}
"""Every demo by name."""

DEFAULT_DEMO = "moons"


def training_step(model: MLP, demo: Demo, compiled: bool = True) -> StepFn:
    """How a demo computes one step's loss and gradients: compiled code, or eager Value graphs."""
    if compiled:
        return make_compiled_step(model, demo.loss, demo.l2, reduction=demo.reduction)
    return make_step(model, demo.loss, demo.l2)


@dataclass
class DemoResult:
    """A finished demo run: the trained model, its history, final metrics and the files written."""

    demo: Demo
    model: MLP
    history: History
    final: Evaluation
    epochs: int
    lr: float
    seed: int
    targets: list[Any]
    files: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    """Pictures not drawn, because Matplotlib is not installed (see ``skipped_reason``)."""
    skipped_reason: str = ""

    def summary(self) -> str:
        """The one-line result: metrics on the training data, epochs and time."""
        demo, final, history = self.demo, self.final, self.history
        if final.accuracy is not None:
            metrics = f"accuracy {final.accuracy:.1%}, loss {final.loss:.4g}"
        elif demo.kind == "regression":
            metrics = f"{demo.loss_name} {final.loss:.4g}"
        else:
            metrics = f"loss {final.loss:.4g}"
        if demo.kind == "table":
            shown = ", ".join(f"{o:+.3f}" for o in final.outputs)
            wanted = ", ".join(f"{t:+g}" for t in self.targets)
            metrics += f", outputs [{shown}] for targets [{wanted}]"
        done = f"{history.epochs} epochs" if history.stop_reason is None else (
            f"{history.epochs} of {self.epochs} epochs ({history.stop_reason})"
        )
        return f"{demo.name}: {metrics} after {done} in {history.seconds:.1f} s"


def run_demo(
    name: str = DEFAULT_DEMO,
    *,
    epochs: int | None = None,
    lr: float | None = None,
    seed: int | None = None,
    out: str | Path | None = None,
    verbose: bool = True,
    compiled: bool = True,
    on_epoch: Callable[[int, int, MLP], Any] | None = None,
) -> DemoResult:
    """Train demo ``name`` and, when ``out`` is a directory, write its pictures and model there.

    ``epochs``, ``lr`` (the starting learning rate; a decay keeps its shape) and
    ``seed`` (for the weights and the mini-batch order) override the demo's defaults.
    ``verbose`` shows the progress bar. ``compiled=False`` trains with eager Value graphs
    instead of compiled code (slower; the same result to rounding). ``on_epoch(epoch,
    steps, model)`` is called before training (epoch 0) and after every epoch, to watch
    the model learn. Returns a :class:`DemoResult`.
    """
    if name not in DEMOS:
        raise ValueError(f"unknown demo {name!r}: choose one of {', '.join(DEMOS)}")
    demo = DEMOS[name]
    epochs = demo.epochs if epochs is None else index("epochs", epochs)
    if lr is None:
        lr = demo.lr
    elif isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"the learning rate must be a finite number > 0, got {lr!r}")
    seed = demo.seed if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")

    X, y = demo.data()
    model = MLP(
        demo.nin,
        list(demo.nouts),
        activation=demo.activation,
        output_activation=demo.output_activation,
        init=demo.init,
        rng=random.Random(seed),
    )
    optimizer: Optimizer = OPTIMIZERS[demo.optimizer](model.parameters(), lr=lr)
    batches = 1 if demo.batch_size is None else math.ceil(len(X) / demo.batch_size)
    callback = None
    if on_epoch is not None:
        on_epoch(0, 0, model)

        def callback(epoch: int, history: History) -> None:
            on_epoch(epoch, history.steps, model)

    history = fit(
        model,
        X,
        y,
        loss=demo.loss,
        l2=demo.l2,
        optimizer=optimizer,
        epochs=epochs,
        batch_size=demo.batch_size,
        lr_schedule=demo.schedule(lr, epochs * batches),
        seed=seed,
        with_accuracy=demo.kind == "classifier",
        verbose=verbose,
        description=demo.name,
        callback=callback,
        step=training_step(model, demo, compiled),
    )
    final = evaluate(model, X, y, demo.loss, demo.l2, with_accuracy=demo.kind == "classifier")
    result = DemoResult(demo, model, history, final, epochs, float(lr), seed, list(y))
    if out is not None:
        result.files = _write_outputs(result, X, y, Path(out))
    return result


def _write_outputs(result: DemoResult, X: Any, y: Any, out: Path) -> list[Path]:
    """The demo's pictures and its trained model, written into ``out``.

    Without Matplotlib the model is still saved; the pictures it would have drawn go to
    ``result.skipped``, with the reason in ``result.skipped_reason``.
    """
    from micrograd.apps.plot import plot_decision_boundary, plot_fit, plot_history

    demo, model = result.demo, result.model
    out.mkdir(parents=True, exist_ok=True)
    pictures: list[tuple[Path, Callable[[Path], Any]]] = []
    if demo.kind == "classifier":
        pictures.append((out / f"{demo.name}_decision_boundary.png", lambda path: plot_decision_boundary(
            model, X, y, path=path, title=f"{demo.name}: MLP {_sizes(demo)} after {result.history.epochs} epochs")))
    elif demo.kind == "regression":
        pictures.append((out / f"{demo.name}_fit.png", lambda path: plot_fit(
            model, X, y, truth=demo.truth, truth_label=demo.truth_label, path=path,
            title=f"{demo.name}: MLP {_sizes(demo)} after {result.history.epochs} epochs")))
    if result.history.steps:
        pictures.append((out / f"{demo.name}_history.png", lambda path: plot_history(
            result.history, path=path, title=f"{demo.name}: {demo.loss_name}"
            + (f" + {demo.l2:g}·L2" if demo.l2 else ""))))
    files, result.skipped, result.skipped_reason = draw_and_save(pictures, model, out / f"{demo.name}_model.json")
    return files


def draw_and_save(
    pictures: list[tuple[Path, Callable[[Path], Any]]], model: Any, model_path: Path
) -> tuple[list[Path], list[Path], str]:
    """Draw each ``(path, draw)`` picture, then save ``model`` to ``model_path``.

    Returns the files written, and the pictures skipped with the reason: all of them when
    Matplotlib is not installed (the model is saved anyway).
    """
    skipped: list[Path] = []
    reason = ""
    try:
        import matplotlib  # noqa: F401 (only to know whether the pictures can be drawn)
    except ImportError:
        skipped = [path for path, _ in pictures]
        reason = 'drawing them needs Matplotlib: pip install "micrograd[demo]"'
        pictures = []
    files = []
    for path, draw in pictures:
        draw(path)
        files.append(path)
    model.save(model_path)
    files.append(model_path)
    return files, skipped, reason


def _sizes(demo: Demo) -> str:
    return "-".join(map(str, (demo.nin, *demo.nouts)))
