"""The ``micrograd`` command as the tests run it: the console script that pyproject.toml declares."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent / "micrograd"


def entry_point() -> tuple[str, str]:
    """The module and function pyproject.toml's ``micrograd`` script runs."""
    found = re.search(r'^micrograd = "([\w.]+):(\w+)"$', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M)
    assert found, "pyproject.toml declares no micrograd console script"
    return found.group(1), found.group(2)


def micrograd_command() -> list[str]:
    """The installed script, when it runs the declared entry point; else that entry point run by this Python.

    An editable install keeps the script written when it was installed, which may run an older
    entry point than the source tree declares; the tests run what the source would install.
    """
    module, function = entry_point()
    if SCRIPT.exists() and f"from {module} import {function}\n" in SCRIPT.read_text(encoding="utf-8", errors="replace"):
        return [str(SCRIPT)]
    return [sys.executable, "-c", f"import sys; from {module} import {function}; sys.exit({function}())"]


MICROGRAD = micrograd_command()
