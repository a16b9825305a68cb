"""Engine speed and memory, side by side in one run: the lecture-style baseline
(``lecture_engine.py``), micrograd eager (unfused and fused neurons), micrograd compiled
(pure Python and NumPy) and PyTorch (if installed).

    python benchmarks/bench_engine.py            # everything (a few minutes)
    python benchmarks/bench_engine.py --quick    # fewer rounds, chains up to 1e5

W1  one training step of MLP 2-16-16-1 on 100 moons points (hinge + 1e-4·L2, SGD); the
    unfused step also inside ``collector_paused()``, as a user may write it (and as ``fit``
    runs a step of the library's own model and loss)
W4  one epoch of the sine fit: MLP 1-16-16-1 on 121 points, full-batch MSE, SGD
W2  a chain x = x*0.999 + 0.001 of N steps, then backward
W3  the sum of 1e6 products a_i*b_i, then backward; bytes per node (tracemalloc)

Each engine runs in a process holding only what its user's program would: micrograd's
engines and the baseline in a worker process that never imports PyTorch, PyTorch in a
worker of its own (``_workers.py``). Every full pass of Python's cyclic garbage collector
walks every object in the process, and a graph of Python objects triggers such passes,
so PyTorch's ~290,000 objects in the same process would slow the engines that build one
(the unfused moons step about twice). The parent asks one worker at a time.

Each engine runs its steps back to back, as in a training loop (so each pays for its
own garbage collection), with a full collection between engines that is not timed.
W1 and W4 run in rounds: every round times each engine once, in turn, so that all of
them meet the same machine (a shared machine's speed drifts by 2x over minutes). The
table gives the median over the rounds of each engine's time per step, and the median
of its per-round ratio to the baseline and to PyTorch.

PyTorch and NumPy's OpenBLAS each run on one thread (``torch.set_num_threads(1)``,
``OPENBLAS_NUM_THREADS=1`` before NumPy is imported), as micrograd does: on a shared
machine a pool of threads spin-waits for a busy core, and the same small PyTorch step
then takes many times longer from one run to the next.
"""

from __future__ import annotations

import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # read once, when NumPy loads OpenBLAS

import argparse  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lecture_engine  # noqa: E402
from _workers import Worker, serve  # noqa: E402

import micrograd  # noqa: E402
from micrograd import nn  # noqa: E402
from micrograd.collector import collector_paused  # noqa: E402
from micrograd.data import moons, sine  # noqa: E402
from micrograd.engine import Value, topological_order  # noqa: E402
from micrograd.optim import SGD  # noqa: E402

torch = None  # imported only in the PyTorch worker, by load_torch()
HAS_NUMPY = importlib.util.find_spec("numpy") is not None  # without it, the compiled NumPy rows are left out

PROCESSES = ("micrograd's engines and the lecture-style baseline run in a worker process that never imports"
             " PyTorch and PyTorch in one of its own, because every full garbage collection walks every object"
             " in its process and PyTorch's would slow the engines that build graphs of Python objects.")


def load_torch() -> None:
    """Import PyTorch on one thread: with two on a shared machine its pool spin-waits for a busy core."""
    global torch
    import torch as module

    module.set_num_threads(1)
    torch = module


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


def paused_step(model, X, y):
    """The same step with Python's cyclic collector paused around it, by the user's choice."""
    with collector_paused():
        return scalar_step(model, X, y)


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


def compiled_moons_step(model, X, y, backend: str, lr=0.01):
    """The same step compiled: the per-sample loss traced once, the batch run as generated code.

    The mean over the batch of (hinge + L2) is the scalar step's data loss + L2. Like
    PyTorch's tensors, the NumPy step gets the data as arrays made once, outside the step.
    """
    params = model.parameters()

    def loss_fn(x, yi):
        return (1 + -yi * model(x)).relu() + 1e-4 * sum(p * p for p in params)

    return compiled_training_step(micrograd.compile(loss_fn, backend=backend), params, X, y, backend, lr)


def compiled_training_step(step, params, inputs, targets, backend: str, lr: float):
    """A user's loop around a compiled step: ``opt.zero_grad(); step(X, y); opt.step()``.

    micrograd's SGD, as PyTorch's step uses torch.optim.SGD: for a compiled NumPy step it
    updates the parameters' held array at once, where a loop over 337 Values reading and
    writing their entries would cost several times the step itself.
    """
    opt = SGD(params, lr=lr)
    if backend == "numpy":
        import numpy as np

        inputs, targets = np.array(inputs, dtype=float), np.array(targets, dtype=float)

    def run():
        opt.zero_grad()
        loss = step(inputs, targets)
        opt.step()
        return loss

    return run


