"""Memory and determinism: huge graphs, bytes per node, freeing without the cyclic
collector, and training that gives the same bits whatever the hash seed."""

from __future__ import annotations

import gc
import math
import os
import random
import subprocess
import sys
import tracemalloc

from micrograd import MLP, Value, dot, topological_order
from micrograd.optim import SGD, Adam
from micrograd.train import fit

BYTES_PER_NODE_LIMIT = 200


def test_a_million_wide_sum_builds_and_backpropagates():
    xs = [Value(float(i)) for i in range(1_000_000)]
    total = sum(xs)  # a million leaves under a million additions
    total.backward()
    assert total.data == 999_999 * 1_000_000 / 2  # every partial sum is an exact integer
    assert all(x.grad == 1.0 for x in xs)
    assert len(topological_order(total)) == 2_000_001  # the 0 that sum() starts from is a leaf too


def test_a_million_wide_dot_is_one_node_and_backpropagates():
    ws = [Value(1.0 + (i % 7)) for i in range(500_000)]
    xs = [Value(float(i % 3)) for i in range(500_000)]
    out = dot(ws, xs, Value(0.5))
    assert len(out._prev) == 1_000_001
    out.backward()
    assert out.data == math.fsum(w.data * x.data for w, x in zip(ws, xs)) + 0.5
    assert all(w.grad == x.data and x.grad == w.data for w, x in zip(ws, xs))


def _bytes_per_node(build) -> tuple[float, int]:
    """Bytes allocated (and still held) while building and backpropagating, per node."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        root = build()
        root.backward()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return held / len(topological_order(root)), len(topological_order(root))


def test_bytes_per_node_of_a_wide_sum_after_backward():
    """Leaves, additions, their ``.grad`` floats and the list holding the leaves: all counted."""
    per_node, nodes = _bytes_per_node(lambda: sum(Value(float(i)) for i in range(100_000)))
    assert nodes == 200_001
    assert 40 < per_node <= BYTES_PER_NODE_LIMIT, per_node


def test_bytes_per_node_of_a_deep_chain_after_backward():
    def chain() -> Value:
        y = Value(1.0)
        for _ in range(50_000):
            y = (y * 0.999999).tanh() + 1e-6
        return y

    per_node, nodes = _bytes_per_node(chain)
    assert nodes == 250_001
    assert 40 < per_node <= BYTES_PER_NODE_LIMIT, per_node


def _live_values() -> int:
    return sum(1 for o in gc.get_objects() if issubclass(type(o), Value))  # Parameters too


def test_mlp_training_frees_every_graph_by_reference_counting_alone():
    """With the cyclic collector off, training steps (eager fit, and a hand-written loop
    with Adam) leave no node alive but the parameters; a forced collection then finds
    no Value in any cycle."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        baseline = _live_values()
        model = MLP(2, [8, 8, 1], activation="tanh", rng=random.Random(0))
        n_params = len(model.parameters())
        X = [[i / 10, -i / 7] for i in range(20)]
        y = [1 if i % 2 else -1 for i in range(20)]
        history = fit(model, X, y, loss="hinge", optimizer=SGD(model.parameters(), lr=0.05), epochs=3,
                      batch_size=8, verbose=False)
        assert history.steps == 9
        optimizer = Adam(model.parameters(), lr=0.01)
        for _ in range(3):
            loss = sum((model(x) - t) ** 2 for x, t in zip(X, y)) / len(X)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        del loss
        assert _live_values() - baseline == n_params
        gc.collect()
        assert not [o for o in gc.garbage if isinstance(o, Value)]
        cyclic = Value(1.0)
        cyclic.grad = cyclic * 1  # the probe can fail: a node held in a real cycle outlives its name
        del cyclic
        assert _live_values() - baseline == n_params + 3  # the node, the constant 1 and the product
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
        gc.collect()


_TRAIN = """
import random
from micrograd.data import moons
from micrograd.demos import run_demo
from micrograd.nn import MLP
from micrograd.optim import Adam
from micrograd.train import fit

demo = run_demo("moons", epochs=4, verbose=False, compiled={compiled})
X, y = moons(60, noise=0.2, seed=3)
model = MLP(2, [8, 8, 1], rng=random.Random(5))
fit(model, X, [2 * t - 1 for t in y], loss="hinge", optimizer=Adam(model.parameters(), lr=0.02),
    epochs=5, batch_size=16, l2=1e-4, verbose=False, seed=9)
print([p.data.hex() for p in demo.model.parameters() + model.parameters()])
"""


def test_training_gives_the_same_bits_whatever_the_hash_seed():
    """The demo (compiled and eager) and a mini-batch fit, each run in fresh processes
    with different PYTHONHASHSEED values: the weights agree bit for bit."""
    for compiled in (True, False):
        outputs = set()
        for seed in ("0", "1", "4242"):
            env = {**os.environ, "PYTHONHASHSEED": seed}
            run = subprocess.run([sys.executable, "-c", _TRAIN.format(compiled=compiled)], env=env,
                                 capture_output=True, text=True, timeout=300)
            assert run.returncode == 0, run.stderr
            outputs.add(run.stdout)
        assert len(outputs) == 1, outputs
        assert outputs.pop().count("0x") > 100  # the demo's weights and the fitted model's
