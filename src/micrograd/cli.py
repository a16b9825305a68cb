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
    from micrograd.demos import DEFAULT_DEMO, DEMOS

    listing = "\n".join(f"  {name:<8} {demo.summary}" for name, demo in DEMOS.items())
    parser = subparsers.add_parser(
        "demo",
        help="train a small network on a classic problem and draw the result",
        description=f"Train a demo network, print its result, and write its pictures and model.\n\n"
        f"demos:\n{listing}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", nargs="?", default=DEFAULT_DEMO, choices=list(DEMOS), metavar="NAME",
                        help=f"which demo: {', '.join(DEMOS)} (default: {DEFAULT_DEMO})")
    parser.add_argument("--epochs", type=positive_int, help="number of epochs (default: the demo's)")
    parser.add_argument("--lr", type=positive_float,
                        help="starting learning rate (default: the demo's; a decay keeps its shape)")
    parser.add_argument("--seed", type=integer,
                        help="seed for the initial weights and the mini-batch order (default: the demo's)")
    parser.add_argument("--out", default="micrograd-out", metavar="DIR",
                        help="directory for the pictures and the model file (default: ./micrograd-out)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no list of files written")
    parser.add_argument("--eager", action="store_true",
                        help="train with eager Value graphs instead of compiled code (slower, same result)")
    parser.set_defaults(run=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from micrograd.demos import DEMOS, run_demo

    out = writable_directory(args.out)
    demo = DEMOS[args.name]
    if not args.quiet:
        n_samples = len(demo.data()[0])
        print(demo.describe(args.epochs or demo.epochs, args.lr or demo.lr, n_samples), flush=True)
    result = run_demo(args.name, epochs=args.epochs, lr=args.lr, seed=args.seed, out=out, verbose=not args.quiet,
                      compiled=not args.eager)
    print(result.summary(), flush=True)
    if not args.quiet:
        print("wrote " + ", ".join(str(path) for path in result.files))
    if result.skipped:
        names = ", ".join(path.name for path in result.skipped)
        print(f"{PROG}: note: skipped {names}: {result.skipped_reason}", file=sys.stderr, flush=True)
    if result.history.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_DIVERGED if result.history.diverged else 0


# --- micrograd graph --------------------------------------------------------------------


@subcommand
def _add_graph(subparsers: Subparsers) -> None:
    from micrograd.viz import add_graph_command

    add_graph_command(subparsers)


# --- micrograd explore ------------------------------------------------------------------


@subcommand
def _add_explore(subparsers: Subparsers) -> None:
    from micrograd.explore import add_explore_command

    add_explore_command(subparsers)


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
