"""The tensor demos behind ``micrograd demo digits`` and ``micrograd demo names``: whole batches of
arrays instead of one Value per number, trained with the same :func:`micrograd.train.fit`.

- ``digits``: scikit-learn's bundled 8×8 handwritten digits (1,797 images, no download),
  pixels scaled to [0, 1] (x/16); a fixed stratified split holds out 20% of each digit
  as the test set. MLP 64-128-10 (ReLU), softmax cross-entropy, Adam with lr 0.01 on
  mini-batches of 64 for 30 epochs: about 98% test accuracy.
- ``names``: the makemore MLP of the lectures on :func:`micrograd.data.names`: each
  character (a-z, and ``.`` for the start and end of a name) embedded in 2 dimensions,
  the last 3 characters' embeddings into 100 tanh units, softmax cross-entropy over the
  27 next characters. A fixed split holds out 10% of the names for validation. Adam
  with lr 0.02 → 0.002 on mini-batches of 128 for 20 epochs: loss about 2.2 (nats per
  character; 3.30 is a uniform guess). The 2-D embedding is drawn as it is, no projection.

NumPy (and for ``digits`` scikit-learn) is imported when a demo runs, so the command's
help and the scalar demos work without them; a missing one is an ``ImportError`` naming
what to install. The splits never change with ``seed``, which sets the initial weights,
the mini-batch order and (for ``names``) the sampled names.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from micrograd.checks import index
from micrograd.optim import Adam, LinearDecay
from micrograd.train import MAX_EPOCHS, History, fit

__all__ = ["TensorDemo", "TensorDemoResult", "TENSOR_DEMOS", "require", "digits_data", "names_data",
           "sample_names", "run_tensor_demo"]  # fmt: skip

SPLIT_SEED = 0
"""The seed of the train/test (train/validation) splits: fixed, so every run is judged on the same samples."""
CONTEXT = 3
"""Characters the names model reads to predict the next one."""
ALPHABET = ".abcdefghijklmnopqrstuvwxyz"
"""The names model's 27 characters by index: ``.`` (0) starts and ends a name."""
MAX_NAME_LENGTH = 30
"""A sampled name stops here if it has not ended (the longest shipped name has 11 letters)."""
SHOWN_MISTAKES = 48
"""At most this many misclassified digits are drawn."""


@dataclass(frozen=True)
class TensorDemo:
    """One tensor demo: its defaults, and the packages it needs beyond micrograd."""

    name: str
    summary: str
    epochs: int
    lr: float
    batch_size: int
    seed: int
    lr_end: float | None = None
    needs: tuple[tuple[str, str, str], ...] = (("numpy", "NumPy", "numpy"),)
    """(module, name, micrograd extra) for each package the demo imports."""

    def settings(self, epochs: int | None, lr: float | None, seed: int | None) -> tuple[int, float, int]:
        """``(epochs, lr, seed)``, each the demo's default when None, checked (``ValueError`` naming a bad one)."""
        epochs = self.epochs if epochs is None else index("epochs", epochs, 1, MAX_EPOCHS)
        if lr is None:
            lr = self.lr
        elif isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not (0 < lr < float("inf")):
            raise ValueError(f"the learning rate must be a finite number > 0, got {lr!r}")
        seed = self.seed if seed is None else seed
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise ValueError(f"the {self.name} demo's seed must be an integer >= 0 (a tensor Generator's seed), "
                             f"got {seed!r}")  # fmt: skip
        return epochs, float(lr), int(seed)

    def schedule(self, lr: float, steps: int) -> LinearDecay | None:
        """The learning-rate schedule for a run starting at ``lr``: the default decay, scaled."""
        return None if self.lr_end is None else LinearDecay(lr, lr * self.lr_end / self.lr, max(steps, 1))

    def rate(self, lr: float) -> str:
        return f"lr {lr:g}" if self.lr_end is None else f"lr {lr:g} → {lr * self.lr_end / self.lr:g}"


