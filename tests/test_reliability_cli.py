"""The command line under attack: random and malformed argument lists for every
subcommand (in-process through ``cli.main``, plus real console-script runs), and
expressions built to run code or to exhaust the parser. Every refusal is exit code 2
and one line on stderr, never a traceback."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from console import MICROGRAD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micrograd.apps import cli
from micrograd.apps.expression import MAX_LENGTH, ExpressionError, evaluate

# values that are wrong for one option or another, and a few that are right
WORDS = ("", " ", "-", "--", "0", "-1", "1", "2", "1e999", "nan", "inf", "-inf", "0x10", "1.5", "two", "x", "x=",
         "=1", "x=1", "x=nan", "w=2", "é=1", "a b", "\t", "None", "__import__('os')", "moons", "sine", "spirals",
         "digits", "names", "nope", "svg", "g.svg", "g.dot", "g.jpeg", "missing/g.svg", "LR", "XX", "'", '"', "\\",
         "-e", "--x", "x=[1,-1]", "w=[[1,2],[3,4]]", "x=[[1],[2,3]]", "x=[True]", "x=[nan]", "w=[1e999]")
DEMO_FLAGS = ("--epochs", "--lr", "--seed", "--out", "--quiet", "--eager", "--bogus", "-o")
GRAPH_FLAGS = ("--set", "-o", "--output", "--rankdir", "--no-grad", "--color", "--max-nodes", "--bogus", "-x")
EXPLORE_FLAGS = ("--set", "--demo", "--epochs", "--snapshots", "-o", "--output", "--port", "--bogus")
EXPRESSIONS = ("(w @ x).sum()", "x.tanh().sum()", "w.T", "x.sum(5)",
               "1if x", "0x1for", "x+\udc85", "x\n+", "x", "x*w", "tanh(x", "x.y", "lambda: 1", "[i for i in x]",
               "10**10**10", "(" * 300 + "x" + ")" * 300,
               "__import__('os').system('touch ran')", "open('f').read()", "x +* 2", "exp(exp(exp(x)))",
               "x if x else 1")


def _argv(command: str, flags: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    token = st.sampled_from(flags) | st.sampled_from(WORDS) | st.sampled_from(EXPRESSIONS) | st.text(max_size=6)
    return st.lists(token, max_size=6).map(lambda rest: [command, *rest])


def _run_main(argv: list[str]) -> tuple[int, str, str]:
    """cli.main in-process: (exit code, stdout, stderr); SystemExit (argparse) counts as an exit."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def _check_outcome(argv: list[str], code: int, out: str, err: str) -> None:
    assert "Traceback" not in err and "Traceback" not in out, (argv, err)
    lines = err.splitlines()
    if code == 0:
        return
    if code == cli.EXIT_DIVERGED:  # a demo whose fuzzed learning rate was too large
        assert any(line.startswith("micrograd: warning: training stopped") for line in lines), (argv, err)
        return
    assert code in (cli.EXIT_USAGE, cli.EXIT_CANNOT_WRITE), (argv, code, err)
    assert len(lines) == 1, (argv, err)
    assert lines[0].startswith("micrograd: error: ") and len(lines[0]) > len("micrograd: error: "), (argv, err)


@contextlib.contextmanager
def _inside(directory: Path):
    previous = Path.cwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(previous)


fuzz = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@fuzz
@given(st.sampled_from(("", "bogus", "--version", "-h", "--bogus", "Demo", "graph ", "-")).flatmap(
    lambda c: _argv(c, DEMO_FLAGS + GRAPH_FLAGS)))
def test_random_argument_lists_for_the_program(tmp_path_factory, argv):
    """Unknown commands and options before any subcommand (the subcommands are fuzzed below)."""
    argv = argv[1:] if argv[0] == "" else argv
    with _inside(tmp_path_factory.mktemp("cli")):
        code, out, err = _run_main(argv)
    if not argv:  # a bare `micrograd` shows what it can do
        assert code == 2 and out.startswith("usage: micrograd") and err == ""
        return
    _check_outcome(argv, code, out, err)


@fuzz
@given(_argv("demo", DEMO_FLAGS))
def test_random_demo_arguments(tmp_path_factory, argv):
    """The first options keep a valid run short; whatever follows may override them."""
    pytest.importorskip("matplotlib")
    argv = [argv[0], "--epochs", "1", "--quiet", *argv[1:]]
    with _inside(tmp_path_factory.mktemp("demo")):
        _check_outcome(argv, *_run_main(argv))


