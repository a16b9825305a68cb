"""Plots: the figures hold what they claim (regions, points, curves, labels) and are written as images."""

from __future__ import annotations

import base64
import math
import random
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.image import imread  # noqa: E402

from micrograd import MLP  # noqa: E402
from micrograd.apps.plot import (  # noqa: E402
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_embedding,
    plot_fit,
    plot_history,
    plot_images,
)
from micrograd.data import moons, sine, spirals  # noqa: E402
from micrograd.optim import SGD, LinearDecay  # noqa: E402
from micrograd.train import fit  # noqa: E402


class Linear:
    """A stand-in classifier: score = x₁ - x₂ (or, with classes, one score per class)."""

    nin = 2

    def __init__(self, classes=1):
        self.classes = classes

    def __call__(self, x):
        from micrograd import Value

        if self.classes == 1:
            return Value(x[0] - x[1])
        return [Value(x[0]), Value(x[1]), Value(-x[0] - x[1])]


def _legend(figure, ax_index=0):
    """The legend's entries in reading order (a legend below the axes is laid out row by row)."""
    ax = figure.axes[ax_index]
    shown = [t.get_text() for t in ax.get_legend().get_texts()]
    labels = ax.get_legend_handles_labels()[1]
    assert sorted(shown) == sorted(labels)
    return labels


def _is_image(path):
    pixels = imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert pixels.std() > 0.05  # not blank
    return pixels


def test_decision_boundary_binary(tmp_path):
    X = [[0.0, 1.0], [1.0, 0.0], [2.0, 0.5], [0.2, 0.1]]  # the last one sits on the wrong side
    y = [0, 1, 1, 0]
    path = tmp_path / "boundary.png"
    figure = plot_decision_boundary(Linear(), X, y, path=path, title="linear")
    assert isinstance(figure.canvas, FigureCanvasAgg)
    ax = figure.axes[0]
    assert ax.get_title() == "linear\naccuracy 75.0% on 4 points"
    assert ax.get_xlabel() == "x₁" and ax.get_ylabel() == "x₂"
    assert _legend(figure) == ["class 0", "class 1", "decision boundary", "misclassified (1)"]
    _is_image(path)


def test_decision_boundary_labels_plus_minus_one():
    X = [[0.0, 1.0], [1.0, 0.0]]
    figure = plot_decision_boundary(Linear(), X, [-1, 1])
    assert _legend(figure) == ["class -1", "class +1", "decision boundary"]
    assert "accuracy 100.0%" in figure.axes[0].get_title()


def test_decision_boundary_multiclass(tmp_path):
    X, y = spirals(n_samples=30, n_classes=3)
    figure = plot_decision_boundary(Linear(classes=3), X, y, path=tmp_path / "spirals.png")
    legend = _legend(figure)
    assert legend[:4] == ["class 0", "class 1", "class 2", "decision boundary"]
    right = sum(max(range(3), key=lambda c, x=x: Linear(3)(x)[c].data) == t for x, t in zip(X, y, strict=True))
    assert f"accuracy {right / 30:.1%}" in figure.axes[0].get_title()
    _is_image(tmp_path / "spirals.png")


def test_decision_boundary_of_a_trained_mlp_from_numpy(tmp_path):
    np = pytest.importorskip("numpy")
    X, y = moons(40)
    model = MLP(2, [8, 1], rng=random.Random(0))
    figure = plot_decision_boundary(model, np.array(X), np.array(y), resolution=20)
    assert figure.axes[0].get_xlim()[0] < min(x for x, _ in X)
    right = sum((model(x).data > 0) == (t == 1) for x, t in zip(X, y, strict=True))
    assert f"accuracy {right / len(X):.1%} on 40 points" in figure.axes[0].get_title()


def _history(epochs=6, batch_size=None, validation=True):
    X, y = moons(30)
    y = [2 * t - 1 for t in y]
    model = MLP(2, [6, 1], rng=random.Random(0))
    opt = SGD(model.parameters(), lr=0.3)
    return fit(model, X[:20], y[:20], loss="hinge", optimizer=opt, epochs=epochs, batch_size=batch_size,
               lr_schedule=LinearDecay(0.3, 0.03, epochs * (1 if batch_size is None else 3)),
               validation=(X[20:], y[20:]) if validation else None, verbose=False)


