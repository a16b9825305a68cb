"""The ``micrograd`` command: ``micrograd demo [moons|sine|toy|circles|spirals]`` and friends.

Each subcommand is one function decorated with :func:`subcommand`: it receives
the sub-parser collection, adds its parser and arguments, and sets ``run`` to the
function that executes it (``run(args) -> exit code``). Every failure ends the
program with one line ``micrograd: error: ...`` on stderr, never a traceback, and
one of these exit codes:

- 0: done;
- 2 (:data:`EXIT_USAGE`): a mistake in what was asked (an argument, an expression, a graph too large);
- 3 (:data:`EXIT_CANNOT_WRITE`): the system refused to write a file or directory
  (name too long, permission denied, disk full, no such directory);
- 4 (:data:`EXIT_DIVERGED`): training diverged (the loss or a gradient stopped being finite);
  the results from before that step are still written;
- 130 (:data:`EXIT_INTERRUPTED`): stopped by Ctrl-C (a demo still writes what it learned).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

__all__ = [
    "main",
    "subcommand",
    "CommandError",
    "EXIT_USAGE",
    "EXIT_CANNOT_WRITE",
    "EXIT_DIVERGED",
    "EXIT_INTERRUPTED",
]

PROG = "micrograd"

EXIT_USAGE = 2
EXIT_CANNOT_WRITE = 3
EXIT_DIVERGED = 4
EXIT_INTERRUPTED = 130

Subparsers = Any  # argparse's _SubParsersAction, which has no public name
_SUBCOMMANDS: list[Callable[[Subparsers], None]] = []


class CommandError(Exception):
    """A problem with what the user asked for: reported as one line and exit code 2."""


def subcommand(add: Callable[[Subparsers], None]) -> Callable[[Subparsers], None]:
    """Register ``add(subparsers)``, which adds one subcommand's parser (with ``set_defaults(run=...)``)."""
    _SUBCOMMANDS.append(add)
    return add


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line naming the program, and the help is one command away."""

    def error(self, message: str) -> NoReturn:
        command = self.prog if self.prog != PROG else PROG
        self.exit(2, f"{PROG}: error: {one_line(message)} (see '{command} --help')\n")


def one_line(text: object) -> str:
    """``text`` with line breaks and other control characters escaped, so an error that
    quotes what the user typed (``$'a\\nb'``) still fits on one line."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(text))


def _fail(message: str) -> NoReturn:
    raise CommandError(message)


# --- argument types: each raises ArgumentTypeError, which argparse reports as one line -----


def positive_int(text: str) -> int:
    """An integer >= 1 (e.g. --epochs)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (e.g. --lr)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def integer(text: str) -> int:
    """Any integer (e.g. --seed)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None


def writable_directory(path: str) -> Path:
    """Create ``path`` (and its parents) if needed and check that files can be written in it."""
    directory = Path(path)
    try:
        if directory.exists() and not directory.is_dir():
            _fail(f"--out {path!r} exists and is not a directory")
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as e:
        raise OSError(f"cannot write to --out directory {path!r}: {e.strerror or e}") from None
    return directory


# --- micrograd demo ---------------------------------------------------------------------


