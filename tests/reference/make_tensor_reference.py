"""Regenerate ``torch_tensor_float64.json``: PyTorch's float64 numbers for every tensor op-table entry,
``torch_tensor_second_float64.json``: its gradients of gradients (Hessian- and Jacobian-vector products),
and ``torch_tensor_float32.json``: the same entries computed in float32.

    python tests/reference/make_tensor_reference.py

The tensor tests compare against this file always, and against live PyTorch when it is
installed, so the stored numbers can never drift from what PyTorch computes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from tensor_optable import FLOAT32_CASES, TENSOR_OP_TABLE, evaluate_torch, second_torch  # noqa: E402


def _plain(array):
    return None if array is None else {"dtype": str(array.dtype), "shape": list(array.shape), "data": array.tolist()}


def main() -> None:
    torch.set_num_threads(1)
    cases = {}
    for case in TENSOR_OP_TABLE:
        result = evaluate_torch(case, torch)
        cases[case.name] = {"value": _plain(result["value"]), "grads": [_plain(g) for g in result["grads"]]}
    path = HERE / "torch_tensor_float64.json"
    path.write_text(json.dumps({"torch": torch.__version__, "cases": cases}, indent=None, sort_keys=True) + "\n")
    print(f"wrote {len(cases)} reference cases to {path}")
    second = {}
    for case in TENSOR_OP_TABLE:
        result = second_torch(case, torch)
        if result is not None:
            second[case.name] = {"grads": [_plain(g) for g in result["grads"]],
                                 "second": [_plain(h) for h in result["second"]]}  # fmt: skip
    path = HERE / "torch_tensor_second_float64.json"
    path.write_text(json.dumps({"torch": torch.__version__, "cases": second}, indent=None, sort_keys=True) + "\n")
    print(f"wrote {len(second)} second-order reference cases to {path}")
    single = {}
    for case in FLOAT32_CASES:
        result = evaluate_torch(case, torch, np.float32)
        single[case.name] = {"value": _plain(result["value"]), "grads": [_plain(g) for g in result["grads"]]}
    path = HERE / "torch_tensor_float32.json"
    path.write_text(json.dumps({"torch": torch.__version__, "cases": single}, indent=None, sort_keys=True) + "\n")
    print(f"wrote {len(single)} float32 reference cases to {path}")


if __name__ == "__main__":
    main()