@fuzz
@given(_argv("graph", GRAPH_FLAGS))
def test_random_graph_arguments(tmp_path_factory, argv):
    directory = tmp_path_factory.mktemp("graph")
    with _inside(directory):
        _check_outcome(argv, *_run_main(argv))
    assert not (directory / "ran").exists()


@fuzz
@given(_argv("explore", EXPLORE_FLAGS).filter(lambda argv: "--demo" not in argv or "--epochs" in argv))
def test_random_explore_arguments(tmp_path_factory, argv):
    directory = tmp_path_factory.mktemp("explore")
    with _inside(directory):
        _check_outcome(argv, *_run_main(argv))
    assert not (directory / "ran").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bogus"], "argument COMMAND: invalid choice: 'bogus'"),
        (["demo", "--epochs", "-5"], "argument --epochs: must be a positive integer, got '-5'"),
        (["demo", "--lr", "nan"], "argument --lr: must be a finite number > 0, got 'nan'"),
        (["demo", "nope"], "argument NAME: invalid choice: 'nope'"),
        (["graph", "__import__('os').system('touch ran')"], "not allowed: calling __import__('os').system"),
        (["graph", "x", "--set", "x=1e999"], "the value of x, 1e999, is too large for a float"),
        (["graph", "tanh(" * 1600 + "x" + ")" * 1600, "--set", "x=1"], "too many nested parentheses"),
        (["explore", "--demo", "nope"], "nope"),
        (["explore", "(lambda: 0)()"], "not allowed: calling lambda: 0"),
    ],
)
def test_real_console_script_runs(tmp_path, argv, message):
    run = subprocess.run([*MICROGRAD, *argv], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("micrograd: error: "), run.stderr
    assert message in run.stderr
    assert not (tmp_path / "ran").exists()


# --- the catalogue of command-line errors (docs/errors.md, "The command line") ------------

LONG_NAME = "a" * 300
SUM_OF_501 = "+".join(["x"] * 501)

# (what you type, as in the catalogue; the arguments; the exit code; the message on stderr)
CLI_CATALOGUE = [
    ("micrograd graph x --set x=1e999", ["graph", "x", "--set", "x=1e999"], 2,
     "the value of x, 1e999, is too large for a float"),
    ("micrograd graph x --set x=1e-400", ["graph", "x", "--set", "x=1e-400"], 2,
     "the value of x, 1e-400, is too small for a float: it would be 0"),
    ("micrograd graph 'x+x+...+x' (501 terms) --set x=1", ["graph", SUM_OF_501, "--set", "x=1"], 2,
     "the graph has 501 values, more than --max-nodes 500 can show readably: draw a shorter expression, "
     "or pass --max-nodes 501"),
    ("micrograd explore x --set x=1 --port 8080", ["explore", "x", "--set", "x=1", "--port", "8080"], 2,
     "--port applies only with --serve"),
    ("micrograd demo digits --eager", ["demo", "digits", "--eager"], 2,
     "--eager applies only to the demos of Values (moons, sine, toy, circles, spirals); digits trains tensors"),
    ("micrograd demo names --seed -1", ["demo", "names", "--seed", "-1"], 2,
     "the names demo's seed must be an integer >= 0 (a tensor Generator's seed), got -1"),
    ("micrograd demo digits --epochs 1000001", ["demo", "digits", "--epochs", "1000001"], 2,
     "epochs must be a positive int up to 1,000,000, got 1000001"),
    # tensor expressions: inputs written as lists
    ("micrograd explore 'W.sum()' --set 'W=[[1,2],[3]]'", ["explore", "W.sum()", "--set", "W=[[1,2],[3]]"], 2,
     "W is ragged: W[0] has 2 numbers but W[1] has 1; every row needs the same length"),
    ("micrograd explore 'W.sum()' --set 'W=[1,True]'", ["explore", "W.sum()", "--set", "W=[1,True]"], 2,
     "W[1] is True (a bool): True and False are not numbers in micrograd; write 1 or 0"),
    ("micrograd explore 'W.sum()' --set 'W=[1,nan]'", ["explore", "W.sum()", "--set", "W=[1,nan]"], 2,
     "W[1] is nan: the inputs must be finite numbers"),
    ("micrograd explore 'W.sum()' --set 'W=[1,1e999]'", ["explore", "W.sum()", "--set", "W=[1,1e999]"], 2,
     "W[1], 1e999, is too large for a float"),
    ("micrograd explore 'W.sum()' --set 'W=[1,2,3,4,5,6,7]'", ["explore", "W.sum()", "--set", "W=[1,2,3,4,5,6,7]"],
     2, "W has shape (7,), too large to show: an input has at most 6 rows and 6 columns"),
    ("micrograd explore 'W.sum()' --set 'W=[[[1]]]'", ["explore", "W.sum()", "--set", "W=[[[1]]]"], 2,
     "W has more than two levels of brackets: the inputs are numbers, vectors [1,2] or matrices [[1,2],[3,4]]"),
    ("micrograd explore 'W*2' --set 'W=[1,2]'", ["explore", "W*2", "--set", "W=[1,2]"], 2,
     "the result has shape (2,): backpropagation starts from one number; end the expression with .sum() or .mean()"),
    ("micrograd explore '(W @ x).sum()' --set 'W=[[1,2],[3,4]]' 'x=[1,2,3]'",
     ["explore", "(W @ x).sum()", "--set", "W=[[1,2],[3,4]]", "x=[1,2,3]"], 2,
     "column 2: W @ x: @ cannot multiply shapes (2, 2) and (3,): the last dim of the first (2) must equal the length "
     "of the second (3)"),
    ("micrograd explore 'log(W).sum()' --set 'W=[1,-2]'", ["explore", "log(W).sum()", "--set", "W=[1,-2]"], 2,
     "column 1: log(W) is not finite everywhere (inf or nan): the explorer and the drawings need finite numbers"),
    ("micrograd graph 'W.sum()' --set 'W=[1,2]' --color", ["graph", "W.sum()", "--set", "W=[1,2]", "--color"], 2,
     "--color applies to scalar expressions: a tensor's box shows its grad's numbers"),
    ("micrograd demo toy --out <a 300-character name>", ["demo", "toy", "--out", LONG_NAME], 3,
     f"cannot write to --out directory '{LONG_NAME}': File name too long"),
    ("micrograd demo toy --out /proc/x", ["demo", "toy", "--out", "/proc/x"], 3,
     "cannot write to --out directory '/proc/x': No such file or directory"),
    ("micrograd demo toy --out a_file/sub", ["demo", "toy", "--out", "a_file/sub"], 3,
     "cannot write to --out directory 'a_file/sub': Not a directory"),
    ("micrograd graph x --set x=1 -o /sys/g.svg", ["graph", "x", "--set", "x=1", "-o", "/sys/g.svg"], 3,
     "cannot write /sys/g.svg: Permission denied"),
    ("micrograd graph x --set x=1 -o full.svg (a link to /dev/full)", ["graph", "x", "--set", "x=1", "-o", "full.svg"],
     3, "cannot write full.svg: No space left on device"),
    ("micrograd explore x --set x=1 -o /sys/e.html", ["explore", "x", "--set", "x=1", "-o", "/sys/e.html"], 3,
     "cannot write /sys/e.html: Permission denied"),
]


def _refused(path: str) -> bool:
    try:
        with open(path, "wb"):
            pass
    except OSError:
        return True
    os.remove(path)
    return False


@pytest.mark.parametrize(("argv", "code", "message"), [c[1:] for c in CLI_CATALOGUE], ids=[c[0] for c in CLI_CATALOGUE])
def test_cli_catalogue(tmp_path, argv, code, message):
    if any(arg.startswith("/sys/") for arg in argv) and not _refused("/sys/micrograd-probe"):
        pytest.skip("this system lets files be written in /sys")
    if any(arg.partition("=")[2].startswith("[") for arg in argv):
        pytest.importorskip("numpy", reason='tensor expressions need NumPy: pip install "micrograd[numpy]"')
    (tmp_path / "a_file").write_text("a file, not a directory")
    if "full.svg" in argv:
        if not Path("/dev/full").exists():
            pytest.skip("no /dev/full here")
        (tmp_path / "full.svg").symlink_to("/dev/full")
    if argv[0] == "graph" and code == 3:
        pytest.importorskip("graphviz")
    if argv[0] in ("graph", "explore") and code == 3 and shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (the page is laid out before it is written)")
    with _inside(tmp_path):
        got, out, err = _run_main(argv)
    assert (got, err) == (code, f"micrograd: error: {message}\n"), out
    assert out == ""
    made = ["a_file", "full.svg"] if "full.svg" in argv else ["a_file"]
    assert sorted(p.name for p in tmp_path.iterdir()) == made  # nothing else written


def test_the_cli_catalogue_is_the_documented_one():
    """Every row above is a row of docs/errors.md, with its exit code and message."""
    catalogue = (Path(__file__).resolve().parents[1] / "docs" / "errors.md").read_text(encoding="utf-8")
    for typed, _, code, message in CLI_CATALOGUE:
        shown = message.replace(LONG_NAME, "aaa…aaa")
        assert f"| `{typed}` | {code} | `{shown}` |" in catalogue, typed


# --- expressions -------------------------------------------------------------------------

PIECES = ("x", "w", "1", "2.5", "1e308", "10", "+", "-", "*", "/", "**", "(", ")", "tanh(", "exp(", "log(", ",",
          ".", "__class__", "__import__", "lambda", ":", "[", "]", "for", "in", "if", "else", "'", "os", "=", ":=",
          "@", "~", "<", "and", " ", "\n", "\\", "#", "0x1", "1j", "9" * 40, "sum(", "open(", "eval(", "yield")


@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=25).map("".join))
def test_random_token_soup_is_a_value_or_a_one_line_expression_error(text):
    try:
        value = evaluate(text, {"x": 0.5, "w": -2.0})
    except ExpressionError as e:
        assert "\n" not in str(e) and str(e), (text, str(e))
    else:
        assert isinstance(value.data, float)


