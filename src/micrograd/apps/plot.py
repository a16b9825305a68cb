"""Pictures of training with Matplotlib: decision boundaries, loss curves, fitted functions, and for
classifiers of images and characters, confusion matrices, image grids and 2-D embeddings.

Each function returns a ``matplotlib.figure.Figure`` (shown inline in Jupyter) and
also writes it to ``path`` when one is given (PNG, SVG or PDF, by suffix). Figures
are made without pyplot and rendered by the non-interactive Agg backend, so they
work on machines without a display and never change the backend a notebook uses.
Matplotlib is optional: it is imported when a function is called.
"""

from __future__ import annotations

import functools
import io
import math
import os
from collections.abc import Callable, Mapping
from typing import Any

from micrograd.checks import index
from micrograd.data import as_inputs, as_targets
from micrograd.engine import Value, no_grad
from micrograd.nn import MLP

__all__ = [
    "plot_decision_boundary",
    "plot_history",
    "plot_fit",
    "plot_confusion_matrix",
    "plot_images",
    "plot_embedding",
]

CLASS_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
"""One colour per class (Matplotlib's first tab10 colours); regions use them lightened."""

TRAIN_COLOR = "#1f77b4"
VALIDATION_COLOR = "#ff7f0e"
MODEL_COLOR = "#d62728"


