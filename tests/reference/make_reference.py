"""Regenerate ``torch_float64.json``: PyTorch's float64 numbers for every op-table entry.

    python tests/reference/make_reference.py

The engine tests compare against this file always, and against live PyTorch when it
is installed, so the stored numbers can never drift from what PyTorch computes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import torch  # noqa: E402
from optable import OP_TABLE, case_key, evaluate_torch  # noqa: E402


def main() -> None:
    reference = {
        case_key(case, point): evaluate_torch(case, point, torch) for case in OP_TABLE for point in case.points
    }
    path = HERE / "torch_float64.json"
    path.write_text(json.dumps({"torch": torch.__version__, "cases": reference}, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(reference)} reference cases to {path}")


if __name__ == "__main__":
    main()