@given(st.text(max_size=40))
def test_any_text_is_a_value_or_a_one_line_expression_error(text):
    try:
        evaluate(text, {"x": 0.5})
    except ExpressionError as e:
        assert "\n" not in str(e) and str(e), (text, str(e))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("(" * 4999 + "x" + ")" * 4999, "too many nested parentheses"),
        ("tanh(" * 1666 + "x" + ")" * 1666, "too many nested parentheses"),
        ("(" * (MAX_LENGTH // 2) + "x" + ")" * (MAX_LENGTH // 2), f"the limit is {MAX_LENGTH:,}"),
        ("9" * 5000, "a number has too many digits to be read"),
        ("-" * 9000 + "x", "nested too deeply"),
        ("x" + "**x" * 2000, "overflows"),
        ("10**10**10**10", "10**10**10 overflows"),
        ("exp(exp(exp(exp(x))))", "exp(exp(exp(x))) overflows"),
        ("().__class__.__bases__[0].__subclasses__()", "not allowed: calling ().__class__.__bases__[0]"),
        ("[].__class__", "not allowed: attribute access [].__class__"),
        ("await x", "not allowed: await x"),
        ("\ufeffx", "invalid non-printable character U+FEFF"),
        ("__builtins__", "unknown name __builtins__"),
        ("x+\udc85", "column 3: the expression contains '\\udc85', which is not a character of valid text"),
    ],
)
def test_hostile_expressions_are_refused(text, fragment):
    with pytest.raises(ExpressionError, match=None) as info:
        evaluate(text, {"x": 2.0})
    assert fragment in str(info.value) and "\n" not in str(info.value)


@pytest.mark.skipif(shutil.which("dot") is None or importlib.util.find_spec("graphviz") is None,
                    reason="drawing a valid expression needs Graphviz's dot and the graphviz package")
def test_the_fuzzers_can_see_a_success(tmp_path):
    """A valid command is exit 0 through the same harness, so the checks above are not vacuous."""
    with _inside(tmp_path):
        code, out, err = _run_main(["graph", "x*w", "--set", "x=1", "w=2", "-o", "g.dot"])
    assert code == 0 and out.startswith("x*w = 2") and (tmp_path / "g.dot").exists()


@pytest.mark.parametrize(("text", "message"), [("1if x", "expected 'else'"), ("0x1for x", "column ")])
def test_python_syntax_warnings_do_not_reach_the_user(text, message, tmp_path):
    """``1if x`` makes Python's parser warn "invalid decimal literal" before it fails:
    the user sees the one error line only."""
    with _inside(tmp_path):
        code, out, err = _run_main(["graph", text, "--set", "x=1"])
    assert code == 2 and err.count("\n") == 1 and message in err, err
