"""Notebook 01 is what its title says: a Value built from scratch before micrograd's is used.

(The notebooks themselves run top to bottom under ``--nbmake``; this checks their order.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "01_micrograd_from_scratch.ipynb"


def _code_cells() -> list[str]:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def _first(pattern: str) -> int:
    for i, source in enumerate(_code_cells()):
        if re.search(pattern, source, re.MULTILINE):
            return i
    raise AssertionError(f"no code cell matches {pattern!r}")


def test_the_lecture_order_numerical_derivative_then_a_value_class_then_micrograd():
    numerical = _first(r"\(f\(x \+ h\) - f\(x\)\) / h")
    own_class = _first(r"^class Value:")
    closures = _first(r"out\._backward = _backward")
    sort = _first(r"^def topological_sort")
    backward = _first(r"^Value\.backward = ")
    first_micrograd = _first(r"^(from|import) micrograd")
    assert numerical < own_class < closures < sort < backward < first_micrograd


def test_the_switch_is_checked_on_the_same_expressions():
    switch = _code_cells()[_first(r"^from micrograd import engine")]
    assert "assert " in switch and "build(Value), build(engine.Value)" in switch
    for expression in ("compare(abcdf)", "compare(lecture_neuron)", "compare(exp_neuron"):
        assert expression in switch


def test_no_cell_before_the_switch_uses_the_package():
    cells = _code_cells()
    before = cells[: _first(r"^from micrograd import engine")]
    assert not any("micrograd" in source for source in before)