def test_history_panels(tmp_path):
    history = _history()
    path = tmp_path / "history.png"
    figure = plot_history(history, path=path, title="moons")
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["loss", "accuracy", "learning rate"]
    loss_ax, acc_ax, lr_ax = figure.axes
    assert loss_ax.get_yscale() == "log" and loss_ax.get_xlabel() == "epoch"
    assert list(loss_ax.lines[0].get_ydata()) == history.loss
    assert list(loss_ax.lines[1].get_ydata()) == history.val_loss
    assert _legend(figure, 0) == ["training", "validation"]
    assert list(acc_ax.lines[0].get_ydata()) == [100 * a for a in history.accuracy]
    assert list(lr_ax.lines[0].get_ydata()) == history.lr
    assert figure._suptitle.get_text() == "moons"
    _is_image(path)


def test_history_with_mini_batches_shows_epoch_means():
    history = _history(epochs=3, batch_size=7, validation=False)
    figure = plot_history(history.to_dict())
    loss_ax = figure.axes[0]
    assert loss_ax.get_xlabel() == "step"
    assert _legend(figure, 0) == ["training (step)", "training (epoch mean)"]
    means = list(loss_ax.lines[1].get_ydata())
    assert means == pytest.approx([sum(history.loss[3 * e : 3 * e + 3]) / 3 for e in range(3)], rel=1e-15)


def test_history_of_a_regression_with_constant_lr():
    xs, ys = sine(n_samples=10)
    model = MLP(1, [4, 1], rng=random.Random(0))
    history = fit(model, xs, ys, loss="mse", optimizer=SGD(model.parameters(), lr=0.05), epochs=3, verbose=False)
    history.stop_reason = "interrupted"
    figure = plot_history(history, title="sine")
    assert [ax.get_title() for ax in figure.axes] == ["loss"]
    assert figure._suptitle.get_text() == "sine, learning rate 0.05 (stopped: interrupted after 3 epochs)"


def test_empty_history_is_an_error():
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_history({"loss": [], "accuracy": [], "lr": [], "epoch": [], "val_loss": [], "val_accuracy": []})


