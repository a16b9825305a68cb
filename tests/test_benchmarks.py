"""The benchmarks time PyTorch and NumPy on one thread, and micrograd in a process without PyTorch, as they say."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


WITHOUT_THREAD_SETTINGS = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}


def test_the_compiled_benchmark_pins_pytorch_and_openblas_to_one_thread():
    pytest.importorskip("numpy", reason="bench_compiled times NumPy code: pip install numpy")
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import bench_compiled as bench, os; "
        "print(os.environ['OPENBLAS_NUM_THREADS'], bench.torch.get_num_threads() if bench.torch else 1)"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(BENCHMARKS)], capture_output=True, text=True,
                          env=WITHOUT_THREAD_SETTINGS, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1"]
    source = (BENCHMARKS / "bench_compiled.py").read_text(encoding="utf-8")
    assert source.index('os.environ["OPENBLAS_NUM_THREADS"] = "1"') < source.index("import micrograd")


def test_the_engine_benchmark_runs_micrograd_without_pytorch_and_each_on_one_thread():
    """The micrograd worker never loads torch; the PyTorch worker (if installed) runs it on one thread."""
    probe = (
        "import sys, json; sys.path.insert(0, sys.argv[1]); import bench_engine as bench\n"
        "workers = bench.start_workers()\n"
        "print(json.dumps({'parent': 'torch' in sys.modules, **{k: w.ask('about') for k, w in workers.items()}}))\n"
        "[w.close() for w in workers.values()]"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(BENCHMARKS)], capture_output=True, text=True,
                          env=WITHOUT_THREAD_SETTINGS, timeout=120)
    assert done.returncode == 0, done.stderr
    about = json.loads(done.stdout)
    assert about["parent"] is False
    assert about["micrograd"]["torch loaded"] is False
    assert about["micrograd"]["OPENBLAS_NUM_THREADS"] == "1"
    if importlib.util.find_spec("torch") is not None:
        assert about["torch"]["torch loaded"] is True
        assert about["torch"]["torch threads"] == 1
        assert about["torch"]["OPENBLAS_NUM_THREADS"] == "1"
    source = (BENCHMARKS / "bench_engine.py").read_text(encoding="utf-8")
    assert source.index('os.environ["OPENBLAS_NUM_THREADS"] = "1"') < source.index("import micrograd")


def test_the_engine_benchmark_prints_every_table():
    environment = {**os.environ, "PYTHONPATH": str(BENCHMARKS.parent / "src")}
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_engine.py"), "--quick", "--rounds", "1", "--budget", "0.01"],
        capture_output=True, text=True, env=environment, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("micrograd's engines and the lecture-style baseline run in a worker process")
    for row in ("micrograd eager, unfused, collector paused", "W4  one epoch", "  100,000 ", "bytes/node after build"):
        assert row in done.stdout, row


def test_the_compiled_benchmark_checks_its_three_steps_agree_and_prints_the_table():
    """The three steps start from the same weights and give the same first loss (else it stops)."""
    pytest.importorskip("numpy", reason="bench_compiled times NumPy code: pip install numpy")
    environment = {**os.environ, "PYTHONPATH": str(BENCHMARKS.parent / "src")}
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_compiled.py"), "--quick", "--rounds", "1", "--budget", "0.01"],
        capture_output=True, text=True, env=environment, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "| 2-16-16-1, 100 |" in done.stdout and "| 2-16-16-1, 10,000 |" in done.stdout
