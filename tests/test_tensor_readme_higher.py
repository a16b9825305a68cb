"""The README's example of gradients of gradients, float32 and the bridge runs and prints what the
README shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_the_readme_example_prints_what_the_readme_shows():
    section = README.split("### Gradients of gradients, float32, and the bridge to Values", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    shown = re.search(r"```text\n(.*?)```", section, flags=re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md (gradients of gradients)", "exec"), {})
    assert out.getvalue() == shown
