"""Tensor training-step speed, side by side in one process: micrograd tensors, PyTorch (CPU) and
hand-written NumPy (the forward and backward formulas typed out, the floor for NumPy code).

    python benchmarks/bench_tensor.py            # every workload, float64 and float32
    python benchmarks/bench_tensor.py --quick    # fewer rounds

A step is everything a training loop does: zero the gradients, forward, loss, backward,
optimizer update (plain SGD). Workloads:

moons     MLP 2-16-16-1 (ReLU), batch 100, hinge loss + 1e-4·L2   (the micrograd demo)
digits    MLP 64-128-10 (ReLU), batch 1797, cross-entropy         (scikit-learn's digits)
makemore  Embedding(27, 10), context 3, Linear 30-200, tanh, Linear 200-27, batch 32, cross-entropy
width     the makemore MLP with 64, 256 and 1024 hidden units

The digits are scikit-learn's bundled 8×8 images when scikit-learn is installed, or read from
``--digits FILE.npz`` (arrays ``X`` and ``y``, as ``np.savez(FILE, X=d.data, y=d.target)`` of
``load_digits()`` writes them, for a Python without scikit-learn); otherwise a deterministic
stand-in of the same shape and value range (integers 0..16 in a 1797×64 array, 10 classes),
which costs the same arithmetic; the output says which ran.

Threads: OpenBLAS and PyTorch run on one thread (``OPENBLAS_NUM_THREADS=1`` is set before
NumPy is imported, ``torch.set_num_threads(1)``); afterwards the same table is measured
with both at their defaults (OpenBLAS's thread count raised back through its own
``openblas_set_num_threads``, PyTorch's through ``torch.set_num_threads``).

Each round times every engine once, in turn (a shared machine's speed drifts), each
running its steps back to back; the table gives the median over rounds of each engine's
time per step and the median of its per-round ratio to PyTorch's.
"""

from __future__ import annotations

import os

DEFAULT_THREADS = os.cpu_count() or 1
os.environ["OPENBLAS_NUM_THREADS"] = "1"  # before NumPy is imported

import argparse  # noqa: E402
import ctypes  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from micrograd.optim import SGD  # noqa: E402
from micrograd.tensor import Tensor, cross_entropy  # noqa: E402
from micrograd.tensor.losses import hinge_loss, l2_penalty  # noqa: E402
from micrograd.tensor.nn import Embedding, Flatten, Generator, Linear, ReLU, Sequential, Tanh  # noqa: E402

try:
    import torch
except ImportError:  # the comparison needs PyTorch
    torch = None

Step = Callable[[], None]
LR = 0.05
L2 = 1e-4


# --- data -----------------------------------------------------------------------------------


def moons_data() -> tuple[np.ndarray, np.ndarray]:
    from micrograd.data import moons

    X, y = moons(100, noise=0.1, seed=1)
    return np.array(X), np.array(y, dtype=np.float64) * 2 - 1


