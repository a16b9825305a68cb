"""micrograd.tensor and NumPy: ``import micrograd`` needs neither, and without NumPy the tensor
module says what to install. (No NumPy needed here: in an environment without it, the
second test meets the real ImportError.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _run(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)


def test_import_micrograd_imports_neither_numpy_nor_tensors():
    result = _run("import sys, micrograd, micrograd.nn, micrograd.optim; "
                  "print('numpy' in sys.modules, 'micrograd.tensor' in sys.modules)")  # fmt: skip
    assert result.stdout.split() == ["False", "False"], result.stderr


def test_without_numpy_the_import_error_says_what_to_install():
    result = _run("import sys; sys.modules['numpy'] = None\n"
                  "try:\n    import micrograd.tensor\nexcept ImportError as e:\n    print(e)")  # fmt: skip
    assert 'pip install "micrograd[numpy]"' in result.stdout, result.stdout + result.stderr
