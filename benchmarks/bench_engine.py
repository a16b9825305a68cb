"""Engine speed and memory, side by side in one process: micrograd, the lecture-style
baseline (``lecture_engine.py``) and PyTorch (if installed).

    python benchmarks/bench_engine.py            # everything (a few minutes)
    python benchmarks/bench_engine.py --quick    # fewer repeats, chains up to 1e5

W1  one training step of MLP 2-16-16-1 on 100 moons points (hinge + 1e-4·L2, SGD)
W2  a chain x = x*0.999 + 0.001 of N steps, then backward
W3  the sum of 1e6 products a_i*b_i, then backward; bytes per node (tracemalloc)

Each engine runs its steps back to back, as in a training loop (so each pays for its
own garbage collection), with a full collection between engines that is not timed.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lecture_engine  # noqa: E402

from micrograd import nn  # noqa: E402
from micrograd.data import moons  # noqa: E402
from micrograd.engine import Value, topological_order  # noqa: E402

try:
    import torch
except ImportError:  # PyTorch is optional here
    torch = None


def median_ms(step, repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``step()`` in milliseconds over back-to-back runs."""
    gc.collect()
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    gc.collect()
    return statistics.median(times) * 1e3


# --- W1: one training step of the moons MLP ------------------------------------------


def scalar_step(model, X, y, lr=0.01):
    """The original demo's step, written against the shared Value API (both engines)."""
    scores = [model(x) for x in X]
    losses = [(1 + -yi * score).relu() for yi, score in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    loss = data_loss + reg_loss
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


def torch_step_factory(X, y):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)
    ).double()
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        scores = model(Xt).squeeze(1)
        loss = torch.relu(1 - yt * scores).mean() + 1e-4 * sum((p * p).sum() for p in model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def w1(repeats: int) -> dict[str, float]:
    X, labels = moons(100, noise=0.1, seed=0)
    y = [2 * label - 1 for label in labels]
    results = {}
    import random

    random.seed(1337)
    baseline = lecture_engine.MLP(2, [16, 16, 1])
    results["lecture-style baseline"] = median_ms(lambda: scalar_step(baseline, X, y), repeats)
    random.seed(1337)
    unfused = nn.MLP(2, [16, 16, 1], fused=False)
    results["micrograd eager, unfused"] = median_ms(lambda: scalar_step(unfused, X, y), repeats)
    random.seed(1337)
    fused = nn.MLP(2, [16, 16, 1])
    results["micrograd eager, fused"] = median_ms(lambda: scalar_step(fused, X, y), repeats)
    if torch is not None:
        results["PyTorch (nn.Linear, batch 100, float64)"] = median_ms(torch_step_factory(X, y), repeats * 5, 3)
    return results


# --- W2: a long chain ----------------------------------------------------------------


def chain(value_cls, n: int) -> None:
    x = value_cls(1.0)
    y = x
    for _ in range(n):
        y = y * 0.999 + 0.001
    y.backward()


def torch_chain(n: int) -> None:
    x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 0.999 + 0.001
    y.backward()


def w2(sizes: list[int]) -> list[tuple[int, str, str, str]]:
    rows = []
    for n in sizes:
        repeats = 3 if n <= 10**5 else 1
        ours = median_ms(lambda n=n: chain(Value, n), repeats, warmup=0)
        try:
            base = f"{median_ms(lambda n=n: chain(lecture_engine.Value, n), repeats, warmup=0):.1f}"
        except RecursionError:
            base = "RecursionError"
        theirs = f"{median_ms(lambda n=n: torch_chain(n), repeats, warmup=0):.1f}" if torch is not None else "-"
        rows.append((n, f"{ours:.1f}", base, theirs))
    return rows


# --- W3: a wide sum ------------------------------------------------------------------


def wide_sum(value_cls, n: int):
    a = [value_cls(i * 1e-6) for i in range(n)]
    b = [value_cls(1.0 - i * 1e-6) for i in range(n)]
    total = sum(ai * bi for ai, bi in zip(a, b))
    return total


def bytes_per_node(n: int) -> tuple[float, float, int]:
    """Traced bytes per node after building the graph, and after backward."""
    gc.collect()
    tracemalloc.start()
    total = wide_sum(Value, n)
    built = tracemalloc.get_traced_memory()[0]
    total.backward()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    nodes = len(topological_order(total))
    del total
    gc.collect()
    return built / nodes, after / nodes, nodes


def w3(n: int) -> dict[str, str]:
    def ours():
        wide_sum(Value, n).backward()

    results = {"micrograd (ms)": f"{median_ms(ours, 3, warmup=0):.0f}"}
    if torch is not None:

        def theirs():
            a = [torch.tensor(i * 1e-6, dtype=torch.float64, requires_grad=True) for i in range(n)]
            b = [torch.tensor(1.0 - i * 1e-6, dtype=torch.float64, requires_grad=True) for i in range(n)]
            sum(ai * bi for ai, bi in zip(a, b)).backward()

        results["PyTorch scalars (ms)"] = f"{median_ms(theirs, 1, warmup=0):.0f}"
    built, after, nodes = bytes_per_node(n)
    results["nodes"] = f"{nodes:,}"
    results["bytes/node after build"] = f"{built:.0f}"
    results["bytes/node after backward"] = f"{after:.0f}"
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats; chains up to 1e5 and a 1e5-wide sum")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, PyTorch {torch.__version__ if torch else 'not installed'}\n")

    results = w1(3 if args.quick else 7)
    base = results["lecture-style baseline"]
    print("W1  one training step, MLP 2-16-16-1, 100 moons points (median ms)")
    print(f"    {'engine':42} {'ms':>9} {'speed-up vs baseline':>22}")
    for name, ms in results.items():
        print(f"    {name:42} {ms:9.2f} {base / ms:21.1f}x")

    sizes = [10**3, 10**4, 10**5] + ([] if args.quick else [10**6])
    print("\nW2  chain x = x*0.999 + 0.001 of N steps, then backward (median ms)")
    print(f"    {'N':>9} {'micrograd':>12} {'baseline':>15} {'PyTorch':>10}")
    for n, ours, baseline, theirs in w2(sizes):
        print(f"    {n:>9,} {ours:>12} {baseline:>15} {theirs:>10}")

    n = 10**5 if args.quick else 10**6
    print(f"\nW3  sum of {n:,} products a_i*b_i, then backward")
    for key, value in w3(n).items():
        print(f"    {key:28} {value:>12}")


if __name__ == "__main__":
    main()