TENSOR_DEMOS: dict[str, TensorDemo] = {
    demo.name: demo
    for demo in (
        TensorDemo("digits", "scikit-learn's 8×8 digits, tensor MLP 64-128-10, cross-entropy, Adam, held-out test",
                   epochs=30, lr=0.01, batch_size=64, seed=1337,
                   needs=(("numpy", "NumPy", "numpy"), ("sklearn", "scikit-learn", "data"))),
        TensorDemo("names", "makemore MLP on the shipped names: 2-D character embedding, tanh; samples 20 names",
                   epochs=20, lr=0.02, lr_end=0.002, batch_size=128, seed=2147483647),
    )
}
"""Every tensor demo by name."""


def require(name: str) -> None:
    """Raise ``ImportError`` naming the package and the pip command if demo ``name`` cannot run here."""
    demo = _demo(name)
    for module, package, extra in demo.needs:
        try:
            __import__(module)
        except ImportError:
            raise ImportError(
                f"the {name} demo needs {package}, which is not installed: pip install \"micrograd[{extra}]\""
            ) from None


def _demo(name: str) -> TensorDemo:
    if name not in TENSOR_DEMOS:
        raise ValueError(f"unknown tensor demo {name!r}: choose one of {', '.join(TENSOR_DEMOS)}")
    return TENSOR_DEMOS[name]


# --- data ----------------------------------------------------------------------------------


def digits_data() -> tuple[Any, Any, Any, Any]:
    """``(X_train, y_train, X_test, y_test)``: the 8×8 digits as 64 pixels in [0, 1], 20% of each digit held out.

    The split is stratified and fixed (``SPLIT_SEED``): every class keeps its share in both parts.
    """
    import numpy as np
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    rng = np.random.Generator(np.random.PCG64(SPLIT_SEED))
    test = np.zeros(len(y), dtype=bool)
    for digit in np.unique(y):
        members = np.flatnonzero(y == digit)
        test[rng.permutation(members)[: round(0.2 * len(members))]] = True
    X = X / 16.0
    y = y.astype(np.int64)
    return X[~test], y[~test], X[test], y[test]


def names_data() -> tuple[Any, Any, Any, Any]:
    """``(X_train, y_train, X_val, y_val)``: every (3 previous characters → next character) of the names, 10% of
    the names held out; ``X`` rows are character indices into :data:`ALPHABET`, padded with ``.`` at the start."""
    import numpy as np

    from micrograd.data import names

    words = names()
    order = np.random.Generator(np.random.PCG64(SPLIT_SEED)).permutation(len(words))
    held_out = len(words) // 10

    def examples(chosen: Any) -> tuple[Any, Any]:
        contexts, targets = [], []
        for i in chosen:
            context = [0] * CONTEXT
            for ch in words[i] + ".":
                contexts.append(context)
                targets.append(ALPHABET.index(ch))
                context = [*context[1:], targets[-1]]
        return np.array(contexts, dtype=np.int64), np.array(targets, dtype=np.int64)

    return (*examples(order[held_out:]), *examples(order[:held_out]))


def sample_names(model: Any, count: int, seed: int) -> list[str]:
    """``count`` names drawn from the model one character at a time, from ``Generator(seed)``.

    Each starts from the context ``...``; its first character is drawn from the 26 letters
    (a name has at least one), each later one from all 27 until ``.`` ends it (or
    :data:`MAX_NAME_LENGTH` letters). The names are drawn side by side, one batch per position.
    """
    import numpy as np

    from micrograd.engine import no_grad
    from micrograd.tensor import Tensor, softmax
    from micrograd.tensor.nn import Generator

    generator = Generator(seed)
    contexts = np.zeros((count, CONTEXT), dtype=np.int64)
    letters: list[list[str]] = [[] for _ in range(count)]
    running = np.ones(count, dtype=bool)
    mode = model.training
    model.eval()
    try:
        with no_grad():
            for position in range(MAX_NAME_LENGTH):
                probs = softmax(model(Tensor(contexts)), dim=1).data
                if position == 0:
                    probs[:, 0] = 0.0
                drawn = generator.multinomial(probs, 1).data[:, 0]
                for k in np.flatnonzero(running):
                    if drawn[k] == 0:
                        running[k] = False
                    else:
                        letters[k].append(ALPHABET[drawn[k]])
                if not running.any():
                    break
                contexts = np.concatenate([contexts[:, 1:], drawn[:, None]], axis=1)
    finally:
        model.train(mode)
    return ["".join(name) for name in letters]


