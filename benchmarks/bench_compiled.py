"""The compiled training step against PyTorch and a hand-written NumPy step, as models widen.

    python benchmarks/bench_compiled.py              # the whole table, widths 16 to 1024, first calls (~6 min)
    python benchmarks/bench_compiled.py --quick      # fewer rounds and sizes, no first-call table (~30 s)
    python benchmarks/bench_compiled.py --sizes 256x100,1024x100 --first-call  # some rows, with first calls

The step timed is a user's training loop on the moons data, full batch, hinge loss
plus 1e-4·L2 over every parameter, plain SGD:

* micrograd compiled: ``opt.zero_grad(); step(X, y); opt.step()`` with
  ``step = micrograd.compile(loss_fn)`` and ``opt = micrograd.optim.SGD(...)``;
* PyTorch: the same with ``nn.Linear`` layers (float64) and ``torch.optim.SGD``;
* hand NumPy: the forward and backward pass written out with matrices, then ``p -= lr·g``.

All three start from the same weights, and the benchmark checks that their first losses
agree before it times anything. The data are NumPy arrays (tensors for PyTorch) made
once, outside the step. Every round times each step in turn, back to back for about
``--budget`` seconds; the table gives the median over the rounds of each one's time per
step and the median of the per-round ratios, with their range (a shared machine's speed
drifts between rounds, and a ratio within one round sees the same machine).

"First call" is the time of the compiled step's first call: tracing the function twice,
writing and loading the program, and running it once. The full run (or ``--first-call``)
measures it again in a fresh process for each backend (pure Python up to width 256), with
how much the process's peak resident memory grew during the call (``VmHWM``;
``tracemalloc`` would slow the call down many times over).

PyTorch and OpenBLAS run on one thread (``torch.set_num_threads(1)``,
``OPENBLAS_NUM_THREADS=1`` before NumPy is imported), as micrograd does.
"""

from __future__ import annotations

import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # read once, when NumPy loads OpenBLAS

import argparse  # noqa: E402
import gc  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import micrograd  # noqa: E402
from micrograd.data import moons  # noqa: E402
from micrograd.nn import MLP  # noqa: E402
from micrograd.optim import SGD  # noqa: E402

try:
    if "--first-call-of" in sys.argv:  # that child process measures memory: PyTorch's would hide it
        raise ImportError
    import torch
except ImportError:  # PyTorch is optional here
    torch = None
else:
    torch.set_num_threads(1)

LR = 0.01
L2 = 1e-4


def problem(width: int, batch: int, seed: int = 0):
    """The moons data (labels ±1) and a 2-width-width-1 ReLU MLP."""
    X, labels = moons(batch, noise=0.1, seed=seed)
    y = [2.0 * label - 1 for label in labels]
    random.seed(seed)
    return MLP(2, [width, width, 1]), np.array(X), np.array(y)


def layer_arrays(model: MLP) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each layer's weights (neurons × inputs) and biases, copied out of the micrograd model."""
    return [
        (np.array([[w.data for w in n.w] for n in layer.neurons]), np.array([n.b.data for n in layer.neurons]))
        for layer in model.layers
    ]


def compiled_step(model: MLP, X: np.ndarray, y: np.ndarray, backend: str = "numpy"):
    """micrograd: the per-sample loss compiled, its optimizer micrograd's own SGD."""
    params = model.parameters()

    def loss_fn(x, yi):
        return (1 + -yi * model(x)).relu() + L2 * sum(p * p for p in params)

    step = micrograd.compile(loss_fn, backend=backend)
    opt = SGD(params, lr=LR)

    def run() -> float:
        opt.zero_grad()
        loss = step(X, y)
        opt.step()
        return loss

    return run


