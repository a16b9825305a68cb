"""The benchmark times PyTorch and NumPy on one thread, as it says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_the_benchmark_pins_pytorch_and_openblas_to_one_thread():
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import bench_engine, os; "
        "print(os.environ['OPENBLAS_NUM_THREADS'], bench_engine.torch.get_num_threads() if bench_engine.torch else 1)"
    )
    environment = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", probe, str(BENCHMARKS)], capture_output=True, text=True,
                          env=environment, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1"]
    source = (BENCHMARKS / "bench_engine.py").read_text(encoding="utf-8")
    assert source.index('os.environ["OPENBLAS_NUM_THREADS"] = "1"') < source.index("import micrograd")