# --- models ----------------------------------------------------------------------------------


def _digits_model(seed: int) -> Any:
    from micrograd.tensor.nn import Generator, Linear, ReLU, Sequential

    g = Generator(seed)
    return Sequential(Linear(64, 128, generator=g), ReLU(), Linear(128, 10, generator=g))


def _names_model(seed: int) -> Any:
    from micrograd.tensor.nn import Embedding, Flatten, Generator, Linear, Sequential, Tanh

    g = Generator(seed)
    return Sequential(Embedding(len(ALPHABET), 2, generator=g), Flatten(), Linear(2 * CONTEXT, 100, generator=g),
                      Tanh(), Linear(100, len(ALPHABET), generator=g))  # fmt: skip


def _loss_and_outputs(model: Any, X: Any, y: Any) -> tuple[float, Any]:
    """Mean cross-entropy and the logits of ``model`` on (X, y), in eval mode, without a graph."""
    from micrograd.engine import no_grad
    from micrograd.tensor import Tensor, cross_entropy

    model.eval()
    with no_grad():
        logits = model(Tensor(X))
        loss = cross_entropy(logits, y).item()
    return loss, logits.data


# --- running ---------------------------------------------------------------------------------


@dataclass
class TensorDemoResult:
    """A finished tensor demo: the model, its history, the measured numbers and the files written."""

    demo: TensorDemo
    model: Any
    history: History
    epochs: int
    lr: float
    seed: int
    metrics: dict[str, float]
    """``digits``: test_accuracy, test_loss, test_right, test_count, train_accuracy; ``names``: train_loss,
    val_loss."""
    samples: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    """What the pictures need: the test images, labels and predictions, the confusion matrix."""
    files: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    skipped_reason: str = ""

    def summary(self) -> str:
        """The one-line result."""
        m, history = self.metrics, self.history
        if self.demo.name == "digits":
            metrics = (f"test accuracy {m['test_accuracy']:.1%} ({m['test_right']:.0f} of {m['test_count']:.0f}), "
                       f"test loss {m['test_loss']:.4f}, train accuracy {m['train_accuracy']:.1%}")  # fmt: skip
        else:
            metrics = f"train loss {m['train_loss']:.4f}, validation loss {m['val_loss']:.4f}"
        done = f"{history.epochs} epochs" if history.stop_reason is None else (
            f"{history.epochs} of {self.epochs} epochs ({history.stop_reason})"
        )
        return f"{self.demo.name}: {metrics} after {done} in {history.seconds:.1f} s"

    def report(self) -> list[str]:
        """The lines the command prints: the summary, and for ``names`` the sampled names."""
        if not self.samples:
            return [self.summary()]
        return [self.summary(), f"{len(self.samples)} names sampled with seed {self.seed}: " + ", ".join(self.samples)]