def _matplotlib() -> tuple[Any, Any]:
    """Matplotlib's Figure and Agg canvas classes, or an ImportError saying what to install."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError('plotting needs Matplotlib: pip install "micrograd[viz]"') from None
    return Figure, FigureCanvasAgg


@functools.cache
def _figure_class() -> type:
    """A Figure that Jupyter shows as a picture with no ``%matplotlib inline`` first.

    IPython learns to display Figures when pyplot sets up its inline backend; these figures are
    made without pyplot, so a cell ending in one would show only ``<Figure size ...>``. Giving the
    figure its own ``_repr_png_`` lets IPython ask it for a PNG directly.
    """
    Figure, _ = _matplotlib()

    class InlineFigure(Figure):  # type: ignore[misc,valid-type]
        def _repr_png_(self) -> bytes:
            image = io.BytesIO()
            self.savefig(image, format="png", dpi=100)
            return image.getvalue()

    InlineFigure.__name__ = InlineFigure.__qualname__ = "Figure"
    return InlineFigure


def _figure(width: float, height: float, margins: tuple[float, float, float, float]) -> Any:
    """A ``width × height`` inch figure whose axes leave ``margins`` (left, right, top, bottom) in inches.

    Fixed margins instead of a layout engine: Matplotlib's constrained layout measures every
    text on each draw and doubled the time to write a picture.
    """
    _, FigureCanvasAgg = _matplotlib()
    figure = _figure_class()(figsize=(width, height), dpi=100)
    left, right, top, bottom = margins
    figure.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height, bottom=bottom / height,
                           wspace=0.3)
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Any, path: str | os.PathLike[str] | None) -> None:
    if path is not None:
        figure.savefig(path)


def _outputs(model: Callable[[Any], Any], rows: list[list[float]]) -> list[Any]:
    """The model's outputs for every row, as floats (or lists of floats), without building a graph.

    An MLP runs the whole batch as compiled code (:func:`micrograd.compile`, ~20× faster
    for the thousands of grid points of a decision boundary); any other callable runs
    one forward pass per row.
    """
    if isinstance(model, MLP):
        from micrograd.compiler import compile

        out = compile(lambda x: model(x))(rows, reduction="none")
        return [list(o) if isinstance(o, tuple) else o for o in out]
    with no_grad():
        out = [model(row) for row in rows]
    return [o.data if isinstance(o, Value) else [v.data for v in o] for o in out]


def _class_names(labels: list[int]) -> list[str]:
    signed = min(labels) < 0
    return [f"class {'+' if signed and label > 0 else ''}{label}" for label in labels]


def plot_decision_boundary(
    model: Callable[[Any], Any],
    X: Any,
    y: Any,
    *,
    path: str | os.PathLike[str] | None = None,
    title: str = "Decision boundary",
    resolution: int = 80,
    padding: float = 0.5,
) -> Any:
    """The regions a 2-input classifier assigns to each class, with the data points on top.

    One output (a score or logit): class 1 (or +1) where it is above 0, and the line
    where it is 0 is drawn. Several outputs: the class of the largest one. Points
    the model gets wrong are circled in red. ``y`` holds 0/1, -1/+1 or class indices.
    """
    rows = as_inputs(X, 2)
    targets = as_targets(y, len(rows))
    resolution = index("resolution", resolution, minimum=2)
    _matplotlib()
    import numpy as np  # a dependency of Matplotlib

    xs = np.array([r[0] for r in rows])
    ys = np.array([r[1] for r in rows])
    gx, gy = np.meshgrid(
        np.linspace(xs.min() - padding, xs.max() + padding, resolution),
        np.linspace(ys.min() - padding, ys.max() + padding, resolution),
    )
    grid_out = _outputs(model, [[a, b] for a, b in zip(gx.ravel().tolist(), gy.ravel().tolist(), strict=True)])
    point_out = _outputs(model, rows)
    multiclass = isinstance(point_out[0], list)

    if multiclass:
        labels = list(range(len(point_out[0])))
        scores = np.array(grid_out).reshape(*gx.shape, len(labels))
        # class c wins where its margin z_c - max_{j≠c} z_j is positive; the margins' zero lines are the boundaries
        margins = [scores[..., c] - np.delete(scores, c, axis=2).max(axis=2) for c in labels]
        predicted = [max(labels, key=o.__getitem__) for o in point_out]
        true_index = [int(t) for t in targets]
    else:
        labels = [-1, 1] if min(targets) < 0 else [0, 1]
        score = np.array(grid_out).reshape(gx.shape)
        margins = [-score, score]
        predicted = [int(o > 0) for o in point_out]
        true_index = [int(t > 0.5) for t in targets]
    names = _class_names(labels)

    x_span, y_span = gx.max() - gx.min(), gy.max() - gy.min()
    width = 6.0  # inches; about 5.2 of them are the axes, and titles and legend need 1.6 more in height
    figure = _figure(width, min(max(5.2 * y_span / x_span, 2.5), 9.0) + 1.6, (0.6, 0.2, 0.6, 1.0))
    ax = figure.add_subplot()
    colors = [CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(len(labels))]
    for margin, color in zip(margins, colors, strict=True):
        if margin.max() > 0:
            ax.contourf(gx, gy, margin, levels=[0.0, margin.max() + 1.0], colors=[color], alpha=0.22)
        if margin.min() < 0 < margin.max():
            ax.contour(gx, gy, margin, levels=[0.0], colors="black", linewidths=1.2)
    for class_index, (name, color) in enumerate(zip(names, colors, strict=True)):
        members = [i for i, t in enumerate(true_index) if t == class_index]
        ax.scatter(xs[members], ys[members], s=28, color=color, edgecolors="black", linewidths=0.6, label=name)
    ax.plot([], [], color="black", linewidth=1.2, label="decision boundary")
    wrong = [i for i, (p, t) in enumerate(zip(predicted, true_index, strict=True)) if p != t]
    if wrong:
        ax.scatter(xs[wrong], ys[wrong], s=110, facecolors="none", edgecolors="red", linewidths=1.6,
                   label=f"misclassified ({len(wrong)})")
    accuracy = 1 - len(wrong) / len(rows)
    ax.set_title(f"{title}\naccuracy {accuracy:.1%} on {len(rows)} points")
    ax.set_xlabel("x₁")  # plain text: mathtext would load its parser, 0.1 s, for two letters
    ax.set_ylabel("x₂")
    ax.set_aspect("equal")
    ax.set_xlim(gx.min(), gx.max())
    ax.set_ylim(gy.min(), gy.max())
    _legend_below(ax)
    _save(figure, path)
    return figure


def _legend_below(ax: Any, columns: int = 3) -> None:
    """A frameless legend under the axes, read row by row."""
    handles, labels = ax.get_legend_handles_labels()
    columns = min(columns, len(handles))
    rows = -(-len(handles) // columns)
    order = [r * columns + c for c in range(columns) for r in range(rows) if r * columns + c < len(handles)]
    ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper center",
              bbox_to_anchor=(0.5, -0.12), ncol=columns, fontsize=9, frameon=False)


def _field(history: Any, name: str) -> list[Any]:
    value = history[name] if isinstance(history, Mapping) else getattr(history, name)
    return list(value)


def plot_history(
    history: Any, *, path: str | os.PathLike[str] | None = None, title: str = "Training history",
    validation_label: str = "validation",
) -> Any:
    """Loss (log scale), accuracy (if measured) and learning rate per step, validation curves dashed.

    ``history`` is the :class:`~micrograd.train.History` that ``fit`` returns, or its
    ``to_dict()``. ``validation_label`` names the held-out curves in the legends (``"test"``
    when the held-out samples are the test set).
    """
    loss = _field(history, "loss")
    if not loss:
        raise ValueError("the history is empty: there is nothing to plot (no training step was taken)")
    acc = _field(history, "accuracy")
    lr = _field(history, "lr")
    epoch = _field(history, "epoch")
    val_loss = _field(history, "val_loss")
    val_acc = _field(history, "val_accuracy")
    stop = history.get("stop_reason") if isinstance(history, Mapping) else history.stop_reason
    steps = list(range(1, len(loss) + 1))
    per_epoch = len(set(epoch)) == len(loss)
    unit = "epoch" if per_epoch else "step"
    epoch_ends = [k + 1 for k in range(len(epoch)) if k + 1 == len(epoch) or epoch[k + 1] != epoch[k]]

    constant_lr = len(set(lr)) <= 1
    panels = 1 + bool(acc) + (not constant_lr)
    figure = _figure(max(4.6 * panels, 6.4), 3.6, (0.75, 0.2, 0.75, 0.55))
    axes = figure.subplots(1, panels, squeeze=False)[0]

    def training_curve(ax: Any, values: list[float]) -> None:
        """One point per step; with several steps per epoch, the noisy steps faint and each epoch's mean bold."""
        if per_epoch:
            ax.plot(steps[: len(values)], values, color=TRAIN_COLOR, linewidth=1.4, label="training")
            return
        ax.plot(steps[: len(values)], values, color=TRAIN_COLOR, linewidth=0.8, alpha=0.3, label="training (step)")
        starts = [0, *epoch_ends[:-1]]
        means = [sum(values[a:b]) / (b - a) for a, b in zip(starts, epoch_ends, strict=True) if b <= len(values)]
        ax.plot(epoch_ends[: len(means)], means, color=TRAIN_COLOR, linewidth=1.6, label="training (epoch mean)")

    ax = axes[0]
    training_curve(ax, loss)
    if val_loss:
        ax.plot(epoch_ends[: len(val_loss)], val_loss, "--", color=VALIDATION_COLOR, linewidth=1.4,
                label=validation_label)
    if all(v > 0 for v in loss + val_loss):
        ax.set_yscale("log")
        if max(loss + val_loss) < 10 * min(loss + val_loss):  # within a decade: 2, 2.5, 3, not 2×10⁰, 3×10⁰
            from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

            ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_title("loss")
    ax.set_xlabel(unit)
    ax.set_ylabel("loss" + (" (log scale)" if ax.get_yscale() == "log" else ""))
    ax.legend()
    if acc:
        ax = axes[1]
        training_curve(ax, [100 * a for a in acc])
        if val_acc:
            ax.plot(epoch_ends[: len(val_acc)], [100 * a for a in val_acc], "--", color=VALIDATION_COLOR,
                    linewidth=1.4, label=validation_label)
        ax.set_ylim(min(50.0, min(100 * a for a in acc + val_acc) - 2), 101)
        ax.set_title("accuracy")
        ax.set_xlabel(unit)
        ax.set_ylabel("accuracy (%)")
        ax.legend(loc="lower right")
    if not constant_lr:
        ax = axes[-1]
        ax.plot(steps[: len(lr)], lr, color="#555555", linewidth=1.4)
        ax.set_title("learning rate")
        ax.set_xlabel(unit)
        ax.set_ylabel("learning rate")
        ax.set_ylim(bottom=0)
    for ax in axes:
        ax.grid(True, alpha=0.3)
    suffix = f", learning rate {lr[0]:g}" if constant_lr and lr else ""
    if stop:
        suffix += f" (stopped: {stop} after {len(loss)} {unit}s)"
    figure.suptitle(title + suffix)
    _save(figure, path)
    return figure