def moons_data() -> tuple[list, list[int]]:
    X, labels = moons(100, noise=0.1, seed=0)
    return X, [2 * label - 1 for label in labels]


def moons_engines() -> dict:
    """micrograd's moons steps and the baseline's, each from the same seeded weights."""
    X, y = moons_data()
    engines = {}
    random.seed(1337)
    baseline = lecture_engine.MLP(2, [16, 16, 1])
    engines["lecture-style baseline"] = lambda: scalar_step(baseline, X, y)
    random.seed(1337)
    unfused = nn.MLP(2, [16, 16, 1], fused=False)
    engines["micrograd eager, unfused"] = lambda: scalar_step(unfused, X, y)
    random.seed(1337)
    unfused_paused = nn.MLP(2, [16, 16, 1], fused=False)
    engines["micrograd eager, unfused, collector paused"] = lambda: paused_step(unfused_paused, X, y)
    random.seed(1337)
    fused = nn.MLP(2, [16, 16, 1])
    engines["micrograd eager, fused"] = lambda: scalar_step(fused, X, y)
    random.seed(1337)
    engines["micrograd compiled, pure Python"] = compiled_moons_step(nn.MLP(2, [16, 16, 1]), X, y, "python")
    if HAS_NUMPY:
        random.seed(1337)
        engines["micrograd compiled, NumPy"] = compiled_moons_step(nn.MLP(2, [16, 16, 1]), X, y, "numpy")
    return engines


def torch_moons_engines() -> dict:
    return {"PyTorch (nn.Linear, batch 100, float64)": torch_step_factory(*moons_data())}


# --- W4: one epoch of the sine fit ---------------------------------------------------


def sine_scalar_step(model, xs, ys, lr=0.05):
    """One full-batch epoch of the sine fit, written against the shared Value API."""
    preds = [model([x]) for x in xs]
    loss = sum((p - t) ** 2 for p, t in zip(preds, ys)) * (1.0 / len(ys))
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


def compiled_sine_step(model, xs, ys, backend: str, lr=0.05):
    params = model.parameters()
    step = micrograd.compile(lambda x, t: (model([x]) - t) ** 2, backend=backend)
    return compiled_training_step(step, params, xs, ys, backend, lr)


