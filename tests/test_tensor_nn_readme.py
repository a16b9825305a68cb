"""The README's tensor-layers example (the makemore MLP) runs and prints what the README shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_the_makemore_example_prints_what_the_readme_shows(tmp_path, monkeypatch):
    section = README.split("### Tensor layers", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    shown = re.search(r"```text\n(.*?)```", section, flags=re.S).group(1)
    monkeypatch.chdir(tmp_path)  # it saves makemore.json
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md (Tensor layers)", "exec"), {})
    assert out.getvalue() == shown
    assert (tmp_path / "makemore.json").exists()
