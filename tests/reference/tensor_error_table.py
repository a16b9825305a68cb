"""Print the measured distance of every tensor op-table entry from live PyTorch float64.

    python tests/reference/tensor_error_table.py           # one row per case
    python tests/reference/tensor_error_table.py --ops     # the worst case per operation
    python tests/reference/tensor_error_table.py --ops --float32   # the same in float32

Values are in ulps of PyTorch's numbers (elementwise ops) and relative to the result's
size (sums, products); gradients relative to the size of PyTorch's gradient.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from tensor_optable import FLOAT32_CASES, TENSOR_OP_TABLE, differences, evaluate_ours, evaluate_torch  # noqa: E402


def operation(name: str) -> str:
    """The op a case exercises: the name up to its shapes or arguments."""
    base = re.split(r"[(\[ ]", name)[0]
    return base[1:] if base.startswith("r") and base[1:] in {"add", "sub", "mul", "div", "pow"} else base


def main() -> None:
    torch.set_num_threads(1)
    rows = {}
    single = "--float32" in sys.argv
    dtype = np.float32 if single else np.float64
    for case in FLOAT32_CASES if single else TENSOR_OP_TABLE:
        found = differences(evaluate_ours(case, dtype), evaluate_torch(case, torch, dtype))
        key = operation(case.name) if "--ops" in sys.argv else case.name
        worst = rows.setdefault(key, {"value_ulps": 0.0, "value_rel": 0.0, "grad_rel": 0.0, "cases": 0})
        for k in ("value_ulps", "value_rel", "grad_rel"):
            worst[k] = max(worst[k], found[k])
        worst["cases"] += 1
    print(f"PyTorch {torch.__version__}, {np.dtype(dtype).name}")
    print("| op | cases | value (ulps) | value (relative) | gradient (relative) |")
    print("|---|---|---|---|---|")
    for key, w in rows.items():
        print(f"| `{key}` | {w['cases']} | {w['value_ulps']:.3g} | {w['value_rel']:.2g} | {w['grad_rel']:.2g} |")


if __name__ == "__main__":
    main()
