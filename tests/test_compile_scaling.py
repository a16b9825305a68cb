"""micrograd.compile on wide models: compiling does work in proportion to the graph's size."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest
from test_compile import EACH_BACKEND, assert_same, eager

import micrograd
from micrograd import MLP, Value
from micrograd.compiler.numpy_program import numpy_source
from micrograd.compiler.python_program import python_source
from micrograd.data import moons

COMPILER = str(Path(micrograd.compiler.__file__).resolve().parent)
HAVE_NUMPY = importlib.util.find_spec("numpy") is not None


def compiler_lines(run) -> int:
    """How many lines of micrograd.compiler's code ``run()`` executes: its work, counted not timed."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    def calls(frame, event, arg):
        return local if frame.f_code.co_filename.startswith(COMPILER) else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        run()
    finally:
        sys.settrace(previous)
    return count


def long_sum(n: int):
    """A traced function summing n products with parameters that all carry the same label."""
    weights = [Value(0.01 * k - 0.3, label="w") for k in range(n)]

    def fn(x):
        return sum((w * x * w for w in weights), Value(0.0)).tanh()

    return fn


def writing_work(n: int, backend: str) -> int:
    step = micrograd.compile(long_sum(n), backend=backend)
    step.trace(0.5)
    graph = step.graph
    if backend == "numpy":
        return compiler_lines(lambda: (numpy_source(graph), numpy_source(graph, backward=False)))
    return compiler_lines(lambda: (python_source(graph), python_source(graph, backward=False)))


@pytest.mark.parametrize("backend", EACH_BACKEND)
def test_writing_a_program_does_work_linear_in_the_graph(backend):
    small, large = writing_work(100, backend), writing_work(400, backend)
    assert large < 4.5 * small, (small, large)  # 4× the nodes: 4× the work (quadratic would be ~16×)


def test_the_work_counter_sees_a_quadratic_loop():
    def quadratic():
        from micrograd.compiler.emit import Names

        names = Names()
        for _ in range(50):
            name, k = "w", 1
            while name in names.used:  # the naive search for a free name: k steps for the k-th
                name, k = f"w_{k}", k + 1
            names.used.add(name)

    quadratic.__code__ = quadratic.__code__.replace(co_filename=f"{COMPILER}/counted.py")
    assert compiler_lines(quadratic) > 50 * 50


@pytest.mark.skipif(not HAVE_NUMPY, reason='the NumPy backend needs NumPy: pip install -e ".[numpy]"')
def test_a_2_256_256_1_model_compiles_and_equals_eager():
    random.seed(20)
    X, labels = moons(3, noise=0.1, seed=0)
    y = [2.0 * label - 1 for label in labels]
    model = MLP(2, [256, 256, 1])
    params = model.parameters()

    def loss_fn(x, yi):
        return (1 + -yi * model(x)).relu() + 1e-4 * sum(p * p for p in params)

    step = micrograd.compile(loss_fn, backend="numpy")
    for p in params:
        p.grad = 0.0
    loss = step(X, y)
    assert "+ of 66817 terms" in step.source  # the L2 penalty: one np.sum over every parameter squared
    assert step.source.count(" @ ") == 3 + 5  # three layers forward; W and x gradients backward (x is data)
    grads = [p.grad for p in step.parameters]
    assert_same(loss, grads, *eager(loss_fn, [X, y], step.parameters), rel=1e-11)
