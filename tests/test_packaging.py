"""What is shipped works on its own: the wheel in a fresh virtual environment, and the sdist with its tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

import micrograd

ROOT = Path(__file__).resolve().parents[1]

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="graph and explore need Graphviz's dot (apt-get install graphviz)"
)


def _pip(python: Path, *args: str, cwd: Path | None = None) -> None:
    done = subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", "-q", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr


def _build(kind: str, out: Path) -> Path:
    """Build the wheel or the sdist with hatchling, in an isolated build environment as pip does."""
    if kind == "wheel":
        _pip(Path(sys.executable), "wheel", "--no-deps", "-w", str(out), str(ROOT))
        (built,) = out.glob("micrograd-*.whl")
        return built
    builder = out / "builder"
    venv.create(builder, with_pip=True)
    python = builder / "bin" / "python"
    _pip(python, "install", "hatchling>=1.18")
    done = subprocess.run([str(python), "-c", f"from hatchling.builders.sdist import SdistBuilder; "
                           f"print(*SdistBuilder({str(ROOT)!r}).build(directory={str(out)!r}))"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.split()[-1])


@pytest.mark.slow
@needs_dot
def test_the_wheel_in_a_fresh_environment_runs_demo_graph_and_explore(tmp_path):
    """With the extras the README names: demo and viz, and data for the digits demo."""
    wheel = _build("wheel", tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (entry_points,) = (name for name in names if name.endswith(".dist-info/entry_points.txt"))
        assert "micrograd = micrograd.apps.cli:main" in archive.read(entry_points).decode()
    assert wheel.name.startswith(f"micrograd-{micrograd.__version__}-")  # the version has one source
    for page in ("explorer.html", "explorer.css", "explorer.js"):
        assert f"micrograd/apps/explore/{page}" in names
    env_dir = tmp_path / "fresh"
    venv.create(env_dir, with_pip=True)  # no system site-packages, nothing but pip
    python = env_dir / "bin" / "python"
    _pip(python, "install", f"{wheel}[demo,viz,data]")
    work = tmp_path / "work"
    work.mkdir()
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only what was installed

    def run(*argv: str) -> str:
        done = subprocess.run([str(env_dir / "bin" / "micrograd"), *argv], capture_output=True, text=True,
                              cwd=work, env=environment, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    where = subprocess.run([str(python), "-c", "import micrograd; print(micrograd.__file__)"],
                           capture_output=True, text=True, cwd=work, env=environment, check=True).stdout
    assert Path(where.strip()).is_relative_to(env_dir), where  # the installed copy, not the source tree
    assert re.search(r"moons: accuracy \d+\.\d%", run("demo", "moons", "--epochs", "5", "--quiet"))
    assert (work / "micrograd-out" / "moons_decision_boundary.png").stat().st_size > 0
    assert re.match(r"digits: test accuracy \d+\.\d%", run("demo", "digits", "--epochs", "2", "--quiet"))
    assert (work / "micrograd-out" / "digits_confusion_matrix.png").stat().st_size > 0
    assert run("graph", "tanh(x*w + b)", "--set", "x=2", "w=-3", "b=6.88", "-o", "g.svg").startswith("tanh(x*w + b)")
    assert (work / "g.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    run("explore", "tanh(x*w + b)", "--set", "x=2", "w=-3", "b=6.88", "-o", "page.html")
    run("explore", "--demo", "moons", "--epochs", "3", "-o", "training.html")
    for page in ("page.html", "training.html"):
        assert 'id="recording"' in (work / page).read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_sdist_holds_what_its_tests_and_notebooks_read(tmp_path):
    sdist = _build("sdist", tmp_path)
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in ("benchmarks/bench_engine.py", "benchmarks/_workers.py", "benchmarks/lecture_engine.py",
                   "docs/errors.md", "examples/moons.py", "notebooks/conftest.py", "tests/conftest.py",
                   "tests/reference", "README.md", "pyproject.toml"):
        assert any(name == needed or name.startswith(needed + "/") for name in names), needed
    assert not any(name.startswith((".venv/", ".git/")) for name in names)