def torch_sine_step_factory(xs, ys, lr=0.05):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(1, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)
    ).double()
    xt = torch.tensor(xs, dtype=torch.float64).unsqueeze(1)
    yt = torch.tensor(ys, dtype=torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=lr)

    def step():
        loss = ((model(xt).squeeze(1) - yt) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step

def sine_engines() -> dict:
    """micrograd's sine epochs and the baseline's."""
    xs, ys = sine()

    def mlp(**kwargs):
        return nn.MLP(1, [16, 16, 1], init="scaled", rng=random.Random(1337), **kwargs)

    random.seed(1337)
    baseline = lecture_engine.MLP(1, [16, 16, 1])
    engines = {
        "lecture-style baseline": lambda: sine_scalar_step(baseline, xs, ys),
        "micrograd eager, unfused": (lambda m: lambda: sine_scalar_step(m, xs, ys))(mlp(fused=False)),
        "micrograd eager, fused": (lambda m: lambda: sine_scalar_step(m, xs, ys))(mlp()),
        "micrograd compiled, pure Python": compiled_sine_step(mlp(), xs, ys, "python"),
    }
    if HAS_NUMPY:
        engines["micrograd compiled, NumPy"] = compiled_sine_step(mlp(), xs, ys, "numpy")
    return engines


def torch_sine_engines() -> dict:
    return {"PyTorch (nn.Linear, batch 121, float64)": torch_sine_step_factory(*sine())}


def compile_ms() -> float:
    """Tracing the moons loss and writing its NumPy program, once (ms)."""
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    params = model.parameters()
    X, labels = moons(100, noise=0.1, seed=0)
    y = [2.0 * label - 1 for label in labels]
    start = time.perf_counter()
    micrograd.compile(lambda x, yi: (1 + -yi * model(x)).relu() + 1e-4 * sum(p * p for p in params))(X, y)
    return (time.perf_counter() - start) * 1e3


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




def chain_ms(engine: str, n: int, repeats: int) -> float | None:
    """Median ms of a chain of ``n`` steps and its backward; None where the engine's recursion overflows."""
    run = {
        "micrograd": lambda: chain(Value, n),
        "baseline": lambda: chain(lecture_engine.Value, n),
        "PyTorch": lambda: torch_chain(n),
    }[engine]
    try:
        return median_ms(run, repeats, warmup=0)
    except RecursionError:
        return None


# --- W3: a wide sum ------------------------------------------------------------------


def wide_sum(value_cls, n: int):
    a = [value_cls(i * 1e-6) for i in range(n)]
    b = [value_cls(1.0 - i * 1e-6) for i in range(n)]
    total = sum(ai * bi for ai, bi in zip(a, b))
    return total


def torch_wide_sum(n: int) -> None:
    a = [torch.tensor(i * 1e-6, dtype=torch.float64, requires_grad=True) for i in range(n)]
    b = [torch.tensor(1.0 - i * 1e-6, dtype=torch.float64, requires_grad=True) for i in range(n)]
    sum(ai * bi for ai, bi in zip(a, b)).backward()


def wide_sum_ms(engine: str, n: int, repeats: int) -> float:
    """Median ms of building the sum of ``n`` products and its backward."""
    run = {"micrograd": lambda: wide_sum(Value, n).backward(), "PyTorch": lambda: torch_wide_sum(n)}[engine]
    return median_ms(run, repeats, warmup=0)


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


# --- what a worker answers -----------------------------------------------------------

WORKLOADS = {
    "micrograd": {"moons": moons_engines, "sine": sine_engines},
    "torch": {"moons": torch_moons_engines, "sine": torch_sine_engines},
}
_engines: dict = {}  # the worker's engines for the workload being timed, by name


def build(kind: str, workload: str) -> list[str]:
    """Make this worker's engines for a workload (dropping the last one's); their names, in order."""
    _engines.clear()
    gc.collect()
    _engines.update(WORKLOADS[kind][workload]())
    return list(_engines)


def first_step_s(name: str) -> float:
    """One step before any timing (a warm-up, and a compiled step's trace); its seconds size the timed runs."""
    gc.collect()
    start = time.perf_counter()
    _engines[name]()
    return time.perf_counter() - start


def time_steps(name: str, steps: int) -> float:
    """Ms per step of ``steps`` steps back to back, after one untimed step.

    The full collection first means nothing another engine left behind is collected on
    this one's time; the untimed step means every timed step pays for collecting the
    garbage its predecessor left (the lecture-style engine's cycles), as in a training loop.
    """
    step = _engines[name]
    gc.collect()
    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps * 1e3


def about() -> dict:
    """What this process holds and how its libraries are threaded (for the header and the tests)."""
    return {
        "python": sys.version.split()[0],
        "torch loaded": "torch" in sys.modules,
        "torch version": torch.__version__ if torch is not None else None,
        "torch threads": torch.get_num_threads() if torch is not None else None,
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
    }


CALLS = {call.__name__: call for call in
         (about, build, first_step_s, time_steps, compile_ms, chain_ms, wide_sum_ms, bytes_per_node)}


def run_worker(kind: str) -> None:
    """Serve the parent's calls: ``micrograd`` never imports PyTorch, ``torch`` does, on one thread."""
    if kind == "torch":
        load_torch()
    serve(CALLS)


# --- the parent: asks the workers in turn and prints the tables ----------------------


def start_workers() -> dict[str, Worker]:
    """The micrograd worker, and the PyTorch worker if PyTorch is installed (looked up, not imported)."""
    kinds = ["micrograd"] + (["torch"] if importlib.util.find_spec("torch") is not None else [])
    return {kind: Worker(__file__, kind) for kind in kinds}


def interleaved(workers: dict[str, Worker], workload: str, rounds: int,
                budget_s: float = 0.05) -> dict[str, dict[str, float]]:
    """Time every engine once per round, in turn; per engine the median ms per step over the
    rounds, and the medians of its per-round ratios to the first engine and to the last.

    Each timing runs enough steps back to back to last about ``budget_s`` (at least one),
    counted from the first, untimed step. The engines of all workers take their turns in
    one sequence, one worker computing at a time, so a round meets the same machine.
    """
    owner = {name: worker for worker in workers.values() for name in worker.ask("build", worker.kind, workload)}
    steps = {name: max(1, int(budget_s / max(worker.ask("first_step_s", name), 1e-9)))
             for name, worker in owner.items()}
    times: dict[str, list[float]] = {name: [] for name in owner}
    for _ in range(rounds):
        for name, worker in owner.items():
            times[name].append(worker.ask("time_steps", name, steps[name]))
    first, last = next(iter(owner)), list(owner)[-1]
    return {
        name: {
            "ms": statistics.median(ts),
            "vs first": statistics.median(f / t for f, t in zip(times[first], ts)),
            "vs last": statistics.median(t / r for t, r in zip(ts, times[last])),
        }
        for name, ts in times.items()
    }


def print_table(title: str, results: dict[str, dict[str, float]]) -> None:
    print(title)
    has_torch = any("PyTorch" in name for name in results)
    header = f"    {'engine':44} {'ms/step':>9} {'× faster than baseline':>24}"
    print(header + ("  time vs PyTorch" if has_torch else ""))
    for name, r in results.items():
        line = f"    {name:44} {r['ms']:9.3f} {r['vs first']:23.1f}x"
        if has_torch:
            line += f" {r['vs last']:16.2f}"
        print(line)


def w2(workers: dict[str, Worker], sizes: list[int]) -> list[tuple[int, str, str, str]]:
    ours = workers["micrograd"]
    rows = []
    for n in sizes:
        repeats = 3 if n <= 10**5 else 1
        mine = ours.ask("chain_ms", "micrograd", n, repeats)
        base = ours.ask("chain_ms", "baseline", n, repeats)
        theirs = workers["torch"].ask("chain_ms", "PyTorch", n, repeats) if "torch" in workers else None
        rows.append((n, f"{mine:.1f}", "RecursionError" if base is None else f"{base:.1f}",
                     "-" if theirs is None else f"{theirs:.1f}"))
    return rows


def w3(workers: dict[str, Worker], n: int) -> dict[str, str]:
    results = {"micrograd (ms)": f"{workers['micrograd'].ask('wide_sum_ms', 'micrograd', n, 3):.0f}"}
    if "torch" in workers:
        results["PyTorch scalars (ms)"] = f"{workers['torch'].ask('wide_sum_ms', 'PyTorch', n, 1):.0f}"
    built, after, nodes = workers["micrograd"].ask("bytes_per_node", n)
    results["nodes"] = f"{nodes:,}"
    results["bytes/node after build"] = f"{built:.0f}"
    results["bytes/node after backward"] = f"{after:.0f}"
    return results


def print_header(workers: dict[str, Worker]) -> None:
    ours = workers["micrograd"].ask("about")
    theirs = workers["torch"].ask("about") if "torch" in workers else None
    print(PROCESSES)
    print(f"Python {ours['python']}, PyTorch {theirs['torch version'] if theirs else 'not installed'}")
    print(f"one thread each: PyTorch {theirs['torch threads'] if theirs else '-'} thread(s), "
          f"OPENBLAS_NUM_THREADS={ours['OPENBLAS_NUM_THREADS']}; "
          f"torch imported in the micrograd process: {ours['torch loaded']}\n")


def run(workers: dict[str, Worker], quick: bool, rounds: int, budget_s: float) -> None:
    print_header(workers)
    results = interleaved(workers, "moons", rounds, budget_s)
    title = "W1  one training step, MLP 2-16-16-1, 100 moons points, hinge + 1e-4·L2, SGD"
    print_table(f"{title} ({rounds} rounds)", results)
    backend = "NumPy" if HAS_NUMPY else "pure Python (NumPy is not installed)"
    compile_ms = workers["micrograd"].ask("compile_ms")
    print(f"    (tracing and generating the compiled {backend} step once: {compile_ms:.0f} ms)")

    results = interleaved(workers, "sine", rounds, budget_s)
    print()
    title = "W4  one epoch of the sine fit, MLP 1-16-16-1, 121 points, full-batch MSE, SGD"
    print_table(f"{title} ({rounds} rounds)", results)
    if HAS_NUMPY:
        epoch = results["micrograd compiled, NumPy"]["ms"]
        print(f"    (2000 epochs compiled with NumPy: about {2000 * epoch / 1e3:.1f} s of steps)")

    sizes = [10**3, 10**4, 10**5] + ([] if quick else [10**6])
    print("\nW2  chain x = x*0.999 + 0.001 of N steps, then backward (median ms)")
    print(f"    {'N':>9} {'micrograd':>12} {'baseline':>15} {'PyTorch':>10}")
    for n, ours, baseline, theirs in w2(workers, sizes):
        print(f"    {n:>9,} {ours:>12} {baseline:>15} {theirs:>10}")

    n = 10**5 if quick else 10**6
    print(f"\nW3  sum of {n:,} products a_i*b_i, then backward")
    for key, value in w3(workers, n).items():
        print(f"    {key:28} {value:>12}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats; chains up to 1e5 and a 1e5-wide sum")
    parser.add_argument("--rounds", type=int, help="rounds of W1 and W4 (default 11, 5 with --quick)")
    parser.add_argument("--budget", type=float, default=0.05, help="seconds of steps per engine per round")
    parser.add_argument("--worker", choices=sorted(WORKLOADS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args.worker)
        return
    workers = start_workers()
    try:
        run(workers, args.quick, args.rounds or (5 if args.quick else 11), args.budget)
    finally:
        for worker in workers.values():
            worker.close()


if __name__ == "__main__":
    main()