def digits_data(path: str | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    if path is not None:
        with np.load(path) as saved:
            return saved["X"] / 16, saved["y"].astype(np.int64), f"scikit-learn's digits, read from {path}"
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        g = np.random.Generator(np.random.PCG64(0))
        X = g.integers(0, 17, size=(1797, 64)).astype(np.float64)
        return X / 16, g.integers(0, 10, size=1797), "a deterministic stand-in (scikit-learn is not installed)"
    digits = load_digits()
    return digits.data / 16, digits.target.astype(np.int64), "scikit-learn's load_digits()"


def makemore_data(batch: int = 32) -> tuple[np.ndarray, np.ndarray]:
    g = np.random.Generator(np.random.PCG64(1))
    return g.integers(0, 27, size=(batch, 3)), g.integers(0, 27, size=batch)


# --- the three engines for each workload ------------------------------------------------------


def mlp(sizes: list[int], activation: type, dtype: str) -> Sequential:
    g = Generator(0)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(n_in, n_out, generator=g, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(activation())
    return Sequential(*layers)


def makemore_model(hidden: int, dtype: str) -> Sequential:
    g = Generator(0)
    return Sequential(
        Embedding(27, 10, generator=g, dtype=dtype),
        Flatten(),
        Linear(30, hidden, generator=g, dtype=dtype),
        Tanh(),
        Linear(hidden, 27, generator=g, dtype=dtype),
    )


def micrograd_step(model: Sequential, X: np.ndarray, y: np.ndarray, loss: str) -> Step:
    opt = SGD(model.parameters(), lr=LR)
    inputs = Tensor(X)

    def step() -> None:
        opt.zero_grad()
        out = model(inputs)
        if loss == "hinge":
            total = hinge_loss(out, y) + l2_penalty(model.parameters(), L2)
        else:
            total = cross_entropy(out, y)
        total.backward()
        opt.step()

    return step


def torch_step(model: Sequential, X: np.ndarray, y: np.ndarray, loss: str) -> Step:
    twin = model.to_torch()
    opt = torch.optim.SGD(twin.parameters(), lr=LR)
    inputs, targets = torch.from_numpy(X), torch.from_numpy(y)
    params = list(twin.parameters())

    def step() -> None:
        opt.zero_grad()
        out = twin(inputs)
        if loss == "hinge":
            total = torch.relu(1 - targets * out[:, 0]).mean() + L2 * sum((p * p).sum() for p in params)
        else:
            total = torch.nn.functional.cross_entropy(out, targets)
        total.backward()
        opt.step()

    return step


def numpy_mlp_step(model: Sequential, X: np.ndarray, y: np.ndarray, loss: str) -> Step:
    """The MLP's forward and backward formulas by hand: ReLU hidden layers, hinge + L2 or cross-entropy."""
    Ws = [layer.weight.data.copy() for layer in model if isinstance(layer, Linear)]
    bs = [layer.bias.data.copy() for layer in model if isinstance(layer, Linear)]
    X = X.astype(Ws[0].dtype)
    n = len(X)
    rows = np.arange(n)

    def step() -> None:
        acts, pre = [X], []
        for i, (W, b) in enumerate(zip(Ws, bs)):
            z = acts[-1] @ W.T + b
            pre.append(z)
            acts.append(np.maximum(z, 0) if i < len(Ws) - 1 else z)
        out = acts[-1]
        if loss == "hinge":
            margin = 1 - y * out[:, 0]
            _ = np.maximum(margin, 0).mean() + L2 * sum((W * W).sum() + (b * b).sum() for W, b in zip(Ws, bs))
            g = (-(y * (margin > 0)) / n)[:, None].astype(out.dtype)
        else:
            shifted = out - out.max(axis=1, keepdims=True)
            e = np.exp(shifted)
            p = e / e.sum(axis=1, keepdims=True)
            _ = -np.log(p[rows, y]).mean()
            p[rows, y] -= 1
            g = p / n
        for i in reversed(range(len(Ws))):
            dW, db = g.T @ acts[i], g.sum(axis=0)
            if i:
                g = (g @ Ws[i]) * (pre[i - 1] > 0)
            if loss == "hinge":
                dW, db = dW + 2 * L2 * Ws[i], db + 2 * L2 * bs[i]
            Ws[i] -= LR * dW
            bs[i] -= LR * db

    return step


def numpy_makemore_step(model: Sequential, X: np.ndarray, y: np.ndarray, loss: str) -> Step:
    """The makemore MLP by hand: C[X], tanh hidden layer, cross-entropy; the embedding's gradient by np.add.at."""
    C = model[0].weight.data.copy()
    W1, b1 = model[2].weight.data.copy(), model[2].bias.data.copy()
    W2, b2 = model[4].weight.data.copy(), model[4].bias.data.copy()
    n = len(X)
    rows = np.arange(n)

    def step() -> None:
        emb = C[X].reshape(n, -1)
        h = np.tanh(emb @ W1.T + b1)
        logits = h @ W2.T + b2
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        _ = -np.log(p[rows, y]).mean()
        p[rows, y] -= 1
        dlogits = p / n
        dW2, db2 = dlogits.T @ h, dlogits.sum(axis=0)
        dpre = (dlogits @ W2) * (1 - h * h)
        dW1, db1 = dpre.T @ emb, dpre.sum(axis=0)
        dC = np.zeros_like(C)
        np.add.at(dC, X, (dpre @ W1).reshape(n, 3, -1))
        for param, grad in ((C, dC), (W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
            param -= LR * grad

    return step


# --- timing -----------------------------------------------------------------------------------


def time_per_step(step: Step, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def compare(engines: dict[str, Step], rounds: int, budget: float = 0.05) -> dict[str, tuple[float, float]]:
    """{engine: (median seconds per step, median per-round ratio to PyTorch)}, rounds interleaved."""
    counts = {}
    for name, step in engines.items():  # warm up, and pick a step count that fills the budget
        step()
        counts[name] = max(1, int(budget / max(time_per_step(step, 3), 1e-7)))
    times: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(rounds):
        for name, step in engines.items():
            gc.collect()
            times[name].append(time_per_step(step, counts[name]))
    ratios = {name: [t / p for t, p in zip(times[name], times["pytorch"])] for name in engines}
    return {name: (statistics.median(times[name]), statistics.median(ratios[name])) for name in engines}


Workload = tuple[str, Callable[[str], Sequential], tuple, str, Callable]


def workloads(digits: tuple[np.ndarray, np.ndarray]) -> list[Workload]:
    Xm, ym = moons_data()
    Xd, yd = digits
    Xk, yk = makemore_data()
    rows = [
        ("moons 2-16-16-1, batch 100", lambda d: mlp([2, 16, 16, 1], ReLU, d), (Xm, ym), "hinge", numpy_mlp_step),
        ("digits 64-128-10, batch 1797", lambda d: mlp([64, 128, 10], ReLU, d), (Xd, yd), "ce", numpy_mlp_step),
        ("makemore 30-200-27, batch 32", lambda d: makemore_model(200, d), (Xk, yk), "ce", numpy_makemore_step),
    ]
    for width in (64, 256, 1024):
        rows.append((f"makemore, hidden {width}", lambda d, w=width: makemore_model(w, d), (Xk, yk), "ce",
                     numpy_makemore_step))  # fmt: skip
    return rows


def table(digits: tuple[np.ndarray, np.ndarray], rounds: int, dtypes: list[str]) -> None:
    print("| workload | dtype | micrograd ms | PyTorch ms | NumPy ms | micrograd ÷ PyTorch | NumPy ÷ PyTorch |")
    print("|---|---|---|---|---|---|---|")
    for name, make, (X, y), loss, numpy_step in workloads(digits):
        for dtype in dtypes:
            model = make(dtype)
            X_cast = X.astype(dtype) if X.dtype.kind == "f" else X
            y_cast = y.astype(dtype) if y.dtype.kind == "f" else y
            engines = {
                "micrograd": micrograd_step(model, X_cast, y_cast, loss),
                "pytorch": torch_step(make(dtype), X_cast, y_cast, loss),
                "numpy": numpy_step(make(dtype), X_cast, y_cast, loss),
            }
            result = compare(engines, rounds)
            ms = {k: f"{v[0] * 1e3:.3f}" for k, v in result.items()}
            print(f"| {name} | {dtype} | {ms['micrograd']} | {ms['pytorch']} | {ms['numpy']} | "
                  f"{result['micrograd'][1]:.2f} | {result['numpy'][1]:.2f} |", flush=True)  # fmt: skip


def openblas_threads(n: int) -> bool:
    """Set NumPy's OpenBLAS thread count through its own function; False if it cannot be found."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and line.split()[-1].startswith("/")}
    for path in paths:
        lib = ctypes.CDLL(path)
        for symbol in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads"):
            if hasattr(lib, symbol):
                getattr(lib, symbol)(n)
                return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--digits", metavar="FILE.npz", help="scikit-learn's digits saved with np.savez(X=..., y=...)")
    args = parser.parse_args()
    if torch is None:
        raise SystemExit("bench_tensor.py compares with PyTorch: pip install torch==2.13.0")
    rounds = args.rounds or (5 if args.quick else 15)
    X, y, source = digits_data(args.digits)
    print(f"NumPy {np.__version__}, PyTorch {torch.__version__}, {DEFAULT_THREADS} CPUs; digits: {source}; "
          f"{rounds} rounds\n")  # fmt: skip
    torch.set_num_threads(1)
    print("One thread (OPENBLAS_NUM_THREADS=1, torch.set_num_threads(1)):\n")
    table((X, y), rounds, ["float64", "float32"])
    if openblas_threads(DEFAULT_THREADS):
        torch.set_num_threads(DEFAULT_THREADS)
        print(f"\nDefaults ({DEFAULT_THREADS} threads for OpenBLAS and PyTorch), float64:\n")
        table((X, y), rounds, ["float64"])
    else:
        print("\n(OpenBLAS's thread setter was not found: the table at default threads is skipped)")


if __name__ == "__main__":
    main()
