"""The notebooks are tests: each runs top to bottom through nbmake and fails when a cell raises.

Plain ``python -m pytest`` runs them whenever nbmake is installed (no ``--nbmake`` flag
needed), and reports each one as skipped, with the reason, when it is not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

try:
    from nbmake.pytest_items import NotebookFile
except ImportError:
    NotebookFile = None

MISSING = 'running the notebooks needs nbmake: pip install -e ".[test]"'


class SkippedNotebook(pytest.Item):
    """Stands in for a notebook that cannot run here, so the skip and its reason are reported."""

    def runtest(self) -> None:
        pytest.skip(MISSING)

    def reportinfo(self):
        return self.path, 0, self.name


class UnrunnableNotebookFile(pytest.File):
    def collect(self):
        yield SkippedNotebook.from_parent(self, name=self.path.name)


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix != ".ipynb" or ".ipynb_checkpoints" in file_path.parts:
        return None
    if NotebookFile is None:
        return UnrunnableNotebookFile.from_parent(parent, path=file_path)
    if parent.config.option.nbmake:
        return None  # nbmake's own plugin collects it
    return NotebookFile.from_parent(parent, path=file_path)