@subcommand
def _add_demo(subparsers: Subparsers) -> None:
    from micrograd.apps.demos import DEFAULT_DEMO, DEMOS
    from micrograd.apps.tensor_demos import TENSOR_DEMOS

    every: dict[str, Any] = {**DEMOS, **TENSOR_DEMOS}
    listing = "\n".join(f"  {name:<8} {demo.summary}" for name, demo in every.items())
    parser = subparsers.add_parser(
        "demo",
        help="train a small network on a classic problem and draw the result",
        description=f"Train a demo network, print its result, and write its pictures and model.\n\n"
        f"demos:\n{listing}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", nargs="?", default=DEFAULT_DEMO, choices=list(every), metavar="NAME",
                        help=f"which demo: {', '.join(every)} (default: {DEFAULT_DEMO})")
    parser.add_argument("--epochs", type=positive_int, help="number of epochs (default: the demo's)")
    parser.add_argument("--lr", type=positive_float,
                        help="starting learning rate (default: the demo's; a decay keeps its shape)")
    parser.add_argument("--seed", type=integer,
                        help="seed for the initial weights, the mini-batch order and, for names, the names it samples "
                        "(default: the demo's)")
    parser.add_argument("--out", default="micrograd-out", metavar="DIR",
                        help="directory for the pictures and the model file (default: ./micrograd-out)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no list of files written")
    parser.add_argument("--eager", action="store_true",
                        help="train with eager Value graphs instead of compiled code (slower, same result)")
    parser.set_defaults(run=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from micrograd.apps.demos import DEMOS, run_demo
    from micrograd.apps.tensor_demos import TENSOR_DEMOS

    if args.name in TENSOR_DEMOS:
        return _run_tensor_demo(args)
    out = writable_directory(args.out)
    demo = DEMOS[args.name]
    if not args.quiet:
        n_samples = len(demo.data()[0])
        print(demo.describe(args.epochs or demo.epochs, args.lr or demo.lr, n_samples), flush=True)
    result = run_demo(args.name, epochs=args.epochs, lr=args.lr, seed=args.seed, out=out, verbose=not args.quiet,
                      compiled=not args.eager)
    return _demo_finished(args, result, [result.summary()])


def _run_tensor_demo(args: argparse.Namespace) -> int:
    """``micrograd demo digits`` and ``names``: the arguments checked and the packages found before anything is
    written."""
    from micrograd.apps.demos import DEMOS
    from micrograd.apps.tensor_demos import TENSOR_DEMOS, require, run_tensor_demo

    if args.eager:
        raise ValueError(f"--eager applies only to the demos of Values ({', '.join(DEMOS)}); {args.name} trains "
                         "tensors")
    TENSOR_DEMOS[args.name].settings(args.epochs, args.lr, args.seed)
    if "numpy" not in sys.modules:
        # Their matrices are small: one BLAS thread is faster, and on a busy machine two that spin-wait
        # made the digits demo's training 10× slower. Set before NumPy loads; a user's setting wins.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        require(args.name)
    except ImportError as e:
        raise CommandError(str(e)) from None
    announce = None if args.quiet else (lambda line: print(line, flush=True))
    result = run_tensor_demo(args.name, epochs=args.epochs, lr=args.lr, seed=args.seed,
                             out=writable_directory(args.out), verbose=not args.quiet, announce=announce)
    return _demo_finished(args, result, result.report())


def _demo_finished(args: argparse.Namespace, result: Any, lines: list[str]) -> int:
    """Print a finished demo's result lines, the files written and the pictures skipped; the exit code."""
    print("\n".join(lines), flush=True)
    if not args.quiet:
        print("wrote " + ", ".join(str(path) for path in result.files))
    if result.skipped:
        names = ", ".join(path.name for path in result.skipped)
        print(f"{PROG}: note: skipped {names}: {result.skipped_reason}", file=sys.stderr, flush=True)
    if result.history.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_DIVERGED if result.history.diverged else 0


# --- micrograd graph and micrograd explore: an expression with --set ---------------------


def _add_assignments(parser: argparse.ArgumentParser) -> None:
    """``--set NAME=NUMBER ...``, read by :func:`micrograd.apps.expression.parse_assignments`."""
    parser.add_argument(
        "--set",
        dest="assignments",
        metavar="NAME=VALUE",
        nargs="+",
        action="extend",
        default=[],
        help="give each name in the expression a value, e.g. --set x=2 w=-3 b=6.88; a list makes it a tensor "
        "expression: --set 'W=[[1,2],[3,4]]' 'x=[1,-1]' b=0.5 (numbers, vectors and matrices, at most 6 x 6)",
    )


def _library_errors_are_usage_errors(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """What a drawing or the explorer refuses (a bad expression, a graph too large, Graphviz missing) is a
    mistake in what was asked: one line and exit code 2."""

    def guarded(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except (TypeError, ImportError, RuntimeError) as e:
            raise CommandError(str(e)) from None

    return guarded


def _write(path: str, write: Callable[[], Any]) -> Any:
    """Run ``write()``; a refusal by the system names ``path`` (reported with exit code 3)."""
    try:
        return write()
    except OSError as e:
        raise OSError(f"cannot write {path}: {e.strerror or e}") from None


@subcommand
def _add_graph(subparsers: Subparsers) -> None:
    from micrograd.apps.viz import DEFAULT_OUTPUT, MAX_NODES

    parser = subparsers.add_parser(
        "graph",
        help="draw the computation graph of an expression, with gradients",
        description=(
            "Evaluate an arithmetic expression safely (numbers, names given with --set, + - * / **, "
            "and the functions tanh exp log sqrt sigmoid relu abs sin cos), backpropagate from its result, "
            "and draw the graph with every value and gradient. An expression that starts with a minus sign "
            "goes last, after --, as in: micrograd graph --set x=1 -- '-x*2'. Give --set a list and it is a "
            "tensor expression (the syntax of 'micrograd explore --help'): each tensor is drawn as a table of "
            "its data and grad, and broadcasting as a node of its own."
        ),
    )
    parser.add_argument("expression", help="e.g. 'tanh(x*w + b)'")
    _add_assignments(parser)
    parser.add_argument(
        "-o",
        "--output",
        default=str(DEFAULT_OUTPUT),
        help="file to write (missing directories are made); its suffix picks the format: .svg, .png, .pdf or .dot "
        f"(default: {DEFAULT_OUTPUT})",
    )
    parser.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR",
                        help="layout direction (default: LR)")
    parser.add_argument("--no-grad", action="store_true", help="leave the gradients out of the drawing")
    parser.add_argument(
        "--color", action="store_true", help="fill each value red (grad > 0) or blue (grad < 0), deeper for larger"
    )
    parser.add_argument(
        "--max-nodes", type=int, default=MAX_NODES, help=f"refuse to draw more values than this (default: {MAX_NODES})"
    )
    parser.set_defaults(run=_library_errors_are_usage_errors(_run_graph))


def _run_graph(args: argparse.Namespace) -> int:
    """Evaluate, backpropagate, draw and save; print the result and the gradients."""
    from micrograd.apps.expression import evaluate, parse_assignments
    from micrograd.apps.tensor_expression import has_arrays
    from micrograd.apps.viz import SAVE_FORMATS, GraphTooLargeError, draw_dot, save_graph
    from micrograd.engine import topological_order

    output = Path(args.output)
    if output.suffix.lower().lstrip(".") not in (*SAVE_FORMATS, "gv"):
        raise ValueError(f"cannot tell the format of {args.output!r} from its suffix: use .svg, .png, .pdf or .dot")
    if has_arrays(args.assignments):
        return _run_tensor_graph(args, output)
    variables = parse_assignments(args.assignments)
    root = evaluate(args.expression, variables)
    root.backward()
    try:
        drawing = draw_dot(root, format="svg", rankdir=args.rankdir, show_grad=not args.no_grad,
                           color_by_grad=args.color, max_nodes=args.max_nodes)
    except GraphTooLargeError as e:
        raise ValueError(
            f"the graph has {e.nodes:,} values, more than --max-nodes {e.limit} can show readably: "
            f"draw a shorter expression, or pass --max-nodes {e.nodes}"
        ) from None

    def save() -> None:
        output.parent.mkdir(parents=True, exist_ok=True)
        save_graph(drawing, output)

    _write(args.output, save)
    nodes = topological_order([root])
    leaves = {node.label: node for node in nodes if not node._prev and node.label}
    print(f"{' '.join(args.expression.split())} = {root.data:.10g}")
    if leaves:
        print("  ".join(f"∂/∂{name} = {leaves[name].grad:.10g}" for name in variables if name in leaves))
    unused = [name for name in variables if name not in leaves]
    if unused:
        print(f"note: not used in the expression: {', '.join(unused)}", file=sys.stderr)
    operations = sum(1 for node in nodes if node._prev)
    counts = f"{len(nodes)} value{'s' * (len(nodes) != 1)}, {operations} operation{'s' * (operations != 1)}"
    print(f"wrote {args.output} ({counts})")
    return 0


def _tensor_expression(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The tensor expression, one number (backpropagation starts from it), and its named inputs."""
    from micrograd.apps.tensor_expression import evaluate_tensor, one_number, parse_array_assignments

    root, leaves = evaluate_tensor(args.expression, parse_array_assignments(args.assignments))
    return one_number(root), leaves


def _numbers(array: Any) -> str:
    """An array as nested lists of its numbers, each to 10 significant digits: ``[[1, -1], [0.5, 2]]``."""
    if array.ndim == 0:
        return f"{float(array):.10g}"
    return "[" + ", ".join(_numbers(part) for part in array) + "]"


def _run_tensor_graph(args: argparse.Namespace, output: Path) -> int:
    """``micrograd graph`` for a tensor expression: every tensor's array and gradient drawn."""
    if args.color:
        raise ValueError("--color applies to scalar expressions: a tensor's box shows its grad's numbers")
    root, leaves = _tensor_expression(args)  # first: without NumPy, it says how to install it
    from micrograd.apps.tensorviz import keep_grads, tensor_order
    from micrograd.apps.viz import draw_dot, save_graph

    keep_grads(root)
    root.backward()
    drawing = draw_dot(root, names=leaves, format="svg", rankdir=args.rankdir, show_grad=not args.no_grad,
                       max_nodes=args.max_nodes)

    def save() -> None:
        output.parent.mkdir(parents=True, exist_ok=True)
        save_graph(drawing, output)

    _write(args.output, save)
    print(f"{' '.join(args.expression.split())} = {root.item():.10g}")
    for name, leaf in leaves.items():
        print(f"∂/∂{name} = {_numbers(leaf.grad) if leaf.grad is not None else 'not used in the expression'}")
    nodes = tensor_order([root])
    operations = sum(1 for node in nodes if node._prev)
    print(f"wrote {args.output} ({len(nodes)} tensors, {operations} operations)")
    return 0


@subcommand
def _add_explore(subparsers: Subparsers) -> None:
    from micrograd.apps.demos import DEMOS
    from micrograd.apps.explore import DEFAULT_OUTPUT

    demos = [d.name for d in DEMOS.values() if d.kind == "classifier" and d.nin == 2]
    parser = subparsers.add_parser(
        "explore",
        help="step through backpropagation (or a training run) in the browser",
        description=(
            "Write one self-contained HTML page to step through the forward and backward pass of an "
            "expression, node by node, with each local rule and its numbers; or, with --demo, to watch a "
            "2-D classifier's decision boundary during training. Every number on the page comes from "
            "micrograd's own run. Keys on the page: → next step, ← previous step, space play/pause. "
            "Tensors: give a list to --set and the expression is a tensor expression, each node shown as "
            "tables of its array and gradient, e.g. micrograd explore '(W @ x + b).tanh().sum()' "
            "--set 'W=[[1,2],[3,4]]' 'x=[1,-1]' b=0.5. Inputs are numbers, vectors [1,-1] or matrices "
            "[[1,2],[3,4]] (finite, at most 6 x 6); besides + - * / ** and the functions tanh exp log sqrt "
            "sigmoid relu abs sin cos there are @, .T, the functions as methods (x.tanh()) and .sum() .mean() "
            "(.sum(0) over one dim). The result must be one "
            "number (backpropagation starts from it): end with .sum() or .mean()."
        ),
    )
    parser.add_argument("expression", nargs="?", help="e.g. 'tanh(x*w + b)' (not with --demo)")
    _add_assignments(parser)
    parser.add_argument("--demo", metavar="NAME", help=f"a 2-D classifier demo to train and show: {', '.join(demos)}")
    parser.add_argument("--epochs", type=positive_int, help="with --demo: number of epochs (default: the demo's)")
    parser.add_argument(
        "--snapshots", type=positive_int, default=16, help="with --demo: how many boundaries to record (default: 16)"
    )
    parser.add_argument(
        "-o", "--output", default=str(DEFAULT_OUTPUT), help=f"the page to write (default: {DEFAULT_OUTPUT})"
    )
    parser.add_argument("--serve", action="store_true", help="also serve the page on 127.0.0.1 until Ctrl-C")
    parser.add_argument("--port", type=int, help="with --serve: the port (default: any free port)")
    parser.set_defaults(run=_library_errors_are_usage_errors(_run_explore))


def _run_explore(args: argparse.Namespace) -> int:
    """Record, write the page, and serve it if asked."""
    from micrograd.apps.explore import record_graph, record_training, start_server, training_demo, write_page
    from micrograd.apps.expression import evaluate, parse_assignments
    from micrograd.apps.tensor_expression import has_arrays

    if args.port is not None and not args.serve:
        raise ValueError("--port applies only with --serve")
    if not 0 <= (args.port or 0) <= 65535:
        raise ValueError(f"--port must be between 0 and 65535, got {args.port}")
    if args.demo is not None:
        if args.expression is not None or args.assignments:
            raise ValueError("give either an expression (with --set) or --demo, not both")
        training_demo(args.demo)
        if args.snapshots < 2:
            raise ValueError(f"--snapshots must be at least 2 (before and after training), got {args.snapshots}")
        print(f"training {args.demo} and recording its decision boundary ...", file=sys.stderr, flush=True)
        recording = record_training(args.demo, epochs=args.epochs, snapshots=args.snapshots, verbose=True)
        summary = recording["training"]["snapshots"][-1]["text"]
    else:
        if args.expression is None:
            raise ValueError("give an expression to explore, e.g. 'tanh(x*w + b)' --set x=2 w=-3 b=6.88, or --demo")
        if args.epochs is not None:
            raise ValueError("--epochs applies only with --demo")
        if has_arrays(args.assignments):
            root, leaves = _tensor_expression(args)  # first: without NumPy, it says how to install it
            from micrograd.apps.explore.tensor_record import record_tensor_graph

            recording = record_tensor_graph(root, leaves, title=" ".join(args.expression.split()))
            summary = f"{recording['title']} = {root.item():.10g}"
        else:
            variables = parse_assignments(args.assignments)
            root = evaluate(args.expression, variables)
            recording = record_graph(root, title=" ".join(args.expression.split()))
            summary = f"{recording['title']} = {root.data:.10g}"
    path = _write(args.output, lambda: write_page(recording, args.output))
    print(summary)
    print(f"wrote {path} (open it in a browser: {path.resolve().as_uri()})", flush=True)
    if not args.serve:
        return 0
    try:
        server, address = start_server(path, args.port or 0)
    except OSError as e:
        raise CommandError(f"cannot serve on 127.0.0.1:{args.port or 0}: {e.strerror or e}") from None
    print(f"serving the explorer at {address} (Ctrl-C stops)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
    return 0


# --- the program ------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The ``micrograd`` parser with every registered subcommand."""
    from micrograd import __version__

    parser = _Parser(prog=PROG, description="micrograd: a tiny autograd engine and neural networks on top.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


def _show_warning(message: Warning | str, category: type[Warning], *rest: Any, **options: Any) -> None:
    """A warning (a run that diverged, say) as one line on stderr, without the source line."""
    print(f"{PROG}: warning: {one_line(message)}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 done, 2 a mistake in the arguments, 3 a file that cannot
    be written, 4 training diverged, 130 interrupted)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # a bare `micrograd`: show what it can do
        parser.print_help()
        return EXIT_USAGE
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.run(args)
    except (CommandError, ValueError) as e:
        print(f"{PROG}: error: {one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader went away, e.g. `micrograd demo | head -1`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except OSError as e:  # a picture or model the disk refused: e.g. "cannot write out/moons_model.json: ..."
        message = f"cannot write {e.filename}: {e.strerror}" if e.filename and e.strerror else str(e)
        print(f"{PROG}: error: {one_line(message)}", file=sys.stderr)
        return EXIT_CANNOT_WRITE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