def plot_fit(
    model: Callable[[Any], Any],
    xs: Any,
    ys: Any,
    *,
    truth: Callable[[float], float] | None = None,
    truth_label: str = "truth",
    path: str | os.PathLike[str] | None = None,
    title: str = "Fit",
    samples: int = 400,
) -> Any:
    """A one-input model's curve over the data's range, against the data (and the true function, if given).

    The model is drawn at ``samples`` evenly spaced points, so it shows what it does
    between the training points too; the title gives the mean squared error on the data.
    """
    rows = as_inputs(xs, 1)
    targets = as_targets(ys, len(rows))
    samples = index("samples", samples, minimum=2)
    points = [r[0] for r in rows]
    low, high = min(points), max(points)
    dense = [low + (high - low) * i / (samples - 1) for i in range(samples)]
    curve = _outputs(model, [[x] for x in dense])
    fitted = _outputs(model, rows)
    if isinstance(curve[0], list):
        raise ValueError(f"plot_fit needs a model with one output, this one has {len(curve[0])}")
    mse = math.fsum((f - t) ** 2 for f, t in zip(fitted, targets, strict=True)) / len(rows)

    figure = _figure(7.0, 4.4, (0.7, 0.2, 0.7, 0.55))
    ax = figure.add_subplot()
    ax.scatter(points, targets, s=12, color=TRAIN_COLOR, alpha=0.7, zorder=3,
               label=f"training data ({len(rows)} points)")
    if truth is not None:
        ax.plot(dense, [truth(x) for x in dense], "--", color="black", linewidth=1.2, zorder=4, label=truth_label)
    ax.plot(dense, curve, color=MODEL_COLOR, linewidth=2.0, alpha=0.85, zorder=5, label="model")
    ax.set_title(f"{title}\nmean squared error {mse:.2e} on the training data")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.grid(True, alpha=0.3)
    ax.legend()
    _save(figure, path)
    return figure


