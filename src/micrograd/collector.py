"""Pausing Python's cyclic garbage collector while a library loop builds no cycles.

Why: a graph of n Values is n objects the collector tracks (one per node, see
:mod:`micrograd.graph`); every few hundred new ones trigger a collection, and about
every hundredth of those is a full one, which walks every object the program holds (on
CPython 3.11 about 0.7 full collections per lecture-shaped training step). Graphs of Values hold no reference
cycles, so reference counting frees them and those walks find nothing. ``fit`` pauses
the collector for a step that runs only the library's own code, and a user's loop may
do the same (``with collector_paused(): ...``); the collector is always restored, on
return, on an exception and on Ctrl-C alike. ``backward()`` does not pause it: its sort
and chain rule make no new objects for the collector to count, so a pause changed
nothing measurable there, and it may run closures and rules of the user's own.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]

_depth = 0  # paused spans currently open, over all threads
_was_enabled = False  # the collector's state when the outermost span began
_lock = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with ``gc`` disabled; the state it had is restored when the last span ends.

    Spans nest and may overlap across threads: the collector comes back on only when
    every open span has closed, and only if it was on when the first one began.
    """
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