def run_tensor_demo(
    name: str,
    *,
    epochs: int | None = None,
    lr: float | None = None,
    seed: int | None = None,
    out: str | Path | None = None,
    verbose: bool = True,
    announce: Callable[[str], Any] | None = None,
) -> TensorDemoResult:
    """Train tensor demo ``name`` and, when ``out`` is a directory, write its pictures and model file there.

    ``epochs``, ``lr`` (the starting learning rate; a decay keeps its shape) and ``seed``
    (an int >= 0: weights, mini-batch order, sampled names) override the defaults;
    ``verbose`` shows the progress bar; ``announce(line)`` receives a one-line description
    of the run once the data is loaded.
    """
    demo = _demo(name)
    epochs, lr, seed = demo.settings(epochs, lr, seed)
    require(name)

    X, y, X_held, y_held = digits_data() if name == "digits" else names_data()
    model = _digits_model(seed) if name == "digits" else _names_model(seed)
    held = "test" if name == "digits" else "validation"
    if announce is not None:
        what = "images" if name == "digits" else "examples (3 characters → the next)"
        sizes = "64-128-10 (ReLU)" if name == "digits" else "27×2 embedding, 6-100-27 (tanh)"
        announce(f"{name}: MLP {sizes} on {len(X)} training {what}, {len(X_held)} held out for {held}, "
                 f"cross-entropy, Adam {demo.rate(lr)}, batches of {demo.batch_size}, {epochs} epochs")  # fmt: skip
    batches = -(-len(X) // demo.batch_size)
    history = fit(model, X, y, loss="cross_entropy", optimizer=Adam(model.parameters(), lr=lr), epochs=epochs,
                  batch_size=demo.batch_size, lr_schedule=demo.schedule(lr, epochs * batches),
                  validation=(X_held, y_held), seed=seed, with_accuracy=name == "digits", verbose=verbose,
                  description=name)  # fmt: skip
    result = TensorDemoResult(demo, model, history, epochs, lr, seed, {})
    if name == "digits":
        _measure_digits(result, X, y, X_held, y_held)
    else:
        result.metrics["train_loss"], _ = _loss_and_outputs(model, X, y)
        result.metrics["val_loss"], _ = _loss_and_outputs(model, X_held, y_held)
        result.samples = sample_names(model, 20, seed)
    model.train()
    if out is not None:
        result.files = _write_outputs(result, Path(out))
    return result


def _measure_digits(result: TensorDemoResult, X: Any, y: Any, X_test: Any, y_test: Any) -> None:
    import numpy as np

    loss, logits = _loss_and_outputs(result.model, X_test, y_test)
    predicted = logits.argmax(axis=1)
    _, train_logits = _loss_and_outputs(result.model, X, y)
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (y_test, predicted), 1)
    right = int((predicted == y_test).sum())
    result.metrics.update(test_accuracy=right / len(y_test), test_loss=loss, test_right=right,
                          test_count=len(y_test), train_accuracy=float((train_logits.argmax(axis=1) == y).mean()))
    result.details.update(images=X_test.reshape(-1, 8, 8), labels=y_test, predicted=predicted, confusion=confusion)


def _write_outputs(result: TensorDemoResult, out: Path) -> list[Path]:
    """The demo's pictures and model file in ``out``; without Matplotlib only the model (see ``skipped``)."""
    from micrograd.apps import plot
    from micrograd.apps.demos import draw_and_save

    name, history = result.demo.name, result.history
    out.mkdir(parents=True, exist_ok=True)
    pictures: list[tuple[Path, Callable[[Path], Any]]] = []
    if name == "digits":
        d, m = result.details, result.metrics
        wrong = [int(i) for i in (d["predicted"] != d["labels"]).nonzero()[0]]
        shown = wrong[:SHOWN_MISTAKES]
        which = f"the first {len(shown)} of {len(wrong)}" if len(shown) < len(wrong) else f"all {len(wrong)}"
        which = "the 1 misclassified test image" if len(wrong) == 1 else f"{which} misclassified test images"
        pictures += [
            (out / "digits_confusion_matrix.png", lambda path: plot.plot_confusion_matrix(
                d["confusion"], path=path, title=f"digits: the {m['test_count']:.0f} test images after "
                f"{history.epochs} epochs")),
            (out / "digits_misclassified.png", lambda path: plot.plot_images(
                [d["images"][i] for i in shown], [f"{d['predicted'][i]} (true {d['labels'][i]})" for i in shown],
                path=path, title=f"digits: {which}, captioned predicted (true)"
                if wrong else "digits: misclassified test images",
                empty="no test image is misclassified")),
        ]
    else:
        weight = result.model[0].weight.data
        pictures.append((out / "names_embedding.png", lambda path: plot.plot_embedding(
            weight, list(ALPHABET), path=path,
            title=f"names: the 27 characters' 2-D embedding after {history.epochs} epochs\n"
            "(. starts and ends a name)")))
    if history.steps:
        held = "test" if name == "digits" else "validation"
        pictures.append((out / f"{name}_history.png", lambda path: plot.plot_history(
            history, path=path, title=f"{name}: cross-entropy, training batches and {held} set",
            validation_label=held)))
    files, result.skipped, result.skipped_reason = draw_and_save(pictures, result.model, out / f"{name}_model.json")
    return files
