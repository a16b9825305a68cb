"""``micrograd graph``: the installed console script, run as a user would run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("graphviz", reason='drawing needs the graphviz package: pip install "micrograd[viz]"')

SCRIPT = Path(sys.executable).parent / "micrograd"
LECTURE = ["--set", "x=2", "w=-3", "b=6.8813735870195432"]
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot program is not installed: apt-get install graphviz"
)


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    if not SCRIPT.exists():
        pytest.fail(f"the console script {SCRIPT} is missing: pip install -e . creates it")
    command = [str(SCRIPT), "graph", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


@needs_dot
def test_draws_the_lecture_neuron_with_its_gradients(tmp_path):
    out = tmp_path / "graph.svg"
    result = run("tanh(x*w + b)", *LECTURE, "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "tanh(x*w + b) = 0.7071067812",
        "∂/∂x = -1.5  ∂/∂w = 1  ∂/∂b = 0.5",
        f"wrote {out} (6 values, 3 operations)",
    ]
    svg = out.read_text()
    assert svg.count('class="node"') == 6 + 3
    assert svg.count('class="edge"') == 3 + 5  # each op to its result; x, w into *; x*w, b into +; the sum into tanh
    for text in ("data 2.0000", "grad &#45;1.5000", "data &#45;3.0000", "data 6.8814", "data 0.7071", "tanh"):
        assert text in svg
    assert ">x<" in svg and ">w<" in svg and ">b<" in svg  # the names label their leaves


def test_dot_output_holds_the_exact_records(tmp_path):
    out = tmp_path / "graph.dot"
    result = run("x*x + 3*x", "--set", "x=2", "-o", str(out))
    assert result.returncode == 0, result.stderr
    source = out.read_text()
    assert "{ x | data 2.0000 | grad 7.0000 }" in source  # d/dx (x² + 3x) = 2x + 3
    assert "{  | data 10.0000 | grad 1.0000 }" in source
    assert source.count("shape=record") == 5  # x, 3, x*x, 3*x, the sum
    assert source.count("->") == 3 + 6


def test_drawing_options(tmp_path):
    out = tmp_path / "graph.dot"
    assert run("relu(a - 1)", "--set", "a=3", "--no-grad", "--rankdir", "TB", "-o", str(out)).returncode == 0
    source = out.read_text()
    assert "rankdir=TB" in source and "{ a | data 3.0000 }" in source and "grad" not in source
    assert run("relu(a - 1)", "--set", "a=3", "--color", "-o", str(out)).returncode == 0
    assert "fillcolor=" in out.read_text()


@needs_dot
@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF-"), (".svg", b"<?xml")])
def test_the_suffix_picks_the_format(tmp_path, suffix, magic):
    out = tmp_path / f"graph{suffix}"
    assert run("sin(x)", "--set", "x=1", "-o", str(out)).returncode == 0
    assert out.read_bytes().startswith(magic)


@needs_dot
def test_the_default_output_is_graph_svg_in_micrograd_out_like_every_command(tmp_path):
    """demo and explore write into ./micrograd-out/ unless told otherwise; so does graph."""
    result = run("x", "--set", "x=1", cwd=tmp_path)
    assert result.returncode == 0
    written = Path("micrograd-out") / "graph.svg"
    assert result.stdout.splitlines() == ["x = 1", "∂/∂x = 1", f"wrote {written} (1 value, 0 operations)"]
    assert (tmp_path / written).read_text().count('class="node"') == 1
    assert [p.name for p in tmp_path.iterdir()] == ["micrograd-out"]


def test_output_directories_are_made_as_needed(tmp_path):
    result = run("x", "--set", "x=1", "-o", "new/dir/g.dot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new" / "dir" / "g.dot").read_text().startswith("digraph")


def test_an_expression_starting_with_minus_goes_after_double_dash(tmp_path):
    out = tmp_path / "g.dot"
    result = run("--set", "x=1.5", "-o", str(out), "--", "-x*2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("-x*2 = -3\n∂/∂x = -2\n")


def test_unused_names_are_noted(tmp_path):
    result = run("x + 1", "--set", "x=1", "z=2", "-o", str(tmp_path / "g.dot"))
    assert result.returncode == 0
    assert result.stderr.strip() == "note: not used in the expression: z"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x.real", "--set", "x=1"], "column 1: not allowed: attribute access x.real"),
        (["__import__('os').getcwd()"], "column 1: not allowed: calling __import__('os').getcwd"),
        (["x + y", "--set", "x=1"], "column 5: unknown name y: give it a value, e.g. --set y=1.0"),
        (["tanh(x", "--set", "x=1"], "column 5: '(' was never closed"),
        (["10**10**10"], "column 1: 10**10**10 overflows"),
        (["(" * 500 + "1" + ")" * 500], "too many nested parentheses"),
        (["--", "-" * 9000 + "1"], "nested too deeply"),
        (["x", "--set", "x"], "cannot read 'x': write NAME=NUMBER"),
        (["x", "--set", "x=two"], "the value of x must be a number, got 'two'"),
        (["x", "--set", "x=1e-400"], "the value of x, 1e-400, is too small for a float: it would be 0"),
        (["x", "--set", "x=-2.5E-330"], "the value of x, -2.5E-330, is too small for a float: it would be 0"),
        (["x", "--set", "x=1", "-o", "graph.jpeg"], "cannot tell the format of 'graph.jpeg'"),
        (["x*x*x*x", "--set", "x=1", "--max-nodes", "3"], "the graph has 4 values, more than --max-nodes 3"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_code_2(tmp_path, args, message):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("micrograd: error: ")
    assert message in lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_the_expression_is_never_executed(tmp_path):
    marker = tmp_path / "ran"
    attempt = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    result = run(attempt, "-o", str(tmp_path / "g.dot"))
    assert result.returncode == 2
    assert not marker.exists()


def test_without_graphviz_dot_it_says_how_to_install_it(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no dot on this PATH
    result = run("x*2", "--set", "x=1", "-o", str(tmp_path / "g.svg"), env=env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "apt-get install graphviz" in result.stderr and "brew install graphviz" in result.stderr
    assert run("x*2", "--set", "x=1", "-o", str(tmp_path / "g.dot"), env=env).returncode == 0  # DOT text needs no dot