def torch_step(model: MLP, X: np.ndarray, y: np.ndarray):
    """PyTorch: nn.Linear layers in float64, torch.optim.SGD."""
    layers = []
    for k, (W, b) in enumerate(layer_arrays(model)):
        linear = torch.nn.Linear(W.shape[1], W.shape[0]).double()
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear] if k == len(model.layers) - 1 else [linear, torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    params = list(net.parameters())

    def run() -> float:
        opt.zero_grad()
        scores = net(Xt).squeeze(1)
        loss = torch.relu(1 - yt * scores).mean() + L2 * sum((p * p).sum() for p in params)
        loss.backward()
        opt.step()
        return loss.item()

    return run


def numpy_step(model: MLP, X: np.ndarray, y: np.ndarray):
    """Hand-written NumPy: samples in rows, the chain rule by hand, SGD in place."""
    (W1, b1), (W2, b2), (W3, b3) = layer_arrays(model)
    params = [W1, b1, W2, b2, W3, b3]
    n = len(y)

    def run() -> float:
        z1 = X @ W1.T + b1
        h1 = np.maximum(z1, 0.0)
        z2 = h1 @ W2.T + b2
        h2 = np.maximum(z2, 0.0)
        scores = (h2 @ W3.T + b3)[:, 0]
        margin = 1.0 - y * scores
        loss = np.maximum(margin, 0.0).mean() + L2 * sum(float((p * p).sum()) for p in params)
        g_scores = -(y * (margin > 0)) / n
        g_z3 = g_scores[:, None]
        g_h2 = g_z3 @ W3
        g_z2 = g_h2 * (z2 > 0)
        g_h1 = g_z2 @ W2
        g_z1 = g_h1 * (z1 > 0)
        grads = [g_z1.T @ X, g_z1.sum(0), g_z2.T @ h1, g_z2.sum(0), g_z3.T @ h2, g_z3.sum(0)]
        for p, g in zip(params, grads):
            p -= LR * (g + 2 * L2 * p)
        return loss

    return run


def peak_resident_mb() -> float:
    """This process's peak resident memory so far (VmHWM; ``ru_maxrss``, which a child inherits, elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def first_call(width: int, backend: str) -> tuple[float, float]:
    """A fresh compiled step's first call: seconds, and MB the process's peak resident memory grew by."""
    model, X, y = problem(width, 100)
    run = compiled_step(model, X, y, backend)
    gc.collect()
    before = peak_resident_mb()
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    return seconds, peak_resident_mb() - before


def first_call_elsewhere(width: int, backend: str) -> tuple[float, float]:
    """:func:`first_call` run in a new Python process (so each starts from the same small heap)."""
    import subprocess

    done = subprocess.run(
        [sys.executable, __file__, "--first-call-of", f"{width}:{backend}"], capture_output=True, text=True, check=True
    )
    seconds, megabytes = done.stdout.split()
    return float(seconds), float(megabytes)


def load() -> str:
    """The machine's load averages (other processes share its cores), where the system tells them."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def interleaved(steps: dict, rounds: int, budget: float) -> dict[str, list[float]]:
    """Per step, its ms per call in each round; every round times each step in turn."""
    repeats = {}
    for name, run in steps.items():
        start = time.perf_counter()
        run()
        repeats[name] = max(1, int(budget / max(time.perf_counter() - start, 1e-9)))
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, run in steps.items():
            gc.collect()
            start = time.perf_counter()
            for _ in range(repeats[name]):
                run()
            times[name].append((time.perf_counter() - start) / repeats[name] * 1e3)
    return times


def ratio(a: list[float], b: list[float]) -> str:
    """The median of per-round ratios a/b, with their range."""
    ratios = [x / y for x, y in zip(a, b)]
    return f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and sizes, no first-call table")
    parser.add_argument("--first-call", action="store_true", help="first calls of both backends, with peak memory")
    parser.add_argument("--sizes", help="only these WIDTHxBATCH, comma-separated (e.g. 1024x100,16x100)")
    parser.add_argument("--first-call-of", help=argparse.SUPPRESS)  # WIDTH:BACKEND, in a child process
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--budget", type=float, default=None, help="seconds of back-to-back steps per timing")
    args = parser.parse_args()
    if args.first_call_of:
        width, backend = args.first_call_of.split(":")
        print(*first_call(int(width), backend))
        return
    rounds = args.rounds or (3 if args.quick else 9)
    budget = args.budget or (0.1 if args.quick else 0.25)
    sizes = [(16, 100), (64, 100), (256, 100), (1024, 100), (16, 1000), (64, 1000), (16, 10_000), (256, 10_000)]
    first_calls = args.first_call or not (args.quick or args.sizes)
    if args.quick:
        sizes = [(16, 100), (64, 100), (16, 10_000)]
    if args.sizes:
        sizes = [(int(w), int(b)) for w, b in (size.split("x") for size in args.sizes.split(","))]
    if torch is None:
        print("PyTorch is not installed: the PyTorch column is skipped (pip install torch==2.13.0)")
    print(f"{rounds} rounds, ~{budget:g} s of steps per timing; ratio: median over rounds (range); {load()}\n")
    header = "| MLP, batch | compiled ms | PyTorch ms | hand NumPy ms | compiled ÷ PyTorch | compiled ÷ hand NumPy |"
    print(header + " first call |")
    print("|---" * 7 + "|")
    for width, batch in sizes:
        model, X, y = problem(width, batch)
        steps = {"compiled": compiled_step(model, X, y), "numpy": numpy_step(model, X, y)}
        if torch is not None:
            steps["torch"] = torch_step(model, X, y)  # each with its own copy of the same weights
        start = time.perf_counter()
        losses = {"compiled": steps["compiled"]()}  # the first call: trace, write, load, run
        first = time.perf_counter() - start
        for name in steps.keys() - {"compiled"}:
            losses[name] = steps[name]()
        if not all(math.isclose(loss, losses["compiled"], rel_tol=1e-9) for loss in losses.values()):
            raise SystemExit(f"the steps disagree on the first loss: {losses}")
        times = interleaved(steps, rounds, budget)
        ms = {name: statistics.median(ts) for name, ts in times.items()}
        torch_ms = f"{ms['torch']:.3f}" if torch is not None else "–"
        vs_torch = ratio(times["compiled"], times["torch"]) if torch is not None else "–"
        print(
            f"| 2-{width}-{width}-1, {batch:,} | {ms['compiled']:.3f} | {torch_ms} | {ms['numpy']:.3f} | "
            f"{vs_torch} | {ratio(times['compiled'], times['numpy'])} | "
            f"{f'{first:.2f} s' if batch == 100 else ''} |",
            flush=True,
        )
        del steps, model
    if first_calls:
        print("\n| first call, batch 100 | NumPy | pure Python | peak grew by, NumPy | pure Python |")
        print("|---" * 5 + "|")
        for width in dict.fromkeys(w for w, _ in sizes):
            cells = [], []
            for backend in ("numpy", "python"):
                if backend == "python" and width > 256:
                    cells[0].append("–")  # a program of millions of lines: not measured
                    cells[1].append("–")
                    continue
                seconds, megabytes = first_call_elsewhere(width, backend)
                cells[0].append(f"{seconds:.2f} s")
                cells[1].append(f"{megabytes:.0f} MB")
            print(f"| 2-{width}-{width}-1 | {' | '.join(cells[0] + cells[1])} |", flush=True)
    print(f"\nat the end: {load()}")


if __name__ == "__main__":
    main()