def test_fit_plot(tmp_path):
    xs, ys = sine(n_samples=21)
    model = MLP(1, [4, 1], rng=random.Random(0))
    path = tmp_path / "fit.png"
    figure = plot_fit(model, xs, ys, truth=math.sin, truth_label="sin x", path=path, title="sine", samples=50)
    ax = figure.axes[0]
    mse = sum((model([x]).data - t) ** 2 for x, t in zip(xs, ys, strict=True)) / len(xs)
    assert ax.get_title() == f"sine\nmean squared error {mse:.2e} on the training data"
    assert _legend(figure) == ["training data (21 points)", "sin x", "model"]
    model_line = ax.lines[-1]
    assert len(model_line.get_xdata()) == 50
    assert model_line.get_ydata()[0] == pytest.approx(model([-3.0]).data, rel=1e-12)
    _is_image(path)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: plot_fit(MLP(1, [2]), [0.0, 1.0], [0.0, 1.0]), "one output"),
        (lambda: plot_fit(MLP(2, [1]), [[0.0, 1.0]], [0.0]), "takes 1 input"),
        (lambda: plot_decision_boundary(MLP(3, [1]), [[0.0, 1.0, 2.0]], [0]), "takes 2 inputs"),
        (lambda: plot_decision_boundary(Linear(), [[0.0, 1.0]], [0], resolution=1), "resolution"),
        (lambda: plot_fit(MLP(1, [1]), [0.0, 1.0], [0.0]), "same length"),
        (lambda: plot_confusion_matrix([[1, 2]]), "square table of counts"),
        (lambda: plot_confusion_matrix([[1, -1], [0, 1]]), "square table of counts >= 0"),
        (lambda: plot_confusion_matrix([[1]], labels=["a", "b"]), "2 labels for 1 classes"),
        (lambda: plot_images([[[0.0]]], []), "1 images and 0 captions"),
        (lambda: plot_images([[0.0, 1.0]], ["flat"]), "2-D images"),
        (lambda: plot_embedding([[0.0, 1.0, 2.0]], ["a"]), "one 2-D point per label"),
        (lambda: plot_embedding([[0.0, 1.0]], ["a", "b"]), "got 1 points for 2 labels"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_confusion_matrix_shows_each_count_in_its_cell_and_the_share_right(tmp_path):
    counts = [[5, 1, 0], [0, 3, 0], [2, 0, 4]]
    path = tmp_path / "confusion.png"
    figure = plot_confusion_matrix(counts, labels=["a", "b", "c"], path=path, title="three classes")
    ax = figure.axes[0]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert cells == {(0, 0): "5", (0, 1): "1", (1, 1): "3", (2, 0): "2", (2, 2): "4"}  # (true, predicted)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert ax.get_title().splitlines() == ["three classes", "12 of 15 right (80.0%); off the diagonal in red"]
    shares = ax.images[0].get_array()
    assert shares[0][0] == pytest.approx(5 / 6) and shares[2][0] == pytest.approx(2 / 6)
    _is_image(path)


def test_images_are_drawn_with_their_captions_and_none_says_so(tmp_path):
    images = [[[i * j * k for j in range(4)] for i in range(3)] for k in range(1, 4)]
    path = tmp_path / "images.png"
    figure = plot_images(images, ["one", "two", "three"], path=path, title="three", columns=2)
    assert [ax.get_title() for ax in figure.axes] == ["one", "two", "three"]
    assert [ax.get_subplotspec().get_geometry()[:2] for ax in figure.axes] == [(2, 2)] * 3
    assert figure.axes[2].images[0].get_array().tolist() == images[2]
    _is_image(path)
    empty = plot_images([], [], empty="no mistakes")
    assert figure.axes and not empty.axes and [t.get_text() for t in empty.texts] == ["no mistakes"]


def test_embedding_puts_each_label_on_its_point(tmp_path):
    points = [[0.0, 1.0], [-2.0, 0.5], [1.5, -1.0]]
    path = tmp_path / "embedding.png"
    figure = plot_embedding(points, [".", "a", "b"], path=path)
    ax = figure.axes[0]
    assert [(t.get_text(), list(t.get_position())) for t in ax.texts] == [
        (".", [0.0, 1.0]), ("a", [-2.0, 0.5]), ("b", [1.5, -1.0])]
    assert ax.collections[0].get_offsets().tolist() == points
    _is_image(path)


def test_history_names_its_held_out_curve_and_a_narrow_log_axis_reads_plainly():
    figure = plot_history(_history(), validation_label="test")
    loss_ax = figure.axes[0]
    assert _legend(figure, 0) == ["training", "test"] and _legend(figure, 1) == ["training", "test"]
    FigureCanvasAgg(figure).draw()
    shown = [t.get_text() for t in loss_ax.get_yticklabels(minor=True) + loss_ax.get_yticklabels() if t.get_text()]
    assert len(shown) >= 3 and all("10^" not in text and "times" not in text for text in shown), shown
    assert all(float(text) for text in shown)


def test_missing_matplotlib_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(ImportError, match='pip install "micrograd\\[viz\\]"'):
        plot_fit(MLP(1, [1]), [0.0, 1.0], [0.0, 1.0])


def test_figures_display_as_images_in_a_fresh_jupyter_kernel(tmp_path):
    """A figure as the last expression of a cell shows as a picture, with no %matplotlib inline first:
    micrograd draws without pyplot, so IPython's inline backend never registers Figure; the figure
    itself must say how it looks as a PNG."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    cells = [
        "from micrograd.data import sine\nfrom micrograd.nn import MLP\nfrom micrograd.apps.plot import plot_fit",
        "X, y = sine(20)\nplot_fit(MLP(1, [4, 1]), X, y)",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    src = str(Path(__file__).resolve().parents[1] / "src")
    setup = f"import sys; sys.path.insert(0, {src!r})"
    notebook.cells.insert(0, nbformat.v4.new_code_cell(setup))
    kernel = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": tmp_path}})
    kernel.execute()
    (shown,) = notebook.cells[-1].outputs
    assert shown["output_type"] == "execute_result"
    assert "image/png" in shown["data"], shown["data"]
    png = base64.b64decode(shown["data"]["image/png"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
