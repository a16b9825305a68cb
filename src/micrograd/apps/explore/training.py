"""A training run of a 2-D demo, recorded for the explorer: the decision boundary as it learns,
the loss and accuracy curves, and one trained neuron's graph to step through."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from micrograd.apps.explore.record import MAX_VALUES, json_number, record_graph
from micrograd.apps.formatting import SUBSCRIPTS
from micrograd.checks import index
from micrograd.engine import Value, topological_order

__all__ = ["record_training", "training_demo"]


def _classes(output: float | Sequence[float]) -> tuple[int, float]:
    """Predicted class and confidence (0 at the boundary, 1 far from it) of one output, as accuracy() decides."""
    if isinstance(output, Sequence):
        scores = sorted(output, reverse=True)
        best = max(range(len(output)), key=lambda k: output[k])
        return best, min(1.0, scores[0] - scores[1]) if len(scores) > 1 else 1.0
    return int(output > 0.0), min(1.0, abs(output))


def _lattice(extent: tuple[float, float, float, float], size: int) -> list[list[float]]:
    """The centres of a ``size × size`` lattice over ``extent``, row by row from the top."""
    x0, x1, y0, y1 = extent
    return [
        [x0 + (col + 0.5) * (x1 - x0) / size, y1 - (row + 0.5) * (y1 - y0) / size]
        for row in range(size)
        for col in range(size)
    ]


def _grid(outputs: Sequence[Any]) -> tuple[str, str]:
    """The model's class (a digit) and confidence (0-9) at each lattice point, from its outputs there."""
    classes, strengths = [], []
    for output in outputs:
        cls, strength = _classes(output)
        classes.append(str(cls))
        strengths.append(str(min(9, int(strength * 9.999))))
    return "".join(classes), "".join(strengths)


def training_demo(name: Any) -> Any:
    """The demo called ``name``, if it is a 2-D classifier (the ones whose boundary can be drawn)."""
    from micrograd.apps.demos import DEMOS

    two_d = [d.name for d in DEMOS.values() if d.kind == "classifier" and d.nin == 2]
    if name not in two_d:
        known = "unknown demo" if name not in DEMOS else "the training view needs a 2-D classifier demo, not"
        raise ValueError(f"{known} {name!r}: choose one of {', '.join(two_d)}")
    return DEMOS[name]


def record_training(
    name: str = "moons",
    *,
    epochs: int | None = None,
    lr: float | None = None,
    seed: int | None = None,
    snapshots: int = 16,
    grid: int = 48,
    max_values: int = MAX_VALUES,
    verbose: bool = False,
) -> dict[str, Any]:
    """Train a 2-D classifier demo exactly as ``micrograd demo`` does, recording its decision boundary.

    The boundary (the model's class on a ``grid × grid`` lattice, computed by generated code
    as in training) and the loss and accuracy on the whole data set are recorded before
    training and after ``snapshots - 1`` evenly spaced epochs; the loss and accuracy of every
    step come from the training history. A full-batch demo's snapshot shows the history's own
    number for its step, so the page's text and its chart cannot disagree. The
    recording also holds one neuron's graph (the first of the first layer, trained, on the
    first sample), written out as the lecture's chain of ``*`` and ``+``, to step through.
    """
    from micrograd.apps.demos import run_demo
    from micrograd.compiler import compile as compile_function
    from micrograd.nn import Neuron
    from micrograd.train import evaluate

    demo = training_demo(name)
    snapshots, grid = index("snapshots", snapshots, minimum=2), index("grid", grid, minimum=4)
    epochs = demo.epochs if epochs is None else index("epochs", epochs)
    lr = demo.lr if lr is None else lr

    X, y = demo.data()
    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    pad_x, pad_y = 0.1 * (max(xs) - min(xs)) + 0.1, 0.1 * (max(ys) - min(ys)) + 0.1
    extent = (min(xs) - pad_x, max(xs) + pad_x, min(ys) - pad_y, max(ys) + pad_y)
    lattice = _lattice(extent, grid)
    chosen = sorted({round(k * epochs / (snapshots - 1)) for k in range(snapshots)})
    taken: list[dict[str, Any]] = []
    boundary: Any = None
    full_batch = demo.batch_size is None

    def snapshot(epoch: int, steps: int, model: Any) -> None:
        nonlocal boundary
        if epoch not in chosen:
            return
        if boundary is None:  # the model on the whole lattice as generated code; it reads the parameters at each call
            boundary = compile_function(model)
        classes, strength = _grid(boundary(lattice, reduction="none"))
        taken.append({"epoch": epoch, "step": steps, "classes": classes, "strength": strength})
        if not full_batch:  # the history holds mini-batch losses only: measure the whole data set now
            result = evaluate(model, X, y, demo.loss, demo.l2, with_accuracy=True)
            taken[-1].update(loss=result.loss, accuracy=result.accuracy)

    run = run_demo(demo.name, epochs=epochs, lr=lr, seed=seed, out=None, verbose=verbose, on_epoch=snapshot)
    model, history = run.model, run.history
    for shot in taken:
        if full_batch:
            # A full-batch step measures the whole data set before its update: the snapshot after k steps
            # shows history entry k, the very number on the chart; after the last step, the final
            # evaluation that `micrograd demo` prints.
            last = shot["step"] >= len(history.loss)
            shot["loss"] = run.final.loss if last else history.loss[shot["step"]]
            shot["accuracy"] = run.final.accuracy if last else history.accuracy[shot["step"]]
        loss, acc = shot["loss"], shot["accuracy"]
        shot.update(loss=json_number(loss), accuracy=acc,
                    text=f"epoch {shot['epoch']}: loss {loss:.4f}, accuracy {acc:.0%}")

    source = model.layers[0].neurons[0]
    neuron = Neuron(demo.nin, activation=source.activation, fused=False)
    neuron.load_state_dict(source.state_dict())
    for k, weight in enumerate(neuron.w):
        weight.label = f"w{k + 1}".translate(SUBSCRIPTS)
    neuron.b.label = "b"
    inputs = [Value(v, label=f"x{k + 1}".translate(SUBSCRIPTS)) for k, v in enumerate(X[0])]
    out = neuron(inputs)
    out.label = "h"
    output = model(X[0])
    sample_values = len(topological_order(output if isinstance(output, list) else [output]))
    graph = record_graph(
        out,
        title=f"one neuron: h = {source.activation}(w₁·x₁ + w₂·x₂ + b), trained, on the first sample",
        max_values=max_values,
    )
    graph["note"] = (
        f"The whole network's output for one sample is a graph of {sample_values:,} values (the loss over all "
        f"{len(X)} samples many times more), too many to follow: here is one neuron of its first layer."
    )
    labels = [int(t > 0.5) if len(demo.nouts) and demo.nouts[-1] == 1 else int(t) for t in y]
    sizes = "-".join(map(str, (demo.nin, *demo.nouts)))
    return {
        "kind": "training",
        "title": f"micrograd explorer: {demo.name}",
        "training": {
            "demo": demo.name,
            "description": demo.describe(epochs, lr, len(X)),
            "model": f"MLP {sizes}",
            "extent": list(extent),
            "grid": grid,
            "classes": demo.nouts[-1] if demo.nouts[-1] > 1 else 2,
            "points": [[round(p[0], 5), round(p[1], 5), c] for p, c in zip(X, labels)],
            "loss": [json_number(v) for v in history.loss],
            "accuracy": list(history.accuracy),
            "snapshots": taken,
            "stop_reason": history.stop_reason,
        },
        "graph": graph,
    }