def plot_confusion_matrix(
    counts: Any, *, labels: list[str] | None = None, path: str | os.PathLike[str] | None = None,
    title: str = "Confusion matrix",
) -> Any:
    """How often each true class (row) was predicted as each class (column): right answers on the diagonal.

    ``counts[i][j]`` is the number of samples of class i predicted as j. Each cell shows its
    count and is shaded by its share of the row, so a weak class stands out however many
    samples it has; ``labels`` name the classes (default: 0, 1, ...).
    """
    Figure, _ = _matplotlib()
    rows = [[int(c) for c in row] for row in counts]
    n = len(rows)
    if n == 0 or any(len(row) != n for row in rows) or any(c < 0 for row in rows for c in row):
        raise ValueError("plot_confusion_matrix needs a square table of counts >= 0, one row per true class")
    names = [str(label) for label in labels] if labels is not None else [str(i) for i in range(n)]
    if len(names) != n:
        raise ValueError(f"plot_confusion_matrix: {len(names)} labels for {n} classes")
    shares = [[c / max(sum(row), 1) for c in row] for row in rows]
    right = sum(rows[i][i] for i in range(n))
    total = sum(map(sum, rows))

    figure = _figure(6.4, 6.0, (0.8, 1.1, 0.8, 0.7))
    ax = figure.add_subplot()
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    for i, row in enumerate(rows):
        for j, count in enumerate(row):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=9,
                        color="white" if shares[i][j] > 0.5 else ("#b00000" if i != j else "black"))
    ax.set_xticks(range(n), names)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"{title}\n{right} of {total} right ({right / max(total, 1):.1%}); off the diagonal in red")
    figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class's samples")
    _save(figure, path)
    return figure


