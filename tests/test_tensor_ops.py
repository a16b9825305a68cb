"""Every tensor operation against PyTorch float64: values and gradients, on the shapes of the
op table (broadcasting on every binary op), from the stored reference and from live PyTorch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tensor_optable import TENSOR_OP_TABLE, check, differences, evaluate_ours, evaluate_torch

REFERENCE = json.loads((Path(__file__).parent / "reference" / "torch_tensor_float64.json").read_text())["cases"]
IDS = [case.name for case in TENSOR_OP_TABLE]


def _stored(entry):
    def array(item):
        return None if item is None else np.array(item["data"], dtype=item["dtype"]).reshape(item["shape"])

    return {"value": array(entry["value"]), "grads": [array(g) for g in entry["grads"]]}


@pytest.mark.parametrize("case", TENSOR_OP_TABLE, ids=IDS)
def test_against_stored_reference(case):
    assert case.name in REFERENCE, f"{case.name} has no stored numbers: run tests/reference/make_tensor_reference.py"
    check(case, differences(evaluate_ours(case), _stored(REFERENCE[case.name])))


@pytest.mark.torch
@pytest.mark.parametrize("case", TENSOR_OP_TABLE, ids=IDS)
def test_against_live_pytorch(case, torch_module):
    check(case, differences(evaluate_ours(case), evaluate_torch(case, torch_module)))


def test_stored_reference_has_no_stale_cases():
    assert set(REFERENCE) == set(IDS)
