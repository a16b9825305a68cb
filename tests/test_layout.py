"""The package's layout: the compiler and the teaching apps in their packages, old paths that warn, no import circle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import micrograd

PACKAGE = Path(micrograd.__file__).parent
OLD_PATHS = {f"micrograd.{name}" for name in ("cli", "demos", "expression", "viz", "plot", "explore")}
"""Modules that moved into micrograd.apps: what remains at each old path forwards to the new one."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every micrograd module ``path`` imports, at the top or inside a function, resolved to a module name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # `from pkg import module`
    return {name for name in found if name.startswith("micrograd")}


def _graph() -> dict[str, set[str]]:
    """Each module and the modules it imports, leaving out its own packages (Python loads those first anyway)."""
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in _imports(path) if m in modules and m != name and not name.startswith(m + ".")}
        for name, path in modules.items()
    }


def test_no_import_circle_counting_imports_inside_functions():
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycle = path[path.index(target):] + [target]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_nothing_outside_the_apps_imports_them():
    outside = {
        name: sorted(m for m in targets if m.startswith("micrograd.apps"))
        for name, targets in _graph().items()
        if not name.startswith("micrograd.apps") and name not in OLD_PATHS and name != "micrograd.__main__"
    }
    assert {name: found for name, found in outside.items() if found} == {}


def test_only_the_command_line_uses_argparse():
    users = sorted(
        _module_name(path) for path in PACKAGE.rglob("*.py") if "argparse" in _imports_anything(path)
    )
    assert users == ["micrograd.apps.cli"]


def _imports_anything(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}


@pytest.mark.parametrize(
    ("old", "name", "new"),
    [
        ("micrograd.viz", "draw_dot", "micrograd.apps.viz"),
        ("micrograd.cli", "main", "micrograd.apps.cli"),
        ("micrograd.demos", "run_demo", "micrograd.apps.demos"),
        ("micrograd.plot", "plot_fit", "micrograd.apps.plot"),
        ("micrograd.expression", "evaluate", "micrograd.apps.expression"),
        ("micrograd.explore", "record_graph", "micrograd.apps.explore"),
        ("micrograd.codegen", "Expr", "micrograd.compiler.codegen"),
        ("micrograd.program", "numpy_source", "micrograd.compiler.numpy_program"),
        ("micrograd.program", "Graph", "micrograd.compiler.graph"),
        ("micrograd.kernels", "kernel_source", "micrograd.compiler.kernels"),
        ("micrograd.compile", "TracingError", "micrograd.compiler.trace"),
    ],
)
def test_old_module_paths_warn_and_name_the_new_one(old, name, new):
    code = (
        "import importlib, warnings\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        f"    old = importlib.import_module({old!r})\n"
        f"new = importlib.import_module({new!r})\n"
        f"assert getattr(old, {name!r}) is getattr(new, {name!r})\n"
        "print([str(w.message) for w in caught if w.category is DeprecationWarning])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert f"{old} has moved to " in result.stdout and new in result.stdout


def test_the_old_console_script_entry_point_still_runs(tmp_path):
    """``micrograd.cli:main``, which scripts installed by earlier versions run, works and says where it went."""
    pytest.importorskip("graphviz", reason='drawing needs the graphviz package: pip install "micrograd[viz]"')
    code = "import sys; from micrograd.cli import main; sys.exit(main(['graph', 'x*x', '--set', 'x=3', '-o', 'g.dot']))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("x*x = 9\n") and (tmp_path / "g.dot").read_text().startswith("digraph")
    assert "micrograd.cli has moved to micrograd.apps.cli" in result.stderr


def test_python_dash_m_micrograd_runs_the_command_line():
    result = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-m", "micrograd", "--version"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == f"micrograd {micrograd.__version__}\n", result.stderr


def test_the_explorer_page_files_sit_beside_the_code_that_reads_them():
    from micrograd.apps.explore import page

    folder = Path(page.__file__).parent
    assert all((folder / name).is_file() for name in ("explorer.html", "explorer.css", "explorer.js"))


LONGEST_MODULE = 650
"""Lines a module may have: more, and it holds more than one idea (split it where the ideas part)."""


def test_no_module_is_longer_than_650_lines():
    lengths = {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    assert lengths, "no modules found"
    too_long = {name: n for name, n in sorted(lengths.items()) if n > LONGEST_MODULE}
    assert not too_long, f"modules over {LONGEST_MODULE} lines: {too_long}"