def plot_images(
    images: Any, captions: list[str], *, path: str | os.PathLike[str] | None = None, title: str = "",
    columns: int = 8, empty: str = "nothing to show",
) -> Any:
    """Small grey-scale images in a grid, each with its caption (e.g. a classifier's mistakes).

    ``images`` is a sequence of 2-D arrays of intensities (dark ink for large values, as
    the digits are drawn); with none, the figure says ``empty`` instead.
    """
    Figure, _ = _matplotlib()
    import numpy as np  # a dependency of Matplotlib

    pictures = [np.asarray(image, dtype=float) for image in images]
    if len(pictures) != len(captions):
        raise ValueError(f"plot_images: {len(pictures)} images and {len(captions)} captions")
    if any(p.ndim != 2 for p in pictures):
        raise ValueError("plot_images needs 2-D images (height × width)")
    columns = index("columns", columns)
    shown_columns = max(1, min(columns, len(pictures)))
    grid_rows = max(1, -(-len(pictures) // shown_columns))
    cell = 1.15  # inches per image, caption included
    width, height = max(shown_columns * cell, 7.5) + 0.4, grid_rows * cell + 0.9  # 7.5: room for the title
    figure = _figure(width, height, (0.2, 0.2, 0.75, 0.15))
    if title:
        figure.suptitle(title)
    if not pictures:
        figure.text(0.5, 0.45, empty, ha="center", va="center", fontsize=12)
    top = max((p.max() for p in pictures), default=1.0) or 1.0
    for k, (picture, caption) in enumerate(zip(pictures, captions, strict=True)):
        ax = figure.add_subplot(grid_rows, shown_columns, k + 1)
        ax.imshow(picture, cmap="gray_r", vmin=0.0, vmax=top, interpolation="nearest")
        ax.set_title(caption, fontsize=9, pad=3)
        ax.set_xticks([])
        ax.set_yticks([])
    _save(figure, path)
    return figure


def plot_embedding(
    points: Any, labels: list[str], *, path: str | os.PathLike[str] | None = None, title: str = "Embedding",
) -> Any:
    """Each row of a 2-D embedding table as a point with its label on it: similar things sit close together.

    ``points`` is an (n, 2) table (an ``Embedding`` layer's weight with ``embedding_dim=2``).
    """
    Figure, _ = _matplotlib()
    rows = [[float(x) for x in point] for point in points]
    if any(len(row) != 2 for row in rows) or len(rows) != len(labels):
        raise ValueError(f"plot_embedding needs one 2-D point per label, got {len(rows)} points for {len(labels)} "
                         "labels")  # fmt: skip
    figure = _figure(6.4, 6.4, (0.8, 0.3, 0.7, 0.7))
    ax = figure.add_subplot()
    xs, ys = [r[0] for r in rows], [r[1] for r in rows]
    ax.scatter(xs, ys, s=330, color=TRAIN_COLOR, alpha=0.85, zorder=3)
    for x, y, label in zip(xs, ys, labels, strict=True):
        ax.text(x, y, label, ha="center", va="center", color="white", fontsize=11, fontweight="bold", zorder=4)
    ax.set_title(title)
    ax.set_xlabel("embedding dimension 1")
    ax.set_ylabel("embedding dimension 2")
    ax.set_aspect("equal", adjustable="datalim")
    ax.grid(True, alpha=0.3)
    _save(figure, path)
    return figure
