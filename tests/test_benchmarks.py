"""The benchmark times PyTorch and NumPy on one thread, as it says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize("name", ["bench_engine", "bench_compiled"])
def test_the_benchmark_pins_pytorch_and_openblas_to_one_thread(name):
    if name == "bench_compiled":
        pytest.importorskip("numpy", reason="bench_compiled times NumPy code: pip install numpy")
    probe = (
        f"import sys; sys.path.insert(0, sys.argv[1]); import {name} as bench, os; "
        "print(os.environ['OPENBLAS_NUM_THREADS'], bench.torch.get_num_threads() if bench.torch else 1)"
    )
    environment = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", probe, str(BENCHMARKS)], capture_output=True, text=True,
                          env=environment, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1"]
    source = (BENCHMARKS / f"{name}.py").read_text(encoding="utf-8")
    assert source.index('os.environ["OPENBLAS_NUM_THREADS"] = "1"') < source.index("import micrograd")


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
